CREATE OR REPLACE FUNCTION coord.complete_task(p_task_id bigint, p_claim_token bigint, p_result jsonb DEFAULT '{}',
    OUT ok boolean, OUT reason text, OUT guardrails jsonb, OUT event_id bigint)
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
    v_matches jsonb;
    v_now timestamptz;
    v_refusal text;
    v_ids bigint[];
    v_released jsonb;
BEGIN
    IF p_claim_token IS NULL OR p_result IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'claim token and result must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.complete_task';
    END IF;
    IF pg_catalog.octet_length(p_result::text) > 1048576 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'result larger than 1 MiB',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.complete_task';
    END IF;
    PERFORM coord_private.require_read_committed();
    SELECT * INTO t FROM coord_private.tasks x WHERE x.task_id = p_task_id FOR UPDATE;
    v_now := coord_private.current_time();
    v_refusal := coord_private.claim_refusal(t, p_claim_token, v_now);
    -- INV-CLAIM-TOUCH: the leases the claim took end with it
    IF v_refusal IS NULL THEN
        SELECT pg_catalog.array_agg(r.lock_id),
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('path', r.path, 'token', r.token) ORDER BY r.path COLLATE "C") FILTER (WHERE NOT r.shared)
          INTO v_ids, v_released
          FROM coord_private.claim_lease_rows(p_task_id, p_claim_token, false) r;
    END IF;
    v_matches := coord_private.guardrail_matches(p_result::text);
    v := coord_private.authorize('complete_task', p_task_id::text,
        pg_catalog.jsonb_build_object('claim_token', p_claim_token, 'current_token', t.claim_token, 'at', v_now,
                                      'claimed_by', t.claimed_by, 'guardrail_matches', v_matches,
                                      'files_modified', CASE WHEN pg_catalog.jsonb_typeof(p_result->'files_modified') = 'array'
                                                             THEN pg_catalog.jsonb_array_length(p_result->'files_modified') END)
        || CASE WHEN v_released IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('released_leases', v_released) END,
        v_refusal);
    ok := v.proceed; reason := v.reason; event_id := v.event_id; guardrails := v_matches;
    PERFORM coord_private.record_guardrail_hits(v.event_id, v_matches, 'result');
    IF NOT v.proceed THEN
        RETURN;
    END IF;
    UPDATE coord_private.tasks x
       SET status = 'completed', result = p_result, claim_expires_at = NULL, updated_at = v_now, finished_at = v_now
     WHERE x.task_id = p_task_id;
    IF v_ids IS NOT NULL THEN
        DELETE FROM coord_private.claim_leases c
         WHERE c.task_id = p_task_id AND c.claim_token = p_claim_token AND c.lock_id = ANY (v_ids);
        DELETE FROM coord_private.locks l
         WHERE l.lock_id = ANY (v_ids)
           AND NOT EXISTS (SELECT 1 FROM coord_private.claim_leases c WHERE c.lock_id = l.lock_id);
    END IF;
    -- INV-DEPS: one dependency fewer for every dependent, locked in order
    PERFORM coord_private.release_dependents(p_task_id);
END
$$;
COMMENT ON FUNCTION coord.complete_task(bigint, bigint, jsonb) IS
    'agent: complete the task whose current live claim the caller holds (TLA+ CompleteTask; INV-COMPLETE-OWNER); terminal tasks never change; the leases the claim took end with it (INV-CLAIM-TOUCH). Errors PC001, PC002, PC005';
