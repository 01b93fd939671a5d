-- Revert pgcoord:lease_races
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE OR REPLACE FUNCTION coord_private.overlapping_live_locks(p_path text, p_other_than text DEFAULT NULL,
                                                     p_mode text DEFAULT NULL)
RETURNS coord_private.locks[] LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_anchor text := coord_private.path_anchor(p_path);
    v_file boolean := coord_private.path_kind(p_path) = 'file';
    -- Anchors strictly below v_anchor form the byte-order range (v_anchor, v_anchor
    -- with its final '/' replaced by '0'), searchable with a generic (cached) plan,
    -- unlike LIKE with a parameter. Only dirs and globs reach below their anchor.
    v_hi text := CASE WHEN v_anchor = '' THEN pg_catalog.chr(1114111)
                      ELSE pg_catalog.left(v_anchor, -1) || '0' END;
    v_locks coord_private.locks[];
BEGIN
    -- The clock is called in the statement, not passed in a variable: the cached
    -- generic plan is then estimated with the clock's value (the planner folds
    -- now()), so expired history on these anchors counts as nearly no rows and the
    -- plan stays an index scan however many expired grants the table holds.
    SELECT pg_catalog.array_agg(c) INTO v_locks
      FROM (SELECT l FROM coord_private.locks l
             WHERE l.anchor = ANY (coord_private.anchor_ancestors(v_anchor))
               AND l.expires_at > coord_private.current_time()
            UNION ALL
            SELECT l FROM coord_private.locks l
             WHERE NOT v_file AND l.anchor OPERATOR(pg_catalog.~>~) v_anchor
               AND l.anchor OPERATOR(pg_catalog.~<~) v_hi AND l.expires_at > coord_private.current_time()) s(c)
     WHERE (p_other_than IS NULL OR (s.c).holder <> p_other_than)
       AND (p_mode IS NULL OR (s.c).mode = 'exclusive' OR p_mode = 'exclusive')
       AND coord_private.paths_overlap((s.c).path, p_path);
    RETURN v_locks;
END
$$;
COMMENT ON FUNCTION coord_private.overlapping_live_locks(text, text, text) IS
    'INV-LOCK-EXCL / INV-LOCK-EXPIRY: the live locks that can overlap a path (NULL when none), optionally only those conflicting with another holder''s request';

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
    PERFORM coord_private.lock_anchor_line(coord_private.path_anchor(v_path));

    v_now := coord_private.current_time();
    SELECT coord_private.overlapping_live_locks(v_path, (session_user::text COLLATE "default"), p_mode),
           (SELECT pg_catalog.count(*) FROM coord_private.locks l   -- the clock inline: see overlapping_live_locks
             WHERE l.holder = (session_user::text COLLATE "default") AND l.expires_at > coord_private.current_time() AND l.path <> v_path)
      INTO v_conflicts, v_live;
    -- The token is drawn after the anchor-line locks (so a later overlapping grant
    -- draws a larger one) and before the hook so that the audit event records it.
    -- A sequence draw changes no state any rule reads: a refused request leaves a
    -- gap, which INV-LOCK-FENCE allows (strictly greater, not consecutive).
    IF v_conflicts IS NULL THEN
        token := pg_catalog.nextval('coord_private.fencing_tokens');
    END IF;
    holders := coord_private.holders_json(v_conflicts);
    v := coord_private.authorize('acquire_lock', v_path,
        pg_catalog.jsonb_build_object('mode', p_mode, 'ttl_seconds', v_ttl, 'lease_seconds', v_ttl,
                                      'live_locks', v_live, 'token', token, 'holders', holders),
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
    'agent: lease a file, dir/ or glob for ttl (TLA+ AcquireLock). Grant: token (INV-LOCK-FENCE) and expiry; refusal: reason and holders. INV-LOCK-EXCL. Errors PC001-PC004, PC015';

CREATE OR REPLACE FUNCTION coord.renew_lock(p_path text, p_ttl interval,
    OUT ok boolean, OUT reason text, OUT token bigint, OUT expires_at timestamptz, OUT event_id bigint)
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
    v_lock coord_private.locks;
    v_conflicts coord_private.locks[];
    v_now timestamptz := coord_private.current_time();
BEGIN
    PERFORM coord_private.require_read_committed();
    -- Serialise with acquires on the same root-to-leaf line, then re-check: a
    -- renewal that began just before expiry must not revive a lease another agent
    -- has taken over in the meantime (INV-LOCK-EXCL).
    PERFORM coord_private.lock_anchor_line(coord_private.path_anchor(v_path));
    SELECT * INTO v_lock FROM coord_private.locks l
     WHERE l.path = v_path AND l.holder = session_user AND l.expires_at > v_now
       FOR UPDATE;
    v_conflicts := coord_private.overlapping_live_locks(v_path, (session_user::text COLLATE "default"), coalesce(v_lock.mode, 'shared'));
    v := coord_private.authorize('renew_lock', v_path,
        pg_catalog.jsonb_build_object('ttl_seconds', v_ttl, 'lease_seconds', v_ttl, 'token', v_lock.token,
                                      'holders', coord_private.holders_json(v_conflicts)),
        CASE WHEN v_lock.lock_id IS NULL THEN 'lock_not_held'
             WHEN v_conflicts IS NOT NULL THEN 'lock_held_by_other' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF v.proceed THEN
        UPDATE coord_private.locks l SET expires_at = v_now + pg_catalog.make_interval(secs => v_ttl)
         WHERE l.lock_id = v_lock.lock_id
        RETURNING l.token, l.expires_at INTO token, expires_at;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.renew_lock(text, interval) IS
    'agent: extend a live lease the caller holds (TLA+ RenewLock); an expired lease cannot be renewed (lock_not_held). Errors PC001, PC003, PC004';

CREATE OR REPLACE FUNCTION coord.release_lock(p_path text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v coord_private.verdict;
    v_path text := coord_private.normalize_path(p_path);
    v_lock coord_private.locks;
BEGIN
    PERFORM coord_private.require_read_committed();
    SELECT * INTO v_lock FROM coord_private.locks l
     WHERE l.path = v_path AND l.holder = session_user AND l.expires_at > coord_private.current_time()
       FOR UPDATE;
    v := coord_private.authorize('release_lock', v_path, pg_catalog.jsonb_build_object('token', v_lock.token),
        CASE WHEN v_lock.lock_id IS NULL THEN 'lock_not_held' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF v.proceed THEN
        DELETE FROM coord_private.locks l WHERE l.lock_id = v_lock.lock_id;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.release_lock(text) IS 'agent: release a live lease the caller holds (TLA+ ReleaseLock). Errors PC001, PC003';

DROP FUNCTION coord_private.lock_agent_row();
DROP TABLE coord_private.agent_limit_slots;
DROP FUNCTION coord_private.next_fencing_token();
DROP FUNCTION coord_private.server_timeline();
DROP TABLE coord_private.fencing_epoch;

COMMIT;
