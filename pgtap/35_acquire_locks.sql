-- coord.acquire_locks (change lease_batches): 1 to 100 leases in one call, all or
-- nothing, each path decided and audited as acquire_lock. Grants (tokens in path
-- order, one event per path), a batch refused by another agent's lease (nothing
-- granted, the others batch_refused), by the profile's limit counted for the whole
-- batch (the decisions made first are rolled back: exactly one event per path),
-- by trust, by a needed approval (not_approvable, no request left behind), shared
-- batches, re-grants of the caller's own leases, and bad input (SQLSTATE, nothing
-- written). Concurrency (two batches in opposite orders, a batch against single
-- acquires) is in tests/test_races_acquire_locks.py.
BEGIN;
SELECT plan(41);

SELECT tests.create_profile('t35_three', 2, 'pgTAP 35: at most three live locks', '{"max_locks": 3}'),
       tests.create_profile('t35_ask', 2, 'pgTAP 35: acquire_lock needs an approval', '{"max_locks": 20}');
SELECT tests.create_agents('implementer', 't35_alice', 't35_bob'), tests.create_agents('reviewer', 't35_rex'),
       tests.create_agents('t35_three', 't35_lim'), tests.create_agents('t35_ask', 't35_asker'),
       tests.create_members('coord_admin', 't35_admin');
SELECT is(tests.row_as('t35_admin', $$SELECT ok FROM coord.set_profile_approvals('t35_ask', ARRAY['acquire_lock'], true)$$),
          '{"ok": true}'::jsonb, 'setup: t35_ask''s acquire_lock needs an approval');

CREATE TEMP TABLE marks AS SELECT max(event_id) AS ev FROM coord_private.audit_events;
CREATE FUNCTION pg_temp.events_since() RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('actor', e.actor, 'op', e.operation, 'path', e.resource,
                                                 'proceeded', e.proceeded, 'reason', e.reason,
                                                 'token', e.context -> 'token', 'batch', e.context -> 'batch')
                              ORDER BY e.event_id), '[]')
      FROM coord_private.audit_events e WHERE e.event_id > (SELECT ev FROM marks) $$;
CREATE FUNCTION pg_temp.mark() RETURNS void LANGUAGE sql AS $$
    UPDATE marks SET ev = (SELECT max(event_id) FROM coord_private.audit_events) $$;

-- ---------------------------------------------------------------- a grant of three paths
SELECT tests.run_as('t35_alice', $$SELECT * FROM coord.acquire_locks(ARRAY['src/b.py', 'docs/', 'src/a.py'], '60 s')$$)
    AS g1 \gset
SELECT is((SELECT jsonb_agg(jsonb_build_object('ok', r -> 'ok', 'reason', r -> 'reason', 'path', r -> 'path'))
             FROM jsonb_array_elements(:'g1'::jsonb) r),
          '[{"ok": true, "path": "docs/", "reason": "allowed"}, {"ok": true, "path": "src/a.py", "reason": "allowed"},
            {"ok": true, "path": "src/b.py", "reason": "allowed"}]'::jsonb,
          'INV-LOCK-EXCL: a batch of three free paths is granted, one row per path, in byte order');
SELECT ok((:'g1'::jsonb -> 0 ->> 'token')::bigint < (:'g1'::jsonb -> 1 ->> 'token')::bigint
          AND (:'g1'::jsonb -> 1 ->> 'token')::bigint < (:'g1'::jsonb -> 2 ->> 'token')::bigint,
          'INV-LOCK-FENCE: the batch''s tokens increase in path order');
SELECT is((SELECT count(DISTINCT r ->> 'expires_at') FROM jsonb_array_elements(:'g1'::jsonb) r), 1::bigint,
          'the batch''s leases share one expiry');
SELECT is((SELECT jsonb_agg(jsonb_build_object('path', l.path, 'token', l.token, 'holder', l.holder) ORDER BY l.path COLLATE "C")
             FROM coord_private.locks l WHERE l.holder = 't35_alice'),
          (SELECT jsonb_agg(jsonb_build_object('path', r ->> 'path', 'token', (r ->> 'token')::bigint, 'holder', 't35_alice'))
             FROM jsonb_array_elements(:'g1'::jsonb) r),
          'INV-LOCK-FENCE: each returned token is its lease row''s');
