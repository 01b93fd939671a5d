CREATE OR REPLACE FUNCTION coord.cancel_task(p_task_id bigint, p_reason text,
    OUT ok boolean, OUT reason text, OUT settled integer, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    t coord_private.tasks := coord_private.require_task(p_task_id);
    v_now timestamptz := coord_private.current_time();
    v_status text;
    v_ids bigint[];
    v_released jsonb;
BEGIN
    IF p_reason IS NULL OR pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 OR pg_catalog.length(p_reason) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = CASE WHEN p_reason IS NULL THEN 'PC001' ELSE 'PC002' END,
            MESSAGE = 'a cancellation needs a reason of 1 to 1000 characters',
            DETAIL = 'nothing was changed',
            HINT = 'see the function documentation: \df+ coord.cancel_task';
    END IF;
    PERFORM coord_private.require_read_committed();
    SELECT * INTO t FROM coord_private.tasks x WHERE x.task_id = p_task_id FOR UPDATE;
    SELECT s.status INTO v_status FROM coord.tasks s WHERE s.task_id = p_task_id;
    -- INV-CLAIM-TOUCH: the leases the current (or last, expired) claim took end with it
    IF t.status = 'claimed' THEN
        SELECT pg_catalog.array_agg(r.lock_id),
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('path', r.path, 'token', r.token) ORDER BY r.path COLLATE "C") FILTER (WHERE NOT r.shared)
          INTO v_ids, v_released
          FROM coord_private.claim_lease_rows(p_task_id, t.claim_token, false) r;
    END IF;
    v := coord_private.authorize('cancel_task', p_task_id::text,
        pg_catalog.jsonb_build_object('why', p_reason, 'elevated', t.submitter <> session_user)
        || CASE WHEN v_released IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('released_leases', v_released) END,
        CASE WHEN v_status IN ('completed', 'failed', 'cancelled') THEN 'task_terminal' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id; settled := 0;
    IF v.proceed THEN
        UPDATE coord_private.tasks x
           SET status = 'cancelled', claim_expires_at = NULL, error = p_reason, updated_at = v_now, finished_at = v_now
         WHERE x.task_id = p_task_id;
        IF v_ids IS NOT NULL THEN
            DELETE FROM coord_private.claim_leases c
             WHERE c.task_id = p_task_id AND c.claim_token = t.claim_token AND c.lock_id = ANY (v_ids);
            DELETE FROM coord_private.locks l
             WHERE l.lock_id = ANY (v_ids)
               AND NOT EXISTS (SELECT 1 FROM coord_private.claim_leases c WHERE c.lock_id = l.lock_id);
        END IF;
        settled := coord_private.settle_dependents(p_task_id, NULL);
    END IF;
END
$$;
COMMENT ON FUNCTION coord.cancel_task(bigint, text) IS
    'agent: cancel a task (TLA+ CancelTask): its submitter, or an elevated agent (trust >= 3); dependents are settled (dependency_failed); the leases its claim took end with it (INV-CLAIM-TOUCH). Errors PC001, PC002, PC005';
