-- Revert pgcoord:definer_search_path
-- Back to the empty search path of v0.3.0 (which searches pg_temp first).
BEGIN;
SET LOCAL ROLE coord_owner;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.oid::regprocedure AS fn
               FROM pg_catalog.pg_proc p
              WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
                AND 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = ''''', r.fn);
    END LOOP;
END
$$;

COMMIT;
