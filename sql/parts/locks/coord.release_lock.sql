CREATE OR REPLACE FUNCTION coord.release_lock(p_path text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v coord_private.verdict;
    v_path text := coord_private.normalize_path(p_path);
    v_lock coord_private.locks;
BEGIN
    PERFORM coord_private.require_read_committed();
    SELECT * INTO v_lock FROM coord_private.locks l
     WHERE l.path = v_path AND l.holder = session_user AND l.expires_at > coord_private.current_time()
       FOR UPDATE;
    v := coord_private.authorize('release_lock', v_path, pg_catalog.jsonb_build_object('token', v_lock.token),
        CASE WHEN v_lock.lock_id IS NULL THEN 'lock_not_held' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF v.proceed THEN
        DELETE FROM coord_private.locks l WHERE l.lock_id = v_lock.lock_id;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.release_lock(text) IS 'agent: release a live lease the caller holds (TLA+ ReleaseLock). Errors PC001, PC003';
