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

CREATE FUNCTION coord_private.fail_exhausted_claim(p_task_id bigint)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    vs coord_private.verdict;
    v_now timestamptz := coord_private.current_time();
BEGIN
    vs := coord_private.authorize('settle_task', p_task_id::text,
        pg_catalog.jsonb_build_object('settle_reason', 'attempts_exhausted'));
    IF vs.proceed THEN
        UPDATE coord_private.tasks x
           SET status = 'failed', settle_reason = 'attempts_exhausted', claim_expires_at = NULL,
               error = 'claim expired on the last allowed attempt', updated_at = v_now, finished_at = v_now
         WHERE x.task_id = p_task_id;
    END IF;
    RETURN vs.proceed;
END
$$;
COMMENT ON FUNCTION coord_private.fail_exhausted_claim(bigint) IS
    'INV-DEPS: fail (attempts_exhausted) one task whose last claim expired (locked by exhausted_claims), audited';

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

CREATE OR REPLACE FUNCTION coord.claim_task(p_types text[] DEFAULT NULL, p_lease interval DEFAULT '5 minutes')
RETURNS TABLE (ok boolean, reason text, task_id bigint, claim_token bigint, claim_expires_at timestamptz,
               task_type text, description text, input jsonb, priority integer, attempt integer, event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v_lease numeric := coord_private.require_ttl(p_lease);
    v_failed bigint;
BEGIN
    PERFORM coord_private.require_types(p_types);
    PERFORM coord_private.require_read_committed();
    -- Settlement on sight (no job): up to five exhausted claims, each failed with its
    -- dependents settled, never waiting for a row. A dependent another transaction
    -- holds rolls that one back for the next claim to try; more than 100 dependents
    -- leave the task failed and its dependents to reap_expired.
    FOR v_failed IN SELECT coord_private.exhausted_claims(5) LOOP
        BEGIN
            IF coord_private.fail_exhausted_claim(v_failed) THEN
                BEGIN
                    PERFORM coord_private.settle_dependents(v_failed, 100);
                EXCEPTION WHEN program_limit_exceeded THEN
                    NULL;
                END;
            END IF;
        EXCEPTION WHEN lock_not_available THEN
            NULL;
        END;
    END LOOP;
    RETURN QUERY SELECT * FROM coord_private.claim_one(p_types, v_lease);
END
$$;
COMMENT ON FUNCTION coord.claim_task(text[], interval) IS
    'agent: claim the highest-priority, oldest claimable task of the given types (TLA+ ClaimTask/Reclaim); returns its claim token (the attempt number). First settles up to five tasks whose last attempt expired, and their dependents. INV-CLAIM-UNIQ, INV-DEPS. Errors PC001, PC002, PC004, PC015';

CREATE OR REPLACE FUNCTION coord.claim_tasks(p_limit integer, p_types text[] DEFAULT NULL, p_lease interval DEFAULT '5 minutes')
RETURNS TABLE (ok boolean, reason text, task_id bigint, claim_token bigint, claim_expires_at timestamptz,
               task_type text, description text, input jsonb, priority integer, attempt integer, event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v_lease numeric := coord_private.require_ttl(p_lease);
    v_failed bigint;
    r record;
    i integer := 0;
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING ERRCODE = CASE WHEN p_limit IS NULL THEN 'PC001' ELSE 'PC002' END,
            MESSAGE = 'limit must be between 1 and 1000',
            DETAIL = 'nothing was changed',
            HINT = 'see the function documentation: \df+ coord.claim_tasks';
    END IF;
    PERFORM coord_private.require_types(p_types);
    PERFORM coord_private.require_read_committed();
    -- Settlement on sight (no job): up to five exhausted claims, each failed with its
    -- dependents settled, never waiting for a row. A dependent another transaction
    -- holds rolls that one back for the next claim to try; more than 100 dependents
    -- leave the task failed and its dependents to reap_expired.
    FOR v_failed IN SELECT coord_private.exhausted_claims(5) LOOP
        BEGIN
            IF coord_private.fail_exhausted_claim(v_failed) THEN
                BEGIN
                    PERFORM coord_private.settle_dependents(v_failed, 100);
                EXCEPTION WHEN program_limit_exceeded THEN
                    NULL;
                END;
            END IF;
        EXCEPTION WHEN lock_not_available THEN
            NULL;
        END;
    END LOOP;
    -- Each claim is its own decision with its own audit event; the batch stops at
    -- the first refusal (nothing left, or a limit).
    WHILE i < p_limit LOOP
        SELECT * INTO r FROM coord_private.claim_one(p_types, v_lease);
        EXIT WHEN NOT r.ok;
        ok := r.ok; reason := r.reason; task_id := r.task_id; claim_token := r.claim_token;
        claim_expires_at := r.claim_expires_at; task_type := r.task_type; description := r.description;
        input := r.input; priority := r.priority; attempt := r.attempt; event_id := r.event_id;
        RETURN NEXT;
        i := i + 1;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord.claim_tasks(integer, text[], interval) IS
    'agent: claim up to limit tasks at once, one audited claim each (stops at the first refusal); first settles up to five tasks whose last attempt expired, and their dependents. Errors PC001, PC002, PC004, PC015';

CREATE OR REPLACE FUNCTION coord.submit_task(p_type text, p_description text DEFAULT '', p_input jsonb DEFAULT '{}',
    p_priority integer DEFAULT 0, p_depends_on bigint[] DEFAULT '{}', p_idempotency_key text DEFAULT NULL,
    p_max_attempts integer DEFAULT 3,
    OUT ok boolean, OUT reason text, OUT task_id bigint, OUT existing boolean, OUT guardrails jsonb,
    OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v coord_private.verdict;
    v_deps bigint[];
    v_known integer;
    v_unmet integer;
    v_dead bigint;
    v_matches jsonb;
    v_now timestamptz := coord_private.current_time();
    v_new_id bigint;
BEGIN
    IF p_type IS NULL OR p_description IS NULL OR p_input IS NULL OR p_priority IS NULL
       OR p_depends_on IS NULL OR p_max_attempts IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'submit_task: only the idempotency key may be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.submit_task';
    END IF;
    IF p_type !~ '^[A-Za-z0-9_.:-]{1,100}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid task type %L', pg_catalog.left(p_type, 120)),
            HINT = '1 to 100 characters of A-Z a-z 0-9 _ . : -',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed';
    END IF;
    IF pg_catalog.length(p_description) > 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'description longer than 10000 characters',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.submit_task';
    END IF;
    IF pg_catalog.jsonb_typeof(p_input) <> 'object' OR pg_catalog.octet_length(p_input::text) > 1048576 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'input must be a JSON object of at most 1 MiB',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.submit_task';
    END IF;
    IF p_priority NOT BETWEEN -1000 AND 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('priority %s out of range', p_priority),
            HINT = 'priority is between -1000 and 1000 (higher is claimed first)',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed';
    END IF;
    IF p_max_attempts NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('max_attempts %s out of range', p_max_attempts),
            HINT = 'max_attempts is between 1 and 100',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed';
    END IF;
    IF p_idempotency_key IS NOT NULL AND pg_catalog.length(p_idempotency_key) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'idempotency key must be 1 to 200 characters',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.submit_task';
    END IF;
    SELECT pg_catalog.array_agg(DISTINCT d ORDER BY d) INTO v_deps FROM pg_catalog.unnest(p_depends_on) d;
    IF pg_catalog.cardinality(v_deps) > 100 OR pg_catalog.array_position(v_deps, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'depends_on: at most 100 non-NULL task ids',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.submit_task';
    END IF;
    PERFORM coord_private.require_read_committed();

    -- Lock the dependencies so none completes or fails unseen by this submit.
    SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE t.status <> 'completed')
      INTO v_known, v_unmet
      FROM (SELECT x.* FROM coord_private.tasks x WHERE x.task_id = ANY (v_deps) ORDER BY x.task_id FOR SHARE) t;
    SELECT pg_catalog.min(s.task_id) INTO v_dead
      FROM coord.tasks s WHERE s.task_id = ANY (v_deps) AND s.status IN ('failed', 'cancelled');
    IF v_known < coalesce(pg_catalog.cardinality(v_deps), 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC005', MESSAGE = 'depends_on names an unknown task',
            DETAIL = pg_catalog.format('%s of %s dependencies exist', v_known, pg_catalog.cardinality(v_deps)),
            HINT = 'see the function documentation: \df+ coord.submit_task';
    END IF;

    IF p_idempotency_key IS NOT NULL THEN
        SELECT t.task_id INTO task_id FROM coord_private.tasks t
         WHERE t.submitter = (session_user::text COLLATE "default") AND t.idempotency_key = p_idempotency_key;
    END IF;
    existing := task_id IS NOT NULL;

    v_matches := coord_private.guardrail_matches(p_description || ' ' || p_input::text);
    -- The new task's id is drawn before the hook so that its audit event names the
    -- row it is about (a refusal leaves a gap in the ids, as a rolled-back insert
    -- would). If a concurrent submit with the same key wins, the event names the id
    -- drawn here and says existing_task = NULL; the answer names the winner's.
    IF NOT existing THEN
        v_new_id := pg_catalog.nextval('coord_private.tasks_task_id_seq');
    END IF;
    v := coord_private.authorize('submit_task', p_type,
        pg_catalog.jsonb_build_object('priority', p_priority, 'depends_on', coalesce(v_deps, '{}'),
                                      'idempotency_key', p_idempotency_key, 'existing_task', task_id,
                                      'task_id', coalesce(task_id, v_new_id),
                                      'guardrail_matches', v_matches),
        CASE WHEN NOT existing AND v_dead IS NOT NULL THEN 'dependency_failed' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id; guardrails := v_matches;
    PERFORM coord_private.record_guardrail_hits(v.event_id, v_matches, 'description/input');
    IF NOT v.proceed OR existing THEN
        RETURN;
    END IF;

    INSERT INTO coord_private.tasks (task_id, task_type, description, input, priority, submitter, idempotency_key,
                                     max_attempts, unmet_deps, created_at, updated_at)
    OVERRIDING SYSTEM VALUE
    VALUES (v_new_id, p_type, p_description, p_input, p_priority, session_user, p_idempotency_key,
            p_max_attempts, v_unmet, v_now, v_now)
    ON CONFLICT (submitter, idempotency_key) DO NOTHING
    RETURNING tasks.task_id INTO task_id;
    IF task_id IS NULL THEN
        -- the same key committed concurrently: that task is the answer
        SELECT t.task_id INTO task_id FROM coord_private.tasks t
         WHERE t.submitter = (session_user::text COLLATE "default") AND t.idempotency_key = p_idempotency_key;
        existing := true;
        RETURN;
    END IF;
    INSERT INTO coord_private.task_deps (task_id, depends_on)
    SELECT submit_task.task_id, d FROM pg_catalog.unnest(v_deps) d;
END
$$;
COMMENT ON FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer) IS
    'agent: queue a task (TLA+ SubmitTask); the same idempotency key from the same agent returns the existing task; a failed dependency refuses (dependency_failed); the audit event names the new task (context task_id). Errors PC001, PC002, PC005, PC015';

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

\ir ../parts/task_races/coord.complete_task.sql

CREATE OR REPLACE FUNCTION coord.fail_task(p_task_id bigint, p_claim_token bigint, p_error text, p_retryable boolean DEFAULT false,
    OUT ok boolean, OUT reason text, OUT status text, OUT settled integer, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v coord_private.verdict;
    t coord_private.tasks := coord_private.require_task(p_task_id);
    v_now timestamptz;
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
    status := CASE WHEN p_retryable AND t.attempts < t.max_attempts THEN 'pending' ELSE 'failed' END;
    v := coord_private.authorize('fail_task', p_task_id::text,
        pg_catalog.jsonb_build_object('claim_token', p_claim_token, 'retryable', p_retryable, 'next_status', status,
                                      'at', v_now),
        coord_private.claim_refusal(t, p_claim_token, v_now));
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
        settled := coord_private.settle_dependents(p_task_id, NULL);
    END IF;
END
$$;
COMMENT ON FUNCTION coord.fail_task(bigint, bigint, text, boolean) IS
    'agent: fail the task whose current live claim the caller holds (TLA+ FailTask); retryable with attempts left: back to pending; else failed and its dependents settled (dependency_failed). Errors PC001, PC002, PC005';

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

DROP FUNCTION coord_private.claim_refusal(coord_private.tasks, bigint);

COMMIT;
