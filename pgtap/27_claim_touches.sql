-- Conflict-aware claims (change claim_touches, issue 15; INV-CLAIM-TOUCH), acting
-- as several agents:
--   (a) touches at submit: normalised as lease paths, sorted, each once, recorded in
--       the submit event; bad touches raise their SQLSTATE and write nothing; the
--       calls of earlier clients (seven positional arguments, named ones) still work;
--   (b) a task whose touches overlap another agent's live lease (exclusive or
--       shared) is skipped, the next claimable one is taken, the skip is in the
--       claim's single event; it is claimable when that lease expires or is
--       released; the caller's own leases never block it;
--   (c) lease_touches: the claim takes an exclusive lease on every touch in the same
--       transaction and decision (one event naming tokens and expiry; rows with
--       holder = the claimer, tokens above every earlier one, expiring with the
--       claim), all or nothing (one touch leased by another agent: the task is
--       skipped, no lease taken), and another agent's acquire_lock is then refused;
--   (d) the claim's leases are renewed with renew_claim (a lapsed one is not
--       revived) and end with complete_task, fail_task (retryable or not),
--       cancel_task, a settlement of the exhausted claim and a takeover after
--       expiry, each event naming them; a lease of the caller's own on a touched
--       path is re-granted to the claim; a row two claims share stays until both end;
--   (e) limits and policy: max_locks counts leases taken this way (limit_exceeded,
--       nothing written); a profile that may not acquire leases cannot take them
--       through a claim; claim_tasks leases each task it claims;
--   (f) serialisation: the claim takes the coordination locks of every touch (the
--       rows acquire_lock takes, in one ascending order) before it judges, waiting
--       only in its first round. The real interleavings with concurrent sessions are
--       isolation/specs/claim_touches_vs_acquire.spec and tests/test_races_claim_touches.py.
BEGIN;
SELECT plan(109);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql)
--   pg_temp.leases(holder)   'path mode' of the holder's live leases, sorted
--   pg_temp.linked(task)     'path token' of the lease rows linked to the task's claims, sorted
--   pg_temp.ctx(label, key)  a key of the context of a call's (first) audit event
--   pg_temp.errm(role, sql)  the message of the error sql raises as role
SELECT tests.start_calls();

CREATE FUNCTION pg_temp.leases(p_holder text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(l.path || ' ' || l.mode ORDER BY l.path COLLATE "C"), '{}')
      FROM coord_private.locks l WHERE l.holder = p_holder AND l.expires_at > coord_private.current_time()
$$;
CREATE FUNCTION pg_temp.linked(p_task bigint) RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(l.path ORDER BY l.path COLLATE "C"), '{}')
      FROM coord_private.claim_leases c JOIN coord_private.locks l ON l.lock_id = c.lock_id WHERE c.task_id = p_task
