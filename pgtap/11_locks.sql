-- File leases: grants, exclusive and shared conflicts across files, directories
-- and globs (INV-LOCK-EXCL), renewal and release by the holder only, forced
-- release by elevated trust, profile limits, TTL bounds, and the enforcement
-- modes (TLA+ AcquireLock, RenewLock, ReleaseLock, ForceRelease). Every refusal is
-- checked with its reason code and its single audit event (INV-AUDIT-COMPLETE);
-- every bad input with its SQLSTATE and no change (INV-BOUNDARY).
-- Expiry and fencing are in 12_lock_fencing_expiry.sql; malformed paths in
-- 10_paths.sql; READ COMMITTED (PC015) in 17_isolation.sql.
BEGIN;
SELECT plan(177);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql) record and read
--                           calls in the temporary table tests.start_calls creates
SELECT tests.start_calls();

-- t11_lim's profile has a small lock limit (rolled back with the test).
SELECT tests.create_profile('t11_two_locks', 2, 'pgTAP 11_locks: at most two live locks', '{"max_locks": 2}');
SELECT tests.create_agents('implementer', 't11_alice', 't11_bob', 't11_carol'),
       tests.create_agents('orchestrator', 't11_olga'), tests.create_agents('reviewer', 't11_rex'),
       tests.create_agents('t11_two_locks', 't11_lim'), tests.create_members('coord_admin', 't11_admin');

