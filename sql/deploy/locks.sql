-- Deploy pgcoord:locks
-- File leases (TLA+ actions AcquireLock, RenewLock, ReleaseLock, ForceRelease;
-- invariants INV-LOCK-EXCL, INV-LOCK-FENCE, INV-LOCK-EXPIRY, INV-RECLAIM).
--
-- Concurrency: an acquire takes transaction-scoped advisory locks on its anchor's
-- ancestors (shared) and on its anchor (exclusive), shallowest first. Two requests
-- whose path sets can overlap have anchors on one root-to-leaf line, so they
-- serialise there; unrelated subtrees never wait for each other. The conflict
-- check and the fencing token are taken after those locks, so the later of two
-- overlapping grants sees the earlier one and draws a larger token.
-- Expiry is judged by coord_private.current_time() in every query: an expired
-- lock is absent without any background job (INV-LOCK-EXPIRY).
--
-- Planning (here and in tasks): every lease and queue mutation pins
--   plan_cache_mode = force_generic_plan    each statement is planned once per session;
--   enable_bitmapscan = off                 a bitmap scan never marks the dead index
--                                           entries released grants leave, so under churn
--                                           every lookup would revisit all of them;
--   max_parallel_workers_per_gather = 0     point lookups never gain from workers.
-- Queries call coord_private.current_time() inline rather than through a variable, so
-- the generic plan is estimated with the clock's value and expired history stays cheap.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE SEQUENCE coord_private.fencing_tokens AS bigint;
COMMENT ON SEQUENCE coord_private.fencing_tokens IS 'INV-LOCK-FENCE: every grant draws the next token';

CREATE TABLE coord_private.locks (
    lock_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    path       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('file', 'dir', 'glob')),
    anchor     text NOT NULL,
    mode       text NOT NULL CHECK (mode IN ('exclusive', 'shared')),
    holder     text NOT NULL REFERENCES coord_private.agents (role_name),
    token      bigint NOT NULL UNIQUE,
    reason     text NOT NULL DEFAULT '',
    granted_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CHECK (expires_at > granted_at),
    UNIQUE (path, holder)
);
COMMENT ON TABLE coord_private.locks IS
    'current lease grants; a row past expires_at is treated as absent (INV-LOCK-EXPIRY) and replaced or reaped';
-- Conflict search: equality on ancestor anchors and a byte-order range on descendant anchors.
CREATE INDEX locks_anchor_idx ON coord_private.locks (anchor text_pattern_ops, expires_at);
CREATE INDEX locks_holder_idx ON coord_private.locks (holder, expires_at);
ALTER TABLE coord_private.locks ENABLE ROW LEVEL SECURITY;
CREATE POLICY locks_readable ON coord_private.locks FOR SELECT USING (true);

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('acquire_lock',       'agent', 2, 'take a lease on a file, directory subtree or glob'),
    ('renew_lock',         'agent', 2, 'extend a lease the caller holds'),
    ('release_lock',       'agent', 2, 'release a lease the caller holds'),
    ('force_release_lock', 'agent', 3, 'elevated: release every live lease on a path, whoever holds it');

CREATE FUNCTION coord_private.require_read_committed()
RETURNS void LANGUAGE plpgsql STABLE 
AS $$
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC015',
            MESSAGE = pg_catalog.format('pgcoord mutations need READ COMMITTED, not %s', pg_catalog.current_setting('transaction_isolation')),
            DETAIL = 'conflicts are checked after taking coordination locks: an older snapshot could miss a grant that just committed',
            HINT = 'call pgcoord in autocommit or in a READ COMMITTED transaction';
    END IF;
END
$$;
COMMENT ON FUNCTION coord_private.require_read_committed() IS 'raises PC015 unless the transaction is READ COMMITTED';

CREATE FUNCTION coord_private.require_ttl(p_ttl interval)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE 
AS $$
DECLARE
    v numeric;
BEGIN
    IF p_ttl IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'ttl must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'a lease lasts from 1 second to 24 hours';
    END IF;
    v := pg_catalog.date_part('epoch', p_ttl);
    IF v < 1 OR v > 86400 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC004', MESSAGE = pg_catalog.format('ttl %s out of range', p_ttl),
            DETAIL = 'a lease lasts from 1 second to 24 hours', HINT = 'renew a lease instead of asking for a long one';
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION coord_private.require_ttl(interval) IS 'the TTL in seconds, or PC001/PC004 outside 1 s .. 24 h';

-- Take the advisory locks that serialise requests on one root-to-leaf line.
CREATE FUNCTION coord_private.lock_anchor_line(p_anchor text)
RETURNS void LANGUAGE plpgsql 
AS $$
DECLARE
    a text;
BEGIN
    FOREACH a IN ARRAY coord_private.anchor_ancestors(p_anchor) LOOP
        IF a = p_anchor THEN
            PERFORM pg_catalog.pg_advisory_xact_lock(1885570817, pg_catalog.hashtext(a));
        ELSE
            PERFORM pg_catalog.pg_advisory_xact_lock_shared(1885570817, pg_catalog.hashtext(a));
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord_private.lock_anchor_line(text) IS
    'advisory locks: shared on every ancestor anchor, exclusive on the anchor (serialises overlapping acquires)';