$$;
CREATE FUNCTION pg_temp.ctx(p_label text, p_key text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT (tests.event(p_label)).context -> p_key $$;
CREATE FUNCTION pg_temp.errm(p_role text, p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tests.run_as(p_role, p_sql);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLERRM;
END
$$;

SELECT tests.create_agents('implementer', 't27_a', 't27_b', 't27_c'), tests.create_agents('orchestrator', 't27_o'),
       tests.create_profile('t27_small', 2, 'pgTAP: two leases', '{"max_locks": 2, "max_claimed_tasks": 5}'),
       tests.create_profile('t27_noleases', 2, 'pgTAP: claims, no leases',
                            '{"blocked_operations": ["acquire_lock"], "max_locks": 20, "max_claimed_tasks": 5}');
SELECT tests.create_agents('t27_small', 't27_s'), tests.create_agents('t27_noleases', 't27_n');

-- ---------------------------------------------------------------- (a) touches at submit
SELECT is(tests.call('s1', 't27_a', $$SELECT * FROM coord.submit_task('t27.a', 'api work', p_touches => ARRAY['src/api/', 'docs/*.md', 'src/api/', 'src/api/x.py'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH SubmitTask: a task declares touches (a dir, a glob, a file, one repeated)');
SELECT is((SELECT coalesce(max(t.touches), '{}') FROM coord_private.task_touches t WHERE t.task_id = tests.tid('s1')), ARRAY['docs/*.md', 'src/api/', 'src/api/x.py'],
          'INV-CLAIM-TOUCH SubmitTask: touches are stored once each, sorted');
SELECT is(tests.verdict('s1'), 'ok allowed | 1 event: submit_task by t27_a allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE SubmitTask: one event');
SELECT is(pg_temp.ctx('s1', 'touches'), '["docs/*.md", "src/api/", "src/api/x.py"]'::jsonb,
          'INV-CLAIM-TOUCH SubmitTask: the submit event records the touches');
SELECT is(tests.call('s2', 't27_a', $$SELECT * FROM coord.submit_task('t27.a', 'NFD and dot segments', p_touches => ARRAY[U&'caf\0065\0301/a.py'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH SubmitTask: a touch spelled in NFD');
SELECT is((SELECT coalesce(max(t.touches), '{}') FROM coord_private.task_touches t WHERE t.task_id = tests.tid('s2')), ARRAY[coord_private.normalize_path(U&'caf\0065\0301/a.py')],
          'INV-CLAIM-TOUCH SubmitTask: a touch is normalised exactly as a lease path (NFC)');
SELECT is(tests.call('s3', 't27_a', $$SELECT * FROM coord.submit_task('t27.none', 'no touches')$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH SubmitTask: touches default to none');
SELECT is(format('%s %s', (SELECT coalesce(max(t.touches), '{}') FROM coord_private.task_touches t WHERE t.task_id = tests.tid('s3')), coalesce(pg_temp.ctx('s3', 'touches')::text, 'none')),
          '{} none', 'INV-CLAIM-TOUCH SubmitTask: no touches: an empty list, none in the event');
SELECT is(tests.call('s4', 't27_a', $$SELECT * FROM coord.submit_task('t27.none', 'positional', '{}', 0, '{}', NULL, 3)$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH SubmitTask: an earlier client''s seven positional arguments still work');

SELECT is(tests.bad('t27_a', $$SELECT * FROM coord.submit_task('t27.bad', p_touches => NULL)$$), 'PC001',
          'INV-CLAIM-TOUCH SubmitTask: touches NULL → PC001, nothing written');
SELECT is(tests.bad('t27_a', $$SELECT * FROM coord.submit_task('t27.bad', p_touches => ARRAY['a.py', NULL])$$), 'PC002',
          'INV-CLAIM-TOUCH SubmitTask: a NULL touch → PC002, nothing written');
SELECT is(tests.bad('t27_a', $$SELECT * FROM coord.submit_task('t27.bad', p_touches => (SELECT array_agg('f' || i || '.py') FROM generate_series(1, 33) i))$$), 'PC002',
          'INV-CLAIM-TOUCH SubmitTask: 33 touches (more than coord_private.touches_max() = 32) → PC002, nothing written');
SELECT is(tests.bad('t27_a', $$SELECT * FROM coord.submit_task('t27.bad', p_touches => ARRAY[['a.py'], ['b.py']])$$), 'PC002',
          'INV-CLAIM-TOUCH SubmitTask: a two-dimensional array → PC002, nothing written');
SELECT is(tests.bad('t27_a', v.q), 'PC003', 'INV-CLAIM-TOUCH SubmitTask: ' || v.what || ' → PC003, nothing written')
  FROM (VALUES (1, 'an absolute touch', $$SELECT * FROM coord.submit_task('t27.bad', p_touches => ARRAY['ok.py', '/etc/passwd'])$$),
               (2, 'a .. segment', $$SELECT * FROM coord.submit_task('t27.bad', p_touches => ARRAY['src/../x.py'])$$),
               (3, 'an empty touch', $$SELECT * FROM coord.submit_task('t27.bad', p_touches => ARRAY[''])$$),
               (4, 'a glob ending with /', $$SELECT * FROM coord.submit_task('t27.bad', p_touches => ARRAY['src/*/'])$$)) v(n, what, q)
 ORDER BY v.n;
SELECT is(tests.diag_as('t27_a', $$SELECT * FROM coord.submit_task('t27.bad', p_touches => ARRAY['ok.py', '/etc/passwd'])$$),
          'PC003|true|true|true', 'INV-CLAIM-TOUCH SubmitTask: the error carries message, detail and hint');
SELECT is(pg_temp.errm('t27_a', $$SELECT * FROM coord.submit_task('t27.bad', p_touches => ARRAY['ok.py', '/etc/passwd'])$$),
          'touches[2]: invalid path: absolute', 'INV-CLAIM-TOUCH SubmitTask: the message names the touch (touches[2]) and the lease path''s own error');
SELECT is((SELECT count(*) FROM coord_private.tasks t WHERE t.task_type = 't27.bad'), 0::bigint,
          'INV-CLAIM-TOUCH SubmitTask: no bad submission created a task');

-- ---------------------------------------------------------------- (b) skipping
SELECT is(tests.call('b0', 't27_o', $$SELECT * FROM coord.submit_task('t27.b', 'blocked, high', '{}', 5, p_touches => ARRAY['src/api/'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH: a priority-5 task touching src/api/');
SELECT is(tests.call('b1', 't27_o', $$SELECT * FROM coord.submit_task('t27.b', 'free, low', '{}', 0, p_touches => ARRAY['src/web/'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH: a priority-0 task touching src/web/');
SELECT is(tests.call('bl', 't27_b', $$SELECT * FROM coord.acquire_lock('src/api/users.py', '60 s')$$) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH: t27_b leases src/api/users.py exclusively for 60 s');
SELECT is(tests.call('b2', 't27_a', $$SELECT * FROM coord.claim_task(ARRAY['t27.b'])$$) ->> 'task_id', tests.tid('b1')::text,
          'INV-CLAIM-TOUCH ClaimTask: the priority-5 task is skipped (another agent leases inside src/api/): the priority-0 one is claimed');
SELECT is(tests.verdict('b2'), 'ok allowed | 1 event: claim_task by t27_a allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE ClaimTask: one event');
SELECT is(pg_temp.ctx('b2', 'skipped') #>> '{0,task_id}', tests.tid('b0')::text,
          'INV-CLAIM-TOUCH ClaimTask: the event names the skipped task');
SELECT is((pg_temp.ctx('b2', 'skipped') #> '{0,holders,0}') - 'expires_at',
          '{"holder": "t27_b", "path": "src/api/users.py", "mode": "exclusive"}'::jsonb,
          'INV-CLAIM-TOUCH ClaimTask: ... with the lease in its way');
SELECT is(tests.call('b3', 't27_c', $$SELECT * FROM coord.claim_task(ARRAY['t27.b'])$$) ->> 'reason', 'task_not_claimable',
          'INV-CLAIM-TOUCH ClaimTask: with the free task claimed, nothing else is claimable → task_not_claimable');
SELECT is(tests.verdict('b3'), 'refused task_not_claimable | 1 event: claim_task by t27_c allowed=true proceeded=false reason=task_not_claimable mode=enforce',
          'INV-AUDIT-COMPLETE ClaimTask: the refusal is its one event');
SELECT is((SELECT t.status FROM coord_private.tasks t WHERE t.task_id = tests.tid('b0')), 'pending',
          'INV-CLAIM-TOUCH ClaimTask: the blocked task stays pending');
SELECT is(tests.call('b4', 't27_b', $$SELECT * FROM coord.release_lock('src/api/users.py')$$) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH: t27_b releases its lease');
SELECT is(tests.call('b5', 't27_b', $$SELECT * FROM coord.acquire_lock('src/api/users.py', '60 s', 'shared')$$) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH: t27_b leases src/api/users.py shared for 60 s');
SELECT is(tests.call('b6', 't27_c', $$SELECT * FROM coord.claim_task(ARRAY['t27.b'])$$) ->> 'reason', 'task_not_claimable',
          'INV-CLAIM-TOUCH ClaimTask: a shared lease of another agent blocks too (it would conflict with an exclusive lease)');
SELECT is(tests.call('b7', 't27_b', $$SELECT * FROM coord.claim_task(ARRAY['t27.b'])$$) ->> 'task_id', tests.tid('b0')::text,
          'INV-CLAIM-TOUCH ClaimTask: the lease holder itself may claim it: the caller''s own leases never block');
SELECT is(tests.call('b8', 't27_b', format('SELECT * FROM coord.fail_task(%s, 1, ''give it back'', true)', tests.tid('b0'))) ->> 'status', 'pending',
          'INV-CLAIM-TOUCH: t27_b gives the task back (retryable failure)');
DO $$ BEGIN PERFORM tests.advance_clock('61 s'); END $$;
SELECT is(tests.call('b9', 't27_c', $$SELECT * FROM coord.claim_task(ARRAY['t27.b'])$$) ->> 'task_id', tests.tid('b0')::text,
          'INV-CLAIM-TOUCH ClaimTask, INV-LOCK-EXPIRY: once the blocking lease expired (clock +61 s), another agent claims the task');
SELECT is(pg_temp.ctx('b9', 'touches'), '["src/api/"]'::jsonb, 'INV-CLAIM-TOUCH ClaimTask: the claim event records the touches');

-- ---------------------------------------------------------------- (c) lease_touches
SELECT is(tests.call('c0', 't27_o', $$SELECT * FROM coord.submit_task('t27.c', 'leased work', p_touches => ARRAY['lib/core/', 'lib/**/*.c'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH: a task touching lib/core/ and lib/**/*.c');
SELECT is(tests.call('c1', 't27_a', $$SELECT * FROM coord.claim_task(ARRAY['t27.c'], '120 s', true)$$) ->> 'task_id', tests.tid('c0')::text,
          'INV-CLAIM-TOUCH ClaimWithLeases: t27_a claims it with lease_touches');
SELECT is(tests.verdict('c1'), 'ok allowed | 1 event: claim_task by t27_a allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE ClaimWithLeases: claim and leases are one decision, one event');
SELECT is(pg_temp.leases('t27_a'), ARRAY['lib/**/*.c exclusive', 'lib/core/ exclusive'],
          'INV-CLAIM-TOUCH ClaimWithLeases: an exclusive lease on every touch, held by the claimer');
SELECT is((SELECT array_agg(format('%s %s %s', e ->> 'path', (e ->> 'token')::bigint = l.token, (e ->> 'expires_at')::timestamptz = l.expires_at) ORDER BY e ->> 'path')
             FROM jsonb_array_elements(pg_temp.ctx('c1', 'leases')) e JOIN coord_private.locks l ON l.path = e ->> 'path' AND l.holder = 't27_a'),
          ARRAY['lib/**/*.c t t', 'lib/core/ t t'],
          'INV-CLAIM-TOUCH ClaimWithLeases: the event names each lease with its token and expiry');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.holder = 't27_a' AND l.expires_at = (tests.res('c1') ->> 'claim_expires_at')::timestamptz), 2::bigint,
          'INV-CLAIM-TOUCH ClaimWithLeases: the leases expire with the claim');
SELECT ok((SELECT min(l.token) FROM coord_private.locks l WHERE l.holder = 't27_a') > (SELECT max((e.context ->> 'token')::bigint) FROM coord_private.audit_events e WHERE e.operation = 'acquire_lock'),
          'INV-LOCK-FENCE ClaimWithLeases: their tokens are above every earlier grant''s');
SELECT is(pg_temp.linked(tests.tid('c0')), ARRAY['lib/**/*.c', 'lib/core/'], 'INV-CLAIM-TOUCH ClaimWithLeases: the rows are linked to the claim');
SELECT is(format('%s %s %s', pg_temp.ctx('c1', 'lease_touches'), pg_temp.ctx('c1', 'live_locks'), (tests.event('c1')).context ? 'skipped'), 'true 1 f',
          'INV-LIMITS ClaimWithLeases: the event carries live_locks (held on other paths + touches - 1) for the profile limit');
SELECT is(tests.call('c2', 't27_b', $$SELECT * FROM coord.acquire_lock('lib/core/x.h', '60 s', 'shared')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL ClaimWithLeases: another agent''s acquire inside a touched dir is refused');
SELECT is(tests.call('c3', 't27_b', $$SELECT * FROM coord.acquire_lock('lib/x/y.c', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXCL ClaimWithLeases: ... and one a touched glob covers');
SELECT ok(coord.check_fence('lib/core/', (SELECT l.token FROM coord_private.locks l WHERE l.holder = 't27_a' AND l.path = 'lib/core/')),
          'INV-LOCK-FENCE ClaimWithLeases: check_fence accepts a claim lease''s token');
-- all or nothing
SELECT is(tests.call('c4', 't27_o', $$SELECT * FROM coord.submit_task('t27.c2', 'half blocked', p_touches => ARRAY['pkg/a.py', 'web/'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH: a task touching pkg/a.py and web/');
SELECT is(tests.call('c5', 't27_c', $$SELECT * FROM coord.acquire_lock('web/app.js', '60 s')$$) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH: t27_c leases web/app.js');
SELECT is(tests.call('c6', 't27_b', $$SELECT * FROM coord.claim_task(ARRAY['t27.c2'], '60 s', true)$$) ->> 'reason', 'task_not_claimable',
          'INV-CLAIM-TOUCH ClaimWithLeases: one touch leased by another agent: the task is skipped');
SELECT is(format('%s %s', pg_temp.leases('t27_b'), (SELECT t.status FROM coord_private.tasks t WHERE t.task_id = tests.tid('c4'))), '{} pending',
          'INV-CLAIM-TOUCH ClaimWithLeases: all or nothing: no lease on the free touch (pkg/a.py), the task pending');
SELECT is(tests.call('c7', 't27_c', $$SELECT * FROM coord.claim_task(ARRAY['t27.c2'], '60 s', true)$$) ->> 'task_id', tests.tid('c4')::text,
          'INV-CLAIM-TOUCH ClaimWithLeases: the holder of web/app.js claims it with leases');
SELECT is(pg_temp.leases('t27_c'), ARRAY['pkg/a.py exclusive', 'web/ exclusive', 'web/app.js exclusive'],
          'INV-CLAIM-TOUCH ClaimWithLeases: its own lease inside web/ stays beside the claim''s');

-- ---------------------------------------------------------------- (d) renewal and the end of a claim
SELECT is(tests.call('d1', 't27_a', format('SELECT * FROM coord.renew_claim(%s, 1, ''300 s'')', tests.tid('c0'))) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH RenewClaim: t27_a renews its claim for 300 s');
SELECT is((SELECT count(*) FROM coord_private.locks l WHERE l.holder = 't27_a' AND l.expires_at = (tests.res('d1') ->> 'claim_expires_at')::timestamptz), 2::bigint,
          'INV-CLAIM-TOUCH RenewClaim: its leases are renewed to the new claim expiry');
SELECT is(jsonb_array_length(pg_temp.ctx('d1', 'renewed_leases')), 2, 'INV-CLAIM-TOUCH RenewClaim: the event names the renewed leases');
SELECT is(tests.call('d2', 't27_a', $$SELECT * FROM coord.renew_lock('lib/**/*.c', '1 s')$$) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH: t27_a shortens one claim lease to 1 s (renew_lock)');
DO $$ BEGIN PERFORM tests.advance_clock('2 s'); END $$;
SELECT is(tests.call('d3', 't27_b', $$SELECT * FROM coord.acquire_lock('lib/z/q.c', '60 s')$$) ->> 'ok', 'true',
          'INV-LOCK-EXPIRY: once it expired, another agent leases a path it covered');
SELECT is(tests.call('d4', 't27_a', format('SELECT * FROM coord.renew_claim(%s, 1, ''300 s'')', tests.tid('c0'))) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH RenewClaim: the claim is renewed again');
SELECT is(format('%s | %s', pg_temp.leases('t27_a'), pg_temp.ctx('d4', 'lapsed_leases') #>> '{0,path}'), '{"lib/core/ exclusive"} | lib/**/*.c',
          'INV-LOCK-EXCL RenewClaim: the lapsed lease is not revived (another agent holds a path under it), the event says so');
SELECT is(tests.call('d5', 't27_a', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('c0'))) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH CompleteTask: t27_a completes the task');
SELECT is(format('%s %s', pg_temp.leases('t27_a'), pg_temp.linked(tests.tid('c0'))), '{} {}',
          'INV-CLAIM-TOUCH CompleteTask: the claim''s leases end with it (the lapsed row too)');
SELECT is(pg_temp.ctx('d5', 'released_leases') #>> '{}', (SELECT jsonb_agg(jsonb_build_object('path', e ->> 'path', 'token', (e ->> 'token')::bigint) ORDER BY e ->> 'path' COLLATE "C") FROM jsonb_array_elements(pg_temp.ctx('c1', 'leases')) e) #>> '{}',
          'INV-CLAIM-TOUCH CompleteTask: the completion event names the leases it ended (path and token)');
SELECT is(tests.verdict('d5'), 'ok allowed | 1 event: complete_task by t27_a allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE CompleteTask: one event');
-- fail (retryable), fail (final), cancel
SELECT is(tests.call('d6', 't27_c', format('SELECT * FROM coord.fail_task(%s, 1, ''retry later'', true)', tests.tid('c4'))) ->> 'status', 'pending',
          'INV-CLAIM-TOUCH FailTask: t27_c fails its claim retryably');
SELECT is(pg_temp.leases('t27_c'), ARRAY['web/app.js exclusive'], 'INV-CLAIM-TOUCH FailTask: the claim''s leases end, its own lease stays');
SELECT is(tests.call('d7', 't27_c', $$SELECT * FROM coord.claim_task(ARRAY['t27.c2'], '60 s', true)$$) ->> 'attempt', '2',
          'INV-CLAIM-TOUCH ClaimWithLeases: t27_c claims it again with leases (attempt 2)');
SELECT is(tests.call('d8', 't27_c', format('SELECT * FROM coord.fail_task(%s, 2, ''broken'')', tests.tid('c4'))) ->> 'status', 'failed',
          'INV-CLAIM-TOUCH FailTask: then fails it for good');
SELECT is(format('%s %s', pg_temp.leases('t27_c'), jsonb_array_length(pg_temp.ctx('d8', 'released_leases'))), '{"web/app.js exclusive"} 2',
          'INV-CLAIM-TOUCH FailTask: the leases end, the event names both');
SELECT is(tests.call('d9', 't27_o', $$SELECT * FROM coord.submit_task('t27.d', 'to cancel', p_touches => ARRAY['etc/conf/'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH: an orchestrator submits a task touching etc/conf/');
SELECT is(tests.call('d10', 't27_b', $$SELECT * FROM coord.claim_task(ARRAY['t27.d'], '60 s', true)$$) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH ClaimWithLeases: t27_b claims it with leases');
SELECT is(tests.call('d11', 't27_o', format('SELECT * FROM coord.cancel_task(%s, ''not needed'')', tests.tid('d9'))) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH CancelTask: its submitter cancels it');
SELECT is(format('%s %s', pg_temp.leases('t27_b'), pg_temp.ctx('d11', 'released_leases') #>> '{0,path}'), '{"lib/z/q.c exclusive"} etc/conf/',
          'INV-CLAIM-TOUCH CancelTask: the claimer''s claim lease ends with the cancellation (its own lease stays), the event names it');
-- takeover after expiry, and an exhausted claim settled on sight
SELECT is(tests.call('d12', 't27_o', $$SELECT * FROM coord.submit_task('t27.e', 'taken over', '{}', 0, '{}', NULL, 2, ARRAY['srv/'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH: a task touching srv/, two attempts');
SELECT is(tests.call('d13', 't27_a', $$SELECT * FROM coord.claim_task(ARRAY['t27.e'], '10 s', true)$$) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH ClaimWithLeases: t27_a claims it with leases for 10 s');
DO $$ BEGIN PERFORM tests.advance_clock('11 s'); END $$;
SELECT is(tests.call('d14', 't27_b', $$SELECT * FROM coord.claim_task(ARRAY['t27.e'], '10 s', true)$$) ->> 'attempt', '2',
          'INV-CLAIM-TOUCH Reclaim: after expiry t27_b takes the claim over with leases (attempt 2)');
SELECT is(format('%s | %s | %s', (SELECT array_agg(l.holder || ' ' || l.path) FROM coord_private.locks l WHERE l.path = 'srv/'),
                 pg_temp.ctx('d14', 'released_leases') #>> '{0,path}', pg_temp.ctx('d14', 'reclaim_from') #>> '{}'),
          '{"t27_b srv/"} | srv/ | t27_a', 'INV-CLAIM-TOUCH Reclaim: the earlier claim''s lease row is gone, the new claimer holds srv/, the event names both');
DO $$ BEGIN PERFORM tests.advance_clock('11 s'); END $$;
SELECT is(tests.call('d15', 't27_c', $$SELECT * FROM coord.claim_task(ARRAY['t27.nothing'])$$) ->> 'reason', 'task_not_claimable',
          'INV-DEPS ExhaustAttempts: any later claim settles the exhausted claim on sight');
SELECT is(format('%s %s', (SELECT t.status FROM coord_private.tasks t WHERE t.task_id = tests.tid('d12')),
                 (SELECT count(*) FROM coord_private.locks l WHERE l.path = 'srv/')), 'failed 0',
          'INV-CLAIM-TOUCH ExhaustAttempts: the exhausted task failed and its claim''s lease is gone');
SELECT is((SELECT e.context -> 'released_leases' #>> '{0,path}' FROM coord_private.audit_events e
            WHERE e.operation = 'settle_task' AND e.resource = tests.tid('d12')::text), 'srv/',
          'INV-CLAIM-TOUCH ExhaustAttempts: the settle event names the lease it ended');
-- a lease of the caller's own on a touched path, and a row two claims share
SELECT is(tests.call('d16', 't27_a', $$SELECT * FROM coord.acquire_lock('share/', '600 s', 'shared')$$) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH: t27_a holds a shared lease of its own on share/ for 600 s');
SELECT is(tests.call('d17', 't27_o', $$SELECT * FROM coord.submit_task('t27.f', 'one', p_touches => ARRAY['share/'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH: two tasks touching share/ ...');
SELECT is(tests.call('d18', 't27_o', $$SELECT * FROM coord.submit_task('t27.f', 'two', p_touches => ARRAY['share/'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH: ... submitted one after the other');
SELECT is(tests.call('d19', 't27_a', $$SELECT * FROM coord.claim_task(ARRAY['t27.f'], '60 s', true)$$) ->> 'task_id', tests.tid('d17')::text,
          'INV-CLAIM-TOUCH ClaimWithLeases: t27_a claims the first with leases');
SELECT is((SELECT format('%s %s %s', l.mode, l.token = (pg_temp.ctx('d19', 'leases') #>> '{0,token}')::bigint, l.expires_at > coord_private.current_time() + interval '500 s')
             FROM coord_private.locks l WHERE l.holder = 't27_a' AND l.path = 'share/'), 'exclusive t t',
          'INV-CLAIM-TOUCH ClaimWithLeases: its own lease on share/ is re-granted to the claim in place: exclusive, a new token, the later expiry');
SELECT is(tests.call('d20', 't27_a', $$SELECT * FROM coord.claim_task(ARRAY['t27.f'], '60 s', true)$$) ->> 'task_id', tests.tid('d18')::text,
          'INV-CLAIM-TOUCH ClaimWithLeases: t27_a claims the second, touching the same path, with leases');
SELECT is((SELECT count(*) FROM coord_private.claim_leases c JOIN coord_private.locks l ON l.lock_id = c.lock_id WHERE l.path = 'share/'), 2::bigint,
          'INV-CLAIM-TOUCH ClaimWithLeases: one row, linked to both claims');
SELECT is(tests.call('d21', 't27_a', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('d17'))) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH CompleteTask: the first is completed');
SELECT is(format('%s %s', pg_temp.leases('t27_a'), coalesce(pg_temp.ctx('d21', 'released_leases')::text, 'none')), '{"share/ exclusive"} none',
          'INV-CLAIM-TOUCH CompleteTask: the row stays while the other claim lives (and was not released)');
SELECT is(tests.call('d22', 't27_a', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('d18'))) ->> 'ok', 'true',
          'INV-CLAIM-TOUCH CompleteTask: the second is completed');
SELECT is(pg_temp.leases('t27_a'), '{}'::text[], 'INV-CLAIM-TOUCH CompleteTask: the row ends with the last claim');

-- ---------------------------------------------------------------- (e) limits and policy
SELECT is(tests.call('e0', 't27_o', $$SELECT * FROM coord.submit_task('t27.g', 'three touches', p_touches => ARRAY['g/a.py', 'g/b.py', 'g/c.py'])$$) ->> 'reason', 'allowed',
          'INV-LIMITS: a task with three touches');
SELECT is(tests.call('e1', 't27_s', $$SELECT * FROM coord.claim_task(ARRAY['t27.g'], '60 s', true)$$) ->> 'reason', 'limit_exceeded',
          'INV-LIMITS ClaimWithLeases: an agent with max_locks 2 cannot take three leases with a claim → limit_exceeded');
SELECT is(format('%s %s %s', tests.verdict('e1'), pg_temp.leases('t27_s'), (SELECT t.status FROM coord_private.tasks t WHERE t.task_id = tests.tid('e0'))),
          'refused limit_exceeded | 1 event: claim_task by t27_s allowed=false proceeded=false reason=limit_exceeded mode=enforce {} pending',
          'INV-LIMITS ClaimWithLeases: one event, no lease, no claim');
SELECT is(tests.call('e2', 't27_s', $$SELECT * FROM coord.claim_task(ARRAY['t27.g'], '60 s')$$) ->> 'ok', 'true',
          'INV-LIMITS ClaimTask: without lease_touches the same agent claims it (no lease taken)');
SELECT is(tests.call('e3', 't27_o', $$SELECT * FROM coord.submit_task('t27.h', 'claims without leases', p_touches => ARRAY['h/'])$$) ->> 'reason', 'allowed',
          'INV-TRUST: a task touching h/');
SELECT is(tests.call('e4', 't27_n', $$SELECT * FROM coord.claim_task(ARRAY['t27.h'], '60 s', true)$$) ->> 'reason', 'operation_blocked',
          'INV-TRUST ClaimWithLeases: a profile blocked from acquire_lock cannot lease through a claim → operation_blocked');
SELECT is(format('%s %s', pg_temp.leases('t27_n'), (SELECT t.status FROM coord_private.tasks t WHERE t.task_id = tests.tid('e3'))), '{} pending',
          'INV-TRUST ClaimWithLeases: nothing was leased or claimed');
SELECT is(tests.call('e5', 't27_o', $$SELECT * FROM coord.submit_task('t27.i', 'batch 1', p_touches => ARRAY['i/one/'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH: two tasks with separate touches ...');
SELECT is(tests.call('e6', 't27_o', $$SELECT * FROM coord.submit_task('t27.i', 'batch 2', p_touches => ARRAY['i/two/'])$$) ->> 'reason', 'allowed',
          'INV-CLAIM-TOUCH: ... for one batch');
SELECT is((SELECT jsonb_agg(r ->> 'attempt') FROM jsonb_array_elements(tests.run_as('t27_b', $$SELECT * FROM coord.claim_tasks(5, ARRAY['t27.i'], '60 s', true)$$)) r),
          '["1", "1"]'::jsonb, 'INV-CLAIM-TOUCH claim_tasks: a batch with lease_touches claims both ...');
SELECT is(pg_temp.leases('t27_b'), ARRAY['i/one/ exclusive', 'i/two/ exclusive', 'lib/z/q.c exclusive'],
          'INV-CLAIM-TOUCH claim_tasks: ... each with its leases');

-- ---------------------------------------------------------------- (f) serialisation
-- The claim takes the coordination locks of every touch before it judges: a spy in
-- place of coord_private.lock_lease_paths (inside this transaction) records each call.
CREATE TEMP TABLE spied (n bigserial, paths text[], wait boolean);
GRANT INSERT, SELECT ON pg_temp.spied TO coord_owner;
GRANT USAGE ON SEQUENCE pg_temp.spied_n_seq TO coord_owner;
ALTER FUNCTION coord_private.lock_lease_paths(text[], boolean) RENAME TO lock_lease_paths_real;
CREATE FUNCTION coord_private.lock_lease_paths(p_paths text[], p_wait boolean) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pg_temp.spied (paths, wait) VALUES (p_paths, p_wait);
    RETURN coord_private.lock_lease_paths_real(p_paths, p_wait);
END
$$;
ALTER FUNCTION coord_private.lock_lease_paths(text[], boolean) OWNER TO coord_owner;
SELECT is(tests.call('f0', 't27_o', $$SELECT * FROM coord.submit_task('t27.j', 'spied', p_touches => ARRAY['j/b.py', 'j/a/'])$$) ->> 'reason', 'allowed',
          'INV-LOCK-EXCL: a task touching j/b.py and j/a/');
SELECT is(tests.call('f1', 't27_a', $$SELECT * FROM coord.claim_task(ARRAY['t27.j'], '60 s', true)$$) ->> 'ok', 'true',
          'INV-LOCK-EXCL ClaimWithLeases: claimed with leases');
SELECT is((SELECT array_agg(format('%s %s', s.paths, s.wait) ORDER BY s.n) FROM pg_temp.spied s), ARRAY['{j/a/,j/b.py} t'],
          'INV-LOCK-EXCL ClaimWithLeases: the coordination locks of all touches were taken once, in one waiting round');
SELECT is(tests.call('f2', 't27_a', format('SELECT * FROM coord.renew_claim(%s, 1, ''60 s'')', tests.tid('f0'))) ->> 'ok', 'true',
          'INV-LOCK-EXCL RenewClaim: renewed');
SELECT is((SELECT format('%s %s', s.paths, s.wait) FROM pg_temp.spied s ORDER BY s.n DESC LIMIT 1), '{j/a/,j/b.py} t',
          'INV-LOCK-EXCL RenewClaim: the renewal takes the coordination locks of its leases before its clock reading');
SELECT * FROM finish();
ROLLBACK;
