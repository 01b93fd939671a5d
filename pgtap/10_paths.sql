-- Lease paths: one spelling per path, kinds and anchors, and the overlap relation
-- behind INV-LOCK-EXCL (the directory/glob guard of the TLA+ action AcquireLock).
-- Bad paths are refused through every API entry point with PC003 (NULL: PC001)
-- and change nothing (INV-BOUNDARY). Acting agents: t10_alice, t10_bob.
BEGIN;
SELECT plan(135);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql) record and read
--                           calls in the temporary table tests.start_calls creates
--   tests.norm(p), overlap(a, b)
--                           coord_private.normalize_path / paths_overlap as text, or
--                           'error <SQLSTATE>' (an error must fail one test, not abort the file)
SELECT tests.start_calls();

CREATE FUNCTION pg_temp.overlap(a text, b text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN coord_private.paths_overlap(a, b)::text;
EXCEPTION WHEN OTHERS THEN
    RETURN 'error ' || SQLSTATE;
END
$$;

SELECT tests.create_agents('implementer', 't10_alice', 't10_bob');

-- ---------------------------------------------------------------- one spelling per path
SELECT is(tests.norm(v.p), v.want, format('INV-LOCK-EXCL AcquireLock: %s normalises to %s', v.what, v.want))
  FROM (VALUES
    ('a relative file path',             'src/api/users.py',          'src/api/users.py'),
    ('a directory (trailing /)',         'src/api/',                  'src/api/'),
    ('a glob',                           'src/**/*.py',               'src/**/*.py'),
    ('a class glob',                     'src/[!_]*.py',              'src/[!_]*.py'),
    ('NFD (e + U+0301) to NFC (U+00E9)', U&'caf\0065\0301/menu.py',   U&'caf\00E9/menu.py'),
    ('an NFC path (unchanged)',          U&'caf\00E9/menu.py',        U&'caf\00E9/menu.py'),
    ('exactly 1024 characters',          repeat('a', 1024),           repeat('a', 1024)),
    ('1200 NFD characters (600 in NFC)', repeat(U&'e\0301', 600),     repeat(U&'\00E9', 600))
  ) v(what, p, want);

SELECT is(coord_private.path_max_length(), 1024, 'INV-BOUNDARY: the documented maximum path length is 1024 characters');

-- Every malformed path, through the API as an agent: PC003 and nothing changes.
SELECT is(tests.bad('t10_alice', format('SELECT * FROM coord.acquire_lock(%L, ''60s'')', v.p)), 'PC003',
          format('INV-BOUNDARY AcquireLock: %s is refused with PC003, nothing changes', v.what))
  FROM (VALUES
    ('an empty path',                          ''),
    ('the root /',                             '/'),
    ('an absolute path (leading /)',           '/etc/passwd'),
    ('a leading .. segment',                   '../secrets.txt'),
    ('an inner .. segment',                    'src/../secrets.txt'),
    ('a trailing .. directory',                'src/../'),
    ('a leading . segment',                    './src/a.py'),
    ('an inner . segment',                     'src/./a.py'),
    ('an empty segment (//)',                  'src//a.py'),
    ('an empty segment before a trailing /',   'src/api//'),
    ('a backslash',                            'src\api\users.py'),
    ('a newline (E''\n'')',                    E'src/a\n.py'),
    ('a tab (E''\t'')',                        E'src/a\t.py'),
    ('a control character (U+0001)',           E'src/a\x01.py'),
    ('DEL (U+007F)',                           E'src/a\x7f.py'),
    ('a C1 control character (U+0085)',        U&'src/a\0085.py'),
    ('1025 characters',                        repeat('a', 1025)),
    ('a **x segment',                          'src/**x/a.py'),
    ('an x** segment',                         'src/x**'),
    ('an unbalanced [',                        'src/[ab.py'),
    ('an unbalanced [ in a directory',         'src/[ab/'),
    ('a glob ending in /',                     'src/*/'),
    ('a ** glob ending in /',                  'src/**/')
  ) v(what, p);

SELECT is(tests.bad('t10_alice', $$SELECT * FROM coord.acquire_lock(NULL, '60s')$$), 'PC001',
          'INV-BOUNDARY AcquireLock: a NULL path is refused with PC001, nothing changes');

-- Every entry point that takes a path normalises it the same way.
SELECT is(tests.bad('t10_alice', v.q), v.want, format('INV-BOUNDARY %s: %s, nothing changes', v.what, v.want))
  FROM (VALUES
    ('RenewLock: renew_lock(''./a.py'')',                  $$SELECT * FROM coord.renew_lock('./a.py', '60s')$$,            'PC003'),
    ('RenewLock: renew_lock(NULL)',                        $$SELECT * FROM coord.renew_lock(NULL, '60s')$$,                'PC001'),
    ('ReleaseLock: release_lock(''../a.py'')',             $$SELECT * FROM coord.release_lock('../a.py')$$,               'PC003'),
    ('ReleaseLock: release_lock(NULL)',                    $$SELECT * FROM coord.release_lock(NULL)$$,                    'PC001'),
    ('ForceRelease: force_release_lock(''a//b'')',         $$SELECT * FROM coord.force_release_lock('a//b', 'why')$$,     'PC003'),
    ('check_locks(ARRAY[''/abs''])',                       $$SELECT * FROM coord.check_locks(ARRAY['src/ok.py', '/abs'])$$, 'PC003'),
    ('check_locks(ARRAY[NULL])',                           $$SELECT * FROM coord.check_locks(ARRAY[NULL::text])$$,        'PC001'),
    ('check_fence(E''a\nb'')',                             $$SELECT coord.check_fence(E'a\nb', 1)$$,                      'PC003'),
    ('check_fence(NULL)',                                  $$SELECT coord.check_fence(NULL, 1)$$,                         'PC001')
  ) v(what, q, want);

-- The NFD and NFC spellings are one path: the lock is stored under NFC, and the
-- other spelling conflicts with it and releases it.
SELECT is(tests.call('nfd', 't10_alice', format('SELECT * FROM coord.acquire_lock(%L, ''60s'')', U&'caf\0065\0301/menu.py')) ->> 'path',
          U&'caf\00E9/menu.py', 'INV-LOCK-EXCL AcquireLock: a grant on the NFD spelling returns the NFC path');
SELECT is((SELECT array_agg(l.path) FROM coord_private.locks l WHERE l.holder = 't10_alice'),
          ARRAY[U&'caf\00E9/menu.py'], 'INV-LOCK-EXCL AcquireLock: the lock row is stored under the NFC spelling');
SELECT is(tests.call('nfc_bob', 't10_bob', format('SELECT * FROM coord.acquire_lock(%L, ''60s'')', U&'caf\00E9/menu.py')) ->> 'reason',
          'lock_held_by_other', 'INV-LOCK-EXCL AcquireLock: the NFC spelling conflicts with a lock taken on the NFD spelling');
SELECT is(tests.call('nfc_release', 't10_alice', format('SELECT * FROM coord.release_lock(%L)', U&'caf\00E9/menu.py')) ->> 'reason',
          'allowed', 'INV-LOCK-EXCL ReleaseLock: the NFC spelling releases the lock taken on the NFD spelling');

-- ---------------------------------------------------------------- kinds and anchors
SELECT is(coord_private.path_kind(v.p) || ' ' || quote_literal(coord_private.path_anchor(v.p)),
          v.kind || ' ' || quote_literal(v.anchor),
          format('INV-LOCK-EXCL AcquireLock: %s is a %s anchored at %L', v.p, v.kind, v.anchor))
  FROM (VALUES
    ('src/api/users.py',  'file', 'src/api/'),
    ('README.md',         'file', ''),
    ('src/api/',          'dir',  'src/api/'),
    ('src/',              'dir',  'src/'),
    ('src/**/*.py',       'glob', 'src/'),
    ('**/*.py',           'glob', ''),
    ('*.md',              'glob', ''),
    ('src/x/**',          'glob', 'src/x/'),
    ('src/a*/b.py',       'glob', 'src/'),
    ('src/api/[ab].py',   'glob', 'src/api/'),
    ('src/api/?.py',      'glob', 'src/api/')
  ) v(p, kind, anchor);

SELECT is(coord_private.anchor_ancestors('src/api/'), ARRAY['', 'src/', 'src/api/'],
          'INV-LOCK-EXCL AcquireLock: the ancestors of anchor src/api/ are the root, src/ and src/api/ (shallowest first)');
SELECT is(coord_private.anchor_ancestors(''), ARRAY[''],
          'INV-LOCK-EXCL AcquireLock: the root anchor has only itself as ancestor');

-- ---------------------------------------------------------------- the overlap relation
-- Symmetric by definition: each row is checked in both directions.
SELECT is(pg_temp.overlap(v.a, v.b) || ' / ' || pg_temp.overlap(v.b, v.a), v.want || ' / ' || v.want,
          format('INV-LOCK-EXCL AcquireLock: %s %s vs %s %s → overlap %s (both directions)',
                 v.ka, v.a, v.kb, v.b, v.want))
  FROM (VALUES
    -- file / file
    ('file', 'src/a.py',        'file', 'src/a.py',          'true'),
    ('file', 'src/a.py',        'file', 'src/b.py',          'false'),
    ('file', 'src/a.py',        'file', 'src/a.py.bak',      'false'),
    -- file / dir
    ('file', 'src/a.py',        'dir',  'src/',              'true'),
    ('file', 'src/api/x/y.py',  'dir',  'src/',              'true'),
    ('file', 'src/a.py',        'dir',  'lib/',              'false'),
    ('file', 'src',             'dir',  'src/',              'false'),
    ('file', 'srcx/a.py',       'dir',  'src/',              'false'),
    -- dir / dir
    ('dir',  'src/',            'dir',  'src/',              'true'),
    ('dir',  'src/',            'dir',  'src/api/',          'true'),
    ('dir',  'src/',            'dir',  'srcx/',             'false'),
    ('dir',  'src/api/',        'dir',  'src/web/',          'false'),
    -- file / glob
    ('file', 'src/a.py',        'glob', 'src/*.py',          'true'),
    ('file', 'src/a/b.py',      'glob', 'src/*.py',          'false'),
    ('file', 'src/a.js',        'glob', 'src/*.py',          'false'),
    ('file', 'src/aXpy',        'glob', 'src/*.py',          'false'),
    ('file', 'src/a/b.py',      'glob', 'src/**/*.py',       'true'),
    ('file', 'src/b.py',        'glob', 'src/**/*.py',       'true'),
    ('file', 'a/b/c.py',        'glob', '**/*.py',           'true'),
    ('file', 'c.py',            'glob', '**/*.py',           'true'),
    ('file', 'src/x/y',         'glob', 'src/**',            'true'),
    ('file', 'lib/a.py',        'glob', 'src/**',            'false'),
    ('file', 'src/a.py',        'glob', 'src/?.py',          'true'),
    ('file', 'src/ab.py',       'glob', 'src/?.py',          'false'),
    ('file', 'src/a.py',        'glob', 'src/[ab].py',       'true'),
    ('file', 'src/c.py',        'glob', 'src/[ab].py',       'false'),
    ('file', 'src/c.py',        'glob', 'src/[!ab].py',      'true'),
    ('file', 'src/a.py',        'glob', 'src/[!ab].py',      'false'),
    ('file', 'src/a+b.py',      'glob', 'src/a+*.py',        'true'),
    ('file', 'src/aab.py',      'glob', 'src/a+b*',          'false'),
    ('file', 'src/a(b).py',     'glob', 'src/a(b).*',        'true'),
    -- dir / glob
    ('dir',  'src/api/',        'glob', 'src/**/*.py',       'true'),
    ('dir',  'src/api/',        'glob', 'src/*.py',          'false'),
    ('dir',  'src/',            'glob', 'src/*.py',          'true'),
    ('dir',  'lib/',            'glob', 'src/**/*.py',       'false'),
    ('dir',  'src/',            'glob', '**/*.py',           'true'),
    ('dir',  'docs/',           'glob', '*.py',              'false'),
    ('dir',  'src/api/',        'glob', 'src/*/x.py',        'true'),
    ('dir',  'src/api/',        'glob', 'src/web/*.py',      'false'),
    ('dir',  'src/api/v1/',     'glob', 'src/**',            'true'),
    -- glob / glob
    ('glob', 'src/*.py',        'glob', 'src/*.js',          'false'),
    ('glob', 'src/*.py',        'glob', 'src/a*',            'true'),
    ('glob', 'src/*.py',        'glob', 'src/**',            'true'),
    ('glob', 'src/*.py',        'glob', 'lib/*.py',          'false'),
    ('glob', 'src/*/a.py',      'glob', 'src/*/b.py',        'false'),
    ('glob', 'src/*/*.py',      'glob', 'src/*.py',          'false'),
    ('glob', 'src/**/*.py',     'glob', 'src/**/*.js',       'false'),
    ('glob', 'src/**/test_*.py','glob', 'src/api/*.py',      'true'),
    ('glob', '**/*.py',         'glob', 'src/*/*.py',        'true'),
    ('glob', 'a/**/b.py',       'glob', 'a/*.py',            'true'),
    ('glob', 'a/**/b/*.py',     'glob', 'a/*.py',            'false'),
    -- LIKE metacharacters are literal characters of a path
    ('dir',  'a_b/',            'file', 'axb/c',             'false'),
    ('dir',  'a_b/',            'file', 'a_b/c',             'true'),
    ('dir',  'a%/',             'file', 'ab/c',              'false'),
    ('dir',  'a%/',             'dir',  'a%b/',              'false'),
    ('file', '50%/x.py',        'dir',  '50%/',              'true'),
    ('glob', 'a_b/*.py',        'file', 'axb/c.py',          'false'),
    ('glob', 'a%/*.py',         'dir',  'ab/',               'false')
  ) v(ka, a, kb, b, want);

-- ---------------------------------------------------------------- overlap at the lock level
-- The conflict search finds candidates by anchor (equality and LIKE prefix); LIKE
-- metacharacters in anchors must be escaped so that descendants are found, and
-- the overlap test must not treat them as wildcards.
SELECT is(tests.call('like_1', 't10_alice', $$SELECT * FROM coord.acquire_lock('a_b/c/d.py', '60s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t10_alice locks a_b/c/d.py');
SELECT is(tests.call('like_2', 't10_bob', $$SELECT * FROM coord.acquire_lock('a_b/', '60s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: dir a_b/ conflicts with a_b/c/d.py below it (_ in the anchor escaped)');
SELECT is(tests.call('like_3', 't10_bob', $$SELECT * FROM coord.acquire_lock('axb/', '60s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: dir axb/ does not conflict with a_b/c/d.py (_ is not a wildcard)');
SELECT is(tests.call('like_4', 't10_alice', $$SELECT * FROM coord.acquire_lock('50%/x/y.py', '60s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t10_alice locks 50%/x/y.py');
SELECT is(tests.call('like_5', 't10_bob', $$SELECT * FROM coord.acquire_lock('50%/**/*.py', '60s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: glob 50%/**/*.py conflicts with 50%/x/y.py (% in the anchor escaped)');
SELECT is(tests.call('like_6', 't10_bob', $$SELECT * FROM coord.acquire_lock('50x/', '60s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: dir 50x/ does not conflict with 50%/x/y.py (% is not a wildcard)');
SELECT is((SELECT array_agg(r.path ORDER BY r.path) FROM jsonb_to_recordset(tests.run_as('t10_bob',
              $$SELECT * FROM coord.check_locks(ARRAY['a_b/', '50%/'])$$)) r(path text)),
          ARRAY['50%/x/y.py', 'a_b/c/d.py'],
          'INV-LOCK-EXCL: check_locks on a_b/ and 50%/ lists exactly the locks below them (not axb/ or 50x/)');

-- Every acquire above wrote exactly one audit event.
SELECT is((SELECT array_agg(cardinality(c.events) ORDER BY c.label) FROM calls c WHERE c.label LIKE 'like_%'),
          ARRAY[1, 1, 1, 1, 1, 1], 'INV-AUDIT-COMPLETE AcquireLock: each grant and refusal above wrote exactly one audit event');
SELECT is(tests.verdict('like_2'),
          'refused lock_held_by_other | 1 event: acquire_lock by t10_bob allowed=true proceeded=false reason=lock_held_by_other mode=enforce',
          'INV-LOCK-EXCL / INV-AUDIT-COMPLETE AcquireLock: the refusal of a_b/ is recorded as one event with its reason');

-- ---------------------------------------------------------------- character classes
-- Last in the file: while the bug reported with these tests is present, a lock
-- granted on r/[z-a].py makes later acquires raise. This file's locks are
-- released first so that the acquire of r/[z-a].py is decided on its own.
SELECT is(tests.release_locks('t10_alice', 't10_bob'), ARRAY['allowed', 'allowed', 'allowed', 'allowed'],
          'INV-LOCK-EXCL ReleaseLock: each holder releases its four locks above');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.holder IN ('t10_alice', 't10_bob')), 0::bigint,
          'INV-LOCK-EXCL ReleaseLock: no lock of this file''s agents is left');
-- A character class is a class of the glob, never a broken regular expression:
-- 'q/[!]a].py' (a negated class whose first member is ]) is accepted by
-- normalize_path, so matching it must work.
SELECT is(tests.norm('q/[!]a].py'), 'q/[!]a].py',
          'INV-LOCK-EXCL AcquireLock: q/[!]a].py (negated class starting with ]) is a valid glob');
SELECT is(pg_temp.overlap('q/b.py', 'q/[!]a].py'), 'true',
          'INV-LOCK-EXCL AcquireLock: file q/b.py overlaps glob q/[!]a].py (b is neither ] nor a)');
SELECT is(pg_temp.overlap('q/a.py', 'q/[!]a].py'), 'false',
          'INV-LOCK-EXCL AcquireLock: file q/a.py does not overlap glob q/[!]a].py');
-- A class that cannot be matched as written (reversed range) is refused up front...
SELECT is(tests.bad('t10_alice', $$SELECT * FROM coord.acquire_lock('r/[z-a].py', '60s')$$), 'PC003',
          'INV-BOUNDARY AcquireLock: glob r/[z-a].py (reversed range) is refused with PC003, nothing changes');
-- ...so that no lock can make another agent's acquire raise: not in its subtree,
-- and not anywhere else (the overlap test may run on every lock row).
SELECT is(tests.sqlstate_as('t10_bob', $$SELECT * FROM coord.acquire_lock('r/b.py', '60s')$$), NULL,
          'INV-LOCK-EXCL AcquireLock: acquiring r/b.py returns a decision (no error) whatever globs were asked for in r/');
SELECT is(tests.sqlstate_as('t10_bob', $$SELECT * FROM coord.acquire_lock('zz/b.py', '60s')$$), NULL,
          'INV-LOCK-EXCL AcquireLock: acquiring an unrelated zz/b.py returns a decision (no error) whatever globs were asked for');
SELECT is(tests.sqlstate_as('t10_bob', $$SELECT * FROM coord.check_locks(ARRAY['zz/c.py'])$$), NULL,
          'INV-LOCK-EXCL: check_locks on an unrelated zz/c.py answers (no error) whatever globs were asked for');

SELECT * FROM finish();
ROLLBACK;
