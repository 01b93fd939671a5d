-- Several leases in one call, all or nothing (issue 17). Each path is judged exactly
-- as acquire_lock judges it: after the coordination locks of every path of the batch
-- (taken in the one global order, so batches and single acquires never wait in a
-- cycle), by the clock read after them, against the caller's profile limit counted
-- as acquire_lock would count the batch's last grant. Each path is its own decision
-- of the operation acquire_lock with its own audit event: a policy may judge one
-- path differently from another (a Cedar rule on a resource), and one decision for
-- the batch would let a path ride on another's verdict.
--
-- All or nothing: a path another agent leases refuses the batch before any decision
-- (every path's event says lock_held_by_other or batch_refused). Otherwise every
-- path is decided in a subtransaction; when one is refused, the subtransaction
-- (its events, a used approval grant) is rolled back and every path is recorded
-- again as refused: the refused path by its own reason, the others batch_refused.
-- Nothing is granted then, and no event says a grant that did not happen. A path
-- that needs an approval is recorded not_approvable: a request belongs to one call,
-- and the batch's was rolled back with the rest.
CREATE FUNCTION coord.acquire_locks(p_paths text[], p_ttl interval, p_mode text DEFAULT 'exclusive',
                                    p_reason text DEFAULT '')
RETURNS TABLE (ok boolean, reason text, path text, token bigint, expires_at timestamptz, holders jsonb,
               event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v_ttl numeric := coord_private.require_ttl(p_ttl);
    v_paths text[];
    v_n integer;
    v_conflicts coord_private.locks[];
    v_holders jsonb[];
    v_any_conflict boolean := false;
    v_tokens bigint[];
    v_live integer;
    v_now timestamptz;
    v_expires timestamptz;
    v_ctx jsonb[];
    v_events bigint[];
    v_refused integer;
    v_refused_reason text;
    verdict_row coord_private.verdict;
    v_reasons text[];
    i integer;
BEGIN
    IF p_paths IS NULL OR p_mode IS NULL OR p_reason IS NULL OR array_position(p_paths, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'paths (and each path), mode and reason must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.acquire_locks';
    END IF;
    IF pg_catalog.cardinality(p_paths) NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'a batch leases 1 to 100 paths',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.acquire_locks';
    END IF;
    IF p_mode NOT IN ('exclusive', 'shared') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid lock mode %L', p_mode),
            HINT = 'exclusive or shared',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed';
    END IF;
    IF pg_catalog.length(p_reason) > 500 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'lock reason longer than 500 characters',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.acquire_locks';
    END IF;
    -- normal forms in one order (byte order: the order the results come back in)
    SELECT pg_catalog.array_agg(n.p ORDER BY n.p COLLATE "C"), pg_catalog.count(DISTINCT n.p)
      INTO v_paths, v_n
      FROM (SELECT coord_private.normalize_path(x) AS p FROM pg_catalog.unnest(p_paths) x) n;
    IF v_n <> pg_catalog.cardinality(v_paths) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'a path appears twice in the batch',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'paths are compared in their normal form (coord.acquire_locks returns it)';
    END IF;
    PERFORM coord_private.require_read_committed();
    -- INV-LIMITS: the caller's own limit slot first, as acquire_lock takes it
    PERFORM coord_private.lock_agent_row();
    -- INV-LOCK-EXCL: every path's coordination locks, in the global order
    PERFORM coord_private.lock_lease_paths(v_paths, true);

    FOR i IN 1 .. v_n LOOP
        v_conflicts := coord_private.overlapping_live_locks(v_paths[i], (session_user::text COLLATE "default"), p_mode);
        v_holders := pg_catalog.array_append(v_holders,
            CASE WHEN v_conflicts IS NOT NULL THEN coord_private.holders_json(v_conflicts) END);
        v_any_conflict := v_any_conflict OR v_conflicts IS NOT NULL;
    END LOOP;
    -- INV-LIMITS: what acquire_lock would count for the batch's last grant
    SELECT pg_catalog.count(*)::integer INTO v_live FROM coord_private.locks l
     WHERE l.holder = (session_user::text COLLATE "default") AND l.expires_at > coord_private.current_time()
       AND NOT (l.path = ANY (v_paths));
    v_now := coord_private.current_time();
    v_expires := v_now + pg_catalog.make_interval(secs => v_ttl);
    -- INV-LOCK-FENCE: drawn after the coordination locks, in path order
    IF NOT v_any_conflict THEN
        FOR i IN 1 .. v_n LOOP
            v_tokens := v_tokens || coord_private.next_fencing_token();
        END LOOP;
    END IF;
    FOR i IN 1 .. v_n LOOP
        v_ctx := v_ctx || pg_catalog.jsonb_build_object(
            'mode', p_mode, 'ttl_seconds', v_ttl, 'lease_seconds', v_ttl, 'live_locks', v_live + v_n - 1,
            'token', v_tokens[i], 'holders', v_holders[i], 'expires_at', v_expires,
            'batch', pg_catalog.jsonb_build_object('paths', v_n, 'index', i),
            'args', pg_catalog.jsonb_build_object('paths', v_paths, 'ttl_seconds', v_ttl,
                                                  'mode', p_mode, 'reason', p_reason));
    END LOOP;

    IF NOT v_any_conflict THEN
        BEGIN
            FOR i IN 1 .. v_n LOOP
                verdict_row := coord_private.authorize('acquire_lock', v_paths[i], v_ctx[i]);
                v_events := v_events || verdict_row.event_id;
                v_reasons := v_reasons || verdict_row.reason;
                IF NOT verdict_row.proceed THEN
                    v_refused := i;
                    v_refused_reason := verdict_row.reason;
                    -- caught just below, never seen by the caller
                    RAISE EXCEPTION USING ERRCODE = 'UNDOB', MESSAGE = 'undo the batch''s decisions',
                        DETAIL = 'acquire_locks rolls back the decisions of a batch one of whose paths was refused',
                        HINT = 'internal to coord.acquire_locks';
                END IF;
            END LOOP;
        EXCEPTION WHEN SQLSTATE 'UNDOB' THEN
            v_events := NULL;
        END;
    END IF;

    IF v_any_conflict OR v_refused IS NOT NULL THEN
        FOR i IN 1 .. v_n LOOP
            verdict_row := coord_private.authorize('acquire_lock', v_paths[i], v_ctx[i],
                CASE WHEN v_holders[i] IS NOT NULL THEN 'lock_held_by_other'
                     -- approvals bind single calls: the request pass 1 recorded is gone
                     WHEN i = v_refused AND v_refused_reason = 'approval_required' THEN 'not_approvable'
                     WHEN i = v_refused THEN v_refused_reason
                     ELSE 'batch_refused' END);
            ok := false; reason := verdict_row.reason; path := v_paths[i]; token := NULL;
            acquire_locks.expires_at := NULL; holders := v_holders[i]; event_id := verdict_row.event_id;
            RETURN NEXT;
        END LOOP;
        RETURN;
    END IF;

    -- Granted: each path's row replaces the caller's own and any expired one there.
    DELETE FROM coord_private.locks l
     WHERE l.path = ANY (v_paths) AND (l.holder = session_user OR l.expires_at <= v_now);
    INSERT INTO coord_private.locks (path, kind, anchor, mode, holder, token, reason, granted_at, expires_at)
    SELECT v_paths[g.k], coord_private.path_kind(v_paths[g.k]), coord_private.path_anchor(v_paths[g.k]), p_mode,
           session_user, v_tokens[g.k], p_reason, v_now, v_expires
      FROM pg_catalog.generate_series(1, v_n) g(k);
    FOR i IN 1 .. v_n LOOP
        ok := true; reason := v_reasons[i]; path := v_paths[i]; token := v_tokens[i];
        acquire_locks.expires_at := v_expires; holders := NULL; event_id := v_events[i];
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord.acquire_locks(text[], interval, text, text) IS
    'agent: lease 1 to 100 paths for ttl, all or nothing: each path decided as acquire_lock with its own audit event and token (INV-LOCK-EXCL, INV-LOCK-FENCE, INV-LIMITS); when one is refused none is granted (the others: batch_refused). One row per path in byte order. Errors PC001-PC004, PC015';
