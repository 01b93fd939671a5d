-- Fencing tokens and lease expiry: every grant draws a token larger than every
-- earlier grant of an overlapping path, also after expiry and re-grant to another
-- agent (INV-LOCK-FENCE); coord.check_fence confirms only the live, newest grant;
-- an expired lease is absent from every function without reap_expired ever
-- running (INV-LOCK-EXPIRY), and becomes available to others (INV-RECLAIM);
-- coord.reap_expired only tidies (TLA+ AcquireLock, RenewLock, ReleaseLock;
-- expiry is the passage of time, moved by tests.advance_clock).
BEGIN;
SELECT plan(64);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql) record and read
--                           calls in the temporary table tests.start_calls creates
SELECT tests.start_calls();

-- fence(token label, path): coord.check_fence as agent t12_cat, for the token a
-- labelled call returned (tests.tok).
CREATE FUNCTION pg_temp.fence(p_label text, p_path text) RETURNS boolean
LANGUAGE sql AS $$
    SELECT (tests.row_as('t12_cat', format('SELECT coord.check_fence(%L, %s) AS f', p_path,
                                           coalesce(tests.tok(p_label)::text, 'NULL'))) ->> 'f')::boolean
$$;

SELECT tests.create_profile('t12_one_lock', 2, 'pgTAP 12_lock_fencing_expiry: one live lock', '{"max_locks": 1}');
SELECT tests.create_agents('implementer', 't12_ann', 't12_ben', 't12_cat'), tests.create_agents('t12_one_lock', 't12_one'),
       tests.create_members('coord_admin', 't12_admin');

