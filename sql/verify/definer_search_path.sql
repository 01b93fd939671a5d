-- Verify pgcoord:definer_search_path
BEGIN;
DO $$
DECLARE
    v_bad text;
BEGIN
    SELECT pg_catalog.string_agg(p.oid::regprocedure::text, ', ') INTO v_bad
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proconfig) c
                    WHERE c LIKE 'search_path=%' AND c <> 'search_path=pg_catalog, pg_temp');
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'verify definer_search_path: search_path other than pg_catalog, pg_temp on %', v_bad;
    END IF;
END
$$;
ROLLBACK;