SELECT is((SELECT jsonb_agg(jsonb_build_object('op', e ->> 'op', 'path', e ->> 'path', 'proceeded', e -> 'proceeded',
                                               'token', e -> 'token', 'batch', e -> 'batch'))
             FROM jsonb_array_elements(pg_temp.events_since()) e),
          (SELECT jsonb_agg(jsonb_build_object('op', 'acquire_lock', 'path', r ->> 'path', 'proceeded', true,
                                               'token', r -> 'token', 'batch', jsonb_build_object('paths', 3, 'index', n)) ORDER BY n)
             FROM jsonb_array_elements(:'g1'::jsonb) WITH ORDINALITY x(r, n)),
          'INV-AUDIT-COMPLETE: one acquire_lock event per granted path, with its token and place in the batch');
SELECT is((SELECT array_agg((r ->> 'event_id')::bigint) FROM jsonb_array_elements(:'g1'::jsonb) r),
          (SELECT array_agg(e.event_id ORDER BY e.event_id) FROM coord_private.audit_events e
            WHERE e.event_id > (SELECT ev FROM marks)),
          'INV-AUDIT-COMPLETE: each row returns its own event');
SELECT pg_temp.mark();

-- ---------------------------------------------------------------- refused by another agent's lease
SELECT tests.run_as('t35_bob', $$SELECT * FROM coord.acquire_locks(ARRAY['lib/x.py', 'src/a.py', 'lib/y.py'], '60 s')$$)
    AS r1 \gset
SELECT is((SELECT jsonb_agg(jsonb_build_object('ok', r -> 'ok', 'reason', r -> 'reason', 'path', r -> 'path', 'token', r -> 'token'))
             FROM jsonb_array_elements(:'r1'::jsonb) r),
          '[{"ok": false, "path": "lib/x.py", "reason": "batch_refused", "token": null},
            {"ok": false, "path": "lib/y.py", "reason": "batch_refused", "token": null},
            {"ok": false, "path": "src/a.py", "reason": "lock_held_by_other", "token": null}]'::jsonb,
          'INV-LOCK-EXCL: one path another agent leases refuses the whole batch: that path lock_held_by_other, the others batch_refused');
SELECT is(:'r1'::jsonb -> 2 -> 'holders' -> 0 ->> 'holder', 't35_alice', '... naming the holder of the refused path');
SELECT is(:'r1'::jsonb -> 0 -> 'holders', 'null'::jsonb, '... and no holders for a path that was free');
SELECT is((SELECT count(*) FROM coord_private.locks WHERE holder = 't35_bob'), 0::bigint,
          'INV-LOCK-EXCL: nothing of the refused batch was granted');
SELECT is((SELECT jsonb_agg(jsonb_build_object('path', e ->> 'path', 'proceeded', e -> 'proceeded', 'reason', e ->> 'reason'))
             FROM jsonb_array_elements(pg_temp.events_since()) e),
          '[{"path": "lib/x.py", "proceeded": false, "reason": "batch_refused"},
            {"path": "lib/y.py", "proceeded": false, "reason": "batch_refused"},
            {"path": "src/a.py", "proceeded": false, "reason": "lock_held_by_other"}]'::jsonb,
          'INV-AUDIT-COMPLETE: one refusal event per path');
SELECT pg_temp.mark();

-- ---------------------------------------------------------------- refused by the limit, counted for the batch
SELECT tests.run_as('t35_lim', $$SELECT * FROM coord.acquire_locks(ARRAY['lim/1', 'lim/2'], '60 s')$$) AS l0 \gset
SELECT is((SELECT count(*) FROM jsonb_array_elements(:'l0'::jsonb) r WHERE (r ->> 'ok')::boolean), 2::bigint,
          'INV-LIMITS: two paths within a limit of three are granted');
SELECT pg_temp.mark();
SELECT tests.run_as('t35_lim', $$SELECT * FROM coord.acquire_locks(ARRAY['lim/3', 'lim/4'], '60 s')$$) AS l1 \gset
SELECT is((SELECT jsonb_agg(r ->> 'reason') FROM jsonb_array_elements(:'l1'::jsonb) r),
          '["limit_exceeded", "limit_exceeded"]'::jsonb,
          'INV-LIMITS: two more paths would make four of three: the batch is refused (each path judged as the batch''s last grant)');