-- ---------------------------------------------------------------- a grant
SELECT is(tests.call('a1', 't11_alice', $$SELECT * FROM coord.acquire_lock('src/api/users.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t11_alice is granted src/api/users.py');
SELECT is(tests.verdict('a1'),
          'ok allowed | 1 event: acquire_lock by t11_alice allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE AcquireLock: the grant wrote exactly one audit event, the one it returned');
SELECT is((tests.res('a1') ->> 'token')::bigint,
          (SELECT l.token FROM coord_private.locks l WHERE l.path = 'src/api/users.py' AND l.holder = 't11_alice'),
          'INV-LOCK-FENCE AcquireLock: the grant returns the fencing token of its lock row');
SELECT ok((tests.res('a1') ->> 'token') IS NOT NULL, 'INV-LOCK-FENCE AcquireLock: the grant returns a non-NULL token');
SELECT is((tests.res('a1') ->> 'expires_at')::timestamptz,
          (SELECT l.granted_at + interval '60 s' FROM coord_private.locks l WHERE l.path = 'src/api/users.py' AND l.holder = 't11_alice'),
          'INV-LOCK-EXPIRY AcquireLock: the grant returns its expiry, the database clock at the grant + ttl');
SELECT ok((SELECT l.granted_at FROM coord_private.locks l WHERE l.path = 'src/api/users.py' AND l.holder = 't11_alice')
              BETWEEN now() AND ((tests.event('a1')).context ->> 'at')::timestamptz,
          'INV-LOCK-EXPIRY AcquireLock: the grant is stamped with the clock read during the call, no later than its decision');
SELECT is((SELECT format('%s %s %s %s %s', l.kind, l.anchor, l.mode, l.holder, l.expires_at - l.granted_at)
             FROM coord_private.locks l WHERE l.path = 'src/api/users.py'),
          'file src/api/ exclusive t11_alice 00:01:00',
          'INV-LOCK-EXCL AcquireLock: the lock row holds kind, anchor, mode (exclusive by default), holder and lease');
SELECT is((tests.event('a1')).resource || ' token ' || ((tests.event('a1')).context ->> 'token'),
          'src/api/users.py token ' || (tests.res('a1') ->> 'token'),
          'INV-AUDIT-COMPLETE AcquireLock: the audit event names the path and the granted token');

SELECT is(tests.call('b1', 't11_bob', $$SELECT * FROM coord.acquire_lock('lib/', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t11_bob is granted the directory lib/');
SELECT is(tests.call('c1', 't11_carol', $$SELECT * FROM coord.acquire_lock('docs/**/*.md', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t11_carol is granted the glob docs/**/*.md');

-- ---------------------------------------------------------------- exclusive conflicts
-- Held: t11_alice file src/api/users.py, t11_bob dir lib/, t11_carol glob docs/**/*.md.
CREATE TEMP TABLE conflicts (n integer PRIMARY KEY, who text, path text, held text, what text);
INSERT INTO conflicts VALUES
    (1,  't11_bob',   'src/api/users.py',    'src/api/users.py', 'file vs the same file'),
    (2,  't11_bob',   'src/api/',            'src/api/users.py', 'dir vs a file below it'),
    (3,  't11_bob',   'src/',                'src/api/users.py', 'dir vs a file deeper below it'),
    (4,  't11_bob',   'src/**/*.py',         'src/api/users.py', 'glob vs a file it matches'),
    (5,  't11_bob',   '**/users.py',         'src/api/users.py', 'root glob vs a file it matches'),
    (6,  't11_alice', 'lib/x/y.py',          'lib/',             'file vs a dir above it'),
    (7,  't11_alice', 'lib/sub/',            'lib/',             'dir vs a dir above it'),
    (8,  't11_alice', 'lib/**/*.c',          'lib/',             'glob vs a dir above it'),
    (9,  't11_alice', 'lib/',                'lib/',             'dir vs the same dir'),
    (10, 't11_alice', 'docs/guide/intro.md', 'docs/**/*.md',     'file vs a glob matching it'),
    (11, 't11_alice', 'docs/',               'docs/**/*.md',     'dir vs a glob below it'),
    (12, 't11_alice', 'docs/*/*.md',         'docs/**/*.md',     'glob vs an overlapping glob'),
    (13, 't11_bob',   '**/*.md',             'docs/**/*.md',     'root glob vs a glob below it');

SELECT is(tests.call('x' || c.n, c.who, format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', c.path)) ->> 'reason',
          'lock_held_by_other',
          format('INV-LOCK-EXCL AcquireLock: %s %s (%s, held %s) → lock_held_by_other', c.who, c.path, c.what, c.held))
  FROM conflicts c ORDER BY c.n;
SELECT is(tests.verdict('x' || c.n),
          format('refused lock_held_by_other | 1 event: acquire_lock by %s allowed=true proceeded=false reason=lock_held_by_other mode=enforce', c.who),
          format('INV-AUDIT-COMPLETE AcquireLock: the refusal of %s to %s is its single audit event', c.path, c.who))
  FROM conflicts c ORDER BY c.n;
SELECT is(tests.res('x' || c.n) -> 'holders',
          (SELECT jsonb_agg(jsonb_build_object('holder', l.holder, 'path', l.path, 'mode', l.mode, 'expires_at', l.expires_at))
             FROM coord_private.locks l WHERE l.path = c.held),
          format('INV-LOCK-EXCL AcquireLock: the refusal of %s returns the holder of %s with its expiry', c.path, c.held))
  FROM conflicts c ORDER BY c.n;
SELECT is((tests.res('x' || c.n) ->> 'token'), NULL, format('INV-LOCK-FENCE AcquireLock: the refusal of %s carries no token', c.path))
  FROM conflicts c WHERE c.n IN (1, 6, 10);
SELECT is_empty($$SELECT l.holder, l.path FROM coord_private.locks l JOIN conflicts c ON c.who = l.holder AND c.path = l.path$$,
                'INV-LOCK-EXCL AcquireLock: no refused request left a lock row');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.holder LIKE 't11\_%'), 3::bigint,
          'INV-LOCK-EXCL AcquireLock: the three granted locks are this file''s only rows');

-- Paths that cannot share a file with any held lock are granted.
SELECT is(tests.call('n' || v.n, v.who, format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', v.path)) ->> 'reason', 'allowed',
          format('INV-LOCK-EXCL AcquireLock: %s %s (%s) is granted', v.who, v.path, v.what))
  FROM (VALUES
    (1, 't11_bob',   'src/api/other.py',     'a sibling file of src/api/users.py'),
    (2, 't11_bob',   'src/web/',             'a sibling directory of src/api/'),
    (3, 't11_alice', 'libx/a.py',            'a file under libx/, which only shares a prefix with lib/'),
    (4, 't11_alice', 'docs/guide/intro.txt', 'a file docs/**/*.md does not match'),
    (5, 't11_alice', 'docs/*.txt',           'a glob whose files docs/**/*.md never matches')
  ) v(n, who, path, what) ORDER BY v.n;

-- ---------------------------------------------------------------- shared locks
SELECT is(tests.call('s1', 't11_carol', $$SELECT * FROM coord.acquire_lock('shared/cfg.yaml', '60 s', 'shared')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t11_carol is granted a shared lock on shared/cfg.yaml');
SELECT is(tests.call('s2', 't11_bob', $$SELECT * FROM coord.acquire_lock('shared/cfg.yaml', '90 s', 'shared')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t11_bob is granted a shared lock on the same path (shared + shared coexist)');
SELECT is(tests.call('s3', 't11_alice', $$SELECT * FROM coord.acquire_lock('shared/**', '60 s', 'shared')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t11_alice is granted a shared glob over them (shared + shared coexist)');
SELECT is((SELECT array_agg(l.holder || ' ' || l.mode ORDER BY l.holder) FROM coord_private.locks l WHERE l.path = 'shared/cfg.yaml'),
          ARRAY['t11_bob shared', 't11_carol shared'], 'INV-LOCK-EXCL AcquireLock: both shared grants are live rows');
SELECT is(tests.call('s4', 't11_olga', $$SELECT * FROM coord.acquire_lock('shared/', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: an exclusive dir over shared locks → lock_held_by_other');
SELECT is(tests.verdict('s4'),
          'refused lock_held_by_other | 1 event: acquire_lock by t11_olga allowed=true proceeded=false reason=lock_held_by_other mode=enforce',
          'INV-AUDIT-COMPLETE AcquireLock: the refusal of an exclusive over shared locks is its single audit event');
SELECT is((SELECT array_agg(h ->> 'holder' ORDER BY k) FROM jsonb_array_elements(tests.res('s4') -> 'holders') WITH ORDINALITY AS x(h, k)),
          (SELECT array_agg(l.holder ORDER BY l.expires_at, l.holder) FROM coord_private.locks l
            WHERE l.path IN ('shared/cfg.yaml', 'shared/**') AND l.holder IN ('t11_alice', 't11_bob', 't11_carol')),
          'INV-LOCK-EXCL AcquireLock: the refusal lists every shared holder (three), earliest expiry first');
SELECT is(tests.res('s4') -> 'holders' -> -1 ->> 'expires_at',
          (SELECT to_jsonb(l.expires_at) #>> '{}' FROM coord_private.locks l WHERE l.holder = 't11_bob' AND l.path = 'shared/cfg.yaml'),
          'INV-LOCK-EXCL AcquireLock: each holder is returned with the expiry of its grant');
SELECT is(tests.call('s5', 't11_carol', $$SELECT * FROM coord.acquire_lock('shared/cfg.yaml', '60 s', 'exclusive')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: a shared holder cannot upgrade to exclusive while others share the path');
SELECT is((SELECT array_agg(h ->> 'holder' ORDER BY h ->> 'holder') FROM jsonb_array_elements(tests.res('s5') -> 'holders') h),
          ARRAY['t11_alice', 't11_bob'], 'INV-LOCK-EXCL AcquireLock: the holders returned are the others, never the requester');
SELECT is((SELECT l.mode FROM coord_private.locks l WHERE l.holder = 't11_carol' AND l.path = 'shared/cfg.yaml'), 'shared',
          'INV-LOCK-EXCL AcquireLock: the refused upgrade leaves the shared grant as it was');
SELECT is(tests.call('s6', 't11_carol', $$SELECT * FROM coord.acquire_lock('src/api/users.py', '60 s', 'shared')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: a shared request vs an exclusive lock → lock_held_by_other');
SELECT is(tests.verdict('s6'),
          'refused lock_held_by_other | 1 event: acquire_lock by t11_carol allowed=true proceeded=false reason=lock_held_by_other mode=enforce',
          'INV-AUDIT-COMPLETE AcquireLock: the refusal of a shared request is its single audit event');

-- ---------------------------------------------------------------- the same holder again
SELECT is(tests.call('r1', 't11_alice', $$SELECT * FROM coord.acquire_lock('src/api/users.py', '120 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: the holder re-acquires its own path');
SELECT cmp_ok((tests.res('r1') ->> 'token')::bigint, '>', (tests.res('a1') ->> 'token')::bigint,
              'INV-LOCK-FENCE AcquireLock: the re-grant draws a new, larger token');
SELECT is((SELECT array_agg(l.token::text || ' ' || (l.expires_at - l.granted_at)) FROM coord_private.locks l
            WHERE l.path = 'src/api/users.py'),
          ARRAY[(tests.res('r1') ->> 'token') || ' 00:02:00'],
          'INV-LOCK-EXCL AcquireLock: the re-grant replaces the holder''s row (one row, new token, new lease)');
SELECT is(tests.row_as('t11_bob', format('SELECT coord.check_fence(''src/api/users.py'', %s) AS old, coord.check_fence(''src/api/users.py'', %s) AS new',
                                         tests.res('a1') ->> 'token', tests.res('r1') ->> 'token')),
          '{"old": false, "new": true}'::jsonb,
          'INV-LOCK-FENCE AcquireLock: after a re-grant the old token fails check_fence and the new one passes');

-- A holder's own locks never conflict with each other.
SELECT is(tests.call('o' || v.n, 't11_alice', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', v.path)) ->> 'reason', 'allowed',
          format('INV-LOCK-EXCL AcquireLock: t11_alice''s %s overlapping her own locks is granted', v.path))
  FROM (VALUES (1, 'own/'), (2, 'own/a.py'), (3, 'own/**/*.py')) v(n, path) ORDER BY v.n;
SELECT is(tests.call('o4', 't11_bob', $$SELECT * FROM coord.acquire_lock('own/b.py', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: another agent is refused own/b.py');
SELECT is((SELECT array_agg(h ->> 'path' ORDER BY h ->> 'path') FROM jsonb_array_elements(tests.res('o4') -> 'holders') h),
          ARRAY['own/', 'own/**/*.py'],
          'INV-LOCK-EXCL AcquireLock: the refusal lists every overlapping lock (dir and glob), not the unrelated own/a.py');

-- ---------------------------------------------------------------- renewal
SELECT is(tests.call('w1', 't11_alice', $$SELECT * FROM coord.renew_lock('src/api/users.py', '300 s')$$) ->> 'reason', 'allowed',
          'INV-RECLAIM RenewLock: the holder renews its lease');
SELECT is(tests.verdict('w1'),
          'ok allowed | 1 event: renew_lock by t11_alice allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE RenewLock: the renewal wrote exactly one audit event');
SELECT is(format('%s %s', tests.res('w1') ->> 'token',
                 ((tests.res('w1') ->> 'expires_at')::timestamptz - interval '300 s'
                     BETWEEN now() AND ((tests.event('w1')).context ->> 'at')::timestamptz)::text),
          (tests.res('r1') ->> 'token') || ' true',
          'INV-LOCK-FENCE RenewLock: a renewal keeps the token and returns the new expiry (the clock during the call + ttl)');
SELECT is((SELECT l.expires_at FROM coord_private.locks l WHERE l.path = 'src/api/users.py'),
          (tests.res('w1') ->> 'expires_at')::timestamptz, 'INV-RECLAIM RenewLock: the lock row carries the new expiry');

SELECT is(tests.call('w2', 't11_bob', $$SELECT * FROM coord.renew_lock('src/api/users.py', '600 s')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXCL RenewLock: another agent cannot renew the lease → lock_not_held');
SELECT is(tests.verdict('w2'),
          'refused lock_not_held | 1 event: renew_lock by t11_bob allowed=true proceeded=false reason=lock_not_held mode=enforce',
          'INV-AUDIT-COMPLETE RenewLock: the refused renewal is its single audit event');
SELECT is(tests.call('w3', 't11_alice', $$SELECT * FROM coord.renew_lock('src/api/', '600 s')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXCL RenewLock: renewal is by exact path: the dir above a held file is not held → lock_not_held');
SELECT is(tests.call('w4', 't11_alice', $$SELECT * FROM coord.renew_lock('never/locked.py', '600 s')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXCL RenewLock: renewing a path never locked → lock_not_held');
SELECT is(tests.call('w5', 't11_alice', $$SELECT * FROM coord.renew_lock('src/api/users.py', '3601 s')$$) ->> 'reason', 'limit_exceeded',
          'INV-TRUST RenewLock: a renewal longer than the profile''s max_lease_seconds (3600) → limit_exceeded');
SELECT is(tests.verdict('w5'),
          'refused limit_exceeded | 1 event: renew_lock by t11_alice allowed=false proceeded=false reason=limit_exceeded mode=enforce',
          'INV-AUDIT-COMPLETE RenewLock: the denied renewal is its single audit event (denied by policy)');
SELECT is((SELECT l.expires_at FROM coord_private.locks l WHERE l.path = 'src/api/users.py'),
          (tests.res('w1') ->> 'expires_at')::timestamptz, 'INV-LOCK-EXCL RenewLock: the refused renewals left the lease unchanged');

-- ---------------------------------------------------------------- release
SELECT is(tests.call('e1', 't11_bob', $$SELECT * FROM coord.release_lock('src/api/users.py')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXCL ReleaseLock: another agent cannot release the lock → lock_not_held');
SELECT is(tests.verdict('e1'),
          'refused lock_not_held | 1 event: release_lock by t11_bob allowed=true proceeded=false reason=lock_not_held mode=enforce',
          'INV-AUDIT-COMPLETE ReleaseLock: the refused release is its single audit event');
SELECT is(tests.call('e2', 't11_alice', $$SELECT * FROM coord.release_lock('src/api/')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXCL ReleaseLock: release is by exact path: the dir above a held file → lock_not_held');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.path = 'src/api/users.py' AND l.holder = 't11_alice'), 1::bigint,
          'INV-LOCK-EXCL ReleaseLock: the refused releases deleted nothing');
SELECT is(tests.call('e3', 't11_alice', $$SELECT * FROM coord.release_lock('src/api/users.py')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL ReleaseLock: the holder releases its lock');
SELECT is(tests.verdict('e3'),
          'ok allowed | 1 event: release_lock by t11_alice allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE ReleaseLock: the release wrote exactly one audit event');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.path = 'src/api/users.py'), 0::bigint,
          'INV-LOCK-EXCL ReleaseLock: the released lock row is gone');
SELECT is(tests.call('e4', 't11_alice', $$SELECT * FROM coord.release_lock('src/api/users.py')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXCL ReleaseLock: releasing twice → lock_not_held');
SELECT is(tests.call('e5', 't11_bob', $$SELECT * FROM coord.acquire_lock('src/api/', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: after the release, another agent is granted the dir that conflicted before');

-- ---------------------------------------------------------------- forced release
-- Held now: t11_bob src/api/ (and src/api/other.py, src/web/, lib/, the shared lock).
SELECT is(tests.call('f1', 't11_alice', $$SELECT * FROM coord.force_release_lock('src/api/', 'stuck')$$) ->> 'reason', 'trust_too_low',
          'INV-TRUST ForceRelease: an implementer (trust 2) cannot force a release → trust_too_low');
SELECT is(tests.verdict('f1'),
          'refused trust_too_low | 1 event: force_release_lock by t11_alice allowed=false proceeded=false reason=trust_too_low mode=enforce',
          'INV-AUDIT-COMPLETE ForceRelease: the denied forced release is its single audit event');
SELECT is((SELECT l.holder FROM coord_private.locks l WHERE l.path = 'src/api/'), 't11_bob',
          'INV-LOCK-EXCL ForceRelease: after the denial the lock is still held');
SELECT is(tests.call('f2', 't11_olga', $$SELECT * FROM coord.force_release_lock('src/api/', 'agent t11_bob is stuck')$$) ->> 'reason', 'allowed',
          'INV-TRUST ForceRelease: an orchestrator (trust 3) forces the release');
SELECT is(tests.verdict('f2'),
          'ok allowed | 1 event: force_release_lock by t11_olga allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE ForceRelease: the forced release wrote exactly one audit event');
SELECT is((SELECT array_agg(h ->> 'holder') FROM jsonb_array_elements(tests.res('f2') -> 'released') h), ARRAY['t11_bob'],
          'INV-LOCK-EXCL ForceRelease: the forced release returns the holder it released');
SELECT is((tests.event('f2')).context ->> 'why', 'agent t11_bob is stuck',
          'INV-AUDIT-COMPLETE ForceRelease: the audit event keeps the stated reason');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.path = 'src/api/'), 0::bigint,
          'INV-LOCK-EXCL ForceRelease: the released lock row is gone');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.path = 'src/api/other.py' AND l.holder = 't11_bob'), 1::bigint,
          'INV-LOCK-EXCL ForceRelease: a forced release is by exact path: t11_bob''s src/api/other.py below it stays');
SELECT is(tests.call('f3', 't11_olga', $$SELECT * FROM coord.force_release_lock('shared/cfg.yaml', 'config freeze')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL ForceRelease: the orchestrator forces the release of a path shared by two holders');
SELECT is((SELECT array_agg(h ->> 'holder' ORDER BY h ->> 'holder') FROM jsonb_array_elements(tests.res('f3') -> 'released') h),
          ARRAY['t11_bob', 't11_carol'], 'INV-LOCK-EXCL ForceRelease: every holder of the path is released and returned');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.path = 'shared/cfg.yaml'), 0::bigint,
          'INV-LOCK-EXCL ForceRelease: no holder of the path is left');
SELECT is(tests.call('f4', 't11_olga', $$SELECT * FROM coord.force_release_lock('nothing/here.py', 'tidy')$$) ->> 'reason', 'lock_not_held',
          'INV-LOCK-EXCL ForceRelease: forcing the release of a path nobody holds → lock_not_held');
SELECT is(tests.verdict('f4'),
          'refused lock_not_held | 1 event: force_release_lock by t11_olga allowed=true proceeded=false reason=lock_not_held mode=enforce',
          'INV-AUDIT-COMPLETE ForceRelease: the refusal is its single audit event');
SELECT is(tests.call('f5', 't11_alice', $$SELECT * FROM coord.acquire_lock('src/api/', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: src/api/ still conflicts with t11_bob''s src/api/other.py after the forced release of src/api/');
SELECT is(tests.call('f6', 't11_alice', $$SELECT * FROM coord.acquire_lock('src/api/users.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: after the forced release another agent is granted a path below it');

-- ---------------------------------------------------------------- profile limits
SELECT is(tests.call('l1', 't11_lim', $$SELECT * FROM coord.acquire_lock('lim/a.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-TRUST AcquireLock: first lock within max_locks 2');
SELECT is(tests.call('l2', 't11_lim', $$SELECT * FROM coord.acquire_lock('lim/b.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-TRUST AcquireLock: second lock within max_locks 2');
SELECT is(tests.call('l3', 't11_lim', $$SELECT * FROM coord.acquire_lock('lim/c.py', '60 s')$$) ->> 'reason', 'limit_exceeded',
          'INV-TRUST AcquireLock: a third live lock over max_locks 2 → limit_exceeded');
SELECT is(tests.verdict('l3'),
          'refused limit_exceeded | 1 event: acquire_lock by t11_lim allowed=false proceeded=false reason=limit_exceeded mode=enforce',
          'INV-AUDIT-COMPLETE AcquireLock: the limit refusal is its single audit event');
SELECT is((tests.event('l3')).context -> 'decision' ->> 'limit', 'max_locks',
          'INV-AUDIT-COMPLETE AcquireLock: the audit event names the limit (max_locks)');
SELECT is((SELECT array_agg(l.path ORDER BY l.path) FROM coord_private.locks l WHERE l.holder = 't11_lim'), ARRAY['lim/a.py', 'lim/b.py'],
          'INV-TRUST AcquireLock: the refused third lock was not granted');
SELECT is(tests.call('l4', 't11_lim', $$SELECT * FROM coord.acquire_lock('lim/a.py', '90 s')$$) ->> 'reason', 'allowed',
          'INV-TRUST AcquireLock: at the limit, re-acquiring a path already held is granted (it is not a new lock)');
SELECT is(tests.call('l5', 't11_lim', $$SELECT * FROM coord.release_lock('lim/b.py')$$) ->> 'reason', 'allowed',
          'INV-TRUST ReleaseLock: releasing one lock...');
SELECT is(tests.call('l6', 't11_lim', $$SELECT * FROM coord.acquire_lock('lim/c.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-TRUST AcquireLock: ...frees room under max_locks for another');

SELECT is(tests.call('m1', 't11_alice', $$SELECT * FROM coord.acquire_lock('lease/a.py', '3601 s')$$) ->> 'reason', 'limit_exceeded',
          'INV-TRUST AcquireLock: a lease over the profile''s max_lease_seconds (3600) → limit_exceeded');
SELECT is(tests.verdict('m1'),
          'refused limit_exceeded | 1 event: acquire_lock by t11_alice allowed=false proceeded=false reason=limit_exceeded mode=enforce',
          'INV-AUDIT-COMPLETE AcquireLock: the lease refusal is its single audit event');
SELECT is((tests.event('m1')).context -> 'decision' ->> 'limit', 'max_lease_seconds',
          'INV-AUDIT-COMPLETE AcquireLock: the audit event names the limit (max_lease_seconds)');
SELECT is(tests.call('m2', 't11_alice', $$SELECT * FROM coord.acquire_lock('lease/a.py', '86400 s')$$) ->> 'reason', 'limit_exceeded',
          'INV-TRUST AcquireLock: the maximum TTL (86400 s) is a valid TTL, refused by the implementer''s lease limit');
SELECT is(tests.call('m3', 't11_alice', $$SELECT * FROM coord.acquire_lock('lease/a.py', '3600 s')$$) ->> 'reason', 'allowed',
          'INV-TRUST AcquireLock: a lease of exactly max_lease_seconds is granted');
SELECT is(tests.call('m4', 't11_alice', $$SELECT * FROM coord.acquire_lock('lease/b.py', '1 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXPIRY AcquireLock: the minimum TTL (1 s) is granted');

-- ---------------------------------------------------------------- bad input
SELECT is(tests.bad('t11_alice', v.q), v.want, format('INV-BOUNDARY %s → %s, nothing changes', v.what, v.want))
  FROM (VALUES
    ('AcquireLock: ttl 0 s',                  $$SELECT * FROM coord.acquire_lock('bad/a.py', '0 s')$$,                 'PC004'),
    ('AcquireLock: ttl 0.5 s',                $$SELECT * FROM coord.acquire_lock('bad/a.py', '0.5 s')$$,               'PC004'),
    ('AcquireLock: ttl -60 s',                $$SELECT * FROM coord.acquire_lock('bad/a.py', '-60 s')$$,               'PC004'),
    ('AcquireLock: ttl 86401 s',              $$SELECT * FROM coord.acquire_lock('bad/a.py', '86401 s')$$,             'PC004'),
    ('AcquireLock: ttl 1 mon',                $$SELECT * FROM coord.acquire_lock('bad/a.py', '1 mon')$$,               'PC004'),
    ('AcquireLock: ttl NULL',                 $$SELECT * FROM coord.acquire_lock('bad/a.py', NULL)$$,                  'PC001'),
    ('AcquireLock: mode ''write''',           $$SELECT * FROM coord.acquire_lock('bad/a.py', '60 s', 'write')$$,       'PC002'),
    ('AcquireLock: mode ''Exclusive''',       $$SELECT * FROM coord.acquire_lock('bad/a.py', '60 s', 'Exclusive')$$,   'PC002'),
    ('AcquireLock: mode NULL',                $$SELECT * FROM coord.acquire_lock('bad/a.py', '60 s', NULL)$$,          'PC001'),
    ('AcquireLock: reason NULL',              $$SELECT * FROM coord.acquire_lock('bad/a.py', '60 s', 'shared', NULL)$$, 'PC001'),
    ('AcquireLock: reason of 501 characters', format('SELECT * FROM coord.acquire_lock(''bad/a.py'', ''60 s'', ''shared'', %L)', repeat('r', 501)), 'PC002'),
    ('AcquireLock on a held path: ttl 0 s',   $$SELECT * FROM coord.acquire_lock('lim/a.py', '0 s')$$,                 'PC004'),
    ('RenewLock: ttl 0 s',                    $$SELECT * FROM coord.renew_lock('src/api/users.py', '0 s')$$,           'PC004'),
    ('RenewLock: ttl 86401 s',                $$SELECT * FROM coord.renew_lock('src/api/users.py', '86401 s')$$,       'PC004'),
    ('RenewLock: ttl NULL',                   $$SELECT * FROM coord.renew_lock('src/api/users.py', NULL)$$,            'PC001'),
    ('ForceRelease: reason NULL',             $$SELECT * FROM coord.force_release_lock('src/api/users.py', NULL)$$,    'PC001'),
    ('ForceRelease: blank reason',            $$SELECT * FROM coord.force_release_lock('src/api/users.py', '   ')$$,   'PC002'),
    ('check_locks(NULL)',                     $$SELECT * FROM coord.check_locks(NULL)$$,                               'PC001'),
    ('check_locks with 1001 paths',           $$SELECT * FROM coord.check_locks(array_fill('a.py'::text, ARRAY[1001]))$$, 'PC002')
  ) v(what, q, want);
SELECT is(tests.bad('t11_olga', $$SELECT * FROM coord.force_release_lock('src/api/users.py', '')$$), 'PC002',
          'INV-BOUNDARY ForceRelease: an empty reason from an orchestrator → PC002, the lock stays');
SELECT is(has_schema_privilege('t11_bob', 'coord_private', 'USAGE')
          OR has_table_privilege('t11_bob', 'coord_private.locks', 'INSERT, UPDATE, DELETE, TRUNCATE'), false,
          'INV-BOUNDARY: an agent has no way to write lock rows directly (no USAGE on coord_private, no write privilege)');

-- ---------------------------------------------------------------- enforcement modes
SELECT is(tests.call('v1', 't11_rex', $$SELECT * FROM coord.acquire_lock('rev/a.md', '60 s')$$) ->> 'reason', 'trust_too_low',
          'INV-TRUST AcquireLock (enforce): a reviewer (trust 1) → trust_too_low');
SELECT is(tests.verdict('v1'),
          'refused trust_too_low | 1 event: acquire_lock by t11_rex allowed=false proceeded=false reason=trust_too_low mode=enforce',
          'INV-AUDIT-COMPLETE AcquireLock (enforce): the denial is its single audit event');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.holder = 't11_rex'), 0::bigint,
          'INV-TRUST AcquireLock (enforce): the denied reviewer holds no lock');

SELECT is(tests.verdict('v2') , 'ok allowed | 1 event: set_enforcement_mode by t11_admin allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: a coord_admin switches to shadow mode, audited')
  FROM (SELECT tests.call('v2', 't11_admin', $$SELECT * FROM coord.set_enforcement_mode('shadow', 'pgTAP 11_locks')$$)) s;
SELECT is(tests.call('v3', 't11_rex', $$SELECT * FROM coord.acquire_lock('rev/a.md', '60 s')$$) ->> 'ok', 'true',
          'INV-TRUST AcquireLock (shadow): the reviewer''s would-be denial proceeds');
SELECT is(tests.verdict('v3'),
          'ok trust_too_low | 1 event: acquire_lock by t11_rex allowed=false proceeded=true reason=trust_too_low mode=shadow',
          'INV-AUDIT-COMPLETE AcquireLock (shadow): the event records the denial (allowed=false) that proceeded');
SELECT is((SELECT l.token FROM coord_private.locks l WHERE l.holder = 't11_rex' AND l.path = 'rev/a.md'), (tests.res('v3') ->> 'token')::bigint,
          'INV-LOCK-FENCE AcquireLock (shadow): the shadowed grant is a real lock with its token');
SELECT is(tests.call('v4', 't11_bob', $$SELECT * FROM coord.acquire_lock('lim/a.py', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock (shadow): lock_held_by_other is refused in shadow mode');
SELECT is(tests.verdict('v4'),
          'refused lock_held_by_other | 1 event: acquire_lock by t11_bob allowed=true proceeded=false reason=lock_held_by_other mode=shadow',
          'INV-AUDIT-COMPLETE AcquireLock (shadow): the conflict refusal is its single audit event');
SELECT is(format('ok=%s proceeded=%s holders=%s', tests.res('v5') ->> 'ok', (tests.event('v5')).proceeded::text,
                 jsonb_array_length(tests.res('v5') -> 'holders')),
          'ok=false proceeded=false holders=1',
          'INV-LOCK-EXCL AcquireLock (shadow): a shadowed denial never overrides a conflict (refused, holder returned)')
  FROM (SELECT tests.call('v5', 't11_rex', $$SELECT * FROM coord.acquire_lock('lim/a.py', '60 s')$$)) s;
SELECT is((SELECT l.holder FROM coord_private.locks l WHERE l.path = 'lim/a.py'), 't11_lim',
          'INV-LOCK-EXCL AcquireLock (shadow): the conflicting path is still held by its holder alone');

SELECT is(tests.verdict('v6'), 'ok allowed | 1 event: set_enforcement_mode by t11_admin allowed=true proceeded=true reason=allowed mode=shadow',
          'INV-AUDIT-COMPLETE: a coord_admin switches to off mode, audited')
  FROM (SELECT tests.call('v6', 't11_admin', $$SELECT * FROM coord.set_enforcement_mode('off', 'pgTAP 11_locks')$$)) s;
SELECT is(tests.verdict('v7'),
          'ok trust_too_low | 1 event: acquire_lock by t11_rex allowed=false proceeded=true reason=trust_too_low mode=off',
          'INV-AUDIT-COMPLETE AcquireLock (off): the reviewer''s denial is recorded and proceeds')
  FROM (SELECT tests.call('v7', 't11_rex', $$SELECT * FROM coord.acquire_lock('rev/b.md', '60 s')$$)) s;
SELECT is(tests.verdict('v8'),
          'refused lock_held_by_other | 1 event: acquire_lock by t11_bob allowed=true proceeded=false reason=lock_held_by_other mode=off',
          'INV-LOCK-EXCL AcquireLock (off): lock_held_by_other is refused in off mode too')
  FROM (SELECT tests.call('v8', 't11_bob', $$SELECT * FROM coord.acquire_lock('lim/a.py', '60 s')$$)) s;
SELECT is((SELECT l.holder FROM coord_private.locks l WHERE l.path = 'lim/a.py'), 't11_lim',
          'INV-LOCK-EXCL AcquireLock (off): the conflicting path is still held by its holder alone');

SELECT is(tests.verdict('v9'), 'ok allowed | 1 event: set_enforcement_mode by t11_admin allowed=true proceeded=true reason=allowed mode=off',
          'INV-AUDIT-COMPLETE: a coord_admin switches back to enforce mode, audited')
  FROM (SELECT tests.call('v9', 't11_admin', $$SELECT * FROM coord.set_enforcement_mode('enforce', 'pgTAP 11_locks')$$)) s;
SELECT is(tests.call('v10', 't11_rex', $$SELECT * FROM coord.acquire_lock('rev/c.md', '60 s')$$) ->> 'reason', 'trust_too_low',
          'INV-TRUST AcquireLock (enforce again): the reviewer is refused once more');
SELECT is(tests.call('v11', 't11_bob', $$SELECT * FROM coord.acquire_lock('lim/a.py', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock (enforce): lock_held_by_other is refused in enforce mode');

-- ---------------------------------------------------------------- reading the locks
SELECT set_eq(
    $$SELECT r.requested, r.path, r.holder FROM jsonb_to_recordset(tests.run_as('t11_rex',
          'SELECT * FROM coord.check_locks(ARRAY[''lib/'', ''src/api/users.py'', ''nothing/'']::text[])')) r(requested text, path text, holder text)$$,
    $$VALUES ('lib/', 'lib/', 't11_bob'), ('src/api/users.py', 'src/api/users.py', 't11_alice')$$,
    'INV-LOCK-EXCL: check_locks returns, per requested path, exactly the live locks overlapping it');
SELECT set_eq(
    $$SELECT r.path, r.holder, r.mode, r.token FROM jsonb_to_recordset(tests.run_as('t11_rex',
          'SELECT * FROM coord.check_locks(ARRAY[''own/**''])')) r(path text, holder text, mode text, token bigint)$$,
    $$SELECT l.path, l.holder, l.mode, l.token FROM coord_private.locks l WHERE l.path LIKE 'own/%'$$,
    'INV-LOCK-EXCL: check_locks on a glob returns every lock it overlaps, with mode and token');
-- coord.live_locks is the documented read of live leases for agents (GRANT SELECT
-- TO coord_agent); the view calls coord_private.current_time(), so the query must
-- not need a privilege on coord_private.
SELECT is(tests.sqlstate_as('t11_rex', 'SELECT * FROM coord.live_locks'), NULL,
          'INV-RLS: an agent can read coord.live_locks (no error)');
SELECT is(tests.sqlstate_as('t11_admin', 'SELECT * FROM coord.live_locks'), NULL,
          'INV-RLS: a coord_admin can read coord.live_locks (no error)');
SELECT set_eq(
    $$SELECT v.path, v.holder, v.token FROM coord.live_locks v$$,
    $$SELECT l.path, l.holder, l.token FROM coord_private.locks l WHERE l.expires_at > coord_private.current_time()$$,
    'INV-LOCK-EXPIRY: coord.live_locks lists every live lock (read here as the test superuser)');
SELECT is(tests.bad('t11_rex', $$SELECT * FROM coord.check_locks(ARRAY['**'])$$), 'no error',
          'INV-AUDIT-COMPLETE: check_locks is a read: it writes no audit event and changes nothing');

SELECT * FROM finish();
ROLLBACK;
