-- Leases under concurrency and failover, at the database layer (change lease_races,
-- issue 12; the real-session races are tests/test_races_limits.py and the
-- isolation specs lease_renew_after_expiry and limits_concurrent):
--   (a) INV-LOCK-EXCL: a root-anchored dir or glob sees every lease, also one whose
--       anchor begins with U+10FFFF (sorts after chr(1114111), where the search of
--       '**' used to stop) and those of the highest code points paths still accept;
--   (b) INV-LOCK-EXCL, INV-LOCK-FENCE: renew_lock judges liveness after its line
--       locks: a lease that expired while the renewal waited for them is not revived
--       (lock_not_held) and its token fails check_fence;
--   (c) INV-LIMITS: the live-lock limit refuses with limit_exceeded, and an acquire
--       locks the caller's own limit slot (FOR UPDATE) before it counts, the
--       lock that serialises one agent's concurrent transactions;
--   (d) INV-LOCK-FENCE: every token is above the server's timeline << 40, also after
--       the token sequence went back (setval), and a server promoted with a lost
--       sequence still draws tokens above every earlier one.
-- Fault injections (b, d) replace private functions inside this transaction only
-- (DDL is transactional): they roll back with it. Sequences do not roll back: (d),
-- last, leaves the token sequence above every token drawn before, never below.
-- Each section starts from the state the previous one leaves on a sound deploy, so
-- that on a deploy without lease_races the file runs to its end and reports each
-- defect where it is.
BEGIN;
SELECT plan(81);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql) record and read
--                           calls in the temporary table tests.start_calls creates
SELECT tests.start_calls();

-- pgrowlocks reports the row locks a transaction holds (its own included): the
-- only catalog-independent view of a FOR NO KEY UPDATE that waits for nobody.
CREATE EXTENSION IF NOT EXISTS pgrowlocks;

-- coord.check_fence as agent t22_cat.
CREATE FUNCTION pg_temp.fence(p_path text, p_token bigint) RETURNS boolean
LANGUAGE sql AS $$
    SELECT (tests.row_as('t22_cat', format('SELECT coord.check_fence(%L, %s) AS f', p_path, coalesce(p_token::text, 'NULL'))) ->> 'f')::boolean
$$;

-- The paths (and holders) coord.check_locks lists for one request, as agent t22_cat.
CREATE FUNCTION pg_temp.checked(p_path text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(DISTINCT (r ->> 'path') || ' ' || (r ->> 'holder') ORDER BY (r ->> 'path') || ' ' || (r ->> 'holder')), '{}')
      FROM jsonb_array_elements(tests.run_as('t22_cat', format('SELECT * FROM coord.check_locks(ARRAY[%L])', p_path))) r
$$;

-- The paths of the holders a refusal returned.
CREATE FUNCTION pg_temp.holder_paths(p_label text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(h ->> 'path' ORDER BY h ->> 'path'), '{}')
      FROM jsonb_array_elements(tests.res(p_label) -> 'holders') h
$$;

