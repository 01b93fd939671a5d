CREATE FUNCTION coord_private.claim_one(p_types text[], p_lease numeric, p_lease_touches boolean, p_may_wait boolean)
RETURNS TABLE (ok boolean, reason text, task_id bigint, claim_token bigint, claim_expires_at timestamptz,
               task_type text, description text, input jsonb, priority integer, attempt integer, event_id bigint,
               coordinated boolean)
LANGUAGE plpgsql
AS $$
DECLARE
    v coord_private.verdict;
    t coord_private.tasks;
    v_now timestamptz;
    v_claimed integer;
    v_touches text[];
    v_wait boolean := p_may_wait;
    v_skipped bigint[] := '{}';
    v_why jsonb := '[]';
    v_conflicts coord_private.locks[];
    v_busy boolean;
    v_leasing boolean := false;
    v_rule text;
    v_live integer;
    v_tokens bigint[] := '{}';
    v_expires timestamptz;
    v_leases jsonb;
    v_old_ids bigint[];
    v_released jsonb;
    v_lock_id bigint;
    v_ctx jsonb;
BEGIN
    coordinated := false;
    -- INV-LIMITS: the caller's claimed-task and live-lease counts below are read
    -- after a lock on its own limit slot, so two of its transactions never both
    -- count the same claims or leases (taken first, before any line row).
    PERFORM coord_private.lock_agent_row();
    LOOP
        v_now := coord_private.current_time();
        SELECT * INTO t FROM coord_private.tasks x
         WHERE x.status IN ('pending', 'claimed') AND x.unmet_deps = 0
           AND (x.status = 'pending' OR (x.claim_expires_at <= v_now AND x.attempts < x.max_attempts))
           AND (p_types IS NULL OR x.task_type = ANY (p_types))
           AND x.task_id <> ALL (v_skipped)
         ORDER BY x.priority DESC, x.task_id
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
        v_touches := coalesce((SELECT tt.touches FROM coord_private.task_touches tt WHERE tt.task_id = t.task_id), '{}');
        EXIT WHEN t.task_id IS NULL OR pg_catalog.cardinality(v_touches) = 0;
        -- INV-CLAIM-TOUCH: a task with touches is claimable only while no other agent
        -- holds a live lease overlapping them.
        v_touches := coord_private.touches_now(v_touches);
        v_conflicts := NULL;
        v_busy := false;
        IF v_touches IS NOT NULL THEN
            -- first without coordination locks: a task found blocked is skipped at once
            v_conflicts := coord_private.touch_conflicts(v_touches);
            IF v_conflicts IS NULL THEN
                -- then exactly, as acquire_lock judges: after the coordination locks
                -- of every touch, by the clock read after them (inside the search)
                IF coord_private.lock_lease_paths(v_touches, v_wait) THEN
                    coordinated := true;
                    v_conflicts := coord_private.touch_conflicts(v_touches);
                    EXIT WHEN v_conflicts IS NULL;
                ELSE
                    v_busy := true;
                END IF;
                -- locks taken (some, or all): every later round must not wait
                v_wait := false;
            END IF;
        END IF;
        v_skipped := v_skipped || t.task_id;
        v_why := v_why || (pg_catalog.jsonb_build_object('task_id', t.task_id, 'why',
                    CASE WHEN v_touches IS NULL THEN 'touches_invalid' WHEN v_busy THEN 'busy' ELSE 'leased' END)
                 || CASE WHEN v_conflicts IS NULL THEN '{}'::jsonb
                         ELSE pg_catalog.jsonb_build_object('holders', coord_private.holders_json(v_conflicts[1:3])) END);
        IF pg_catalog.cardinality(v_skipped) >= coord_private.claim_skip_max() THEN
            t := NULL;
            v_touches := '{}';
            EXIT;
        END IF;
    END LOOP;

    -- Every judgement that others' grants had expired is made: the claim (and its
    -- leases) start at a reading taken after them.
    v_now := coord_private.current_time();
    SELECT pg_catalog.count(*) INTO v_claimed FROM coord_private.tasks x
     WHERE x.claimed_by = (session_user::text COLLATE "default") AND x.status = 'claimed' AND x.claim_expires_at > v_now;
    IF t.task_id IS NOT NULL THEN
        v_expires := v_now + pg_catalog.make_interval(secs => p_lease);
        v_leasing := p_lease_touches AND pg_catalog.cardinality(v_touches) > 0;
        IF t.status = 'claimed' THEN
            -- TLA+ Reclaim: the expired claim's leases end with it (their rows are the
            -- earlier claimer's; the coordination locks of their paths are held)
            SELECT pg_catalog.array_agg(r.lock_id),
                   pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('path', r.path, 'token', r.token) ORDER BY r.path COLLATE "C") FILTER (WHERE NOT r.shared)
              INTO v_old_ids, v_released
              FROM coord_private.claim_lease_rows(t.task_id, t.claim_token, false) r;
        END IF;
    END IF;
    IF v_leasing THEN
        -- INV-LIMITS: what acquire_lock would count for the last of these grants: the
        -- caller's live leases on other paths, and the touches granted before it
        SELECT pg_catalog.count(*)::integer + pg_catalog.cardinality(v_touches) - 1 INTO v_live
          FROM coord_private.locks l
         WHERE l.holder = (session_user::text COLLATE "default") AND l.expires_at > v_now
           AND NOT (l.path = ANY (v_touches));
        -- a claim is no side door to leases: the caller's static rule for acquire_lock
        SELECT p.reason INTO v_rule FROM coord_private.agent_operation_policy p
         WHERE p.role_name = (session_user::text COLLATE "default") AND p.operation = 'acquire_lock';
        -- INV-LOCK-FENCE: drawn after the coordination locks, in path order
        FOR i IN 1 .. pg_catalog.cardinality(v_touches) LOOP
            v_tokens := v_tokens || coord_private.next_fencing_token();
        END LOOP;
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('path', v_touches[i], 'token', v_tokens[i],
                                                                  'mode', 'exclusive', 'expires_at', v_expires) ORDER BY i)
          INTO v_leases
          FROM pg_catalog.generate_subscripts(v_touches, 1) i;
    END IF;

    v_ctx := pg_catalog.jsonb_build_object('types', p_types, 'lease_seconds', p_lease, 'claimed_tasks', v_claimed,
                                           'expires_at', v_expires,
                                           'attempt', t.attempts + 1, 'reclaim_from',
                                           CASE WHEN t.status = 'claimed' THEN t.claimed_by END);
    IF pg_catalog.cardinality(v_touches) > 0 AND t.task_id IS NOT NULL THEN
        v_ctx := v_ctx || pg_catalog.jsonb_build_object('touches', v_touches, 'lease_touches', p_lease_touches);
    END IF;
    IF v_leasing THEN
        v_ctx := v_ctx || pg_catalog.jsonb_build_object('live_locks', v_live, 'leases', v_leases);
    END IF;
    IF v_released IS NOT NULL THEN
        v_ctx := v_ctx || pg_catalog.jsonb_build_object('released_leases', v_released);
    END IF;
    IF pg_catalog.cardinality(v_skipped) > 0 THEN
        v_ctx := v_ctx || pg_catalog.jsonb_build_object('skipped', v_why);
    END IF;
    v := coord_private.authorize('claim_task', t.task_id::text, v_ctx,
        CASE WHEN t.task_id IS NULL THEN 'task_not_claimable'
             WHEN v_leasing AND v_rule IS DISTINCT FROM 'allowed' AND v_rule IS NOT NULL THEN v_rule END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF NOT v.proceed THEN
        RETURN NEXT;
        RETURN;
    END IF;
    IF v_old_ids IS NOT NULL THEN
        DELETE FROM coord_private.claim_leases c
         WHERE c.task_id = t.task_id AND c.claim_token = t.claim_token AND c.lock_id = ANY (v_old_ids);
        DELETE FROM coord_private.locks l
         WHERE l.lock_id = ANY (v_old_ids)
           AND NOT EXISTS (SELECT 1 FROM coord_private.claim_leases c WHERE c.lock_id = l.lock_id);
    END IF;
    UPDATE coord_private.tasks x
       SET status = 'claimed', claimed_by = session_user, attempts = x.attempts + 1, claim_token = x.attempts + 1,
           claim_expires_at = v_expires, updated_at = v_now
     WHERE x.task_id = t.task_id
    RETURNING x.task_id, x.claim_token, x.claim_expires_at, x.task_type, x.description, x.input, x.priority, x.attempts
         INTO task_id, claim_token, claim_expires_at, task_type, description, input, priority, attempt;
    IF v_leasing THEN
        -- an expired grant of another agent on a touched path is tidied, as acquire_lock does
        DELETE FROM coord_private.locks l
         WHERE l.path = ANY (v_touches) AND l.holder <> session_user AND l.expires_at <= v_now;
        FOR i IN 1 .. pg_catalog.cardinality(v_touches) LOOP
            v_lock_id := NULL;
            -- the caller's own row on this path (a lease of its own, or of another of
            -- its claims) is re-granted to this claim in place
            UPDATE coord_private.locks l
               SET mode = 'exclusive', token = v_tokens[i], granted_at = v_now,
                   expires_at = CASE WHEN l.expires_at > v_expires THEN l.expires_at ELSE v_expires END,
                   reason = pg_catalog.format('claim of task %s', t.task_id)
             WHERE l.path = v_touches[i] AND l.holder = session_user
            RETURNING l.lock_id INTO v_lock_id;
            IF v_lock_id IS NULL THEN
                INSERT INTO coord_private.locks (path, kind, anchor, mode, holder, token, reason, granted_at, expires_at)
                VALUES (v_touches[i], coord_private.path_kind(v_touches[i]), coord_private.path_anchor(v_touches[i]),
                        'exclusive', session_user, v_tokens[i], pg_catalog.format('claim of task %s', t.task_id),
                        v_now, v_expires)
                RETURNING locks.lock_id INTO v_lock_id;
            END IF;
            INSERT INTO coord_private.claim_leases (lock_id, task_id, claim_token)
            VALUES (v_lock_id, t.task_id, claim_one.claim_token);
        END LOOP;
    END IF;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION coord_private.claim_one(text[], numeric, boolean, boolean) IS
    'INV-CLAIM-UNIQ / INV-DEPS / INV-LIMITS / INV-CLAIM-TOUCH: claim the best claimable task (SKIP LOCKED) whose touches no other agent leases, optionally leasing them, or refuse with task_not_claimable';
