CREATE OR REPLACE FUNCTION coord.renew_claim(p_task_id bigint, p_claim_token bigint, p_lease interval DEFAULT '5 minutes',
    OUT ok boolean, OUT reason text, OUT claim_expires_at timestamptz, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v coord_private.verdict;
    v_lease numeric := coord_private.require_ttl(p_lease);
    t coord_private.tasks := coord_private.require_task(p_task_id);
    v_now timestamptz;
BEGIN
    IF p_claim_token IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'claim token must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.renew_claim';
    END IF;
    PERFORM coord_private.require_read_committed();
    SELECT * INTO t FROM coord_private.tasks x WHERE x.task_id = p_task_id FOR UPDATE;
    v_now := coord_private.current_time();
    v := coord_private.authorize('renew_claim', p_task_id::text,
        pg_catalog.jsonb_build_object('claim_token', p_claim_token, 'lease_seconds', v_lease, 'at', v_now,
                                      'expires_at', v_now + pg_catalog.make_interval(secs => v_lease)),
        coord_private.claim_refusal(t, p_claim_token, v_now));
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF v.proceed THEN
        UPDATE coord_private.tasks x
           SET claim_expires_at = v_now + pg_catalog.make_interval(secs => v_lease),
               updated_at = v_now
         WHERE x.task_id = p_task_id
        RETURNING x.claim_expires_at INTO claim_expires_at;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.renew_claim(bigint, bigint, interval) IS
    'agent: extend the caller''s current live claim (TLA+ RenewClaim); stale token: not_claim_owner; expired: claim_expired. Errors PC001, PC004, PC005';
