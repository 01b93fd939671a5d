CREATE OR REPLACE FUNCTION coord.force_release_lock(p_path text, p_reason text,
    OUT ok boolean, OUT reason text, OUT released jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v coord_private.verdict;
    v_path text := coord_private.normalize_path(p_path);
    v_locks coord_private.locks[];
BEGIN
    PERFORM coord_private.require_read_committed();
    IF p_reason IS NULL OR pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = CASE WHEN p_reason IS NULL THEN 'PC001' ELSE 'PC002' END,
            MESSAGE = 'a forced release needs a reason', HINT = 'it is recorded in the audit trail',
            DETAIL = 'nothing was changed';
    END IF;
    SELECT pg_catalog.array_agg(l) INTO v_locks FROM coord_private.locks l
     WHERE l.path = v_path AND l.expires_at > coord_private.current_time();
    v := coord_private.authorize('force_release_lock', v_path,
        pg_catalog.jsonb_build_object('why', p_reason, 'released', coord_private.holders_json(v_locks)),
        CASE WHEN v_locks IS NULL THEN 'lock_not_held' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    released := coord_private.holders_json(v_locks);
    IF v.proceed THEN
        DELETE FROM coord_private.locks l WHERE l.path = v_path;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.force_release_lock(text, text) IS
    'elevated agent (trust >= 3): release every live lease on exactly this path, whoever holds it; audited with its reason. Errors PC001-PC003';
