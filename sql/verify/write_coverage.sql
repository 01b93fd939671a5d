-- Verify pgcoord:write_coverage
-- The function is there, a SECURITY DEFINER with its settings pinned, callable by the
-- pgcoord roles and not by PUBLIC, and answers (a path the deploying role holds no lease on is not covered).
BEGIN;
DO $$
DECLARE
    v_fn regprocedure := 'coord.check_write_coverage(text[])'::regprocedure;
    v_reason text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                    WHERE p.oid = v_fn AND p.prosecdef
                      AND coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp', 'lock_timeout=5s',
                                                                'standard_conforming_strings=on']) THEN
        RAISE EXCEPTION 'verify write_coverage: coord.check_write_coverage is not a definer with its settings pinned';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('coord_agent', v_fn, 'EXECUTE')
            AND pg_catalog.has_function_privilege('coord_admin', v_fn, 'EXECUTE')
            AND pg_catalog.has_function_privilege('coord_auditor', v_fn, 'EXECUTE')) THEN
        RAISE EXCEPTION 'verify write_coverage: a pgcoord role cannot call coord.check_write_coverage';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
                WHERE p.oid = v_fn AND a.grantee = 0) THEN
        RAISE EXCEPTION 'verify write_coverage: PUBLIC may call coord.check_write_coverage';
    END IF;
    SELECT c.reason INTO v_reason FROM coord.check_write_coverage(ARRAY['pgcoord-verify/write_coverage.txt']) c;
    IF v_reason IS NULL OR v_reason NOT IN ('no_lease', 'leased_by_other') THEN
        RAISE EXCEPTION 'verify write_coverage: a path the deploying role holds no lease on answered %', v_reason;
    END IF;
END
$$;
ROLLBACK;
