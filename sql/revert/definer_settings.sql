-- Revert pgcoord:definer_settings
BEGIN;
SET LOCAL ROLE coord_owner;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.oid::regprocedure AS fn
               FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'coord'::regnamespace AND p.prosecdef
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s RESET lock_timeout', r.fn);
        EXECUTE pg_catalog.format('ALTER FUNCTION %s RESET standard_conforming_strings', r.fn);
    END LOOP;
END
$$;

COMMIT;
