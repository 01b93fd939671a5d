-- Verify pgcoord:api_lock_timeout
BEGIN;
DO $$
DECLARE
    v_bad text;
BEGIN
    SELECT pg_catalog.string_agg(p.oid::regprocedure::text, ', ') INTO v_bad
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'coord'::regnamespace AND p.prosecdef
       AND NOT 'lock_timeout=10s' = ANY (coalesce(p.proconfig, '{}'));
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'verify api_lock_timeout: no pinned lock_timeout on %', v_bad;
    END IF;
END
$$;
ROLLBACK;
