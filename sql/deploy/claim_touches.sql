-- Deploy pgcoord:claim_touches
-- Conflict-aware claims (issue 15, INV-CLAIM-TOUCH): two agents editing the same
-- files is the complaint users raise most after claim races.
--   * touches. coord.submit_task(..., p_touches text[] DEFAULT '{}') declares the
--     paths a task will edit: files, dirs (src/api/) and globs, each validated and
--     normalised exactly as a lease path (coord_private.normalize_path: PC003 for a
--     malformed one, its message prefixed with touches[i]); at most touches_max() =
--     32 (PC002), no NULL element (PC002), NULL for the array is PC001; duplicates
--     collapse and the list is kept sorted (byte order). Nothing is written on bad
--     input. Stored in coord_private.task_touches; the submit event records them
--     (context 'touches', present when there are any). An idempotent resubmission
--     returns the existing task with its own touches.
--   * skipping. coord.claim_task / claim_tasks (coord_private.claim_one) skip a task
--     whose touches overlap a live lease of another agent, shared or exclusive (what
--     would conflict with an exclusive lease: coord_private.overlapping_live_locks
--     with mode exclusive, the conflict search of acquire_lock). The caller's own
--     leases never block it. Without lease_touches a claim reserves nothing: a
--     lease requested after it is judged as usual. The judgement is made as
--     acquire_lock makes its own:
--     after the coordination locks of every touch (coord_private.lock_lease_paths:
--     the lock_lines and lock_files rows acquire_lock takes, all touches together in
--     one ascending order, lines before file slots, so neither two claims nor a
--     claim and an acquire can deadlock), by the clock read after them. A cheap
--     search without locks comes first: a task it finds blocked is skipped at once
--     (skipping is always safe; only a claim must be exact). A claim examines at most
--     claim_skip_max() = 100 blocked tasks, then refuses task_not_claimable: no
--     agent can make others' claims scan an unbounded queue. The skipped tasks, with
--     up to three holders each, are in the claim's event (context 'skipped').
--     Once one claim call has taken coordination locks, further ones in the same
--     call (a second candidate after a lost race, the next claim of claim_tasks)
--     never wait for them (SKIP LOCKED: a busy task is skipped): a transaction that
--     waits only in its first round of locks cannot close a cycle.
--   * leasing. p_lease_touches => true (for a task with touches; for one without
--     it is a plain claim) makes the claim also acquire an exclusive
--     lease on every touch, atomically with the claim: one transaction, one policy
--     decision (the claim's), all or nothing (if one touch conflicts the task is
--     skipped, never half-leased). Each lease is what acquire_lock would grant:
--     holder the claimer, mode exclusive, a fencing token drawn after the
--     coordination locks (coord_private.next_fencing_token: INV-LOCK-FENCE), granted
--     at the claim's clock reading and expiring with the claim, reason 'claim of task
--     N'. A lease the caller already holds on exactly a touched path is re-granted to
--     the claim in place (exclusive, a new token, the later of both expiries), as
--     acquire_lock's re-grant replaces a row; it then ends with the claim.
--     INV-LIMITS: the decision context carries live_locks = the caller's live leases
--     on other paths plus the touches but one (what acquire_lock counts for its last
--     grant), so the profile's max_locks holds for leases taken this way, serialised
--     on the caller's limit slot like every acquire; max_lease_seconds applies
--     through the claim's lease_seconds. A profile that may claim but not acquire
--     leases (acquire_lock blocked, not allowed or above its trust) is refused with
--     that reason: a claim is no side door to leases. That rule is read from the
--     caller's compiled policy row for acquire_lock (the static rules both engines
--     share, INV-POLICY-EQ), not asked of the engine as a second decision, so it
--     refuses in every enforcement mode, and a custom Cedar policy that forbids
--     acquire_lock on some paths only is not consulted for leases taken this way.
--     Audit (INV-AUDIT-COMPLETE: one event per mutation and per decision): the claim
--     is one mutation and one decision, so it has one event, the claim_task event,
--     which names every lease it granted (context 'leases': path, token, mode,
--     expires_at) beside 'touches', 'lease_touches' and 'live_locks'. No
--     acquire_lock event is written: that would be a second decision the engine
--     never made. Every later event that ends or renews them names them.
--   * which leases are the claim's: coord_private.claim_leases links a lock row to
--     the claim (task, claim token) that took it; a row may belong to several claims
--     of its holder (two claimed tasks touching one path), and a row of no claim is
--     the agent's own. A lease re-granted by the holder's own acquire_lock or
--     released by release_lock or force_release_lock stops being the claim's (the
--     link goes with the row).
--   * the end of a claim ends its leases: complete_task, fail_task (retryable or
--     not), cancel_task (by anyone allowed to), an exhausted claim settled
--     (fail_exhausted_claim, by claim_task's settlement on sight or reap_expired) and
--     a claim taken over after expiry (claim_one) delete the claim's lease rows that
--     belong to no other claim, and its links; the deletions fire NOTIFY
--     pgcoord_leases like any lease row deleted (notifications). Their events name
--     them (context 'released_leases': path and token). complete/fail/cancel lock the
--     rows first (waiting, bounded by lock_timeout); a settlement on sight never
--     waits (a row another transaction holds keeps its link and expires by itself).
--   * renew_claim renews them: it takes the coordination locks of the claim's lease
--     paths before reading the clock (lease_races: a renewal must not revive a lease
--     another agent took over after it expired), extends the leases still live to the
--     new claim expiry (a row shared with another claim: the later of both) and
--     names them (context 'renewed_leases'); a lease that had already expired is not
--     revived ('lapsed_leases').
--   * path rule: touches are spelled again under the current case rule when a claim
--     reads them (set_path_case may change while tasks wait); a touch that is no
--     longer a valid path there makes its task unclaimable until the rule changes
--     back (skipped, reason touches_invalid in the event).
-- Left to clients: waiting for a blocking lease to go (NOTIFY pgcoord_leases names
-- the path) before claiming again (NOTIFY pgcoord_tasks is sent only when a task
-- becomes claimable by its own state).
-- Layout: the tables and private helpers are here; each API function (and
-- claim_one, fail_exhausted_claim) is one part, sql/parts/claim_touches/<schema>.<function>.sql.
-- Superseded definitions (docs/sql-layout.md): claim_one, claim_task, claim_tasks,
-- submit_task, renew_claim, fail_task, cancel_task and fail_exhausted_claim of
-- task_races, complete_task of dependents_in_order, moved into their parts, which
-- the revert includes. claim_task, claim_tasks and submit_task gain an argument
-- with a default (DROP and CREATE: two overloads would make every old call
-- ambiguous); every earlier call, positional or named, means what it meant, and
-- every function returns the columns it returned.
BEGIN;
SET LOCAL ROLE coord_owner;

-- ---------------------------------------------------------------- documented bounds
CREATE FUNCTION coord_private.touches_max()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 32 $fn$;
COMMENT ON FUNCTION coord_private.touches_max() IS 'documented: the most paths one task may declare as its touches';

CREATE FUNCTION coord_private.claim_skip_max()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 100 $fn$;
COMMENT ON FUNCTION coord_private.claim_skip_max() IS
    'documented: the most tasks one claim skips because their touches are leased by others before it refuses task_not_claimable';

-- ---------------------------------------------------------------- tables
-- A table of its own, not a column of coord_private.tasks: a revert could not take a
-- column back out of tasks without leaving a dropped attribute behind (a later deploy
-- would number its columns differently), and tasks cannot be rebuilt (views,
-- functions of its row type, foreign keys depend on it). Only tasks with touches
-- have a row; the row is written with the task, in submit_task, and never changes.
CREATE TABLE coord_private.task_touches (
    task_id bigint PRIMARY KEY REFERENCES coord_private.tasks (task_id) ON DELETE CASCADE,
    touches text[] NOT NULL
        CHECK (pg_catalog.cardinality(touches) BETWEEN 1 AND 32 AND pg_catalog.array_position(touches, NULL) IS NULL)
);
COMMENT ON TABLE coord_private.task_touches IS
    'INV-CLAIM-TOUCH: the lease paths a task will edit (normalised, sorted, 1 to 32); a claim skips the task while another agent leases one of them';
ALTER TABLE coord_private.task_touches ENABLE ROW LEVEL SECURITY;

CREATE TABLE coord_private.claim_leases (
    lock_id     bigint NOT NULL REFERENCES coord_private.locks (lock_id) ON DELETE CASCADE,
    task_id     bigint NOT NULL REFERENCES coord_private.tasks (task_id) ON DELETE CASCADE,
    claim_token bigint NOT NULL,
    PRIMARY KEY (lock_id, task_id, claim_token)
);
COMMENT ON TABLE coord_private.claim_leases IS
    'INV-CLAIM-TOUCH: which lease rows a claim (task, claim token) took with claim_task(lease_touches); they end with the claim, are renewed with it';
CREATE INDEX claim_leases_claim_idx ON coord_private.claim_leases (task_id, claim_token);
ALTER TABLE coord_private.claim_leases ENABLE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------- helpers (none writes)
-- The touches of a submission: each spelled as a lease path, sorted, each once.
CREATE FUNCTION coord_private.normalize_touches(p_touches text[])
RETURNS text[] LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v text[] := '{}';
    v_path text;
    v_state text;
    v_message text;
    v_detail text;
    v_hint text;
BEGIN
    IF p_touches IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'touches must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'pass an empty array for a task that declares no touches';
    END IF;
    IF coalesce(pg_catalog.array_ndims(p_touches), 1) <> 1
       OR pg_catalog.cardinality(p_touches) > coord_private.touches_max() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('touches: at most %s paths in a one-dimensional array', coord_private.touches_max()),
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'declare the directories (src/api/) or globs a task edits rather than every file';
    END IF;
    FOR i IN 1 .. pg_catalog.cardinality(p_touches) LOOP
        IF p_touches[i] IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('touches[%s] is NULL', i),
                DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
                HINT = 'every touch is a lease path: a file (a/b.py), a directory (a/) or a glob (a/**/*.py)';
        END IF;
        BEGIN
            v_path := coord_private.normalize_path(p_touches[i]);
        EXCEPTION WHEN SQLSTATE 'PC001' OR SQLSTATE 'PC003' THEN
            -- the lease path's own error, naming the touch
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = pg_catalog.format('touches[%s]: %s', i, v_message),
                DETAIL = coalesce(nullif(v_detail, ''), 'an argument was malformed; nothing was changed'),
                HINT = coalesce(nullif(v_hint, ''), 'every touch is a lease path: a file (a/b.py), a directory (a/) or a glob (a/**/*.py)');
        END;
        v := v || v_path;
    END LOOP;
    RETURN ARRAY(SELECT s.p FROM (SELECT DISTINCT x.p FROM pg_catalog.unnest(v) x(p)) s ORDER BY s.p COLLATE "C");
END
$$;
COMMENT ON FUNCTION coord_private.normalize_touches(text[]) IS
    'INV-CLAIM-TOUCH: a task''s touches as lease paths (normalize_path), sorted, each once; PC001 NULL, PC002 more than touches_max() or a NULL element, PC003 a malformed path (message names touches[i])';

-- The touches of a task as the current path case rule spells them (NULL: one of
-- them is no longer a valid lease path). Stored spellings are already normal under
-- the case-sensitive rule (a folded path stays one), so only the insensitive rule
-- spells them again.
CREATE FUNCTION coord_private.touches_now(p_touches text[])
RETURNS text[] LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v text[] := '{}';
    v_path text;
BEGIN
    IF (SELECT s.path_case FROM coord_private.settings s) = 'sensitive' THEN
        RETURN p_touches;
    END IF;
    BEGIN
        FOREACH v_path IN ARRAY p_touches LOOP
            v := v || coord_private.normalize_path(v_path);
        END LOOP;
    EXCEPTION WHEN SQLSTATE 'PC001' OR SQLSTATE 'PC003' THEN
        RETURN NULL;
    END;
    RETURN ARRAY(SELECT s.p FROM (SELECT DISTINCT x.p FROM pg_catalog.unnest(v) x(p)) s ORDER BY s.p COLLATE "C");
END
$$;
COMMENT ON FUNCTION coord_private.touches_now(text[]) IS
    'INV-CLAIM-TOUCH: stored touches spelled under the current path case rule, or NULL when one is no longer a valid lease path';

-- The coordination locks of several lease paths at once (INV-LOCK-EXCL): the rows
-- coord_private.lock_lease_path takes for each path (a dir or glob: KEY SHARE on its
-- line, UPDATE on its anchor's row; a file: KEY SHARE on its line, UPDATE on its
-- slot of lock_files), each row once in the stronger mode, lock_lines rows
-- ascending, then lock_files slots ascending: the global order in which every
-- acquire (one path: its line ascending, then its slot) takes them too, so no set of
-- such requests can wait in a cycle. p_wait false: take each row only if it is free
-- (SKIP LOCKED) and say false at the first one that is not (rows already taken
-- stay taken until the transaction ends; no wait, so no deadlock).
CREATE FUNCTION coord_private.lock_lease_paths(p_paths text[], p_wait boolean)
RETURNS boolean LANGUAGE plpgsql
AS $$
DECLARE
    v_update integer[] := '{}';
    v_share integer[] := '{}';
    v_slots integer[] := '{}';
    v_path text;
    v_anchor text;
    v_row integer;
BEGIN
    FOREACH v_path IN ARRAY p_paths LOOP
        v_anchor := coord_private.path_anchor(v_path);
        v_share := v_share || coord_private.line_rows(v_anchor);
        IF coord_private.path_kind(v_path) = 'file' THEN
            v_slots := v_slots || (pg_catalog.hashtext(v_path) & 16383);
        ELSE
            v_update := v_update || coord_private.anchor_line(v_anchor);
        END IF;
    END LOOP;
    FOR v_row IN SELECT DISTINCT r.n FROM pg_catalog.unnest(v_share || v_update) r(n) ORDER BY r.n LOOP
        IF v_row = ANY (v_update) THEN
            IF p_wait THEN
                PERFORM 1 FROM coord_private.lock_lines l WHERE l.line = v_row FOR UPDATE;
            ELSE
                PERFORM 1 FROM coord_private.lock_lines l WHERE l.line = v_row FOR UPDATE SKIP LOCKED;
                IF NOT FOUND THEN
                    RETURN false;
                END IF;
            END IF;
        ELSIF p_wait THEN
            PERFORM 1 FROM coord_private.lock_lines l WHERE l.line = v_row FOR KEY SHARE;
        ELSE
            PERFORM 1 FROM coord_private.lock_lines l WHERE l.line = v_row FOR KEY SHARE SKIP LOCKED;
            IF NOT FOUND THEN
                RETURN false;
            END IF;
        END IF;
    END LOOP;
    FOR v_row IN SELECT DISTINCT s.n FROM pg_catalog.unnest(v_slots) s(n) ORDER BY s.n LOOP
        IF p_wait THEN
            PERFORM 1 FROM coord_private.lock_files f WHERE f.slot = v_row FOR UPDATE;
        ELSE
            PERFORM 1 FROM coord_private.lock_files f WHERE f.slot = v_row FOR UPDATE SKIP LOCKED;
            IF NOT FOUND THEN
                RETURN false;
            END IF;
        END IF;
    END LOOP;
    RETURN true;
END
$$;
COMMENT ON FUNCTION coord_private.lock_lease_paths(text[], boolean) IS
    'INV-LOCK-EXCL, INV-CLAIM-TOUCH: the coordination locks of several lease paths in one global order (lines ascending, then file slots); p_wait false: only free rows, false when one is taken';

-- Every live lease of another agent that overlaps one of p_paths and would conflict
-- with an exclusive lease on it (NULL: none). The clock is read where
-- overlapping_live_locks reads it: at the call, after whatever locks were taken.
CREATE FUNCTION coord_private.touch_conflicts(p_paths text[])
RETURNS coord_private.locks[] LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_path text;
    v_all coord_private.locks[];
BEGIN
    FOREACH v_path IN ARRAY p_paths LOOP
        v_all := v_all || coord_private.overlapping_live_locks(v_path, (session_user::text COLLATE "default"), 'exclusive');
    END LOOP;
    RETURN v_all;
END
$$;
COMMENT ON FUNCTION coord_private.touch_conflicts(text[]) IS
    'INV-CLAIM-TOUCH: the live leases of other agents conflicting with an exclusive lease on any of the paths (NULL when none)';

-- The lease rows of one claim, locked (ORDER BY lock_id: every caller locks them in
-- one order), with whether another claim shares the row (read after the locks: links
-- change only under these row locks). p_skip_locked: rows another transaction holds
-- are left out (a settlement on sight never waits).
CREATE FUNCTION coord_private.claim_lease_rows(p_task_id bigint, p_claim_token bigint, p_skip_locked boolean)
RETURNS TABLE (lock_id bigint, path text, token bigint, expires_at timestamptz, shared boolean)
LANGUAGE plpgsql
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF p_skip_locked THEN
        v_ids := ARRAY(SELECT l.lock_id FROM coord_private.locks l
                        WHERE l.lock_id IN (SELECT c.lock_id FROM coord_private.claim_leases c
                                             WHERE c.task_id = p_task_id AND c.claim_token = p_claim_token)
                        ORDER BY l.lock_id
                          FOR UPDATE OF l SKIP LOCKED);
    ELSE
        v_ids := ARRAY(SELECT l.lock_id FROM coord_private.locks l
                        WHERE l.lock_id IN (SELECT c.lock_id FROM coord_private.claim_leases c
                                             WHERE c.task_id = p_task_id AND c.claim_token = p_claim_token)
                        ORDER BY l.lock_id
                          FOR UPDATE OF l);
    END IF;
    RETURN QUERY
    SELECT l.lock_id, l.path, l.token, l.expires_at,
           EXISTS (SELECT 1 FROM coord_private.claim_leases o
                    WHERE o.lock_id = l.lock_id AND (o.task_id <> p_task_id OR o.claim_token <> p_claim_token))
      FROM coord_private.locks l
     WHERE l.lock_id = ANY (v_ids)
     ORDER BY l.path COLLATE "C";
END
$$;
COMMENT ON FUNCTION coord_private.claim_lease_rows(bigint, bigint, boolean) IS
    'INV-CLAIM-TOUCH: lock and return the lease rows a claim took (and whether another claim of the holder shares each)';

-- ---------------------------------------------------------------- claims
DROP FUNCTION coord.claim_tasks(integer, text[], interval);
DROP FUNCTION coord.claim_task(text[], interval);
DROP FUNCTION coord_private.claim_one(text[], numeric);

\ir ../parts/claim_touches/coord_private.claim_one.sql

\ir ../parts/claim_touches/coord.claim_task.sql

\ir ../parts/claim_touches/coord.claim_tasks.sql

-- Settlement of an exhausted claim (TLA+ ExhaustAttempts): its leases end with it;
-- never waiting for a lease row another transaction holds (that row keeps its link
-- and expires by itself).
\ir ../parts/claim_touches/coord_private.fail_exhausted_claim.sql

-- ---------------------------------------------------------------- submit
DROP FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer);

\ir ../parts/claim_touches/coord.submit_task.sql

-- ---------------------------------------------------------------- renewal and the end of a claim
\ir ../parts/claim_touches/coord.renew_claim.sql

\ir ../parts/claim_touches/coord.complete_task.sql

\ir ../parts/claim_touches/coord.fail_task.sql

\ir ../parts/claim_touches/coord.cancel_task.sql

REVOKE ALL ON FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer, text[]),
    coord.claim_task(text[], interval, boolean), coord.claim_tasks(integer, text[], interval, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer, text[]),
    coord.claim_task(text[], interval, boolean), coord.claim_tasks(integer, text[], interval, boolean) TO coord_agent;

COMMIT;
