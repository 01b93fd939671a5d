-- Deploy pgcoord:lease_races
-- Leases under concurrency and failover (issue 12). Each fix answers a race the
-- project's own tests missed; isolation/specs and the pytest modules named below
-- force the interleaving.
--   * INV-LOCK-EXCL, INV-LOCK-FENCE: renew_lock judged liveness by a time taken
--     before it waited for the line locks, so it revived a lease another agent had
--     held in between (and check_fence accepted the old token). It reads the clock
--     after the locks now (clock_after_locks makes the clock the time of the call).
--   * INV-LIMITS: the live-lock count of the profile limit was read with nothing
--     serialising one agent's transactions: 25 concurrent ones of an implementer
--     (limit 20) were all granted. An acquire now locks the caller's limit slot
--     first (coord_private.lock_agent_row), so its count sees every earlier grant.
--   * INV-LOCK-EXCL: the descendant search of a root-anchored dir or glob stopped
--     at chr(1114111), so a lease on a top-level name beginning with U+10FFFF was
--     invisible to '**' (two conflicting exclusive grants; check_locks and
--     check_fence shared the defect through overlapping_live_locks). Below the
--     root, every anchor is a candidate: no upper bound.
--   * coordination locks per lease kind (coordination_locks.lock_lease_path): a
--     file no longer locks its directory's line exclusively, so a file lease held
--     in an open transaction delays only requests for that file and for dirs and
--     globs over it, not every acquire in its directory.
--   * the trail records what was judged: a grant's event carries the expiry it
--     granted ('expires_at'); renew_lock and release_lock judge the caller's lease
--     by one clock reading and record it as the event's 'at' (policy_hook_revision).
--   * INV-LOCK-FENCE-FAILOVER: fencing tokens came from a sequence, which a replica
--     promoted after losing writes hands out again. Every token is now above
--     timeline << 40 (coord_private.next_fencing_token): a promotion starts a new
--     timeline, so every token after it is above every token before it (while a
--     timeline grants fewer than 2^40 tokens). A restore onto a new cluster keeps
--     the sequence's value, so tokens keep growing there too.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE TABLE coord_private.fencing_epoch (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton)
);
COMMENT ON TABLE coord_private.fencing_epoch IS
    'one row, locked by the first token draw on a new timeline while it moves the token sequence above the timeline''s floor';
INSERT INTO coord_private.fencing_epoch DEFAULT VALUES;
ALTER TABLE coord_private.fencing_epoch ENABLE ROW LEVEL SECURITY;

-- The server's current timeline: the first eight hex digits of the current WAL
-- file's name (pg_control's checkpoint copy lags a promotion until its checkpoint).
CREATE FUNCTION coord_private.server_timeline()
RETURNS bigint LANGUAGE sql VOLATILE
AS $$ SELECT ('x' || pg_catalog.left(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 8))::bit(32)::bigint $$;
COMMENT ON FUNCTION coord_private.server_timeline() IS 'the timeline this primary writes WAL on (grows with every promotion)';

CREATE FUNCTION coord_private.next_fencing_token()
RETURNS bigint LANGUAGE plpgsql
AS $$
DECLARE
    v_floor bigint := coord_private.server_timeline() << 40;
    v bigint := pg_catalog.nextval('coord_private.fencing_tokens');
BEGIN
    IF v > v_floor THEN
        RETURN v;
    END IF;
    -- The first draws on a new timeline: one of them moves the sequence above the
    -- floor, the others wait for it and draw again. A draw that happens after the
    -- move is above the floor and never comes here; one from before it waits here.
    PERFORM 1 FROM coord_private.fencing_epoch e FOR UPDATE;
    v := pg_catalog.nextval('coord_private.fencing_tokens');
    IF v <= v_floor THEN
        PERFORM pg_catalog.setval('coord_private.fencing_tokens', v_floor);
        v := pg_catalog.nextval('coord_private.fencing_tokens');
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION coord_private.next_fencing_token() IS
    'INV-LOCK-FENCE, INV-LOCK-FENCE-FAILOVER: the next fencing token, above every token of earlier timelines';

-- INV-LIMITS: one agent's limit-counted requests serialise on a row of their own,
-- not on the agent's coord_private.agents row: an agent that holds its transaction
-- open after a call must not stall an admin's set_agent_status/set_agent_profile
-- (found by the red team: 55P03 for the admin, the agent stayed active). 4,096 rows
-- that role names hash to: two agents sharing one wait for each other needlessly,
-- never less than they must. Taken first in every call that takes it, and alone,
-- so it orders before the line rows and cannot join a deadlock.
CREATE TABLE coord_private.agent_limit_slots (
    slot integer PRIMARY KEY CHECK (slot BETWEEN 0 AND 4095)
);
COMMENT ON TABLE coord_private.agent_limit_slots IS
    'INV-LIMITS: the rows one agent''s acquires and claims lock before counting its live locks or claims (role names hash to 4,096 slots)';
