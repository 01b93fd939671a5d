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

\ir ../parts/locks/coord_private.require_read_committed.sql

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

\ir ../parts/locks/coord_private.lock_anchor_line.sql
\ir ../parts/locks/coord_private.overlapping_live_locks.sql

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

\ir ../parts/locks/coord.acquire_lock.sql
\ir ../parts/locks/coord.renew_lock.sql
\ir ../parts/locks/coord.release_lock.sql

\ir ../parts/locks/coord.force_release_lock.sql

\ir ../parts/locks/coord.check_locks.sql

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
