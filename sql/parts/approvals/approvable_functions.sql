-- The approvable operations: each function passes every one of its arguments to
-- the hook as context 'args' (INV-APPROVAL binds a grant to their digest), and is
-- otherwise unchanged from its previous definition (lease_races,
-- force_release_races, claim_touches). pgtap/31_approvals.sql checks that every
-- parameter of an approvable operation's function is named in its 'args'.

CREATE OR REPLACE FUNCTION coord.acquire_lock(p_path text, p_ttl interval, p_mode text DEFAULT 'exclusive', p_reason text DEFAULT '',
    OUT ok boolean, OUT reason text, OUT path text, OUT token bigint, OUT expires_at timestamptz,
    OUT holders jsonb, OUT event_id bigint)
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
    v_path text := coord_private.normalize_path(p_path);
    v_ttl numeric := coord_private.require_ttl(p_ttl);
    v_conflicts coord_private.locks[];
    v_live integer;
    v_now timestamptz;
BEGIN
    IF p_mode IS NULL OR p_reason IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'mode and reason must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.acquire_lock';
    END IF;
    IF p_mode NOT IN ('exclusive', 'shared') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid lock mode %L', p_mode),
            HINT = 'exclusive or shared',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed';
    END IF;
    IF pg_catalog.length(p_reason) > 500 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'lock reason longer than 500 characters',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.acquire_lock';
    END IF;
    PERFORM coord_private.require_read_committed();
    -- INV-LIMITS: the caller's live-lock count below is read after a lock on its own
    -- limit slot, so two of its transactions never both count the same grants: the
    -- later one waits for the earlier one's commit and counts its grant too.
    PERFORM coord_private.lock_agent_row();
    PERFORM coord_private.lock_lease_path(v_path);

    SELECT coord_private.overlapping_live_locks(v_path, (session_user::text COLLATE "default"), p_mode),
           (SELECT pg_catalog.count(*) FROM coord_private.locks l   -- the clock inline: see overlapping_live_locks
             WHERE l.holder = (session_user::text COLLATE "default") AND l.expires_at > coord_private.current_time() AND l.path <> v_path)
      INTO v_conflicts, v_live;
    -- The grant starts at a reading taken after every judgement that others' leases
    -- had expired, so its recorded interval never begins before one of them ended.
    v_now := coord_private.current_time();
    -- The token is drawn after the anchor-line locks (so a later overlapping grant
    -- draws a larger one, on any timeline: next_fencing_token) and before the hook so that the audit event records it.
    -- A sequence draw changes no state any rule reads: a refused request leaves a
    -- gap, which INV-LOCK-FENCE allows (strictly greater, not consecutive).
    IF v_conflicts IS NULL THEN
        token := coord_private.next_fencing_token();
    END IF;
    holders := coord_private.holders_json(v_conflicts);
    v := coord_private.authorize('acquire_lock', v_path,
        pg_catalog.jsonb_build_object('mode', p_mode, 'ttl_seconds', v_ttl, 'lease_seconds', v_ttl,
                                      'live_locks', v_live, 'token', token, 'holders', holders,
                                      'expires_at', v_now + pg_catalog.make_interval(secs => v_ttl),
                                      'args', pg_catalog.jsonb_build_object('path', v_path, 'ttl_seconds', v_ttl,
                                                                            'mode', p_mode, 'reason', p_reason)),
        CASE WHEN v_conflicts IS NOT NULL THEN 'lock_held_by_other' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id; path := v_path;
    IF NOT v.proceed THEN
        token := NULL;
        RETURN;
    END IF;
    -- A re-grant to the same holder replaces its row; an expired grant of anyone on
    -- this exact path is tidied here.
    DELETE FROM coord_private.locks l
     WHERE l.path = v_path AND (l.holder = session_user OR l.expires_at <= v_now);
    expires_at := v_now + pg_catalog.make_interval(secs => v_ttl);
    INSERT INTO coord_private.locks (path, kind, anchor, mode, holder, token, reason, granted_at, expires_at)
    VALUES (v_path, coord_private.path_kind(v_path), coord_private.path_anchor(v_path), p_mode, session_user,
            token, p_reason, v_now, acquire_lock.expires_at);
END
$$;
COMMENT ON FUNCTION coord.acquire_lock(text, interval, text, text) IS
    'agent: lease a file, dir/ or glob for ttl (TLA+ AcquireLock). Grant: token (INV-LOCK-FENCE) and expiry; refusal: reason and holders. INV-LOCK-EXCL, INV-LIMITS; approvable (INV-APPROVAL: its arguments bind a grant). Errors PC001-PC004, PC015';

CREATE OR REPLACE FUNCTION coord.force_release_lock(p_path text, p_reason text,
    OUT ok boolean, OUT reason text, OUT released jsonb, OUT event_id bigint)
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
    v_path text := coord_private.normalize_path(p_path);
    v_rows coord_private.locks[];
    v_live coord_private.locks[];
    v_now timestamptz;
BEGIN
    PERFORM coord_private.require_read_committed();
    IF p_reason IS NULL OR pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = CASE WHEN p_reason IS NULL THEN 'PC001' ELSE 'PC002' END,
            MESSAGE = 'a forced release needs a reason', HINT = 'it is recorded in the audit trail',
            DETAIL = 'nothing was changed';
    END IF;
    -- The path's rows, locked in id order (a concurrent release or forced release of
    -- one of them is waited for; a row it deleted is skipped).
    SELECT pg_catalog.array_agg(x ORDER BY x.lock_id) INTO v_rows
      FROM (SELECT * FROM coord_private.locks l WHERE l.path = v_path ORDER BY l.lock_id FOR UPDATE) x;
    -- Liveness by the clock after the locks; recorded as the event's 'at'.
    v_now := coord_private.current_time();
    SELECT pg_catalog.array_agg(r ORDER BY r.lock_id) INTO v_live
      FROM pg_catalog.unnest(v_rows) r WHERE r.expires_at > v_now;
    released := coord_private.holders_json(v_live);
    v := coord_private.authorize('force_release_lock', v_path,
        pg_catalog.jsonb_build_object('why', p_reason, 'released', released, 'at', v_now,
                                      'args', pg_catalog.jsonb_build_object('path', v_path, 'reason', p_reason)),
        CASE WHEN v_live IS NULL THEN 'lock_not_held' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF v.proceed THEN
        DELETE FROM coord_private.locks l
         WHERE l.lock_id = ANY (ARRAY(SELECT r.lock_id FROM pg_catalog.unnest(v_rows) r));
    END IF;
END
$$;
COMMENT ON FUNCTION coord.force_release_lock(text, text) IS
    'elevated agent (trust >= 3): release every live lease on exactly this path, whoever holds it; audited with its reason; reports and deletes exactly the leases it locked (force_release_races); approvable (INV-APPROVAL). Errors PC001-PC003';

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
        pg_catalog.jsonb_build_object('why', p_reason, 'elevated', t.submitter <> session_user,
                                      'args', pg_catalog.jsonb_build_object('task_id', p_task_id, 'reason', p_reason))
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

CREATE OR REPLACE FUNCTION coord.submit_task(p_type text, p_description text DEFAULT '', p_input jsonb DEFAULT '{}',
    p_priority integer DEFAULT 0, p_depends_on bigint[] DEFAULT '{}', p_idempotency_key text DEFAULT NULL,
    p_max_attempts integer DEFAULT 3, p_touches text[] DEFAULT '{}',
    OUT ok boolean, OUT reason text, OUT task_id bigint, OUT existing boolean, OUT guardrails jsonb,
    OUT event_id bigint)
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
    v_deps bigint[];
    v_known integer;
    v_unmet integer;
    v_dead bigint;
    v_matches jsonb;
    v_now timestamptz := coord_private.current_time();
    v_new_id bigint;
    v_touches text[];
BEGIN
    IF p_type IS NULL OR p_description IS NULL OR p_input IS NULL OR p_priority IS NULL
       OR p_depends_on IS NULL OR p_max_attempts IS NULL OR p_touches IS NULL THEN
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
    -- INV-CLAIM-TOUCH: each touch is a lease path (PC002/PC003 here, nothing written)
    v_touches := coord_private.normalize_touches(p_touches);
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
                                      'guardrail_matches', v_matches,
                                      'args', pg_catalog.jsonb_build_object(
                                          'type', p_type, 'description', p_description, 'input', p_input,
                                          'priority', p_priority, 'depends_on', p_depends_on,
                                          'idempotency_key', p_idempotency_key, 'max_attempts', p_max_attempts,
                                          'touches', p_touches))
        || CASE WHEN pg_catalog.cardinality(v_touches) = 0 THEN '{}'::jsonb
                ELSE pg_catalog.jsonb_build_object('touches', v_touches) END,
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
    IF pg_catalog.cardinality(v_touches) > 0 THEN
        INSERT INTO coord_private.task_touches (task_id, touches) VALUES (submit_task.task_id, v_touches);
    END IF;
END
$$;
COMMENT ON FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer, text[]) IS
    'agent: queue a task (TLA+ SubmitTask); touches: the lease paths it will edit (at most 32; a claim skips the task while another agent leases one: INV-CLAIM-TOUCH); the same idempotency key from the same agent returns the existing task; a failed dependency refuses (dependency_failed); the audit event names the new task (context task_id) and its touches. Errors PC001, PC002, PC003, PC005, PC015';
