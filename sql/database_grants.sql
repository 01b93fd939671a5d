-- pgcoord: the database's own grants, stated idempotently. Not a Sqitch change:
-- `pgcoord deploy` (pgcoord.migrations.apply_database_grants) runs it after every
-- Sqitch deploy, because these grants live in pg_database.datacl, which pg_dump
-- writes only with --create. A dump restored into a database made beforehand comes
-- back with PostgreSQL's defaults (PUBLIC may connect and create temporary objects,
-- coord_owner may not create schemas); deploying again restores what the changes
-- roles and revoke_temporary granted. Granting on a database takes its owner or a
-- superuser: the deployer.
DO $$
DECLARE
    v_db text := pg_catalog.current_database();
BEGIN
    EXECUTE pg_catalog.format('REVOKE ALL ON DATABASE %I FROM PUBLIC', v_db);
    EXECUTE pg_catalog.format('GRANT CREATE ON DATABASE %I TO coord_owner', v_db);
    EXECUTE pg_catalog.format('GRANT CONNECT ON DATABASE %I TO coord_agent, coord_admin, coord_auditor', v_db);
    -- INV-DEFINER (revoke_temporary): no pg_temp objects of theirs for any function to find
    EXECUTE pg_catalog.format('REVOKE TEMPORARY ON DATABASE %I FROM coord_agent, coord_admin, coord_auditor', v_db);
END
$$;
