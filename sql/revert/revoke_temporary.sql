-- Revert pgcoord:revoke_temporary
BEGIN;

DO $$
BEGIN
    EXECUTE pg_catalog.format('GRANT TEMPORARY ON DATABASE %I TO coord_agent, coord_admin, coord_auditor',
                              pg_catalog.current_database());
END
$$;

COMMIT;
