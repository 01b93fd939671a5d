-- coord.acquire_lock as lease_races made it (definer_settings added its two SETs).
CREATE OR REPLACE FUNCTION coord.acquire_lock(p_path text, p_ttl interval, p_mode text DEFAULT 'exclusive', p_reason text DEFAULT '',
    OUT ok boolean, OUT reason text, OUT path text, OUT token bigint, OUT expires_at timestamptz,
    OUT holders jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
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
                                      'expires_at', v_now + pg_catalog.make_interval(secs => v_ttl)),
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
    'agent: lease a file, dir/ or glob for ttl (TLA+ AcquireLock). Grant: token (INV-LOCK-FENCE) and expiry; refusal: reason and holders. INV-LOCK-EXCL, INV-LIMITS. Errors PC001-PC004, PC015';
ALTER FUNCTION coord.acquire_lock(text, interval, text, text) SET lock_timeout = '5s';
ALTER FUNCTION coord.acquire_lock(text, interval, text, text) SET standard_conforming_strings = on;
