-- Verify pgcoord:definer_settings
BEGIN;
DO $$
DECLARE
    v_bad text;
BEGIN
    SELECT pg_catalog.string_agg(p.oid::regprocedure::text, ', ') INTO v_bad
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'coord'::regnamespace AND p.prosecdef
       AND NOT (coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp', 'lock_timeout=5s',
                                                      'standard_conforming_strings=on']);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'verify definer_settings: search_path, lock_timeout or standard_conforming_strings not pinned on %', v_bad;
    END IF;
END
$$;
ROLLBACK;