-- The floor of this server's tokens, computed here independently of pgcoord: the
-- timeline (first eight hex digits of the current WAL file's name) << 40.
CREATE FUNCTION pg_temp.floor() RETURNS bigint
LANGUAGE sql AS $$
    SELECT ('x' || left(pg_walfile_name(pg_current_wal_lsn()), 8))::bit(32)::bigint << 40
$$;

-- A private function's value, or NULL where it does not exist (a deploy without
-- lease_races): the file then runs to its end and reports each failure.
CREATE FUNCTION pg_temp.try_bigint(p_sql text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
BEGIN
    EXECUTE p_sql INTO v;
    RETURN v;
EXCEPTION WHEN undefined_function THEN
    RETURN NULL;
END
$$;

-- tests.call, or {"reason": "error <SQLSTATE>"} when the call raises (a token drawn
-- twice violates the unique token of coord_private.locks).
CREATE FUNCTION pg_temp.call_or_error(p_label text, p_role text, p_sql text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN tests.call(p_label, p_role, p_sql);
EXCEPTION WHEN OTHERS THEN
    RETURN jsonb_build_object('reason', 'error ' || SQLSTATE);
END
$$;

-- The row-lock modes held on an agent's limit slot (NULL: none), and on its
-- coord_private.agents row (which admins update: the limits must never lock it).
CREATE FUNCTION pg_temp.agent_row_lock(p_role text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT r.modes FROM public.pgrowlocks('coord_private.agent_limit_slots') r
      JOIN coord_private.agent_limit_slots a ON a.ctid = r.locked_row
     WHERE a.slot = (hashtext(p_role) & 4095)
$$;
CREATE FUNCTION pg_temp.agents_table_lock(p_role text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT r.modes FROM public.pgrowlocks('coord_private.agents') r
      JOIN coord_private.agents a ON a.ctid = r.locked_row
     WHERE a.role_name = p_role
$$;

SELECT tests.create_profile('t22_two_locks', 2, 'pgTAP 22_lease_races: at most two live locks', '{"max_locks": 2}'),
       tests.create_profile('t22_no_locks', 2, 'pgTAP 22_lease_races: no live lock at all', '{"max_locks": 0}');
SELECT tests.create_agents('implementer', 't22_ann', 't22_ben', 't22_cat'),
       tests.create_agents('t22_two_locks', 't22_lim'), tests.create_agents('t22_no_locks', 't22_zero');

-- ================================================================ (a) the whole code-point range
-- A lease written before paths refused U+10FFFF (normalisation refuses it in new
-- paths now): a file in a top-level directory whose name begins with U+10FFFF. Its anchor
-- sorts after chr(1114111) alone, where the old descendant search of '' stopped.
CREATE TEMP TABLE legacy AS
SELECT U&'\+10FFFFold/c.py' AS path, U&'\+10FFFFold/' AS anchor, nextval('coord_private.fencing_tokens') AS token;
INSERT INTO coord_private.locks (path, kind, anchor, mode, holder, token, reason, granted_at, expires_at)
SELECT l.path, 'file', l.anchor, 'exclusive', 't22_ann', l.token, 'written before U+10FFFF was refused',
       coord_private.current_time(), coord_private.current_time() + interval '10 min'
  FROM legacy l;

SELECT ok((SELECT l.anchor OPERATOR(pg_catalog.~>~) chr(1114111) FROM legacy l),
          'INV-LOCK-EXCL: (precondition) the U+10FFFF anchor sorts after chr(1114111) in byte order');
SELECT is(tests.bad('t22_ben', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', (SELECT l.path FROM legacy l))), 'PC003',
          'INV-LOCK-EXCL: (precondition) a new path with U+10FFFF is refused, so the row stands for data written before');

SELECT is(pg_temp.checked(c.p), ARRAY[(SELECT l.path FROM legacy l) || ' t22_ann'],
          format('INV-LOCK-EXCL: check_locks(%s) lists the live lease on a top-level name beginning with U+10FFFF', c.p))
  FROM (VALUES (1, '**'), (2, '*/c.py'), (3, '**/c.py'), (4, '**/*.py')) c(n, p) ORDER BY c.n;

SELECT is(pg_temp.fence(c.p, (SELECT l.token FROM legacy l)), true,
          format('INV-LOCK-FENCE: check_fence(%s, token) finds the live U+10FFFF lease the token belongs to', c.p))
  FROM (VALUES (1, '**'), (2, '**/c.py')) c(n, p) ORDER BY c.n;

SELECT is(tests.call('u' || c.n, 't22_ben', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', c.p)) ->> 'reason',
          'lock_held_by_other',
          format('INV-LOCK-EXCL AcquireLock: %s by another agent overlaps the U+10FFFF lease → lock_held_by_other', c.p))
  FROM (VALUES (1, '**'), (2, '*/c.py'), (3, '**/c.py'), (4, '**/*.py')) c(n, p) ORDER BY c.n;
SELECT is(pg_temp.holder_paths('u1'), ARRAY[(SELECT l.path FROM legacy l)],
          'INV-LOCK-EXCL AcquireLock: the refusal of ** names the U+10FFFF lease as the holder');
SELECT is(tests.verdict('u1'),
          'refused lock_held_by_other | 1 event: acquire_lock by t22_ben allowed=true proceeded=false reason=lock_held_by_other mode=enforce',
          'INV-AUDIT-COMPLETE AcquireLock: the refusal of ** is its single audit event');
SELECT is_empty($$SELECT l.path FROM coord_private.locks l WHERE l.holder = 't22_ben'$$,
                'INV-LOCK-EXCL AcquireLock: no root-anchored grant coexists with the U+10FFFF lease');
-- (a sound deploy granted nothing above; a defective one's grants go, as (a) expects)
DELETE FROM coord_private.locks l WHERE l.holder = 't22_ben';

-- The highest code points paths accept, as first characters of top-level names.
CREATE TEMP TABLE high (n integer PRIMARY KEY, cp text, path text);
INSERT INTO high VALUES
    (1, 'U+10FFFD', U&'\+10FFFDtop/c.py'),
    (2, 'U+FFFD',   U&'\FFFDtop/c.py'),
    (3, 'U+E000',   U&'\E000top/c.py'),
    (4, 'U+1D400',  U&'\+01D400top/c.py'),
    (5, 'U+10FFFD', U&'\+10FFFDd/');
SELECT is(tests.call('h' || h.n, 't22_ann', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', h.path)) ->> 'reason', 'allowed',
          format('INV-LOCK-EXCL AcquireLock: t22_ann is granted %s (a top-level name beginning with %s)',
                 CASE WHEN h.path LIKE '%/' THEN 'a directory' ELSE 'a file' END, h.cp))
  FROM high h ORDER BY h.n;
SELECT is(pg_temp.checked(c.p),
          (SELECT array_agg(p || ' t22_ann' ORDER BY p || ' t22_ann')
             FROM (SELECT h.path FROM high h UNION ALL SELECT l.path FROM legacy l) s(p)),
          format('INV-LOCK-EXCL: check_locks(%s) lists every lease on a top-level name beginning with a high code point', c.p))
  FROM (VALUES (1, '**'), (2, '*/c.py'), (3, '**/c.py')) c(n, p) ORDER BY c.n;
SELECT is(tests.call('v' || c.n, 't22_ben', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'', ''shared'')', c.p)) ->> 'reason',
          'lock_held_by_other',
          format('INV-LOCK-EXCL AcquireLock: %s (shared) by another agent → lock_held_by_other', c.p))
  FROM (VALUES (1, '**'), (2, '*/c.py'), (3, '**/c.py')) c(n, p) ORDER BY c.n;
SELECT is(pg_temp.holder_paths('v' || c.n),
          (SELECT array_agg(p ORDER BY p) FROM (SELECT h.path FROM high h UNION ALL SELECT l.path FROM legacy l) s(p)),
          format('INV-LOCK-EXCL AcquireLock: the refusal of %s names all six high-code-point leases as holders', c.p))
  FROM (VALUES (1, '**'), (2, '*/c.py'), (3, '**/c.py')) c(n, p) ORDER BY c.n;
SELECT is_empty($$SELECT l.path FROM coord_private.locks l WHERE l.holder = 't22_ben'$$,
                'INV-LOCK-EXCL AcquireLock: still no root-anchored grant to another agent');

-- ================================================================ (b) renewal judged after the line locks
-- Agent t22_ann holds r2/ for 2 s; the lease runs out; t22_ben takes and gives back
-- r2/x.py; t22_ann's renewal of r2/ must not revive it.
SELECT is(tests.call('r1', 't22_ann', $$SELECT * FROM coord.acquire_lock('r2/', '2 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t22_ann is granted r2/ for 2 s');
DO $$ BEGIN PERFORM tests.advance_clock('3 s'); END $$;
SELECT is(tests.call('r2', 't22_ben', $$SELECT * FROM coord.acquire_lock('r2/x.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: once r2/ expired, t22_ben is granted r2/x.py');
SELECT cmp_ok(tests.tok('r2'), '>', tests.tok('r1'), 'INV-LOCK-FENCE AcquireLock: t22_ben''s token is larger than t22_ann''s');
SELECT is(tests.call('r3', 't22_ann', $$SELECT * FROM coord.renew_lock('r2/', '5 s')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXCL RenewLock: while t22_ben holds r2/x.py, renewing the expired r2/ → lock_not_held');
SELECT is(tests.call('r4', 't22_ben', $$SELECT * FROM coord.release_lock('r2/x.py')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL ReleaseLock: t22_ben releases r2/x.py');
SELECT is(tests.call('r5', 't22_ann', $$SELECT * FROM coord.renew_lock('r2/', '5 s')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXCL RenewLock: with r2/ free again, the expired r2/ still cannot be renewed → lock_not_held');
SELECT is(tests.verdict('r5'),
          'refused lock_not_held | 1 event: renew_lock by t22_ann allowed=true proceeded=false reason=lock_not_held mode=enforce',
          'INV-AUDIT-COMPLETE RenewLock: the refused renewal is its single audit event');
SELECT cmp_ok((SELECT l.expires_at FROM coord_private.locks l WHERE l.path = 'r2/' AND l.holder = 't22_ann'), '<=', coord_private.current_time(),
              'INV-LOCK-EXCL RenewLock: the expired r2/ was not extended');
SELECT is(format('r2/x.py=%s r2/=%s', pg_temp.fence('r2/x.py', tests.tok('r1'))::text, pg_temp.fence('r2/', tests.tok('r1'))::text),
          'r2/x.py=false r2/=false', 'INV-LOCK-FENCE: t22_ann''s old token fails check_fence on r2/x.py and r2/');

-- The renewal waits for its line locks while the lease runs out. The wait is
-- injected: until rollback, lock_anchor_line moves the clock 3 s forward after
-- taking the locks of the anchor named in t22.slow_line (as a renewal that queued
-- behind another agent's acquire on the line for 3 s). A renewal that judged
-- liveness by a time read before the wait revives the lease.
ALTER FUNCTION coord_private.lock_anchor_line(text) RENAME TO t22_lock_anchor_line;
CREATE FUNCTION coord_private.lock_anchor_line(p_anchor text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM coord_private.t22_lock_anchor_line(p_anchor);
    IF p_anchor = pg_catalog.current_setting('t22.slow_line', true) THEN
        PERFORM tests.advance_clock('3 s');
    END IF;
END
$$;
SELECT is(tests.call('w1', 't22_ann', $$SELECT * FROM coord.acquire_lock('w2/', '2 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t22_ann is granted w2/ for 2 s');
SELECT cmp_ok((SELECT l.expires_at FROM coord_private.locks l WHERE l.path = 'w2/'), '>', coord_private.current_time(),
              'INV-LOCK-EXCL: (precondition) w2/ is live when the renewal is called');
SELECT set_config('t22.slow_line', 'w2/', true);
SELECT is(tests.call('w2', 't22_ann', $$SELECT * FROM coord.renew_lock('w2/', '5 s')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXCL RenewLock: a lease that expired while the renewal waited for its line locks → lock_not_held');
SELECT set_config('t22.slow_line', '', true);
SELECT is(tests.verdict('w2'),
          'refused lock_not_held | 1 event: renew_lock by t22_ann allowed=true proceeded=false reason=lock_not_held mode=enforce',
          'INV-AUDIT-COMPLETE RenewLock: the refused renewal after the wait is its single audit event');
SELECT cmp_ok((SELECT l.expires_at FROM coord_private.locks l WHERE l.path = 'w2/'), '<=', coord_private.current_time(),
              'INV-LOCK-EXCL RenewLock: w2/ was not revived');
SELECT is(pg_temp.fence('w2/x.py', tests.tok('w1')), false, 'INV-LOCK-FENCE: the token of the expired w2/ fails check_fence');
SELECT is(tests.call('w3', 't22_ben', $$SELECT * FROM coord.acquire_lock('w2/x.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t22_ben is granted w2/x.py: nothing holds w2/');
SELECT is(format('old=%s new=%s', pg_temp.fence('w2/x.py', tests.tok('w1'))::text, pg_temp.fence('w2/x.py', tests.tok('w3'))::text),
          'old=false new=true', 'INV-LOCK-FENCE: on w2/x.py only t22_ben''s token passes check_fence');
DROP FUNCTION coord_private.lock_anchor_line(text);
ALTER FUNCTION coord_private.t22_lock_anchor_line(text) RENAME TO lock_anchor_line;

SELECT is_empty($$SELECT a.path, b.path FROM coord_private.locks a JOIN coord_private.locks b
                    ON a.lock_id < b.lock_id AND a.holder <> b.holder
                   WHERE a.expires_at > coord_private.current_time() AND b.expires_at > coord_private.current_time()
                     AND (a.mode = 'exclusive' OR b.mode = 'exclusive') AND coord_private.paths_overlap(a.path, b.path)$$,
                'INV-LOCK-EXCL: no two live conflicting leases of different agents overlap after (a) and (b)');

-- ================================================================ (c) INV-LIMITS
SELECT is(pg_temp.agent_row_lock('t22_lim'), NULL, 'INV-LIMITS: (precondition) t22_lim''s agents row carries no lock yet');
SELECT is(tests.call('m' || v.n, 't22_lim', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', v.p)) ->> 'reason', 'allowed',
          format('INV-LIMITS AcquireLock: t22_lim (max_locks 2) is granted %s', v.p))
  FROM (VALUES (1, 'l/a.py'), (2, 'l/b.py')) v(n, p) ORDER BY v.n;
SELECT is(pg_temp.agent_row_lock('t22_lim'), ARRAY['For Update'],
          'INV-LIMITS AcquireLock: the acquiring transaction holds its agent''s limit slot FOR UPDATE');
SELECT ok(coalesce(pg_temp.agents_table_lock('t22_lim'), '{}') <@ ARRAY['For Key Share'],
          'INV-LIMITS AcquireLock: ... and nothing stronger than KEY SHARE on its coord_private.agents row, so an admin''s update never waits for it');
SELECT is(tests.call('m3', 't22_lim', $$SELECT * FROM coord.acquire_lock('l/c.py', '60 s')$$) ->> 'reason', 'limit_exceeded',
          'INV-LIMITS AcquireLock: at two live locks, a third path → limit_exceeded');
SELECT is(tests.verdict('m3'),
          'refused limit_exceeded | 1 event: acquire_lock by t22_lim allowed=false proceeded=false reason=limit_exceeded mode=enforce',
          'INV-AUDIT-COMPLETE AcquireLock: the limit refusal is its single audit event');
SELECT is(format('limit=%s max=%s live=%s', (tests.event('m3')).context -> 'decision' ->> 'limit', (tests.event('m3')).context -> 'decision' ->> 'max',
                 (tests.event('m3')).context ->> 'live_locks'),
          'limit=max_locks max=2 live=2', 'INV-LIMITS AcquireLock: the audit event names the limit, its maximum and the live count');
SELECT is((tests.res('m3') ->> 'token'), NULL, 'INV-LIMITS AcquireLock: the limit refusal carries no token');
SELECT is(tests.call('m4', 't22_lim', $$SELECT * FROM coord.acquire_lock('l/a.py', '120 s')$$) ->> 'reason', 'allowed',
          'INV-LIMITS AcquireLock: at the limit, re-acquiring a path it holds is granted (the grant replaces itself)');
SELECT is(tests.call('m5', 't22_lim', $$SELECT * FROM coord.release_lock('l/b.py')$$) ->> 'reason', 'allowed',
          'INV-LIMITS ReleaseLock: t22_lim releases l/b.py');
SELECT is(tests.call('m6', 't22_lim', $$SELECT * FROM coord.acquire_lock('l/c.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LIMITS AcquireLock: below the limit again, l/c.py is granted');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.holder = 't22_lim' AND l.expires_at > coord_private.current_time()), 2::bigint,
          'INV-LIMITS: t22_lim holds exactly its limit of two live locks');

-- The row lock is taken before anything is counted, by a refused request as well.
SELECT is(tests.call('z1', 't22_zero', $$SELECT * FROM coord.acquire_lock('z/a.py', '60 s')$$) ->> 'reason', 'limit_exceeded',
          'INV-LIMITS AcquireLock: t22_zero (max_locks 0) is refused its first lock → limit_exceeded');
SELECT is(pg_temp.agent_row_lock('t22_zero'), ARRAY['For Update'],
          'INV-LIMITS AcquireLock: the refused request locked its agent''s row too (the lock precedes the count)');
SELECT is(pg_temp.agent_row_lock('t22_cat'), NULL,
          'INV-LIMITS: an agent that only read (check_locks, check_fence) has no lock on its row: the lock is per acquiring agent');

-- ================================================================ (c') coordination locks per lease kind
-- A file shares its line and locks its own path's slot; a directory locks its
-- anchor's line row exclusively. (A root file lease held in an open transaction
-- once stalled every acquire: it held the root line row FOR UPDATE.)
-- (A directory of its own: the earlier root-anchored requests of this transaction
-- still hold the root's row.)
SELECT is(tests.call('lf1', 't22_ann', $$SELECT * FROM coord.acquire_lock('f22only/top_level_22.txt', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: a file in a directory of its own is granted');
SELECT is((SELECT r.modes FROM public.pgrowlocks('coord_private.lock_lines') r
             JOIN coord_private.lock_lines l ON l.ctid = r.locked_row WHERE l.line = coord_private.anchor_line('f22only/')),
          ARRAY['For Key Share'],
          'INV-LOCK-EXCL: a file request shares its directory''s line row (KEY SHARE), it does not lock it exclusively');
SELECT is((SELECT r.modes FROM public.pgrowlocks('coord_private.lock_files') r
             JOIN coord_private.lock_files f ON f.ctid = r.locked_row WHERE f.slot = (hashtext('f22only/top_level_22.txt') & 16383)),
          ARRAY['For Update'],
          'INV-LOCK-EXCL: ... and locks its own path''s slot in coord_private.lock_files exclusively');

-- ================================================================ (d) tokens above the timeline floor
SELECT is(pg_temp.try_bigint('SELECT coord_private.server_timeline()'),
          ('x' || left(pg_walfile_name(pg_current_wal_lsn()), 8))::bit(32)::bigint,
          'INV-LOCK-FENCE: coord_private.server_timeline() is the timeline of the WAL this server writes');
SELECT is(tests.call('k1', 't22_ann', $$SELECT * FROM coord.acquire_lock('tok/a.py', '10 min')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE AcquireLock: t22_ann is granted tok/a.py');
SELECT cmp_ok(tests.tok('k1'), '>', pg_temp.floor(),
              'INV-LOCK-FENCE AcquireLock: the grant''s token is above the timeline''s floor (timeline << 40)');
SELECT ok(coalesce((SELECT bool_and((c.rows -> 0 ->> 'token')::bigint > pg_temp.floor()) FROM calls c
                     WHERE c.rows -> 0 ->> 'token' IS NOT NULL), false),
          'INV-LOCK-FENCE AcquireLock: every token granted in this file so far is above the floor');

-- The sequence goes back (a server whose sequence lost values): the next draw is
-- still above the floor, so above every token an earlier timeline handed out.
SELECT is(setval('coord_private.fencing_tokens', 5), 5::bigint, 'INV-LOCK-FENCE: (setup) the token sequence is set back to 5');
SELECT cmp_ok(pg_temp.try_bigint('SELECT coord_private.next_fencing_token()'), '>', pg_temp.floor(),
              'INV-LOCK-FENCE: after the sequence went back, next_fencing_token() draws above the floor again');

-- A promotion of a replica that lost writes: the sequence goes back AND the timeline
-- grows by one (simulated: server_timeline() answers timeline + 1 until rollback).
-- Every grant after it draws above every token of this file.
CREATE TEMP TABLE before_promotion AS
SELECT max(t) AS max_token FROM (SELECT (c.rows -> 0 ->> 'token')::bigint FROM calls c
                                 UNION ALL SELECT l.token FROM coord_private.locks l) s(t);
CREATE OR REPLACE FUNCTION coord_private.server_timeline()
RETURNS bigint LANGUAGE sql VOLATILE
AS $$ SELECT ('x' || pg_catalog.left(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 8))::bit(32)::bigint + 1 $$;
SELECT is(setval('coord_private.fencing_tokens', 5), 5::bigint, 'INV-LOCK-FENCE: (setup) the promoted server''s sequence is back at 5');
SELECT is(pg_temp.call_or_error('k2', 't22_ann', $$SELECT * FROM coord.acquire_lock('tok/b.py', '10 min')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE AcquireLock: t22_ann is granted tok/b.py on the promoted server');
SELECT cmp_ok(tests.tok('k2'), '>', (SELECT b.max_token FROM before_promotion b),
              'INV-LOCK-FENCE-FAILOVER AcquireLock: after a promotion with a lost sequence, the grant''s token is above every earlier token of this file');
SELECT cmp_ok(tests.tok('k2'), '>', pg_temp.floor() + (1::bigint << 40),
              'INV-LOCK-FENCE AcquireLock: it is above the new timeline''s floor');
SELECT is(tests.call('k3', 't22_ben', $$SELECT * FROM coord.acquire_lock('tok/', '10 min')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: tok/ over the two files is refused');
SELECT is(pg_temp.fence('tok/b.py', tests.tok('k2')), true,
          'INV-LOCK-FENCE: check_fence accepts the token drawn after the promotion');
-- back on the real timeline: tokens keep growing from there
CREATE OR REPLACE FUNCTION coord_private.server_timeline()
RETURNS bigint LANGUAGE sql VOLATILE
AS $$ SELECT ('x' || pg_catalog.left(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 8))::bit(32)::bigint $$;
SELECT is(pg_temp.call_or_error('k4', 't22_ann', $$SELECT * FROM coord.acquire_lock('tok/c.py', '10 min')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE AcquireLock: t22_ann is granted tok/c.py');
SELECT cmp_ok(tests.tok('k4'), '>', tests.tok('k2'),
              'INV-LOCK-FENCE AcquireLock: the next grant''s token is larger still');

SELECT * FROM finish();
ROLLBACK;