-- Live locks whose path sets can overlap p_path (optionally: held by others than
-- p_other_than, and conflicting with a request in mode p_mode): index lookups on
-- anchors, then the exact overlap test on the few candidates.
-- Two plain index scans joined by UNION ALL rather than one OR: an OR becomes a
-- bitmap scan, and bitmap scans never mark dead index entries, so under lease
-- churn every acquire would revisit every dead grant of its anchor.
CREATE FUNCTION coord_private.overlapping_live_locks(p_path text, p_other_than text DEFAULT NULL,
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

-- PL/pgSQL, not SQL: an SQL function with an aggregate is planned on every call.
CREATE FUNCTION coord_private.holders_json(p_locks coord_private.locks[])
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_locks IS NULL THEN
        RETURN '[]'::jsonb;
    END IF;
    RETURN (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'holder', l.holder, 'path', l.path, 'mode', l.mode, 'expires_at', l.expires_at) ORDER BY l.expires_at), '[]')
              FROM pg_catalog.unnest(p_locks) l);
END
$$;
COMMENT ON FUNCTION coord_private.holders_json(coord_private.locks[]) IS 'holders and expiries of locks, as returned with a refusal';

CREATE FUNCTION coord.acquire_lock(p_path text, p_ttl interval, p_mode text DEFAULT 'exclusive', p_reason text DEFAULT '',
    OUT ok boolean, OUT reason text, OUT path text, OUT token bigint, OUT expires_at timestamptz,
    OUT holders jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
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

CREATE FUNCTION coord.renew_lock(p_path text, p_ttl interval,
    OUT ok boolean, OUT reason text, OUT token bigint, OUT expires_at timestamptz, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
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

CREATE FUNCTION coord.release_lock(p_path text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
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

CREATE FUNCTION coord.force_release_lock(p_path text, p_reason text,
    OUT ok boolean, OUT reason text, OUT released jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v coord_private.verdict;
    v_path text := coord_private.normalize_path(p_path);
    v_locks coord_private.locks[];
BEGIN
    PERFORM coord_private.require_read_committed();
    IF p_reason IS NULL OR pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = CASE WHEN p_reason IS NULL THEN 'PC001' ELSE 'PC002' END,
            MESSAGE = 'a forced release needs a reason', HINT = 'it is recorded in the audit trail',
            DETAIL = 'nothing was changed';
    END IF;
    SELECT pg_catalog.array_agg(l) INTO v_locks FROM coord_private.locks l
     WHERE l.path = v_path AND l.expires_at > coord_private.current_time();
    v := coord_private.authorize('force_release_lock', v_path,
        pg_catalog.jsonb_build_object('why', p_reason, 'released', coord_private.holders_json(v_locks)),
        CASE WHEN v_locks IS NULL THEN 'lock_not_held' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    released := coord_private.holders_json(v_locks);
    IF v.proceed THEN
        DELETE FROM coord_private.locks l WHERE l.path = v_path;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.force_release_lock(text, text) IS
    'elevated agent (trust >= 3): release every live lease on exactly this path, whoever holds it; audited with its reason. Errors PC001-PC003';

CREATE FUNCTION coord.check_locks(p_paths text[])
RETURNS TABLE (requested text, path text, mode text, holder text, token bigint, expires_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    p text;
BEGIN
    IF p_paths IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'paths must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.check_locks';
    END IF;
    IF pg_catalog.cardinality(p_paths) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'at most 1000 paths per check',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.check_locks';
    END IF;
    FOREACH p IN ARRAY p_paths LOOP
        requested := coord_private.normalize_path(p);
        FOR path, mode, holder, token, expires_at IN
            SELECT l.path, l.mode, l.holder, l.token, l.expires_at
              FROM pg_catalog.unnest(coord_private.overlapping_live_locks(requested)) l ORDER BY l.token
        LOOP
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord.check_locks(text[]) IS
    'agent: the live locks overlapping each given path or pattern (read-only; expired locks are absent). Errors PC001-PC003';

CREATE FUNCTION coord.check_fence(p_path text, p_token bigint)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT coalesce(pg_catalog.bool_or(l.token = p_token), false)
       AND NOT coalesce(pg_catalog.bool_or(l.token > p_token AND l.mode = 'exclusive'), false)
      FROM pg_catalog.unnest(coord_private.overlapping_live_locks(coord_private.normalize_path(p_path))) l
$$;
COMMENT ON FUNCTION coord.check_fence(text, bigint) IS
    'INV-LOCK-FENCE: true while the grant with this token is live, covers the path and no newer exclusive grant overlaps it';

CREATE VIEW coord.live_locks AS
    SELECT l.path, l.kind, l.mode, l.holder, l.token, l.granted_at, l.expires_at, l.reason
      FROM coord_private.locks l, (SELECT coord.now() AS now) c
     WHERE l.expires_at > c.now;
COMMENT ON VIEW coord.live_locks IS 'every live lease (expired ones are absent: INV-LOCK-EXPIRY)';

REVOKE ALL ON FUNCTION coord.acquire_lock(text, interval, text, text), coord.renew_lock(text, interval),
    coord.release_lock(text), coord.force_release_lock(text, text), coord.check_locks(text[]),
    coord.check_fence(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.acquire_lock(text, interval, text, text), coord.renew_lock(text, interval),
    coord.release_lock(text), coord.force_release_lock(text, text), coord.check_locks(text[]),
    coord.check_fence(text, bigint) TO coord_agent;
GRANT EXECUTE ON FUNCTION coord.check_locks(text[]), coord.check_fence(text, bigint) TO coord_admin, coord_auditor;
GRANT SELECT ON coord.live_locks TO coord_agent, coord_admin, coord_auditor;

COMMIT;
