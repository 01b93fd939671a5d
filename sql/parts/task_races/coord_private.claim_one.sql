CREATE OR REPLACE FUNCTION coord_private.claim_one(p_types text[], p_lease numeric)
RETURNS TABLE (ok boolean, reason text, task_id bigint, claim_token bigint, claim_expires_at timestamptz,
               task_type text, description text, input jsonb, priority integer, attempt integer, event_id bigint)
LANGUAGE plpgsql 
AS $$
DECLARE
    v coord_private.verdict;
    t coord_private.tasks;
    v_now timestamptz;
    v_claimed integer;
BEGIN
    -- INV-LIMITS: the caller's claimed-task count below is read after a lock on its
    -- own limit slot, so two of its transactions never both count the same claims.
    PERFORM coord_private.lock_agent_row();
    v_now := coord_private.current_time();
    SELECT * INTO t FROM coord_private.tasks x
     WHERE x.status IN ('pending', 'claimed') AND x.unmet_deps = 0
       AND (x.status = 'pending' OR (x.claim_expires_at <= v_now AND x.attempts < x.max_attempts))
       AND (p_types IS NULL OR x.task_type = ANY (p_types))
     ORDER BY x.priority DESC, x.task_id
     LIMIT 1
       FOR UPDATE SKIP LOCKED;
    SELECT pg_catalog.count(*) INTO v_claimed FROM coord_private.tasks x
     WHERE x.claimed_by = (session_user::text COLLATE "default") AND x.status = 'claimed' AND x.claim_expires_at > v_now;

    v := coord_private.authorize('claim_task', t.task_id::text,
        pg_catalog.jsonb_build_object('types', p_types, 'lease_seconds', p_lease, 'claimed_tasks', v_claimed,
                                      'expires_at', CASE WHEN t.task_id IS NOT NULL THEN v_now + pg_catalog.make_interval(secs => p_lease) END,
                                      'attempt', t.attempts + 1, 'reclaim_from',
                                      CASE WHEN t.status = 'claimed' THEN t.claimed_by END),
        CASE WHEN t.task_id IS NULL THEN 'task_not_claimable' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF NOT v.proceed THEN
        RETURN NEXT;
        RETURN;
    END IF;
    UPDATE coord_private.tasks x
       SET status = 'claimed', claimed_by = session_user, attempts = x.attempts + 1, claim_token = x.attempts + 1,
           claim_expires_at = v_now + pg_catalog.make_interval(secs => p_lease), updated_at = v_now
     WHERE x.task_id = t.task_id
    RETURNING x.task_id, x.claim_token, x.claim_expires_at, x.task_type, x.description, x.input, x.priority, x.attempts
         INTO task_id, claim_token, claim_expires_at, task_type, description, input, priority, attempt;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION coord_private.claim_one(text[], numeric) IS
    'INV-CLAIM-UNIQ / INV-DEPS / INV-LIMITS: claim the best claimable task (SKIP LOCKED), or refuse with task_not_claimable';
