-- Deploy pgcoord:task_races
-- The task queue under concurrency (issue 12):
--   * INV-LIMITS: the claimed-task count of the profile limit was read with nothing
--     serialising one agent's transactions (6 concurrent claims of an implementer,
--     limit 3, were all granted). claim_one locks the caller's limit slot first.
--   * INV-DEPS (liveness): a task whose claim expired on its last attempt reads as
--     failed, but its dependents stayed pending until an admin ran reap_expired (120
--     such tasks waited at the end of a 24-agent run). Every claim_task and
--     claim_tasks now first settles up to five of them, with their dependents, one
--     audit event each, never waiting for a row and settling at most 100 tasks (a
--     settlement that cannot is left to reap_expired, which stays as a tidy-up and
--     also settles what claims left).
--   * every event about a row names that row: submit_task's event carries the new
--     task's id (drawn before the hook).
--   * the trail records what was judged: renew_claim, complete_task and fail_task
--     judge the claim at one clock reading taken after the task's row lock
--     (claim_refusal's p_now) and record it as the event's 'at'; a claim's and a
--     renewal's events carry the expiry they grant ('expires_at').
BEGIN;
SET LOCAL ROLE coord_owner;

-- The tasks exhausted_claims looks for: few at any time, found by index.
CREATE INDEX tasks_exhausted_claims_idx ON coord_private.tasks (claim_expires_at)
    WHERE status = 'claimed' AND attempts >= max_attempts;

-- TLA+ ExhaustAttempts, without a job. exhausted_claims locks (SKIP LOCKED: rows
-- another transaction holds are that transaction's to settle) up to p_limit (NULL:
-- every) tasks whose claim expired on their last allowed attempt; it writes nothing.
-- fail_exhausted_claim fails one of them, audited. The caller settles its dependents
-- (settle_dependents: the gate proves one helper hop).
CREATE FUNCTION coord_private.exhausted_claims(p_limit integer)
RETURNS SETOF bigint
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY
    SELECT x.task_id FROM coord_private.tasks x
     WHERE x.status = 'claimed' AND x.attempts >= x.max_attempts AND x.claim_expires_at <= coord_private.current_time()
     ORDER BY x.claim_expires_at, x.task_id
     LIMIT p_limit
       FOR UPDATE SKIP LOCKED;
END
$$;
COMMENT ON FUNCTION coord_private.exhausted_claims(integer) IS
    'INV-DEPS: lock and return up to p_limit tasks whose last allowed claim expired (skipping rows others hold)';

\ir ../parts/task_races/coord_private.fail_exhausted_claim.sql

-- Settle every not-yet-terminal transitive dependent of a task that failed or was
-- cancelled (TLA+ SettleDependents), one audited settle_task each. With p_budget
-- NULL (fail_task, cancel_task, reap_expired) it waits for rows others hold and has
-- no bound, retrying its walk when chosen as a deadlock victim. With a budget (the
-- settlement a claim makes on sight) it never waits (NOWAIT: 55P03 at once) and
-- raises program_limit_exceeded past p_budget settled tasks: the claim then rolls
-- its settlement back and leaves it to a later claim or to reap_expired's unbounded
-- walk, so no agent can make other agents' claims wait or work for it (the red team
-- held one dependent row, or gave a task 30,000 dependents).
CREATE FUNCTION coord_private.settle_dependents(p_task_id bigint, p_budget integer)
RETURNS integer LANGUAGE plpgsql
AS $$
DECLARE
    d bigint;
    n integer;
    v coord_private.verdict;
    v_frontier bigint[];
    v_level bigint[];
    v_next bigint[];
