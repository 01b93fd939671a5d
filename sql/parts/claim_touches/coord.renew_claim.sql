CREATE OR REPLACE FUNCTION coord.renew_claim(p_task_id bigint, p_claim_token bigint, p_lease interval DEFAULT '5 minutes',
    OUT ok boolean, OUT reason text, OUT claim_expires_at timestamptz, OUT event_id bigint)
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
    v_lease numeric := coord_private.require_ttl(p_lease);
    t coord_private.tasks := coord_private.require_task(p_task_id);
    v_now timestamptz;
    v_paths text[];
    v_live_ids bigint[];
    v_shared_ids bigint[];
    v_renewed jsonb;
    v_lapsed jsonb;
    v_ctx jsonb;
BEGIN
    IF p_claim_token IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'claim token must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.renew_claim';
    END IF;
    PERFORM coord_private.require_read_committed();
    SELECT * INTO t FROM coord_private.tasks x WHERE x.task_id = p_task_id FOR UPDATE;
    -- INV-CLAIM-TOUCH, INV-LOCK-EXCL: the caller's claim's leases are renewed with it.
    -- Their coordination locks come before the clock: a renewal must not revive a
    -- lease another agent took over after it expired (lease_races).
    IF t.status = 'claimed' AND t.claimed_by = session_user AND t.claim_token = p_claim_token THEN
        v_paths := ARRAY(SELECT l.path FROM coord_private.locks l
                          WHERE l.lock_id IN (SELECT c.lock_id FROM coord_private.claim_leases c
                                               WHERE c.task_id = p_task_id AND c.claim_token = p_claim_token)
                          ORDER BY l.path COLLATE "C");
        IF pg_catalog.cardinality(v_paths) > 0 THEN
            PERFORM coord_private.lock_lease_paths(v_paths, true);
        END IF;
    END IF;
    v_now := coord_private.current_time();
    IF pg_catalog.cardinality(v_paths) > 0 THEN
        SELECT pg_catalog.array_agg(r.lock_id) FILTER (WHERE r.expires_at > v_now),
               pg_catalog.array_agg(r.lock_id) FILTER (WHERE r.expires_at > v_now AND r.shared),
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('path', r.path, 'token', r.token) ORDER BY r.path COLLATE "C") FILTER (WHERE r.expires_at > v_now),
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('path', r.path, 'token', r.token) ORDER BY r.path COLLATE "C") FILTER (WHERE r.expires_at <= v_now)
          INTO v_live_ids, v_shared_ids, v_renewed, v_lapsed
          FROM coord_private.claim_lease_rows(p_task_id, p_claim_token, false) r;
    END IF;
    v_ctx := pg_catalog.jsonb_build_object('claim_token', p_claim_token, 'lease_seconds', v_lease, 'at', v_now,
                                           'expires_at', v_now + pg_catalog.make_interval(secs => v_lease));
    IF v_renewed IS NOT NULL THEN
        v_ctx := v_ctx || pg_catalog.jsonb_build_object('renewed_leases', v_renewed);
    END IF;
    IF v_lapsed IS NOT NULL THEN
        v_ctx := v_ctx || pg_catalog.jsonb_build_object('lapsed_leases', v_lapsed);
    END IF;
    v := coord_private.authorize('renew_claim', p_task_id::text, v_ctx,
        coord_private.claim_refusal(t, p_claim_token, v_now));
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF v.proceed THEN
        UPDATE coord_private.tasks x
           SET claim_expires_at = v_now + pg_catalog.make_interval(secs => v_lease),
               updated_at = v_now
         WHERE x.task_id = p_task_id
        RETURNING x.claim_expires_at INTO claim_expires_at;
        IF v_live_ids IS NOT NULL THEN
            -- a row another claim of the caller shares keeps the later expiry
            UPDATE coord_private.locks l
               SET expires_at = CASE WHEN l.lock_id = ANY (coalesce(v_shared_ids, '{}')) AND l.expires_at > renew_claim.claim_expires_at
                                     THEN l.expires_at ELSE renew_claim.claim_expires_at END
             WHERE l.lock_id = ANY (v_live_ids);
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.renew_claim(bigint, bigint, interval) IS
    'agent: extend the caller''s current live claim (TLA+ RenewClaim) and the leases it took that are still live (INV-CLAIM-TOUCH); stale token: not_claim_owner; expired: claim_expired. Errors PC001, PC004, PC005';