SELECT is((SELECT count(*) FROM coord_private.locks WHERE holder = 't35_lim'), 2::bigint,
          'INV-LIMITS: ... and nothing of it granted');
SELECT is((SELECT jsonb_agg(jsonb_build_object('path', e ->> 'path', 'proceeded', e -> 'proceeded', 'reason', e ->> 'reason'))
             FROM jsonb_array_elements(pg_temp.events_since()) e),
          '[{"path": "lim/3", "proceeded": false, "reason": "limit_exceeded"},
            {"path": "lim/4", "proceeded": false, "reason": "limit_exceeded"}]'::jsonb,
          'INV-AUDIT-COMPLETE: exactly one event per path: the decisions made before the refusal were rolled back, not left saying allowed');
SELECT pg_temp.mark();
SELECT tests.run_as('t35_lim', $$SELECT * FROM coord.acquire_locks(ARRAY['lim/1', 'lim/2', 'lim/3'], '60 s')$$) AS l2 \gset
SELECT is((SELECT count(*) FROM jsonb_array_elements(:'l2'::jsonb) r WHERE (r ->> 'ok')::boolean), 3::bigint,
          'INV-LIMITS: re-granting its own two leases with one more is three of three: granted');
SELECT is((SELECT count(*) FROM coord_private.locks WHERE holder = 't35_lim'), 3::bigint,
          'a re-grant replaces the caller''s own rows (one row per path)');
SELECT ok((SELECT bool_and(l.token = (r ->> 'token')::bigint)
             FROM jsonb_array_elements(:'l2'::jsonb) r JOIN coord_private.locks l ON l.path = r ->> 'path' AND l.holder = 't35_lim'),
          'INV-LOCK-FENCE: a re-granted path carries its new token');
SELECT pg_temp.mark();

-- ---------------------------------------------------------------- trust and approvals
SELECT is((SELECT jsonb_agg(r ->> 'reason')
             FROM jsonb_array_elements(tests.run_as('t35_rex', $$SELECT * FROM coord.acquire_locks(ARRAY['r/1', 'r/2'], '60 s')$$)) r),
          '["trust_too_low", "trust_too_low"]'::jsonb,
          'INV-TRUST: a reviewer''s batch is refused on every path (trust_too_low), as acquire_lock refuses it');
SELECT pg_temp.mark();
SELECT tests.run_as('t35_asker', $$SELECT * FROM coord.acquire_locks(ARRAY['ask/1', 'ask/2'], '60 s')$$) AS ap \gset
SELECT is((SELECT jsonb_agg(r ->> 'reason') FROM jsonb_array_elements(:'ap'::jsonb) r),
          '["not_approvable", "batch_refused"]'::jsonb,
          'INV-APPROVAL: a batch whose path needs an approval is refused not_approvable (approvals bind single calls)');
SELECT is((SELECT count(*) FROM coord_private.approvals WHERE requester = 't35_asker'), 0::bigint,
          'INV-APPROVAL: ... and leaves no request behind (the one its decision recorded was rolled back)');
SELECT is((SELECT count(*) FROM coord_private.locks WHERE holder = 't35_asker'), 0::bigint, '... and no lease');
SELECT is(jsonb_array_length(pg_temp.events_since()), 2, 'INV-AUDIT-COMPLETE: ... with one event per path');
SELECT pg_temp.mark();

-- ---------------------------------------------------------------- shared batches, own overlapping paths
SELECT is((SELECT jsonb_agg(r ->> 'reason')
             FROM jsonb_array_elements(tests.run_as('t35_alice', $$SELECT * FROM coord.acquire_locks(ARRAY['sh/1', 'sh/2'], '60 s', 'shared')$$)) r)
          || (SELECT jsonb_agg(r ->> 'reason')
             FROM jsonb_array_elements(tests.run_as('t35_bob', $$SELECT * FROM coord.acquire_locks(ARRAY['sh/2', 'sh/1'], '60 s', 'shared')$$)) r),
          '["allowed", "allowed", "allowed", "allowed"]'::jsonb,
          'INV-LOCK-EXCL: two agents'' shared batches on the same paths are both granted');
