-- Write coverage (issue 14: the agents' doors decide no rule themselves).
-- coord.check_write_coverage(paths) answers, per given path and in order, whether a
-- write to it is covered by a live exclusive lease of the caller (session_user)
-- whose grant is still fenced, and otherwise why not; the hooks (pre-tool-use, git
-- pre-commit) only render its answer. Two agents, t25_ann and t25_ben:
--   (a) covered: an exclusive file lease, a directory lease above the path
--       (INV-LOCK-EXCL); the covering lease's path, token and expiry are named;
--   (b) not covered: no lease, a shared lease (shared_only), another agent's lease
--       (leased_by_other, holders named, what coord.live_locks shows everyone);
--   (c) INV-LOCK-FENCE: the newest of the caller's overlapping grants covers; an
--       older grant a newer exclusive grant fenced out does not (not_newest_grant),
--       the same judgement as coord.check_fence;
--   (d) glob spellings (a file literally named [id].tsx): only a lease on that very
--       spelling or a directory lease above it covers it (glob_spelling otherwise);
--   (e) the answer is the rule the hooks applied over check_locks and check_fence;
--   (f) INV-LOCK-EXPIRY: an expired lease is absent, the caller's and others' alike;
--   (g) INV-BOUNDARY: hostile input (NULL array, NULL element, over 100 paths,
--       invalid paths) raises the documented SQLSTATE, the same as check_locks, and
--       nothing is written; a valid call writes nothing either (a read, no audit
--       event); grants; the lease rule holds in shadow mode;
--   (h) INV-DEFINER: search_path, lock_timeout and standard_conforming_strings are
--       pinned; a pg_temp type planted in this backend changes nothing.
BEGIN;
SELECT plan(51);
-- The tests that need the catalog gate's dependency analysis skip, saying why, where
-- the server has no plpgsql_check (tests.plpgsql_check_unavailable()).
SELECT tests.plpgsql_check_unavailable() IS NULL AS t25_analysis,
       coalesce(tests.plpgsql_check_unavailable(), '') AS t25_no_analysis \gset

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   pg_temp.cov(role, paths)      coord.check_write_coverage(paths) as role, a jsonb array
--   pg_temp.reasons(role, paths)  'path reason' per given path, in the order answered, '; '-joined
SELECT tests.start_calls();

CREATE FUNCTION pg_temp.cov(p_role text, p_paths text[]) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT tests.run_as(p_role, format('SELECT * FROM coord.check_write_coverage(%L::text[])', p_paths))
$$;

CREATE FUNCTION pg_temp.reasons(p_role text, p_paths text[]) RETURNS text
LANGUAGE sql AS $$
    SELECT string_agg((r ->> 'path') || ' ' || (r ->> 'reason'), '; ' ORDER BY o)
      FROM jsonb_array_elements(pg_temp.cov(p_role, p_paths)) WITH ORDINALITY x(r, o)
$$;

SELECT tests.create_agents('implementer', 't25_ann', 't25_ben'), tests.create_members('coord_admin', 't25_admin'),
       tests.create_members('coord_auditor', 't25_auditor');

-- The leases of the suite (600 s unless the expiry section needs them shorter).
SELECT is(string_agg(v.label || '=' || (tests.call(v.label, v.who, v.q) ->> 'reason'), ' ' ORDER BY v.n),
          'a1=allowed a2=allowed a3=allowed b1=allowed b2=allowed a4=allowed a5=allowed a6=allowed a7=allowed a8=allowed a9=allowed a10=allowed a11=allowed b3=allowed',
          'INV-LOCK-EXCL AcquireLock: the suite''s leases are granted')
  FROM (VALUES
    (1,  'a1',  't25_ann', $$SELECT * FROM coord.acquire_lock('w/a.py', '600 s')$$),
    (2,  'a2',  't25_ann', $$SELECT * FROM coord.acquire_lock('d/', '600 s')$$),
    (3,  'a3',  't25_ann', $$SELECT * FROM coord.acquire_lock('s/x.py', '600 s', 'shared')$$),
    (4,  'b1',  't25_ben', $$SELECT * FROM coord.acquire_lock('b/', '600 s')$$),
    (5,  'b2',  't25_ben', $$SELECT * FROM coord.acquire_lock('sh/x.md', '600 s', 'shared')$$),
    (6,  'a4',  't25_ann', $$SELECT * FROM coord.acquire_lock('sh/x.md', '600 s', 'shared')$$),
    (7,  'a5',  't25_ann', $$SELECT * FROM coord.acquire_lock('h/', '600 s')$$),
    (8,  'a6',  't25_ann', $$SELECT * FROM coord.acquire_lock('h/x.py', '600 s')$$),
    (9,  'a7',  't25_ann', $$SELECT * FROM coord.acquire_lock('p/', '600 s')$$),
    (10, 'a8',  't25_ann', $$SELECT * FROM coord.acquire_lock('p/*.tsx', '600 s')$$),
    (11, 'a9',  't25_ann', $$SELECT * FROM coord.acquire_lock('g/*.tsx', '600 s')$$),
    (12, 'a10', 't25_ann', $$SELECT * FROM coord.acquire_lock('e/[id].tsx', '600 s')$$),
    (13, 'a11', 't25_ann', $$SELECT * FROM coord.acquire_lock('x/a.py', '30 s')$$),
    (14, 'b3',  't25_ben', $$SELECT * FROM coord.acquire_lock('x/b/', '30 s')$$)
  ) v(n, label, who, q);

-- ---------------------------------------------------------------- (a) covered
SELECT is(pg_temp.cov('t25_ann', ARRAY['w/a.py']),
          jsonb_build_array(jsonb_build_object('path', 'w/a.py', 'normalized_path', 'w/a.py', 'covered', true,
              'reason', 'covered', 'lease_path', 'w/a.py', 'token', tests.tok('a1'),
              'expires_at', tests.res('a1') -> 'expires_at', 'holders', '[]'::jsonb)),
          'INV-LOCK-EXCL: an exclusive file lease of the caller covers the file; its path, token and expiry are named');
SELECT is(pg_temp.cov('t25_ann', ARRAY['d/x/y.py']) -> 0 ->> 'lease_path' || ' ' || (pg_temp.cov('t25_ann', ARRAY['d/x/y.py']) -> 0 ->> 'token'),
          'd/ ' || tests.tok('a2'),
          'INV-LOCK-EXCL: a directory lease of the caller covers a file below it (lease d/ named with its token)');
SELECT is(pg_temp.reasons('t25_ann', ARRAY['d/', 'd/x/', 'dx/a.py']), 'd/ covered; d/x/ covered; dx/a.py no_lease',
          'INV-LOCK-EXCL: a directory lease covers itself and the directories below it, not a sibling that shares its prefix');
SELECT is(pg_temp.cov('t25_ann', ARRAY['w/a.py', 'nothing.py', 'w/a.py']) -> 1,
          '{"path": "nothing.py", "normalized_path": "nothing.py", "covered": false, "reason": "no_lease", "lease_path": null, "token": null, "expires_at": null, "holders": []}'::jsonb,
          'INV-LOCK-EXCL: an unleased path is not covered (no_lease), with no lease named');
SELECT is(pg_temp.reasons('t25_ann', ARRAY['nothing.py', 'w/a.py', 'nothing.py', 'w/a.py']),
          'nothing.py no_lease; w/a.py covered; nothing.py no_lease; w/a.py covered',
          'INV-LOCK-EXCL: one row per given path, in the order given, repeats included');
SELECT is(pg_temp.cov('t25_ann', ARRAY[U&'n/cafe\0301.py']) -> 0 ->> 'normalized_path', U&'n/caf\00e9.py',
          'INV-LOCK-EXCL: path is as given, normalized_path the one spelling (NFC) the leases are compared under');
SELECT is(pg_temp.cov('t25_ann', ARRAY[U&'n/cafe\0301.py']) -> 0 ->> 'path', U&'n/cafe\0301.py',
          'INV-LOCK-EXCL: ... and path is returned exactly as given');

-- ---------------------------------------------------------------- (b) shared, another agent's
SELECT is((pg_temp.cov('t25_ann', ARRAY['s/x.py']) -> 0) - 'normalized_path' - 'path',
          '{"covered": false, "reason": "shared_only", "lease_path": null, "token": null, "expires_at": null, "holders": []}'::jsonb,
          'INV-LOCK-EXCL: the caller''s shared lease does not cover a write (shared_only)');
SELECT is((pg_temp.cov('t25_ann', ARRAY['b/z.py']) -> 0) - 'normalized_path' - 'path',
          jsonb_build_object('covered', false, 'reason', 'leased_by_other', 'lease_path', NULL, 'token', NULL,
              'expires_at', NULL, 'holders', jsonb_build_array(jsonb_build_object(
                  'holder', 't25_ben', 'path', 'b/', 'mode', 'exclusive', 'expires_at', tests.res('b1') -> 'expires_at'))),
          'INV-LOCK-EXCL: a path under another agent''s lease is not covered (leased_by_other), the holder named with mode and expiry');
SELECT is(pg_temp.reasons('t25_ben', ARRAY['b/z.py', 'w/a.py']), 'b/z.py covered; w/a.py leased_by_other',
          'INV-LOCK-EXCL: the same paths as t25_ben: his own lease covers b/z.py, t25_ann''s w/a.py is hers');
SELECT is(pg_temp.cov('t25_ben', ARRAY['w/a.py']) -> 0 -> 'holders' -> 0 ->> 'holder', 't25_ann',
          'INV-LOCK-EXCL: ... and her lease is named to him');
SELECT is(pg_temp.cov('t25_ann', ARRAY['sh/x.md']) -> 0 ->> 'reason', 'leased_by_other',
          'INV-LOCK-EXCL: both hold sh/x.md shared: another agent''s lease is the reason judged first (leased_by_other before shared_only)');
SELECT is(pg_temp.cov('t25_ann', ARRAY['sh/x.md']) -> 0 -> 'holders',
          jsonb_build_array(jsonb_build_object('holder', 't25_ben', 'path', 'sh/x.md', 'mode', 'shared',
                                               'expires_at', tests.res('b2') -> 'expires_at')),
          'INV-LOCK-EXCL: holders lists only the other agents'' leases (t25_ben''s shared one), never the caller''s');
SELECT is((SELECT count(*) FROM jsonb_array_elements(pg_temp.cov('t25_admin', ARRAY['w/a.py', 'b/z.py'])) r
            WHERE NOT (r ->> 'covered')::boolean AND r ->> 'reason' = 'leased_by_other'), 2::bigint,
          'INV-LOCK-EXCL: identity is session_user: a coord_admin holds none of the agents'' leases (both leased_by_other)');

-- ---------------------------------------------------------------- (c) fencing
SELECT is(format('x=%s by %s; y=%s by %s',
                 pg_temp.cov('t25_ann', ARRAY['h/x.py']) -> 0 ->> 'reason', pg_temp.cov('t25_ann', ARRAY['h/x.py']) -> 0 ->> 'token',
                 pg_temp.cov('t25_ann', ARRAY['h/y.py']) -> 0 ->> 'reason', pg_temp.cov('t25_ann', ARRAY['h/y.py']) -> 0 ->> 'token'),
          format('x=covered by %s; y=covered by %s', tests.tok('a6'), tests.tok('a5')),
          'INV-LOCK-FENCE: of two own overlapping grants the newer (h/x.py) covers h/x.py; h/y.py stays covered by h/');
SELECT is(pg_temp.cov('t25_ann', ARRAY['p/[id].tsx']) -> 0 ->> 'reason', 'not_newest_grant',
          'INV-LOCK-FENCE: p/ would name p/[id].tsx but the newer exclusive p/*.tsx fenced it out: not covered (not_newest_grant)');
SELECT is((tests.row_as('t25_ann', format('SELECT coord.check_fence(''p/[id].tsx'', %s) AS f', tests.tok('a7'))) ->> 'f')::boolean, false,
          'INV-LOCK-FENCE: ... which is what check_fence says of the older grant');
SELECT is(pg_temp.reasons('t25_ann', ARRAY['p/a.tsx', 'p/a.py']), 'p/a.tsx covered; p/a.py covered',
          'INV-LOCK-FENCE: a literal p/a.tsx is covered by the newest grant p/*.tsx, p/a.py still by p/');
SELECT is(pg_temp.cov('t25_ann', ARRAY['p/a.tsx']) -> 0 ->> 'lease_path', 'p/*.tsx',
          'INV-LOCK-FENCE: ... the covering lease of p/a.tsx is the newer p/*.tsx');

-- ---------------------------------------------------------------- (d) glob spellings
SELECT is(pg_temp.cov('t25_ann', ARRAY['g/[id].tsx']) -> 0 ->> 'reason', 'glob_spelling',
          'INV-LOCK-EXCL: the glob lease g/*.tsx overlaps a file spelled g/[id].tsx but does not name it (glob_spelling)');
SELECT is(pg_temp.cov('t25_ann', ARRAY['g/a.tsx']) -> 0 ->> 'reason', 'covered',
          'INV-LOCK-EXCL: ... while a literal g/a.tsx is covered by it (for a literal path, overlap is coverage)');
SELECT is(pg_temp.cov('t25_ann', ARRAY['e/[id].tsx']) -> 0 ->> 'lease_path', 'e/[id].tsx',
          'INV-LOCK-EXCL: a lease on that very spelling (e/[id].tsx) covers it');
SELECT is(pg_temp.reasons('t25_ann', ARRAY['d/[slug]/page.tsx', 'd/**', 'e/[ix].tsx']),
          'd/[slug]/page.tsx covered; d/** covered; e/[ix].tsx glob_spelling',
          'INV-LOCK-EXCL: a directory lease above a glob-spelled path covers it; another spelling of a glob is not covered');

-- ---------------------------------------------------------------- (e) the rule the hooks applied
-- The hooks' former rule over check_locks and check_fence, for every path of this file.
SELECT is(
    (SELECT string_agg(r ->> 'path' || '=' || (r ->> 'covered'), ' ' ORDER BY o)
       FROM jsonb_array_elements(pg_temp.cov('t25_ann', ARRAY['w/a.py', 'd/x/y.py', 'dx/a.py', 's/x.py', 'b/z.py', 'sh/x.md', 'h/x.py',
                                                               'h/y.py', 'p/[id].tsx', 'p/a.tsx', 'g/[id].tsx', 'g/a.tsx',
                                                               'e/[id].tsx', 'd/[slug]/page.tsx', 'e/[ix].tsx'])) WITH ORDINALITY x(r, o)),
    (SELECT string_agg(p || '=' || (EXISTS (
                SELECT 1 FROM jsonb_to_recordset(tests.run_as('t25_ann', format(
                    'SELECT l.*, CASE WHEN l.holder = session_user::text THEN coord.check_fence(%L, l.token) END AS fence
                       FROM coord.check_locks(ARRAY[%L]) l', p, p))) l(requested text, path text, mode text, holder text, fence boolean)
                 WHERE l.holder = 't25_ann' AND l.mode = 'exclusive' AND l.fence
                   AND (l.requested !~ '[*?\[]' OR l.path = l.requested OR (right(l.path, 1) = '/' AND starts_with(l.requested, l.path)))))::text,
                       ' ' ORDER BY o)
       FROM unnest(ARRAY['w/a.py', 'd/x/y.py', 'dx/a.py', 's/x.py', 'b/z.py', 'sh/x.md', 'h/x.py', 'h/y.py', 'p/[id].tsx', 'p/a.tsx',
                         'g/[id].tsx', 'g/a.tsx', 'e/[id].tsx', 'd/[slug]/page.tsx', 'e/[ix].tsx']) WITH ORDINALITY u(p, o)),
    'INV-LOCK-FENCE: covered is exactly the hooks'' former rule over check_locks and check_fence, path by path');

-- ---------------------------------------------------------------- (g) hostile input, writes, grants
SELECT is(tests.bad('t25_ben', v.q), v.want, 'INV-BOUNDARY: ' || v.what || ' → ' || v.want || ', nothing written')
  FROM (VALUES
    ('a NULL array',                $$SELECT * FROM coord.check_write_coverage(NULL)$$,                                   'PC001'),
    ('a NULL element',              $$SELECT * FROM coord.check_write_coverage(ARRAY['w/a.py', NULL])$$,                  'PC001'),
    ('101 paths',                   $$SELECT * FROM coord.check_write_coverage(array_fill('w/a.py'::text, ARRAY[101]))$$, 'PC002'),
    ('an absolute path',            $$SELECT * FROM coord.check_write_coverage(ARRAY['w/a.py', '/etc/passwd'])$$,         'PC003'),
    ('a .. segment',                $$SELECT * FROM coord.check_write_coverage(ARRAY['w/../b/z.py'])$$,                   'PC003'),
    ('an empty path',               $$SELECT * FROM coord.check_write_coverage(ARRAY[''])$$,                              'PC003'),
    ('a zero-width space',          $$SELECT * FROM coord.check_write_coverage(ARRAY[U&'b/z\200b.py'])$$,                 'PC003')
  ) v(what, q, want);
SELECT is(
    (SELECT string_agg(coalesce(tests.sqlstate_as('t25_ben', format('SELECT * FROM coord.check_write_coverage(%L::text[])', a)), 'ok')
                       || '/' || coalesce(tests.sqlstate_as('t25_ben', format('SELECT * FROM coord.check_locks(%L::text[])', a)), 'ok'), ' ')
       FROM (VALUES (NULL::text[]), (ARRAY[NULL::text]), (array_fill('a'::text, ARRAY[101])), (ARRAY['/abs']),
                    (ARRAY['a//b']), (array_fill('a'::text, ARRAY[100]))) v(a)),
    'PC001/PC001 PC001/PC001 PC002/PC002 PC003/PC003 PC003/PC003 ok/ok',
    'INV-BOUNDARY: bad input raises exactly what check_locks raises for it; 100 paths answer');
SELECT is(tests.diag_as('t25_ben', $$SELECT * FROM coord.check_write_coverage(array_fill('a'::text, ARRAY[101]))$$),
          'PC002|true|true|true',
          'INV-BOUNDARY: the refusal of 101 paths carries a message, a detail and a hint (the error contract)');
SELECT is(tests.bad('t25_ann', $$SELECT * FROM coord.check_write_coverage(ARRAY['w/a.py', 'b/z.py', 'p/[id].tsx', '**'])$$), 'no error',
          'INV-AUDIT-COMPLETE: check_write_coverage is a read: no audit event, no lease or task changed');
SELECT is(pg_temp.cov('t25_ann', '{}'), '[]'::jsonb, 'INV-BOUNDARY: no path, no row');
SELECT ok(has_function_privilege('coord_agent', 'coord.check_write_coverage(text[])', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.check_write_coverage(text[])', 'EXECUTE')
          AND has_function_privilege('coord_auditor', 'coord.check_write_coverage(text[])', 'EXECUTE'),
          'INV-BOUNDARY: every pgcoord role may call it, as check_locks');
SELECT is_empty($$
    SELECT a.privilege_type FROM pg_proc p
     CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
     WHERE p.oid = 'coord.check_write_coverage(text[])'::regprocedure AND a.grantee = 0
$$, 'INV-BOUNDARY: PUBLIC may not call it');
SELECT is(pg_temp.reasons('t25_auditor', ARRAY['w/a.py', 'nothing.py']), 'w/a.py leased_by_other; nothing.py no_lease',
          'INV-BOUNDARY: an auditor may ask, and holds no lease');
SELECT is(tests.call('m1', 't25_admin', $$SELECT * FROM coord.set_enforcement_mode('shadow', 'pgTAP 25_write_coverage')$$) ->> 'reason', 'allowed',
          'INV-BOUNDARY: a coord_admin switches to shadow mode');
SELECT is(pg_temp.reasons('t25_ann', ARRAY['nothing.py', 'b/z.py', 's/x.py', 'w/a.py']),
          'nothing.py no_lease; b/z.py leased_by_other; s/x.py shared_only; w/a.py covered',
          'INV-LOCK-EXCL: in shadow mode the lease rule is the same (leases are refused in every mode)');
SELECT is(tests.call('m2', 't25_admin', $$SELECT * FROM coord.set_enforcement_mode('enforce', 'pgTAP 25_write_coverage')$$) ->> 'reason', 'allowed',
          'INV-BOUNDARY: back to enforce mode');

-- ---------------------------------------------------------------- (h) the definer
SELECT is((SELECT p.prosecdef AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp', 'lock_timeout=5s', 'standard_conforming_strings=on']
             FROM pg_proc p WHERE p.oid = 'coord.check_write_coverage(text[])'::regprocedure), true,
          'INV-DEFINER: a SECURITY DEFINER pinning search_path = pg_catalog, pg_temp, lock_timeout and standard_conforming_strings');
SELECT is(p.provolatile::text || ' ' || p.prorettype::regtype::text || ' ' || p.proretset::text, 's record true',
          'INV-BOUNDARY: STABLE and returning a set, like check_locks (a read)')
  FROM pg_proc p WHERE p.oid = 'coord.check_write_coverage(text[])'::regprocedure;
\if :t25_analysis
SELECT is_empty($$ SELECT function::text, kind, detail FROM tests.boundary_offenders()
                    WHERE function = 'coord.check_write_coverage(text[])'::regprocedure $$,
                'INV-DEFINER: the catalog gate reports nothing about check_write_coverage');
\else
SELECT skip(:'t25_no_analysis', 1);
\endif
-- A pg_temp type planted by the superuser in this very backend (an agent cannot:
-- no TEMPORARY) would run its CHECK if the definer resolved the type through pg_temp.
CREATE FUNCTION pg_temp.t25_shadow(v pg_catalog.text) RETURNS pg_catalog.bool
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF current_user::pg_catalog.text <> session_user::pg_catalog.text THEN
        RAISE EXCEPTION 'pg_temp shadow ran as %', current_user;
    END IF;
    RETURN true;
END
$$;
CREATE FUNCTION pg_temp.safe_reasons(p_role text, p_paths text[]) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN pg_temp.reasons(p_role, p_paths);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.t25_shadow(VALUE));
CREATE DOMAIN pg_temp.jsonb AS pg_catalog.jsonb CHECK (pg_temp.t25_shadow(VALUE::pg_catalog.text));
CREATE DOMAIN pg_temp.bool AS pg_catalog.bool CHECK (pg_temp.t25_shadow(VALUE::pg_catalog.text));
SELECT pg_temp.safe_reasons('t25_ann', ARRAY['w/a.py', 'b/z.py', 's/x.py', 'p/[id].tsx', 'g/[id].tsx', 'nothing.py']) AS shadowed_reasons \gset
DROP DOMAIN pg_temp.text, pg_temp.jsonb, pg_temp.bool;
DROP FUNCTION pg_temp.t25_shadow(pg_catalog.text), pg_temp.safe_reasons(text, text[]);
SELECT is(:'shadowed_reasons'::text,
          'w/a.py covered; b/z.py leased_by_other; s/x.py shared_only; p/[id].tsx not_newest_grant; g/[id].tsx glob_spelling; nothing.py no_lease',
          'INV-DEFINER: with pg_temp.text, jsonb and bool planted in the backend the answers are unchanged (pinned search path)');

-- ---------------------------------------------------------------- (f) expiry
SELECT is(pg_temp.reasons('t25_ann', ARRAY['x/a.py', 'x/b/c.py']), 'x/a.py covered; x/b/c.py leased_by_other',
          'INV-LOCK-EXPIRY: before expiry t25_ann''s x/a.py covers it and t25_ben''s x/b/ is his');
DO $$ BEGIN PERFORM tests.advance_clock('31 s'); END $$;
SELECT is((pg_temp.cov('t25_ann', ARRAY['x/a.py']) -> 0) - 'path' - 'normalized_path',
          '{"covered": false, "reason": "no_lease", "lease_path": null, "token": null, "expires_at": null, "holders": []}'::jsonb,
          'INV-LOCK-EXPIRY: 31 s later t25_ann''s expired x/a.py covers nothing (no_lease), with no reaper having run');
SELECT is(pg_temp.cov('t25_ann', ARRAY['x/b/c.py']) -> 0 ->> 'reason' || ' ' || (pg_temp.cov('t25_ann', ARRAY['x/b/c.py']) -> 0 ->> 'holders'),
          'no_lease []',
          'INV-LOCK-EXPIRY: t25_ben''s expired x/b/ is absent from holders too');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.path IN ('x/a.py', 'x/b/')), 2::bigint,
          'INV-LOCK-EXPIRY: the expired rows are still in the table (nothing reaped them)');
SELECT is(pg_temp.cov('t25_ann', ARRAY['w/a.py']) -> 0 ->> 'reason', 'covered',
          'INV-LOCK-EXPIRY: a live lease still covers after the clock moved');

SELECT * FROM finish();
ROLLBACK;
