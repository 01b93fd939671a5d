CREATE OR REPLACE FUNCTION coord.cancel_task(p_task_id bigint, p_reason text,
    OUT ok boolean, OUT reason text, OUT settled integer, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v coord_private.verdict;
    t coord_private.tasks := coord_private.require_task(p_task_id);
    v_now timestamptz := coord_private.current_time();
    v_status text;
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
    v := coord_private.authorize('cancel_task', p_task_id::text,
        pg_catalog.jsonb_build_object('why', p_reason, 'elevated', t.submitter <> session_user),
        CASE WHEN v_status IN ('completed', 'failed', 'cancelled') THEN 'task_terminal' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id; settled := 0;
    IF v.proceed THEN
        UPDATE coord_private.tasks x
           SET status = 'cancelled', claim_expires_at = NULL, error = p_reason, updated_at = v_now, finished_at = v_now
         WHERE x.task_id = p_task_id;
        settled := coord_private.settle_dependents(p_task_id, NULL);
    END IF;
END
$$;
COMMENT ON FUNCTION coord.cancel_task(bigint, text) IS
    'agent: cancel a task (TLA+ CancelTask): its submitter, or an elevated agent (trust >= 3); dependents are settled (dependency_failed). Errors PC001, PC002, PC005';