BEGIN
    FOR v_try IN 1 .. 5 LOOP
        BEGIN
            n := 0;
            v_frontier := ARRAY[p_task_id];
            -- Level by level, each level a new statement: a dependent submitted while we
            -- waited for the lock on its dependency (its submit held that row FOR SHARE)
            -- is committed by then, so the next level's snapshot sees it.
            LOOP
                IF p_budget IS NULL THEN
                    v_level := ARRAY(SELECT t.task_id FROM coord_private.tasks t
                                      WHERE t.task_id IN (SELECT x.task_id FROM coord_private.task_deps x WHERE x.depends_on = ANY (v_frontier))
                                        AND t.status IN ('pending', 'claimed')
                                      ORDER BY t.task_id
                                        FOR UPDATE OF t);
                ELSE
                    v_level := ARRAY(SELECT t.task_id FROM coord_private.tasks t
                                      WHERE t.task_id IN (SELECT x.task_id FROM coord_private.task_deps x WHERE x.depends_on = ANY (v_frontier))
                                        AND t.status IN ('pending', 'claimed')
                                      ORDER BY t.task_id
                                        FOR UPDATE OF t NOWAIT);
                    IF n + pg_catalog.cardinality(v_level) > p_budget THEN
                        RAISE EXCEPTION USING ERRCODE = 'program_limit_exceeded',
                            MESSAGE = pg_catalog.format('settling the dependents of task %s takes more than %s tasks', p_task_id, p_budget),
                            DETAIL = 'a settlement made on sight by a claim is bounded; the claim rolls it back and goes on',
                            HINT = 'coord.reap_expired() settles it without a bound';
                    END IF;
                END IF;
                v_next := '{}';
                FOREACH d IN ARRAY v_level LOOP
                    v := coord_private.authorize('settle_task', d::text,
                        pg_catalog.jsonb_build_object('settle_reason', 'dependency_failed', 'cause', p_task_id));
                    IF v.proceed THEN
                        UPDATE coord_private.tasks
                           SET status = 'cancelled', settle_reason = 'dependency_failed', claim_expires_at = NULL,
                               error = pg_catalog.format('dependency %s failed or was cancelled', p_task_id),
                               updated_at = coord_private.current_time(), finished_at = coord_private.current_time()
                         WHERE task_id = d;
                        n := n + 1;
                        v_next := v_next || d;
                    END IF;
                END LOOP;
                EXIT WHEN pg_catalog.cardinality(v_next) = 0;
                v_frontier := v_next;
            END LOOP;
            RETURN n;
        EXCEPTION WHEN deadlock_detected THEN
            -- Two walks of the DAG whose closures cross can wait on each other; if
            -- PostgreSQL fails this one, its locks, updates and events roll back and it
            -- starts again from the failed task. (A budgeted walk never waits.) It
            -- first pauses, growing with each try: restarting at once could retake a row
            -- the other walk was about to get and rebuild the same cycle, which made
            -- the crossing-settlements test fail now and then with five tries used up.
            IF v_try = 5 THEN
                RAISE;
            END IF;
            PERFORM pg_catalog.pg_sleep(0.02 * v_try * (1 + pg_catalog.random()));
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord_private.settle_dependents(bigint, integer) IS
    'INV-DEPS: cancel (dependency_failed) every pending transitive dependent of a failed or cancelled task, each audited; with a budget: never waits (55P03) and at most that many (program_limit_exceeded)';

DROP FUNCTION coord_private.settle_dependents(bigint);

-- Why the caller may not act on its claim of t at p_now (NULL: it may).
-- INV-COMPLETE-OWNER. The caller reads p_now after locking t's row and records it as
-- its event's 'at', so the trail says when the claim was judged live.
CREATE FUNCTION coord_private.claim_refusal(t coord_private.tasks, p_token bigint, p_now timestamptz)
RETURNS text LANGUAGE sql STABLE
AS $$
    SELECT CASE
        WHEN t.status IN ('completed', 'failed', 'cancelled') THEN 'task_terminal'
        WHEN t.status <> 'claimed' OR t.claimed_by <> session_user OR t.claim_token <> p_token THEN 'not_claim_owner'
        WHEN t.claim_expires_at <= p_now THEN 'claim_expired'
    END
$$;
COMMENT ON FUNCTION coord_private.claim_refusal(coord_private.tasks, bigint, timestamptz) IS
    'INV-COMPLETE-OWNER: task_terminal, not_claim_owner or claim_expired at p_now, or NULL when the caller holds the current live claim';

\ir ../parts/task_races/coord_private.claim_one.sql

\ir ../parts/task_races/coord.claim_task.sql

\ir ../parts/task_races/coord.claim_tasks.sql

\ir ../parts/task_races/coord.submit_task.sql

CREATE OR REPLACE FUNCTION coord.reap_expired(
    OUT ok boolean, OUT reason text, OUT expired_locks integer, OUT exhausted_tasks integer,
    OUT settled_tasks integer, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v coord_private.verdict;
    v_now timestamptz := coord_private.current_time();
    v_failed bigint;
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
    FOR v_failed IN SELECT coord_private.exhausted_claims(NULL) LOOP
        IF coord_private.fail_exhausted_claim(v_failed) THEN
            exhausted_tasks := exhausted_tasks + 1;
            settled_tasks := settled_tasks + coord_private.settle_dependents(v_failed, NULL);
        END IF;
    END LOOP;
    -- Settlements a claim left (too large, or rows held): failed or cancelled tasks
    -- that still have unsettled dependents.
    FOR v_failed IN SELECT DISTINCT d.depends_on FROM coord_private.task_deps d
                      JOIN coord_private.tasks f ON f.task_id = d.depends_on AND f.status IN ('failed', 'cancelled')
                      JOIN coord_private.tasks t ON t.task_id = d.task_id AND t.status IN ('pending', 'claimed')
                     ORDER BY 1 LOOP
        settled_tasks := settled_tasks + coord_private.settle_dependents(v_failed, NULL);
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord.reap_expired() IS
    'coord_admin: tidy only — delete expired leases, fail tasks whose last attempt expired (attempts_exhausted) and settle their dependents; correctness never depends on it running';

\ir ../parts/task_races/coord.renew_claim.sql

\ir ../parts/task_races/coord.complete_task.sql

\ir ../parts/task_races/coord.fail_task.sql

\ir ../parts/task_races/coord.cancel_task.sql

DROP FUNCTION coord_private.claim_refusal(coord_private.tasks, bigint);

COMMIT;
