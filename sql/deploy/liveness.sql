-- Deploy pgcoord:liveness
-- Liveness (issue 15): which agents are alive, and what became of an agent's leases
-- and claims.
--   * coord.heartbeat(status, capabilities), from the agent's own session: records
--     the caller's last heartbeat (pgcoord's clock, read after the caller's liveness
--     row is locked), a reported status (active, idle or busy) and, optionally, its
--     capabilities (at most 32 names of 1 to 64 characters of A-Z a-z 0-9 _ . : / +
--     # @ = -, first one alphanumeric). An operation of the catalog (heartbeat,
--     trust 1): one audit event per call, the enforcement mode applies.
--   * coord.discover_agents(capability, status): every registered agent with its
--     profile, trust, registration status, reported status, last heartbeat,
--     capabilities, live leases and live claims, and its liveness: live (a heartbeat
--     within the threshold), stale (none within it) or never (no heartbeat). The
--     threshold (default 90 s) is a row of coord_private.liveness_settings, changed by
--     coord.set_stale_threshold (coord_admin, audited), never a session setting.
--     A read, like check_locks and the views: no audit event (INV-AUDIT-COMPLETE
--     covers mutations and decisions).
--     INV-LOCK-EXPIRY: staleness changes nothing. A stale agent's leases and claims
--     stay live until their own expiry; then they are reclaimable as any expired
--     lease or claim (INV-RECLAIM). Nothing here deletes or shortens a grant.
--   * coord.lease_status(): the caller's leases and claims, live ones with expiry
--     and token, lost ones with why: expired (the row is still there, past its
--     expiry), released (by the caller: release_lock, or its own acquire replacing
--     the grant), force_released (ended by another role while live: a forced
--     release of a lease, a cancellation of the claimed task), taken_over (ended by
--     another role after it expired: another agent's acquire or claim, or the reaper).
--   * a NOTIFY on the agent's own channel (coord_private.agent_channel: the role's
--     name after pgcoord_agent_, or an md5 of it when that would exceed a channel
--     name's 63 bytes) when one of its leases or claims is force_released or
--     taken_over. Payload: {"kind", "path" or "task_id", "token", "cause"}.
-- Causes are recorded by AFTER row triggers on coord_private.locks (a deleted grant)
-- and coord_private.tasks (a claim ended by another role), judged from session_user
-- (pgcoord's identity: an agent cannot change it), the old row (written only by
-- pgcoord's definers) and coord_private.current_time() at the deletion; no session
-- setting is read, so no SET of any setting changes a recorded cause (INV-DEFINER).
-- A claim ended by its own claimer (completed, failed, cancelled, reclaimed) is not
-- a loss and is not recorded (nor taxes the completion's hot path: the trigger's
-- WHEN clause skips it). Recorded losses are bounded (coord_private.record_loss): an
-- agent keeps at most about twice lost_grants_cap() (100) rows, every 100th loss
-- dropping the older ones and those past lost_grants_retention() (7 days), never
-- waiting for a row; coord.lease_status shows the newest 100 within the 7 days.
-- INV-RLS: an agent reads only its own losses (coord.lease_status filters by
-- session_user; the table's policy does too). Cost: a lease release or re-grant now
-- also records its loss (about 8 % of an acquire+release cycle, hand-measured with
-- pgbench on 2 cores).
BEGIN;
SET LOCAL ROLE coord_owner;

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('heartbeat',           'agent', 1, 'record that the calling agent is alive, its reported status and capabilities'),
    ('set_stale_threshold', 'admin', 4, 'choose how long after its last heartbeat an agent is shown as stale');

-- ---------------------------------------------------------------- tables
CREATE TABLE coord_private.liveness_settings (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    stale_after interval NOT NULL DEFAULT '00:01:30' CHECK (stale_after BETWEEN '00:00:05' AND '24:00:00'),
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_by  text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE coord_private.liveness_settings IS
    'the single row of liveness settings: an agent without a heartbeat for stale_after is shown as stale (coord.set_stale_threshold)';
INSERT INTO coord_private.liveness_settings DEFAULT VALUES;
ALTER TABLE coord_private.liveness_settings ENABLE ROW LEVEL SECURITY;

CREATE TABLE coord_private.agent_liveness (
    role_name       text PRIMARY KEY REFERENCES coord_private.agents (role_name),
    reported_status text NOT NULL CHECK (reported_status IN ('active', 'idle', 'busy')),
    capabilities    text[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.cardinality(capabilities) <= 32),
    first_heartbeat timestamptz NOT NULL,
    last_heartbeat  timestamptz NOT NULL
);
COMMENT ON TABLE coord_private.agent_liveness IS
    'each agent''s last heartbeat, reported status and capabilities (coord.heartbeat); read through coord.discover_agents';
ALTER TABLE coord_private.agent_liveness ENABLE ROW LEVEL SECURITY;
-- Defence in depth (INV-RLS): with a stray grant an agent would still see only itself.
CREATE POLICY agent_liveness_self ON coord_private.agent_liveness FOR SELECT
    USING (role_name = (session_user::text COLLATE "default"));

CREATE TABLE coord_private.lost_grants (
    loss_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent      text NOT NULL,
    n          bigint NOT NULL CHECK (n > 0),
    kind       text NOT NULL CHECK (kind IN ('lease', 'claim')),
    path       text,
    mode       text,
    task_id    bigint,
    token      bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    cause      text NOT NULL CHECK (cause IN ('released', 'expired', 'force_released', 'taken_over')),
    lost_at    timestamptz NOT NULL,
    CHECK (CASE kind WHEN 'lease' THEN path IS NOT NULL AND mode IS NOT NULL AND task_id IS NULL
                     ELSE path IS NULL AND mode IS NULL AND task_id IS NOT NULL
                          AND cause IN ('force_released', 'taken_over') END)
);
COMMENT ON TABLE coord_private.lost_grants IS
    'leases and claims an agent lost, with the cause judged at the loss (triggers on locks and tasks); n numbers an agent''s losses (pruning: see coord_private.record_loss)';
CREATE INDEX lost_grants_agent_idx ON coord_private.lost_grants (agent, n);
ALTER TABLE coord_private.lost_grants ENABLE ROW LEVEL SECURITY;
CREATE POLICY lost_grants_own ON coord_private.lost_grants FOR SELECT
    USING (agent = (session_user::text COLLATE "default"));

-- ---------------------------------------------------------------- documented bounds
CREATE FUNCTION coord_private.lost_grants_retention()
RETURNS interval LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT interval '7 days' $fn$;
COMMENT ON FUNCTION coord_private.lost_grants_retention() IS
    'documented: how long a lost lease or claim stays in coord.lease_status (and in coord_private.lost_grants)';

CREATE FUNCTION coord_private.lost_grants_cap()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 100 $fn$;
COMMENT ON FUNCTION coord_private.lost_grants_cap() IS
    'documented: the most lost leases and claims coord.lease_status shows per agent (its newest); the table keeps at most about twice as many';

CREATE FUNCTION coord_private.max_capabilities()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 32 $fn$;
COMMENT ON FUNCTION coord_private.max_capabilities() IS 'documented: the most capabilities one heartbeat reports';

-- ---------------------------------------------------------------- helpers
-- A capability name: 1 to 64 characters of A-Z a-z 0-9 _ . : / + # @ = -, the first
-- alphanumeric (e.g. python, lang:rust, tool/pytest, gpu=a100).
CREATE FUNCTION coord_private.capability_valid(p_name text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT p_name ~ '^[A-Za-z0-9][A-Za-z0-9_.:/+#@=-]{0,63}$' $fn$;
COMMENT ON FUNCTION coord_private.capability_valid(text) IS
    'a capability name: 1 to 64 characters of A-Z a-z 0-9 _ . : / + # @ = -, the first alphanumeric';

-- The capabilities of a heartbeat, sorted and without repeats (NULL stays NULL:
-- keep the ones reported before), or PC002.
CREATE FUNCTION coord_private.require_capabilities(p_capabilities text[])
RETURNS text[] LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_bad integer;
BEGIN
    IF p_capabilities IS NULL THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.cardinality(p_capabilities) > coord_private.max_capabilities() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('at most %s capabilities', coord_private.max_capabilities()),
            DETAIL = pg_catalog.format('%s capabilities were given; nothing was changed', pg_catalog.cardinality(p_capabilities)),
            HINT = 'report the capabilities other agents look for, e.g. ARRAY[''python'', ''tool:pytest'']';
    END IF;
    SELECT c.n INTO v_bad FROM pg_catalog.unnest(p_capabilities) WITH ORDINALITY AS c(name, n)
     WHERE c.name IS NULL OR NOT coord_private.capability_valid(c.name)
     ORDER BY c.n LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'invalid capability name',
            DETAIL = pg_catalog.format('capability %s is NULL, empty, longer than 64 characters or has a character outside A-Z a-z 0-9 _ . : / + # @ = -; nothing was changed', v_bad),
            HINT = 'a capability is 1 to 64 characters of A-Z a-z 0-9 _ . : / + # @ = -, the first alphanumeric (e.g. lang:python)';
    END IF;
    RETURN coalesce((SELECT pg_catalog.array_agg(DISTINCT c ORDER BY c) FROM pg_catalog.unnest(p_capabilities) c), '{}');
END
$$;
COMMENT ON FUNCTION coord_private.require_capabilities(text[]) IS
    'the capabilities of a heartbeat sorted without repeats (NULL: keep the reported ones), or PC002';

-- The NOTIFY channel of an agent: pgcoord_agent_<role>, or pgcoord_agent_<md5 of the
-- role> when that is longer than a channel name may be (63 bytes). LISTEN takes an
-- identifier: quote it (LISTEN "pgcoord_agent_Bob"; psycopg: sql.Identifier).
CREATE FUNCTION coord_private.agent_channel(p_role text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT CASE WHEN pg_catalog.octet_length('pgcoord_agent_' || p_role) <= 63 THEN 'pgcoord_agent_' || p_role
                ELSE 'pgcoord_agent_' || pg_catalog.md5(p_role) END
$fn$;
COMMENT ON FUNCTION coord_private.agent_channel(text) IS
    'the NOTIFY channel of an agent: pgcoord_agent_<role>, or pgcoord_agent_<md5(role)> past 63 bytes';

-- Record one loss of an agent, keeping its recorded losses bounded. Each loss gets
-- the agent's next number n (one index probe); every lost_grants_cap()-th loss drops
-- the agent's rows more than lost_grants_cap() numbers older, or older than the
-- retention. So an agent keeps at most about twice the cap, and a loss costs an
-- insert and, amortised, the deletion of one older row, not a count. Rows another
-- transaction holds are skipped (pruning never waits). Two concurrent losses of one
-- agent may share a number: the bound holds up to such ties. coord.lease_status
-- shows the newest lost_grants_cap() within the retention.
CREATE FUNCTION coord_private.record_loss(p_agent text, p_kind text, p_path text, p_mode text, p_task_id bigint,
                                          p_token bigint, p_expires_at timestamptz, p_cause text, p_now timestamptz)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n bigint := coalesce((SELECT g.n FROM coord_private.lost_grants g WHERE g.agent = p_agent
                             ORDER BY g.n DESC LIMIT 1), 0) + 1;
BEGIN
    INSERT INTO coord_private.lost_grants (agent, n, kind, path, mode, task_id, token, expires_at, cause, lost_at)
    VALUES (p_agent, v_n, p_kind, p_path, p_mode, p_task_id, p_token, p_expires_at, p_cause, p_now);
    IF v_n % coord_private.lost_grants_cap() = 0 THEN
        DELETE FROM coord_private.lost_grants g
         WHERE g.loss_id IN (
            SELECT x.loss_id FROM coord_private.lost_grants x
             WHERE x.agent = p_agent
               AND (x.n <= v_n - coord_private.lost_grants_cap()
                    OR x.lost_at < p_now - coord_private.lost_grants_retention())
               FOR UPDATE SKIP LOCKED);
    END IF;
END
$$;
COMMENT ON FUNCTION coord_private.record_loss(text, text, text, text, bigint, bigint, timestamptz, text, timestamptz) IS
    'record a lost lease or claim of an agent under its next number; every lost_grants_cap()-th drops its older rows (beyond the cap or the retention), never waiting';

-- A lease row is gone: record why, for its holder. The cause is judged by who
-- deletes it (session_user, pgcoord's identity, never a setting) and whether it had
-- expired by pgcoord's clock at the deletion.
CREATE FUNCTION coord_private.record_lease_loss()
RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := coord_private.current_time();
    v_cause text;
BEGIN
    v_cause := CASE WHEN OLD.holder = (session_user::text COLLATE "default")
                    THEN CASE WHEN OLD.expires_at > v_now THEN 'released' ELSE 'expired' END
                    ELSE CASE WHEN OLD.expires_at > v_now THEN 'force_released' ELSE 'taken_over' END END;
    PERFORM coord_private.record_loss(OLD.holder, 'lease', OLD.path, OLD.mode, NULL, OLD.token, OLD.expires_at,
                                      v_cause, v_now);
    IF v_cause IN ('force_released', 'taken_over') THEN
        PERFORM coord_private.send_notification(coord_private.agent_channel(OLD.holder),
            pg_catalog.jsonb_build_object('kind', 'lease', 'path', OLD.path, 'token', OLD.token, 'cause', v_cause)::text);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.record_lease_loss() IS
    'trigger: record a deleted lease for its holder (released, expired, force_released, taken_over) and NOTIFY its channel when another role ended it';
CREATE TRIGGER locks_record_loss AFTER DELETE ON coord_private.locks
    FOR EACH ROW EXECUTE FUNCTION coord_private.record_lease_loss();

-- A claim ended by another role than its claimer (the WHEN clause): a cancellation
-- while it was live (force_released), or, after it expired, a reclaim, an
-- attempts_exhausted failure or a cancellation (taken_over).
CREATE FUNCTION coord_private.record_claim_loss()
RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := coord_private.current_time();
    v_cause text;
BEGIN
    v_cause := CASE WHEN OLD.claim_expires_at > v_now THEN 'force_released' ELSE 'taken_over' END;
    PERFORM coord_private.record_loss(OLD.claimed_by, 'claim', NULL, NULL, OLD.task_id, OLD.claim_token,
                                      OLD.claim_expires_at, v_cause, v_now);
    PERFORM coord_private.send_notification(coord_private.agent_channel(OLD.claimed_by),
        pg_catalog.jsonb_build_object('kind', 'claim', 'task_id', OLD.task_id, 'token', OLD.claim_token, 'cause', v_cause)::text);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.record_claim_loss() IS
    'trigger: record a claim another role ended (force_released while live, taken_over after expiry) and NOTIFY its claimer''s channel';
CREATE TRIGGER tasks_record_claim_loss AFTER UPDATE OF status, claim_token ON coord_private.tasks
    FOR EACH ROW WHEN (OLD.status = 'claimed' AND (NEW.status <> 'claimed' OR NEW.claim_token <> OLD.claim_token)
                       AND OLD.claimed_by <> (session_user::text COLLATE "default"))
    EXECUTE FUNCTION coord_private.record_claim_loss();

-- ---------------------------------------------------------------- the API
CREATE FUNCTION coord.heartbeat(p_status text DEFAULT 'active', p_capabilities text[] DEFAULT NULL,
    OUT ok boolean, OUT reason text, OUT heartbeat_at timestamptz, OUT stale_after interval, OUT channel text,
    OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    v_me text := (session_user::text COLLATE "default");
    v_caps text[];
    v_now timestamptz;
BEGIN
    IF p_status IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'status must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'omit it to report active, or pass active, idle or busy';
    END IF;
    IF p_status NOT IN ('active', 'idle', 'busy') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid agent status %L', pg_catalog.left(p_status, 40)),
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'active, idle or busy';
    END IF;
    v_caps := coord_private.require_capabilities(p_capabilities);
    PERFORM coord_private.require_read_committed();
    -- The caller's own row first, then the clock: two heartbeats of one agent record
    -- times in the order they commit (the later waits, then reads a later time).
    PERFORM 1 FROM coord_private.agent_liveness a WHERE a.role_name = v_me FOR UPDATE;
    v_now := coord_private.current_time();
    v := coord_private.authorize('heartbeat', v_me,
        pg_catalog.jsonb_build_object('status', p_status, 'capabilities', v_caps, 'at', v_now));
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    channel := coord_private.agent_channel(v_me);
    SELECT s.stale_after INTO stale_after FROM coord_private.liveness_settings s;
    IF v.proceed THEN
        INSERT INTO coord_private.agent_liveness AS a (role_name, reported_status, capabilities, first_heartbeat, last_heartbeat)
        VALUES (v_me, p_status, coalesce(v_caps, '{}'), v_now, v_now)
        ON CONFLICT (role_name) DO UPDATE
           SET reported_status = EXCLUDED.reported_status,
               capabilities = coalesce(v_caps, a.capabilities),
               last_heartbeat = GREATEST(a.last_heartbeat, EXCLUDED.last_heartbeat)
        RETURNING a.last_heartbeat INTO heartbeat_at;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.heartbeat(text, text[]) IS
    'agent (trust >= 1): record that the calling agent is alive now (identity = session_user), with status active, idle or busy and optionally its capabilities (NULL keeps them; at most 32); returns ok, reason, heartbeat_at, the stale threshold, the agent''s NOTIFY channel and the audit event. Errors PC001, PC002, PC015';

CREATE FUNCTION coord.discover_agents(p_capability text DEFAULT NULL, p_status text DEFAULT NULL)
RETURNS TABLE (role_name text, profile text, trust_level integer, status text, reported_status text,
               last_heartbeat timestamptz, liveness text, capabilities text[], live_leases integer,
               live_claims integer, stale_after interval)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v_now timestamptz := coord_private.current_time();
    v_after interval;
BEGIN
    IF p_capability IS NOT NULL AND NOT coord_private.capability_valid(p_capability) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'invalid capability name',
            DETAIL = 'the capability is empty, longer than 64 characters or has a character outside A-Z a-z 0-9 _ . : / + # @ = -',
            HINT = 'NULL for any capability, or one name as agents report it (e.g. lang:python)';
    END IF;
    IF p_status IS NOT NULL AND p_status NOT IN ('active', 'idle', 'busy', 'live', 'stale', 'never', 'suspended') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid status filter %L', pg_catalog.left(p_status, 40)),
            DETAIL = 'a status filter is a reported status, a liveness or suspended',
            HINT = 'NULL for every agent, or one of active, idle, busy (reported), live, stale, never (liveness), suspended';
    END IF;
    SELECT s.stale_after INTO v_after FROM coord_private.liveness_settings s;
    RETURN QUERY
    SELECT d.role_name, d.profile, d.trust_level, d.status, d.reported_status, d.last_heartbeat, d.liveness,
           d.capabilities, d.live_leases, d.live_claims, v_after
      FROM (SELECT a.role_name, a.profile, p.trust_level, a.status, l.reported_status, l.last_heartbeat,
                   CASE WHEN l.last_heartbeat IS NULL THEN 'never'
                        WHEN l.last_heartbeat > v_now - v_after THEN 'live' ELSE 'stale' END AS liveness,
                   coalesce(l.capabilities, '{}') AS capabilities,
                   (SELECT pg_catalog.count(*)::integer FROM coord_private.locks k
                     WHERE k.holder = a.role_name AND k.expires_at > v_now) AS live_leases,
                   (SELECT pg_catalog.count(*)::integer FROM coord_private.tasks t
                     WHERE t.claimed_by = a.role_name AND t.status = 'claimed' AND t.claim_expires_at > v_now) AS live_claims
              FROM coord_private.agents a
              LEFT JOIN coord_private.profiles p ON p.name = a.profile
              LEFT JOIN coord_private.agent_liveness l ON l.role_name = a.role_name) d
     WHERE (p_capability IS NULL OR p_capability = ANY (d.capabilities))
       AND (p_status IS NULL OR p_status = d.reported_status OR p_status = d.liveness
            OR (p_status = 'suspended' AND d.status = 'suspended'))
     ORDER BY d.role_name;
END
$$;
COMMENT ON FUNCTION coord.discover_agents(text, text) IS
    'any pgcoord role: the registered agents with profile, trust, status, reported status, last heartbeat, liveness (live, stale past the threshold, never), capabilities, live leases and claims; filters: a capability, a status (active, idle, busy, live, stale, never, suspended). Read-only: stale changes nothing live (INV-LOCK-EXPIRY). Errors PC002';

CREATE FUNCTION coord.lease_status()
RETURNS TABLE (kind text, path text, task_id bigint, mode text, token bigint, expires_at timestamptz,
               state text, cause text, lost_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v_me text := (session_user::text COLLATE "default");
    v_now timestamptz := coord_private.current_time();
BEGIN
    RETURN QUERY
    SELECT s.k, s.p, s.t, s.m, s.tok, s.xp, s.st, s.c, s.lat
      FROM (SELECT 'lease'::text AS k, l.path AS p, NULL::bigint AS t, l.mode AS m, l.token AS tok, l.expires_at AS xp,
                   CASE WHEN l.expires_at > v_now THEN 'live' ELSE 'lost' END AS st,
                   CASE WHEN l.expires_at > v_now THEN NULL ELSE 'expired' END AS c,
                   CASE WHEN l.expires_at > v_now THEN NULL ELSE l.expires_at END AS lat
              FROM coord_private.locks l
             WHERE l.holder = v_me
            UNION ALL
            SELECT 'claim'::text, NULL::text, x.task_id, NULL::text, x.claim_token, x.claim_expires_at,
                   CASE WHEN x.claim_expires_at > v_now THEN 'live' ELSE 'lost' END,
                   CASE WHEN x.claim_expires_at > v_now THEN NULL ELSE 'expired' END,
                   CASE WHEN x.claim_expires_at > v_now THEN NULL ELSE x.claim_expires_at END
              FROM coord_private.tasks x
             WHERE x.claimed_by = v_me AND x.status = 'claimed'
            UNION ALL
            SELECT r.kind, r.path, r.task_id, r.mode, r.token, r.expires_at, 'lost'::text, r.cause, r.lost_at
              FROM (SELECT g.* FROM coord_private.lost_grants g
                     WHERE g.agent = v_me AND g.lost_at > v_now - coord_private.lost_grants_retention()
                     ORDER BY g.n DESC LIMIT coord_private.lost_grants_cap()) r) s
     -- live ones first (by expiry), then the losses, newest first
     ORDER BY s.st, s.lat DESC NULLS FIRST, s.xp, s.p, s.t;
END
$$;
COMMENT ON FUNCTION coord.lease_status() IS
    'agent: the calling agent''s leases and claims: live ones (state live, expiry, token) and lost ones (state lost) with cause expired, released (by the caller), force_released (ended by another role while live) or taken_over (ended by another role after expiry), newest first; losses are kept 7 days, at most 100 per agent. Only the caller''s own (INV-RLS)';

CREATE FUNCTION coord.set_stale_threshold(p_threshold interval, p_reason text,
    OUT ok boolean, OUT reason text, OUT previous interval, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    v_secs numeric;
    v_after interval;
BEGIN
    IF p_threshold IS NULL OR p_reason IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'threshold and reason must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'e.g. coord.set_stale_threshold(''2 minutes'', ''agents heartbeat every 30 s'')';
    END IF;
    v_secs := pg_catalog.date_part('epoch', p_threshold);
    IF v_secs < 5 OR v_secs > 86400 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('stale threshold %s out of range', p_threshold),
            DETAIL = 'the threshold is from 5 seconds to 24 hours; nothing was changed',
            HINT = 'agents should heartbeat several times within it';
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 OR pg_catalog.length(p_reason) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'reason must be 1 to 1000 characters',
            DETAIL = 'a change of the stale threshold is audited with its reason; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.set_stale_threshold';
    END IF;
    PERFORM coord_private.require_read_committed();
    v_after := pg_catalog.make_interval(secs => v_secs);
    SELECT s.stale_after INTO previous FROM coord_private.liveness_settings s FOR UPDATE;
    v := coord_private.authorize('set_stale_threshold', v_after::text,
        pg_catalog.jsonb_build_object('from', previous, 'to', v_after, 'why', p_reason));
    IF v.proceed THEN
        UPDATE coord_private.liveness_settings
           SET stale_after = v_after, updated_at = pg_catalog.now(), updated_by = session_user;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_stale_threshold(interval, text) IS
    'coord_admin: how long after its last heartbeat coord.discover_agents shows an agent as stale (5 s to 24 h, default 90 s); audited with its reason. Stale changes nothing live. Errors PC001, PC002, PC015';

REVOKE ALL ON FUNCTION coord.heartbeat(text, text[]), coord.discover_agents(text, text), coord.lease_status(),
    coord.set_stale_threshold(interval, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.heartbeat(text, text[]), coord.discover_agents(text, text), coord.lease_status()
    TO coord_agent;
GRANT EXECUTE ON FUNCTION coord.discover_agents(text, text) TO coord_admin, coord_auditor;
GRANT EXECUTE ON FUNCTION coord.set_stale_threshold(interval, text) TO coord_admin;

COMMIT;
