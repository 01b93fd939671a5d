CREATE OR REPLACE FUNCTION coord.reap_expired(
    OUT ok boolean, OUT reason text, OUT expired_locks integer, OUT exhausted_tasks integer,
    OUT settled_tasks integer, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_now timestamptz := coord_private.current_time();
    t bigint;
    vs coord_private.verdict;
BEGIN
    PERFORM coord_private.require_read_committed();
    v := coord_private.authorize('reap_expired', NULL, '{}'::jsonb);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    expired_locks := 0; exhausted_tasks := 0; settled_tasks := 0;
    IF NOT v.proceed THEN
        RETURN;
    END IF;
    DELETE FROM coord_private.locks l WHERE l.expires_at <= v_now;
    GET DIAGNOSTICS expired_locks = ROW_COUNT;
    -- TLA+ ExhaustAttempts: a claim that expired on its last attempt fails the task.
    FOR t IN SELECT x.task_id FROM coord_private.tasks x
              WHERE x.status = 'claimed' AND x.claim_expires_at <= v_now AND x.attempts >= x.max_attempts
              ORDER BY x.task_id FOR UPDATE SKIP LOCKED
    LOOP
        vs := coord_private.authorize('settle_task', t::text, pg_catalog.jsonb_build_object('settle_reason', 'attempts_exhausted'));
        IF vs.proceed THEN
            UPDATE coord_private.tasks x
               SET status = 'failed', settle_reason = 'attempts_exhausted', claim_expires_at = NULL,
                   error = 'claim expired on the last allowed attempt', updated_at = v_now, finished_at = v_now
             WHERE x.task_id = t;
            exhausted_tasks := exhausted_tasks + 1;
            settled_tasks := settled_tasks + coord_private.settle_dependents(t);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord.reap_expired() IS
    'coord_admin: tidy only — delete expired leases, fail tasks whose last attempt expired (attempts_exhausted) and settle their dependents; correctness never depends on it running';