-- ---------------------------------------------------------------- tokens and check_fence
SELECT is(tests.call('g1', 't12_ann', $$SELECT * FROM coord.acquire_lock('f/x.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE AcquireLock: t12_ann is granted f/x.py');
SELECT is(pg_temp.fence('g1', 'f/x.py'), true, 'INV-LOCK-FENCE: check_fence is true for the live, newest grant');
SELECT is(pg_temp.fence('g1', 'f/'), true, 'INV-LOCK-FENCE: check_fence on a directory the grant lies in is true');
SELECT is(pg_temp.fence('g1', 'g/x.py'), false, 'INV-LOCK-FENCE: check_fence on a path the grant does not cover is false');
SELECT is((tests.row_as('t12_cat', format('SELECT coord.check_fence(''f/x.py'', %s) AS f', tests.tok('g1') + 1000)) ->> 'f')::boolean, false,
          'INV-LOCK-FENCE: check_fence with a token nobody was granted is false');
SELECT is((tests.row_as('t12_cat', 'SELECT coord.check_fence(''f/x.py'', NULL) AS f') ->> 'f')::boolean, false,
          'INV-LOCK-FENCE: check_fence with a NULL token is false');

SELECT is(tests.call('g2', 't12_ann', $$SELECT * FROM coord.release_lock('f/x.py')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE ReleaseLock: t12_ann releases f/x.py');
SELECT is(pg_temp.fence('g1', 'f/x.py'), false, 'INV-LOCK-FENCE: check_fence is false after the release');

SELECT is(tests.call('g3', 't12_ben', $$SELECT * FROM coord.acquire_lock('f/x.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE AcquireLock: t12_ben is granted f/x.py after the release');
SELECT cmp_ok(tests.tok('g3'), '>', tests.tok('g1'), 'INV-LOCK-FENCE AcquireLock: the new grant''s token is larger than the released one''s');
SELECT is(pg_temp.fence('g3', 'f/x.py'), true, 'INV-LOCK-FENCE: check_fence is true for the new grant');
SELECT is(pg_temp.fence('g1', 'f/x.py'), false, 'INV-LOCK-FENCE: the older token stays false after another agent''s newer grant');
SELECT is(tests.call('g4', 't12_ben', $$SELECT * FROM coord.release_lock('f/x.py')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE ReleaseLock: t12_ben releases f/x.py');

SELECT is(tests.call('g5', 't12_cat', $$SELECT * FROM coord.acquire_lock('f/', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE AcquireLock: t12_cat is granted the directory f/');
SELECT cmp_ok(tests.tok('g5'), '>', tests.tok('g3'), 'INV-LOCK-FENCE AcquireLock: a directory grant over the file draws a larger token');
SELECT is(pg_temp.fence('g5', 'f/x.py'), true, 'INV-LOCK-FENCE: the directory grant fences the file below it');

-- A holder's own newer grant supersedes its older overlapping one for the paths both cover.
SELECT is(tests.call('h1', 't12_ann', $$SELECT * FROM coord.acquire_lock('h/', '600 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE AcquireLock: t12_ann is granted h/');
SELECT is(tests.call('h2', 't12_ann', $$SELECT * FROM coord.acquire_lock('h/x.py', '600 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE AcquireLock: t12_ann is granted h/x.py inside her own h/');
SELECT is(format('h/x.py old=%s new=%s; h/y.py old=%s', pg_temp.fence('h1', 'h/x.py')::text, pg_temp.fence('h2', 'h/x.py')::text, pg_temp.fence('h1', 'h/y.py')::text),
          'h/x.py old=false new=true; h/y.py old=true',
          'INV-LOCK-FENCE: for h/x.py only the newer exclusive grant passes check_fence; h/y.py stays fenced by h/');
-- Shared grants: a newer shared grant does not fence out an older shared one.
SELECT is(tests.call('s1', 't12_ann', $$SELECT * FROM coord.acquire_lock('s/x', '600 s', 'shared')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE AcquireLock: t12_ann is granted s/x shared');
SELECT is(tests.call('s2', 't12_ben', $$SELECT * FROM coord.acquire_lock('s/x', '600 s', 'shared')$$) ->> 'reason', 'allowed',
          'INV-LOCK-FENCE AcquireLock: t12_ben is granted s/x shared');
SELECT cmp_ok(tests.tok('s2'), '>', tests.tok('s1'), 'INV-LOCK-FENCE AcquireLock: the second shared grant draws a larger token');
SELECT is(format('older=%s newer=%s', pg_temp.fence('s1', 's/x')::text, pg_temp.fence('s2', 's/x')::text), 'older=true newer=true',
          'INV-LOCK-FENCE: both live shared grants pass check_fence');

-- Leases that the expiry section below lets run out.
SELECT is(tests.call('x1', 't12_ben', $$SELECT * FROM coord.acquire_lock('e/a.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXPIRY AcquireLock: t12_ben is granted e/a.py for 60 s');
SELECT is(tests.call('x2', 't12_cat', $$SELECT * FROM coord.acquire_lock('e/b/', '120 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXPIRY AcquireLock: t12_cat is granted e/b/ for 120 s');
SELECT is(tests.call('x3', 't12_ann', $$SELECT * FROM coord.acquire_lock('e/c.txt', '30 s', 'shared')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXPIRY AcquireLock: t12_ann is granted e/c.txt shared for 30 s');
SELECT is(tests.call('x4', 't12_one', $$SELECT * FROM coord.acquire_lock('one/a.py', '10 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXPIRY AcquireLock: t12_one (max_locks 1) is granted one/a.py for 10 s');
SELECT is(tests.call('x5', 't12_one', $$SELECT * FROM coord.acquire_lock('one/b.py', '10 s')$$) ->> 'reason', 'limit_exceeded',
          'INV-TRUST AcquireLock: while one/a.py is live, t12_one is at its limit → limit_exceeded');
SELECT is(tests.call('x6', 't12_ann', $$SELECT * FROM coord.acquire_lock('e/a.py', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: while t12_ben''s e/a.py is live, t12_ann is refused it');

-- ---------------------------------------------------------------- 61 seconds later
DO $$ BEGIN PERFORM tests.advance_clock('61 s'); END $$;
SELECT is((SELECT c.shift FROM tests.clock_offset c), interval '61 s',
          'INV-LOCK-EXPIRY: pgcoord''s clock now runs 61 s ahead (the test clock; nothing is reaped)');
SELECT ok(coord_private.current_time() - pg_catalog.clock_timestamp() BETWEEN interval '61 s' - interval '1 ms' AND interval '61 s' + interval '1 ms',
          'INV-LOCK-EXPIRY: the clock pgcoord judges by is the time of the call plus the offset');

SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.path IN ('f/', 'e/a.py', 'e/c.txt', 'one/a.py')
              AND l.expires_at <= coord_private.current_time()), 4::bigint,
          'INV-LOCK-EXPIRY: the four expired lease rows are still in the table (nothing reaped them)');
SELECT is(pg_temp.fence('g5', 'f/x.py'), false, 'INV-LOCK-EXPIRY: check_fence is false for an expired grant');
SELECT is(pg_temp.fence('x1', 'e/a.py'), false, 'INV-LOCK-EXPIRY: check_fence is false for t12_ben''s expired e/a.py');
SELECT set_eq(
    $$SELECT r.path, r.holder FROM jsonb_to_recordset(tests.run_as('t12_ann', 'SELECT * FROM coord.check_locks(ARRAY[''e/'', ''f/x.py'', ''one/''])')) r(path text, holder text)$$,
    $$VALUES ('e/b/', 't12_cat')$$,
    'INV-LOCK-EXPIRY: check_locks lists only the live e/b/; the expired e/a.py, e/c.txt, f/ and one/a.py are absent');
SELECT is_empty($$SELECT v.path FROM coord.live_locks v WHERE v.path IN ('f/', 'e/a.py', 'e/c.txt', 'one/a.py')$$,
                'INV-LOCK-EXPIRY: coord.live_locks shows none of the expired leases');
SELECT is(tests.call('y1', 't12_one', $$SELECT * FROM coord.acquire_lock('one/b.py', '10 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXPIRY AcquireLock: an expired lease no longer counts against max_locks');

-- t12_ann's own shared e/c.txt expired: she can neither renew nor release it.
SELECT is(tests.call('y2', 't12_ann', $$SELECT * FROM coord.renew_lock('e/c.txt', '60 s')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXPIRY RenewLock: renewing one''s own expired lease → lock_not_held');
SELECT is(tests.verdict('y2'),
          'refused lock_not_held | 1 event: renew_lock by t12_ann allowed=true proceeded=false reason=lock_not_held mode=enforce',
          'INV-AUDIT-COMPLETE RenewLock: the refused renewal of an expired lease is its single audit event');
SELECT cmp_ok((SELECT l.expires_at FROM coord_private.locks l WHERE l.path = 'e/c.txt'), '<=', coord_private.current_time(),
              'INV-LOCK-EXPIRY RenewLock: the expired lease was not extended');
SELECT is(tests.call('y3', 't12_ann', $$SELECT * FROM coord.release_lock('e/c.txt')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXPIRY ReleaseLock: releasing one''s own expired lease → lock_not_held');
SELECT is(tests.verdict('y3'),
          'refused lock_not_held | 1 event: release_lock by t12_ann allowed=true proceeded=false reason=lock_not_held mode=enforce',
          'INV-AUDIT-COMPLETE ReleaseLock: the refused release of an expired lease is its single audit event');

-- Another agent takes the expired path (INV-RECLAIM), with a larger token.
SELECT is(tests.call('y4', 't12_ann', $$SELECT * FROM coord.acquire_lock('e/a.py', '600 s')$$) ->> 'reason', 'allowed',
          'INV-RECLAIM AcquireLock: once t12_ben''s e/a.py expired, t12_ann is granted it (no reap needed)');
SELECT cmp_ok(tests.tok('y4'), '>', tests.tok('x1'), 'INV-LOCK-FENCE AcquireLock: the re-grant after expiry draws a larger token');
SELECT is((SELECT array_agg(l.holder) FROM coord_private.locks l WHERE l.path = 'e/a.py'), ARRAY['t12_ann'],
          'INV-LOCK-EXPIRY AcquireLock: the expired row of the exact path was replaced by the new grant');
SELECT is(format('old=%s new=%s', pg_temp.fence('x1', 'e/a.py')::text, pg_temp.fence('y4', 'e/a.py')::text), 'old=false new=true',
          'INV-LOCK-FENCE: after the re-grant only the new token passes check_fence');
SELECT is(tests.call('y5', 't12_ben', $$SELECT * FROM coord.renew_lock('e/a.py', '60 s')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXPIRY RenewLock: the earlier holder cannot renew the lease it lost → lock_not_held');
SELECT is(tests.call('y6', 't12_cat', $$SELECT * FROM coord.acquire_lock('f/**/*.py', '600 s')$$) ->> 'reason', 'allowed',
          'INV-RECLAIM AcquireLock: a glob overlapping the expired f/ (other row, never tidied) is granted');
SELECT cmp_ok(tests.tok('y6'), '>', tests.tok('g5'), 'INV-LOCK-FENCE AcquireLock: the glob grant''s token is larger than the expired f/ grant''s');
SELECT is(tests.call('y7', 't12_ben', $$SELECT * FROM coord.acquire_lock('e/', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: e/ is still refused, because of the live locks below it');
SELECT is((SELECT array_agg(h ->> 'path' ORDER BY h ->> 'path') FROM jsonb_array_elements(tests.res('y7') -> 'holders') h),
          ARRAY['e/a.py', 'e/b/'],
          'INV-LOCK-EXPIRY AcquireLock: the holders of the refusal are the live locks only (not the expired e/c.txt)');

-- Tokens of every grant on the f/ and e/ lines, in grant order, strictly increase.
SELECT ok((SELECT bool_and(a < b) FROM (SELECT t AS a, lead(t) OVER (ORDER BY o) AS b
                                          FROM unnest(ARRAY[tests.tok('g1'), tests.tok('g3'), tests.tok('g5'), tests.tok('x1'),
                                                            tests.tok('y4'), tests.tok('y6')]) WITH ORDINALITY u(t, o)) s
            WHERE b IS NOT NULL),
          'INV-LOCK-FENCE AcquireLock: the tokens of successive overlapping grants strictly increase, across release, expiry and re-grant');

-- ---------------------------------------------------------------- reap_expired only tidies
CREATE TEMP TABLE before_reap AS
SELECT (SELECT count(*) FROM coord_private.locks l WHERE l.expires_at <= coord_private.current_time()) AS expired,
       (SELECT count(*) FROM coord_private.locks l WHERE l.expires_at <= coord_private.current_time() AND l.holder LIKE 't12\_%') AS expired_here,
       (SELECT array_agg(l.lock_id ORDER BY l.lock_id) FROM coord_private.locks l WHERE l.expires_at > coord_private.current_time()) AS live,
       tests.run_as('t12_cat', 'SELECT * FROM coord.check_locks(ARRAY[''**'']) ORDER BY token') AS checked,
       (SELECT jsonb_agg(jsonb_build_array(l.path, l.token, tests.row_as('t12_cat', format('SELECT coord.check_fence(%L, %s) AS f', l.path, l.token)) -> 'f')
                         ORDER BY l.token)
          FROM coord_private.locks l) AS fences;
SELECT is((SELECT expired_here FROM before_reap), 3::bigint,
          'INV-LOCK-EXPIRY: before the reap three expired rows are present (f/, e/c.txt, one/a.py; e/a.py was replaced)');

SELECT is(tests.bad('t12_ann', 'SELECT * FROM coord.reap_expired()'), '42501',
          'INV-BOUNDARY: an agent cannot run reap_expired (permission denied), nothing changes');
SELECT is(tests.call('r1', 't12_admin', 'SELECT * FROM coord.reap_expired()') ->> 'reason', 'allowed',
          'INV-LOCK-EXPIRY: a coord_admin runs reap_expired');
SELECT is(tests.verdict('r1'),
          'ok allowed | 1 event: reap_expired by t12_admin allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: reap_expired (no task to settle) wrote exactly one audit event');
SELECT is((tests.res('r1') ->> 'expired_locks')::bigint, (SELECT expired FROM before_reap),
          'INV-LOCK-EXPIRY: reap_expired reports the number of expired rows it removed');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.expires_at <= coord_private.current_time()), 0::bigint,
          'INV-LOCK-EXPIRY: after the reap no expired row is left');
SELECT is((SELECT array_agg(l.lock_id ORDER BY l.lock_id) FROM coord_private.locks l), (SELECT live FROM before_reap),
          'INV-LOCK-EXPIRY: the reap removed no live lease');
SELECT is(tests.run_as('t12_cat', 'SELECT * FROM coord.check_locks(ARRAY[''**'']) ORDER BY token'), (SELECT checked FROM before_reap),
          'INV-LOCK-EXPIRY: check_locks answers exactly as before the reap');
SELECT is((SELECT jsonb_agg(jsonb_build_array(f ->> 0, (f ->> 1)::bigint,
                                             tests.row_as('t12_cat', format('SELECT coord.check_fence(%L, %s) AS f', f ->> 0, f ->> 1)) -> 'f')
                           ORDER BY (f ->> 1)::bigint)
             FROM jsonb_array_elements((SELECT fences FROM before_reap)) f),
          (SELECT fences FROM before_reap),
          'INV-LOCK-FENCE: check_fence gives the same answer as before the reap for the path and token of every row there was');
SELECT is((SELECT count(*) FROM jsonb_array_elements((SELECT fences FROM before_reap)) f
             JOIN coord_private.locks l ON l.token = (f ->> 1)::bigint
            WHERE l.holder LIKE 't12\_%' AND l.path <> 'h/' AND (f ->> 2)::boolean),
          (SELECT count(*) FROM coord_private.locks l WHERE l.holder LIKE 't12\_%' AND l.path <> 'h/'),
          'INV-LOCK-FENCE: (sanity) before the reap check_fence was true for every live row of this file except h/, which h/x.py supersedes');
SELECT is(tests.call('r2', 't12_ben', $$SELECT * FROM coord.acquire_lock('e/', '60 s')$$) -> 'holders', tests.res('y7') -> 'holders',
          'INV-LOCK-EXCL AcquireLock: the same request is refused after the reap with the same holders');
SELECT is(tests.call('r3', 't12_admin', 'SELECT * FROM coord.reap_expired()') ->> 'expired_locks', '0',
          'INV-LOCK-EXPIRY: a second reap finds nothing to tidy');

SELECT * FROM finish();
ROLLBACK;
