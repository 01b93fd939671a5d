-- Revert pgcoord:roles
-- Roles are cluster-wide: another database deployed in the same cluster may still
-- use them, in which case they are left in place (with a notice) and only this
-- database's grants are removed.
BEGIN;

DO $$
DECLARE
    r text;
BEGIN
    EXECUTE pg_catalog.format('REVOKE CREATE ON DATABASE %I FROM coord_owner', pg_catalog.current_database());
    EXECUTE pg_catalog.format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM coord_agent, coord_admin, coord_auditor', pg_catalog.current_database());
    EXECUTE pg_catalog.format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', pg_catalog.current_database());
    FOREACH r IN ARRAY ARRAY['coord_auditor', 'coord_admin', 'coord_agent', 'coord_owner'] LOOP
        BEGIN
            EXECUTE pg_catalog.format('DROP ROLE IF EXISTS %I', r);
        EXCEPTION WHEN dependent_objects_still_exist OR object_in_use THEN
            RAISE NOTICE 'role % is still used by another database; left in place', r;
        END;
    END LOOP;
END
$$;

COMMIT;
