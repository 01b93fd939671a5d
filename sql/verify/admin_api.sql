-- Verify pgcoord:admin_api
BEGIN;
DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('coord_admin', 'coord.set_enforcement_mode(text, text)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('coord_agent', 'coord.set_enforcement_mode(text, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'verify admin_api: only coord_admin may change the enforcement mode';
    END IF;
    PERFORM 'coord.register_agent(text, text)'::regprocedure;
END
$$;
ROLLBACK;