SELECT is((SELECT jsonb_agg(r ->> 'reason')
             FROM jsonb_array_elements(tests.run_as('t35_bob', $$SELECT * FROM coord.acquire_locks(ARRAY['sh/1'], '60 s', 'exclusive')$$)) r),
          '["lock_held_by_other"]'::jsonb,
          'INV-LOCK-EXCL: an exclusive batch over another agent''s shared lease is refused');
SELECT is((SELECT jsonb_agg(r ->> 'reason')
             FROM jsonb_array_elements(tests.run_as('t35_bob', $$SELECT * FROM coord.acquire_locks(ARRAY['own/', 'own/a.py', 'own/*.md'], '60 s')$$)) r),
          '["allowed", "allowed", "allowed"]'::jsonb,
          'INV-LOCK-EXCL: a batch''s own overlapping paths (dir, file in it, glob) do not conflict with each other');

-- ---------------------------------------------------------------- bad input: a SQLSTATE and nothing written
SELECT pg_temp.mark();
SELECT is(tests.sqlstate_as('t35_bob', s.q), s.state, 'INV-BOUNDARY: ' || s.what || ' (' || s.state || ')')
  FROM (VALUES (1, $$SELECT * FROM coord.acquire_locks(NULL, '60 s')$$, 'PC001', 'a NULL batch'),
               (2, $$SELECT * FROM coord.acquire_locks(ARRAY['a.py', NULL], '60 s')$$, 'PC001', 'a NULL path in the batch'),
               (3, $$SELECT * FROM coord.acquire_locks(ARRAY['a.py'], '60 s', NULL)$$, 'PC001', 'a NULL mode'),
               (4, $$SELECT * FROM coord.acquire_locks(ARRAY[]::text[], '60 s')$$, 'PC002', 'an empty batch'),
               (5, $$SELECT * FROM coord.acquire_locks(ARRAY(SELECT 'many/' || g || '.py' FROM generate_series(1, 101) g), '60 s')$$,
                'PC002', '101 paths'),
               (6, $$SELECT * FROM coord.acquire_locks(ARRAY['dup/a.py', 'dup/b.py', 'dup/a.py'], '60 s')$$, 'PC002',
                'a path given twice'),
               (7, $$SELECT * FROM coord.acquire_locks(ARRAY['a.py'], '60 s', 'sometimes')$$, 'PC002', 'an unknown mode'),
               (8, $$SELECT * FROM coord.acquire_locks(ARRAY['a.py', '../etc/passwd'], '60 s')$$, 'PC003', 'a malformed path'),
               (9, $$SELECT * FROM coord.acquire_locks(ARRAY['a.py'], '0 s')$$, 'PC004', 'a TTL below one second'),
               (10, $$SELECT * FROM coord.acquire_locks(ARRAY['a.py'], '60 s', 'exclusive', repeat('x', 501))$$, 'PC002',
                'a reason over 500 characters')) s(n, q, state, what)
 ORDER BY s.n;
SELECT is(jsonb_array_length(pg_temp.events_since()), 0, 'INV-BOUNDARY: no bad batch wrote an event');
SELECT is((SELECT count(*) FROM coord_private.locks WHERE path LIKE 'many/%' OR path LIKE 'dup/%' OR path = 'a.py'),
          0::bigint, 'INV-BOUNDARY: ... or a lease');
SELECT is(tests.sqlstate_as('t35_bob', $$SELECT * FROM coord.acquire_locks(ARRAY(SELECT 'many/' || g || '.py' FROM generate_series(1, 100) g), '60 s')$$),
          NULL, 'a batch of exactly 100 paths is taken');

-- ---------------------------------------------------------------- the function itself
SELECT is((SELECT format('definer=%s %s', p.prosecdef::text, array_to_string(p.proconfig, ','))
             FROM pg_proc p WHERE p.oid = 'coord.acquire_locks(text[], interval, text, text)'::regprocedure),
          'definer=true search_path=pg_catalog, pg_temp,plan_cache_mode=force_generic_plan,enable_bitmapscan=off,max_parallel_workers_per_gather=0,lock_timeout=5s,standard_conforming_strings=on',
          'INV-DEFINER: acquire_locks is a definer pinning search_path, lock_timeout and standard_conforming_strings like acquire_lock');

SELECT * FROM finish();
ROLLBACK;
