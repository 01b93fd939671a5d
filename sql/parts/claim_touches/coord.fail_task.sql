CREATE OR REPLACE FUNCTION coord.fail_task(p_task_id bigint, p_claim_token bigint, p_error text, p_retryable boolean DEFAULT false,
    OUT ok boolean, OUT reason text, OUT status text, OUT settled integer, OUT event_id bigint)
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
    v_now timestamptz;
    v_refusal text;
    v_ids bigint[];
    v_released jsonb;
BEGIN
    IF p_claim_token IS NULL OR p_error IS NULL OR p_retryable IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'claim token, error and retryable must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.fail_task';
    END IF;
    IF pg_catalog.length(p_error) > 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'error longer than 10000 characters',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.fail_task';
    END IF;
    PERFORM coord_private.require_read_committed();
    SELECT * INTO t FROM coord_private.tasks x WHERE x.task_id = p_task_id FOR UPDATE;
    v_now := coord_private.current_time();
    v_refusal := coord_private.claim_refusal(t, p_claim_token, v_now);
    -- INV-CLAIM-TOUCH: the leases the claim took end with it (a retry claims anew)
    IF v_refusal IS NULL THEN
        SELECT pg_catalog.array_agg(r.lock_id),
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('path', r.path, 'token', r.token) ORDER BY r.path COLLATE "C") FILTER (WHERE NOT r.shared)
          INTO v_ids, v_released
          FROM coord_private.claim_lease_rows(p_task_id, p_claim_token, false) r;
    END IF;
    status := CASE WHEN p_retryable AND t.attempts < t.max_attempts THEN 'pending' ELSE 'failed' END;
    v := coord_private.authorize('fail_task', p_task_id::text,
        pg_catalog.jsonb_build_object('claim_token', p_claim_token, 'retryable', p_retryable, 'next_status', status,
                                      'at', v_now)
        || CASE WHEN v_released IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('released_leases', v_released) END,
        v_refusal);
    ok := v.proceed; reason := v.reason; event_id := v.event_id; settled := 0;
    IF NOT v.proceed THEN
        status := t.status;
        RETURN;
    END IF;
    IF status = 'pending' THEN
        UPDATE coord_private.tasks x
           SET status = 'pending', claimed_by = NULL, claim_expires_at = NULL, error = p_error, updated_at = v_now
         WHERE x.task_id = p_task_id;
    ELSE
        UPDATE coord_private.tasks x
           SET status = 'failed', claim_expires_at = NULL, error = p_error, updated_at = v_now, finished_at = v_now
         WHERE x.task_id = p_task_id;
    END IF;
    IF v_ids IS NOT NULL THEN
        DELETE FROM coord_private.claim_leases c
         WHERE c.task_id = p_task_id AND c.claim_token = p_claim_token AND c.lock_id = ANY (v_ids);
        DELETE FROM coord_private.locks l
         WHERE l.lock_id = ANY (v_ids)
           AND NOT EXISTS (SELECT 1 FROM coord_private.claim_leases c WHERE c.lock_id = l.lock_id);
    END IF;
    IF status = 'failed' THEN
        settled := coord_private.settle_dependents(p_task_id, NULL);
    END IF;
END
$$;
COMMENT ON FUNCTION coord.fail_task(bigint, bigint, text, boolean) IS
    'agent: fail the task whose current live claim the caller holds (TLA+ FailTask); retryable with attempts left: back to pending; else failed and its dependents settled (dependency_failed); the leases the claim took end with it (INV-CLAIM-TOUCH). Errors PC001, PC002, PC005';
