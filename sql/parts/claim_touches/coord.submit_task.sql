CREATE FUNCTION coord.submit_task(p_type text, p_description text DEFAULT '', p_input jsonb DEFAULT '{}',
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
                                      'guardrail_matches', v_matches)
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
