-- Pins `pg_catalog, pg_temp` on every pgcoord function that pins an empty search
-- path (used by definer_search_path, and by later reverts that bring back a
-- definition written before it).
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.oid::regprocedure AS fn
               FROM pg_catalog.pg_proc p
              WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
                AND 'search_path=""' = ANY (p.proconfig)
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', r.fn);
    END LOOP;
END
$$;