ALTER TABLE coord_private.agent_limit_slots ENABLE ROW LEVEL SECURITY;
INSERT INTO coord_private.agent_limit_slots (slot) SELECT pg_catalog.generate_series(0, 4095);

CREATE FUNCTION coord_private.lock_agent_row()
RETURNS void LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM 1 FROM coord_private.agent_limit_slots s
     WHERE s.slot = (pg_catalog.hashtext(session_user::text) & 4095)
       FOR UPDATE;
END
$$;
COMMENT ON FUNCTION coord_private.lock_agent_row() IS
    'INV-LIMITS: serialise the caller''s own limit-counted requests on its slot of coord_private.agent_limit_slots (never on coord_private.agents, which admins update)';

CREATE OR REPLACE FUNCTION coord_private.overlapping_live_locks(p_path text, p_other_than text DEFAULT NULL,
                                                     p_mode text DEFAULT NULL)
RETURNS coord_private.locks[] LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_anchor text := coord_private.path_anchor(p_path);
    v_file boolean := coord_private.path_kind(p_path) = 'file';
    -- Anchors strictly below a non-root v_anchor form the byte-order range
    -- (v_anchor, v_anchor with its final '/' replaced by '0'), searchable with a
    -- generic (cached) plan, unlike LIKE with a parameter. Below the root lies every
    -- other anchor: no string bounds them from above (an anchor may begin with
    -- U+10FFFF and sort after that character alone), so that case is its own query.
    -- Only dirs and globs reach below their anchor.
    v_hi text := pg_catalog.left(v_anchor, -1) || '0';
    v_locks coord_private.locks[];
BEGIN
    -- The clock is called in the statement, not passed in a variable: the cached
    -- generic plan is then estimated with the clock's value (the planner folds
    -- now()), so expired history on these anchors counts as nearly no rows and the
    -- plan stays an index scan however many expired grants the table holds.
    IF v_anchor = '' AND NOT v_file THEN
        SELECT pg_catalog.array_agg(l) INTO v_locks
          FROM coord_private.locks l
         WHERE l.expires_at > coord_private.current_time()
           AND (p_other_than IS NULL OR l.holder <> p_other_than)
           AND (p_mode IS NULL OR l.mode = 'exclusive' OR p_mode = 'exclusive')
           AND coord_private.paths_overlap(l.path, p_path);
        RETURN v_locks;
    END IF;
    SELECT pg_catalog.array_agg(c) INTO v_locks
      FROM (SELECT l FROM coord_private.locks l
             WHERE l.anchor = ANY (coord_private.anchor_ancestors(v_anchor))
               AND l.expires_at > coord_private.current_time()
            UNION ALL
            SELECT l FROM coord_private.locks l
             WHERE NOT v_file AND v_anchor <> '' AND l.anchor OPERATOR(pg_catalog.~>~) v_anchor
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
    v_now timestamptz;
BEGIN
    PERFORM coord_private.require_read_committed();
    -- Serialise with acquires on the same root-to-leaf line, then re-check: a
    -- renewal that began just before expiry must not revive a lease another agent
    -- has taken over in the meantime (INV-LOCK-EXCL). Liveness is judged by the
    -- clock read after the locks, never by a time from before the wait.
    PERFORM coord_private.lock_lease_path(v_path);
    v_now := coord_private.current_time();
    SELECT * INTO v_lock FROM coord_private.locks l
     WHERE l.path = v_path AND l.holder = session_user AND l.expires_at > v_now
       FOR UPDATE;
    v_conflicts := coord_private.overlapping_live_locks(v_path, (session_user::text COLLATE "default"), coalesce(v_lock.mode, 'shared'));
    v := coord_private.authorize('renew_lock', v_path,
        pg_catalog.jsonb_build_object('ttl_seconds', v_ttl, 'lease_seconds', v_ttl, 'token', v_lock.token,
                                      'holders', coord_private.holders_json(v_conflicts),
                                      'at', v_now, 'expires_at', v_now + pg_catalog.make_interval(secs => v_ttl)),
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
    v_now timestamptz;
BEGIN
    PERFORM coord_private.require_read_committed();
    -- One clock reading judges the lease live and is recorded as the event's 'at'.
    v_now := coord_private.current_time();
    SELECT * INTO v_lock FROM coord_private.locks l
     WHERE l.path = v_path AND l.holder = session_user AND l.expires_at > v_now
       FOR UPDATE;
    v := coord_private.authorize('release_lock', v_path, pg_catalog.jsonb_build_object('token', v_lock.token, 'at', v_now),
        CASE WHEN v_lock.lock_id IS NULL THEN 'lock_not_held' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF v.proceed THEN
        DELETE FROM coord_private.locks l WHERE l.lock_id = v_lock.lock_id;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.release_lock(text) IS 'agent: release a live lease the caller holds (TLA+ ReleaseLock). Errors PC001, PC003';

COMMIT;
