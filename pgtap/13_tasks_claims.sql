-- The task queue, submitting and claiming: idempotent submit, claim order
-- (priority, then oldest), type filters, one claimer at a time (INV-CLAIM-UNIQ),
-- claim tokens, the batch form, profile limits, claim renewal and reclaim after
-- expiry (INV-RECLAIM; TLA+ SubmitTask, ClaimTask, RenewClaim, Reclaim). Every
-- refusal is checked with its reason code and its single audit event
-- (INV-AUDIT-COMPLETE). Completion and failure: 14_tasks_completion.sql;
-- dependencies: 15_tasks_deps.sql; bad input: 16_bad_input.sql.
-- DESIGN.md has no invariant ID of its own for idempotent submit and claim order;
-- their tests are filed under INV-CLAIM-UNIQ (one unit of work is one task, and
-- a claim takes exactly one claimable task: the best one).
BEGIN;
SELECT plan(110);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql) record and read
--                           calls in the temporary table tests.start_calls creates
SELECT tests.start_calls();

-- The task ids of every row a labelled call returned, in order.
CREATE FUNCTION pg_temp.tids(p_label text) RETURNS bigint[]
LANGUAGE sql AS $$ SELECT tests.col(p_label, 'task_id')::bigint[] $$;

SELECT tests.create_agents('implementer', 't13_sub', 't13_w1', 't13_w2', 't13_w3', 't13_w4', 't13_w5', 't13_w6'),
       tests.create_agents('reviewer', 't13_rev');

-- ---------------------------------------------------------------- submit
SELECT is(tests.call('s1', 't13_sub', $$SELECT * FROM coord.submit_task('t13.a', 'low', '{"n": 1}', 0)$$) ->> 'reason', 'allowed',
          'INV-CLAIM-UNIQ SubmitTask: an implementer submits a task');
SELECT is(tests.verdict('s1'),
          'ok allowed | 1 event: submit_task by t13_sub allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE SubmitTask: the submission wrote exactly one audit event');
SELECT is(tests.res('s1') ->> 'existing', 'false', 'INV-CLAIM-UNIQ SubmitTask: a new task is not "existing"');
SELECT is((SELECT format('%s %s %s %s %s %s %s %s', t.task_type, t.status, t.priority, t.attempts, t.max_attempts, t.unmet_deps,
                         t.submitter, t.input)
             FROM coord_private.tasks t WHERE t.task_id = tests.tid('s1')),
          't13.a pending 0 0 3 0 t13_sub {"n": 1}',
          'INV-CLAIM-UNIQ SubmitTask: the row is pending, unclaimed, with its input, priority and the default max_attempts 3');
SELECT is(tests.call('s2', 't13_sub', $$SELECT * FROM coord.submit_task('t13.a', 'high, older', '{}', 5)$$) ->> 'reason', 'allowed',
          'INV-CLAIM-UNIQ SubmitTask: a priority-5 task');
SELECT is(tests.call('s3', 't13_sub', $$SELECT * FROM coord.submit_task('t13.a', 'high, newer', '{}', 5)$$) ->> 'reason', 'allowed',
          'INV-CLAIM-UNIQ SubmitTask: another priority-5 task, submitted later');
SELECT is(tests.call('s4', 't13_sub', $$SELECT * FROM coord.submit_task('t13.b', 'highest, other type', '{}', 10)$$) ->> 'reason', 'allowed',
          'INV-CLAIM-UNIQ SubmitTask: a priority-10 task of another type');
SELECT is(tests.call('s5', 't13_sub', $$SELECT * FROM coord.submit_task('t13.a', 'negative', '{}', -5)$$) ->> 'reason', 'allowed',
          'INV-CLAIM-UNIQ SubmitTask: a priority -5 task');

SELECT is(tests.call('s6', 't13_rev', $$SELECT * FROM coord.submit_task('t13.a', 'reviewer')$$) ->> 'reason', 'trust_too_low',
          'INV-TRUST SubmitTask: a reviewer (trust 1) → trust_too_low');
SELECT is(tests.verdict('s6'),
          'refused trust_too_low | 1 event: submit_task by t13_rev allowed=false proceeded=false reason=trust_too_low mode=enforce',
          'INV-AUDIT-COMPLETE SubmitTask: the denial is its single audit event');
SELECT is(format('task_id=%s rows=%s', coalesce(tests.res('s6') ->> 'task_id', 'NULL'),
                 (SELECT count(*) FROM coord_private.tasks t WHERE t.submitter = 't13_rev')),
          'task_id=NULL rows=0', 'INV-TRUST SubmitTask: the denied submission created no task');

-- ---------------------------------------------------------------- idempotent submit
SELECT is(tests.call('i1', 't13_sub', $$SELECT * FROM coord.submit_task('t13.i', 'first', p_idempotency_key => 'k-1')$$) ->> 'existing', 'false',
          'INV-CLAIM-UNIQ SubmitTask: the first submission with key k-1 creates a task');
SELECT is(tests.call('i2', 't13_sub', $$SELECT * FROM coord.submit_task('t13.i', 'second', p_idempotency_key => 'k-1')$$) ->> 'existing', 'true',
          'INV-CLAIM-UNIQ SubmitTask: the same key from the same agent returns the existing task (existing = true)');
SELECT is(tests.tid('i2'), tests.tid('i1'), 'INV-CLAIM-UNIQ SubmitTask: the same key from the same agent returns the same task_id');
SELECT is(tests.verdict('i2'),
          'ok allowed | 1 event: submit_task by t13_sub allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE SubmitTask: the idempotent resubmission wrote exactly one audit event');
SELECT is((tests.event('i2')).context ->> 'existing_task', tests.tid('i1')::text,
          'INV-AUDIT-COMPLETE SubmitTask: the audit event names the existing task');
SELECT is((SELECT format('%s %s', count(*), min(t.description)) FROM coord_private.tasks t WHERE t.idempotency_key = 'k-1' AND t.submitter = 't13_sub'),
          '1 first', 'INV-CLAIM-UNIQ SubmitTask: the resubmission created no row and changed nothing of the existing task');
SELECT is(tests.call('i3', 't13_w1', $$SELECT * FROM coord.submit_task('t13.i', 'other agent', p_idempotency_key => 'k-1')$$) ->> 'existing', 'false',
          'INV-CLAIM-UNIQ SubmitTask: the same key from another agent creates a new task');
SELECT isnt(tests.tid('i3'), tests.tid('i1'), 'INV-CLAIM-UNIQ SubmitTask: the other agent''s task has its own task_id');

-- ---------------------------------------------------------------- claim order and type filter
SELECT is(tests.call('c1', 't13_w1', $$SELECT * FROM coord.claim_task(ARRAY['t13.a', 't13.b'])$$) ->> 'task_id', tests.tid('s4')::text,
          'INV-CLAIM-UNIQ ClaimTask: across the requested types the highest priority (10) is claimed first');
SELECT is(tests.verdict('c1'),
          'ok allowed | 1 event: claim_task by t13_w1 allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE ClaimTask: the claim wrote exactly one audit event');
SELECT is(format('token=%s attempt=%s expires=%s', tests.res('c1') ->> 'claim_token', tests.res('c1') ->> 'attempt',
                 ((tests.res('c1') ->> 'claim_expires_at')::timestamptz - interval '5 minutes'
                     BETWEEN now() AND ((tests.event('c1')).context ->> 'at')::timestamptz)::text),
          'token=1 attempt=1 expires=true',
          'INV-COMPLETE-OWNER ClaimTask: the claim returns claim_token = attempt = 1 and expires after the default lease (5 minutes)');
SELECT is((SELECT format('%s %s %s %s', t.status, t.claimed_by, t.claim_token, t.attempts) FROM coord_private.tasks t WHERE t.task_id = tests.tid('s4')),
          'claimed t13_w1 1 1', 'INV-CLAIM-UNIQ ClaimTask: the row is claimed by t13_w1 with token and attempts 1');
SELECT is(tests.call('c2', 't13_w1', $$SELECT * FROM coord.claim_task(ARRAY['t13.a'])$$) ->> 'task_id', tests.tid('s2')::text,
          'INV-CLAIM-UNIQ ClaimTask: the type filter excludes t13.b; of two priority-5 tasks the older is claimed');
SELECT is(tests.call('c3', 't13_w2', $$SELECT * FROM coord.claim_task(ARRAY['t13.a'])$$) ->> 'task_id', tests.tid('s3')::text,
          'INV-CLAIM-UNIQ ClaimTask: then the newer priority-5 task');
SELECT is(tests.call('c4', 't13_w2', $$SELECT * FROM coord.claim_task(ARRAY['t13.a'])$$) ->> 'task_id', tests.tid('s1')::text,
          'INV-CLAIM-UNIQ ClaimTask: then priority 0');
SELECT is(tests.call('c5', 't13_w3', $$SELECT * FROM coord.claim_task(ARRAY['t13.a'])$$) ->> 'task_id', tests.tid('s5')::text,
          'INV-CLAIM-UNIQ ClaimTask: then priority -5');
SELECT is(tests.call('c6', 't13_w3', $$SELECT * FROM coord.claim_task(ARRAY['t13.a', 't13.b'])$$) ->> 'reason', 'task_not_claimable',
          'INV-CLAIM-UNIQ ClaimTask: with every t13.a/t13.b task claimed, nothing is claimable → task_not_claimable');
SELECT is(tests.verdict('c6'),
          'refused task_not_claimable | 1 event: claim_task by t13_w3 allowed=true proceeded=false reason=task_not_claimable mode=enforce',
          'INV-AUDIT-COMPLETE ClaimTask: the refusal is its single audit event');
SELECT is(tests.res('c6') ->> 'task_id', NULL, 'INV-CLAIM-UNIQ ClaimTask: the refusal returns no task');
SELECT is(tests.call('c7', 't13_w3', $$SELECT * FROM coord.claim_task(ARRAY['t13.nosuchtype'])$$) ->> 'reason', 'task_not_claimable',
          'INV-CLAIM-UNIQ ClaimTask: a type nobody submitted → task_not_claimable');
SELECT is(tests.call('c8', 't13_rev', $$SELECT * FROM coord.claim_task(ARRAY['t13.i'])$$) ->> 'reason', 'trust_too_low',
          'INV-TRUST ClaimTask: a reviewer → trust_too_low');
SELECT is(tests.verdict('c8'),
          'refused trust_too_low | 1 event: claim_task by t13_rev allowed=false proceeded=false reason=trust_too_low mode=enforce',
          'INV-AUDIT-COMPLETE ClaimTask: the denial is its single audit event');
SELECT is((SELECT count(*) FROM coord_private.tasks t WHERE t.task_type = 't13.i' AND t.status = 'pending'), 2::bigint,
          'INV-TRUST ClaimTask: the denied claim left the t13.i tasks pending');

-- ---------------------------------------------------------------- one claimer at a time
SELECT is(tests.submit_and_claim('u0', 't13_sub', 't13.u', 'unique', 't13_w1'),
          'submit allowed; claim by t13_w1 allowed, the submitted task, token 1, attempt 1',
          'INV-CLAIM-UNIQ SubmitTask, ClaimTask: a t13.u task, claimed by t13_w1');
SELECT is(tests.call('u2', 't13_w2', $$SELECT * FROM coord.claim_task(ARRAY['t13.u'])$$) ->> 'reason', 'task_not_claimable',
          'INV-CLAIM-UNIQ ClaimTask: while t13_w1''s claim is live, t13_w2 cannot claim it → task_not_claimable');
SELECT is(tests.verdict('u2'),
          'refused task_not_claimable | 1 event: claim_task by t13_w2 allowed=true proceeded=false reason=task_not_claimable mode=enforce',
          'INV-AUDIT-COMPLETE ClaimTask: the refusal is its single audit event');
SELECT is((SELECT format('%s %s %s', t.claimed_by, t.attempts, t.claim_token) FROM coord_private.tasks t WHERE t.task_id = tests.tid('u0')),
          't13_w1 1 1', 'INV-CLAIM-UNIQ ClaimTask: the claim of t13_w1 is untouched');

-- ---------------------------------------------------------------- profile limits
-- t13_w1 now holds three live claims (s4, s2, u0): the implementer's max_claimed_tasks.
SELECT is(tests.call('l0', 't13_sub', $$SELECT * FROM coord.submit_task('t13.lim', 'limit')$$) ->> 'reason', 'allowed',
          'INV-CLAIM-UNIQ SubmitTask: a t13.lim task');
SELECT is(tests.call('l1', 't13_w1', $$SELECT * FROM coord.claim_task(ARRAY['t13.lim'])$$) ->> 'reason', 'limit_exceeded',
          'INV-TRUST ClaimTask: a fourth live claim over max_claimed_tasks 3 → limit_exceeded');
SELECT is(tests.verdict('l1'),
          'refused limit_exceeded | 1 event: claim_task by t13_w1 allowed=false proceeded=false reason=limit_exceeded mode=enforce',
          'INV-AUDIT-COMPLETE ClaimTask: the limit refusal is its single audit event');
SELECT is((tests.event('l1')).context -> 'decision' ->> 'limit', 'max_claimed_tasks',
          'INV-AUDIT-COMPLETE ClaimTask: the audit event names the limit (max_claimed_tasks)');
SELECT is(tests.call('l2', 't13_w4', $$SELECT * FROM coord.claim_task(ARRAY['t13.lim'], '3601 s')$$) ->> 'reason', 'limit_exceeded',
          'INV-TRUST ClaimTask: a claim lease over max_lease_seconds (3600) → limit_exceeded');
SELECT is((tests.event('l2')).context -> 'decision' ->> 'limit', 'max_lease_seconds',
          'INV-AUDIT-COMPLETE ClaimTask: the audit event names the limit (max_lease_seconds)');
SELECT is((SELECT format('%s %s', t.status, t.attempts) FROM coord_private.tasks t WHERE t.task_id = tests.tid('l0')),
          'pending 0', 'INV-TRUST ClaimTask: the refused claims left the task pending with no attempt counted');
SELECT is(tests.call('l3', 't13_w4', $$SELECT * FROM coord.claim_task(ARRAY['t13.lim'], '3600 s')$$) ->> 'task_id', tests.tid('l0')::text,
          'INV-TRUST ClaimTask: a claim lease of exactly max_lease_seconds is granted');

-- ---------------------------------------------------------------- the batch form
SELECT is((SELECT array_agg(tests.row_as('t13_sub', format('SELECT * FROM coord.submit_task(''t13.batch'', ''b%s'', ''{}'', %s)', p, p)) ->> 'reason' ORDER BY p)
             FROM generate_series(1, 3) p),
          ARRAY['allowed', 'allowed', 'allowed'], 'INV-CLAIM-UNIQ SubmitTask: three t13.batch tasks, priorities 1 to 3');
SELECT is(tests.col('b1', 'priority'), ARRAY['3', '2'], 'INV-CLAIM-UNIQ ClaimTask: claim_tasks(2) claims the two best tasks, best first')
  FROM (SELECT tests.call('b1', 't13_w4', $$SELECT * FROM coord.claim_tasks(2, ARRAY['t13.batch'])$$)) s;
SELECT is((SELECT array_agg(format('%s %s %s', e.operation, e.reason, e.proceeded::text) ORDER BY e.event_id)
             FROM calls c JOIN coord_private.audit_events e ON e.event_id = ANY (c.events) WHERE c.label = 'b1'),
          ARRAY['claim_task allowed true', 'claim_task allowed true'],
          'INV-AUDIT-COMPLETE ClaimTask: the batch of two wrote one audit event per claim');
SELECT is((SELECT array_agg(e.event_id ORDER BY e.event_id) FROM calls c JOIN coord_private.audit_events e ON e.event_id = ANY (c.events) WHERE c.label = 'b1'),
          (SELECT array_agg((r ->> 'event_id')::bigint ORDER BY (r ->> 'event_id')::bigint) FROM calls c, jsonb_array_elements(c.rows) r WHERE c.label = 'b1'),
          'INV-AUDIT-COMPLETE ClaimTask: each returned row carries the event_id of its own claim');
SELECT is((SELECT array_agg(t.claimed_by || ' ' || t.claim_token ORDER BY t.priority DESC) FROM coord_private.tasks t
            WHERE t.task_id = ANY (pg_temp.tids('b1'))),
          ARRAY['t13_w4 1', 't13_w4 1'], 'INV-CLAIM-UNIQ ClaimTask: both batch rows are claimed by t13_w4 with token 1');
SELECT is(cardinality(pg_temp.tids('b2')), 1,
          'INV-CLAIM-UNIQ ClaimTask: claim_tasks(5) with one task left claims just that one')
  FROM (SELECT tests.call('b2', 't13_w5', $$SELECT * FROM coord.claim_tasks(5, ARRAY['t13.batch'])$$)) s;
SELECT is((SELECT array_agg(format('%s %s', e.operation, e.reason) ORDER BY e.event_id)
             FROM calls c JOIN coord_private.audit_events e ON e.event_id = ANY (c.events) WHERE c.label = 'b2'),
          ARRAY['claim_task allowed', 'claim_task task_not_claimable'],
          'INV-AUDIT-COMPLETE ClaimTask: the batch records its claim and the refusal that ended it, one event each');
SELECT is(tests.row_as('t13_sub', $$SELECT * FROM coord.submit_task('t13.batch', 'b0')$$) ->> 'reason', 'allowed',
          'INV-CLAIM-UNIQ SubmitTask: one more t13.batch task');
SELECT is(cardinality(pg_temp.tids('b3')), 0,
          'INV-TRUST ClaimTask: claim_tasks(3) by an agent at max_claimed_tasks claims nothing')
  FROM (SELECT tests.call('b3', 't13_w4', $$SELECT * FROM coord.claim_tasks(3, ARRAY['t13.batch'])$$)) s;
SELECT is((SELECT array_agg(format('%s %s %s', e.operation, e.reason, e.allowed::text) ORDER BY e.event_id)
             FROM calls c JOIN coord_private.audit_events e ON e.event_id = ANY (c.events) WHERE c.label = 'b3'),
          ARRAY['claim_task limit_exceeded false'],
          'INV-AUDIT-COMPLETE ClaimTask: the batch stopped at the limit refusal, recorded as one event');
SELECT is((SELECT array_agg(tests.row_as('t13_sub', format('SELECT * FROM coord.submit_task(''t13.many'', ''m%s'')', p)) ->> 'reason')
             FROM generate_series(1, 5) p),
          ARRAY['allowed', 'allowed', 'allowed', 'allowed', 'allowed'], 'INV-CLAIM-UNIQ SubmitTask: five t13.many tasks');
SELECT is(cardinality(pg_temp.tids('b4')), 3,
          'INV-TRUST ClaimTask: claim_tasks(5) by a fresh implementer stops at max_claimed_tasks 3')
  FROM (SELECT tests.call('b4', 't13_w6', $$SELECT * FROM coord.claim_tasks(5, ARRAY['t13.many'])$$)) s;
SELECT is((SELECT array_agg(e.reason ORDER BY e.event_id)
             FROM calls c JOIN coord_private.audit_events e ON e.event_id = ANY (c.events) WHERE c.label = 'b4'),
          ARRAY['allowed', 'allowed', 'allowed', 'limit_exceeded'],
          'INV-AUDIT-COMPLETE ClaimTask: three claims and the limit refusal, one event each');
SELECT is((SELECT count(*) FROM coord_private.tasks t WHERE t.task_type = 't13.many' AND t.status = 'pending'), 2::bigint,
          'INV-TRUST ClaimTask: the other two t13.many tasks stay pending');

-- ---------------------------------------------------------------- renewing a claim
SELECT is(tests.call('n1', 't13_w1', format('SELECT * FROM coord.renew_claim(%s, 1, ''10 minutes'')', tests.tid('s2'))) ->> 'reason', 'allowed',
          'INV-RECLAIM RenewClaim: the claimer renews its claim');
SELECT is(tests.verdict('n1'),
          'ok allowed | 1 event: renew_claim by t13_w1 allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE RenewClaim: the renewal wrote exactly one audit event');
SELECT ok((SELECT t.claim_expires_at - interval '10 minutes' FROM coord_private.tasks t WHERE t.task_id = tests.tid('s2'))
              BETWEEN ((tests.event('n1')).context ->> 'at')::timestamptz AND coord_private.current_time(),
          'INV-RECLAIM RenewClaim: the claim now expires 10 minutes after the renewal''s decision');
SELECT is((tests.res('n1') ->> 'claim_expires_at')::timestamptz,
          (SELECT t.claim_expires_at FROM coord_private.tasks t WHERE t.task_id = tests.tid('s2')),
          'INV-RECLAIM RenewClaim: the renewal returns the new expiry');
SELECT is(tests.call('n2', 't13_w2', format('SELECT * FROM coord.renew_claim(%s, 1, ''20 minutes'')', tests.tid('s2'))) ->> 'reason', 'not_claim_owner',
          'INV-COMPLETE-OWNER RenewClaim: another agent with the right token → not_claim_owner');
SELECT is(tests.verdict('n2'),
          'refused not_claim_owner | 1 event: renew_claim by t13_w2 allowed=true proceeded=false reason=not_claim_owner mode=enforce',
          'INV-AUDIT-COMPLETE RenewClaim: the refusal is its single audit event');
SELECT is(tests.call('n3', 't13_w1', format('SELECT * FROM coord.renew_claim(%s, 2, ''20 minutes'')', tests.tid('s2'))) ->> 'reason', 'not_claim_owner',
          'INV-COMPLETE-OWNER RenewClaim: the claimer with a wrong token → not_claim_owner');
SELECT is(tests.call('n4', 't13_w1', format('SELECT * FROM coord.renew_claim(%s, 1, ''3601 s'')', tests.tid('s2'))) ->> 'reason', 'limit_exceeded',
          'INV-TRUST RenewClaim: a renewal over max_lease_seconds → limit_exceeded');
SELECT is(tests.verdict('n4'),
          'refused limit_exceeded | 1 event: renew_claim by t13_w1 allowed=false proceeded=false reason=limit_exceeded mode=enforce',
          'INV-AUDIT-COMPLETE RenewClaim: the denial is its single audit event');
SELECT is((SELECT t.claim_expires_at FROM coord_private.tasks t WHERE t.task_id = tests.tid('s2')),
          (tests.res('n1') ->> 'claim_expires_at')::timestamptz, 'INV-COMPLETE-OWNER RenewClaim: the refused renewals left the claim''s expiry unchanged');

-- ---------------------------------------------------------------- expiry and reclaim
SELECT is(tests.submit_and_claim('r0', 't13_sub', 't13.r', 'to be reclaimed', 't13_w2', p_ttl => '60 s'),
          'submit allowed; claim by t13_w2 allowed, the submitted task, token 1, attempt 1',
          'INV-CLAIM-UNIQ SubmitTask, ClaimTask: a t13.r task, claimed by t13_w2 for 60 s (token 1)');
SELECT is(tests.submit_and_claim('e0', 't13_sub', 't13.e', 'to expire', 't13_w3', p_ttl => '60 s'),
          'submit allowed; claim by t13_w3 allowed, the submitted task, token 1, attempt 1',
          'INV-CLAIM-UNIQ SubmitTask, ClaimTask: a t13.e task, claimed by t13_w3 for 60 s (token 1)');
SELECT is(tests.call('r2', 't13_w5', $$SELECT * FROM coord.claim_task(ARRAY['t13.r'])$$) ->> 'reason', 'task_not_claimable',
          'INV-CLAIM-UNIQ ClaimTask: before the lease runs out nobody else can claim it');

DO $$ BEGIN PERFORM tests.advance_clock('61 s'); END $$;
SELECT is((SELECT c.shift FROM tests.clock_offset c), interval '61 s',
          'INV-RECLAIM: pgcoord''s clock now runs 61 s ahead (the test clock; nothing is reaped)');
SELECT ok(coord_private.current_time() - pg_catalog.clock_timestamp() BETWEEN interval '61 s' - interval '1 ms' AND interval '61 s' + interval '1 ms',
          'INV-LOCK-EXPIRY: the clock pgcoord judges by is the time of the call plus the offset');

SELECT is((SELECT format('%s %s', t.status, coalesce(t.claimed_by, 'nobody')) FROM coord.tasks t WHERE t.task_id = tests.tid('r0')),
          'pending nobody', 'INV-RECLAIM: coord.tasks shows the expired claim as pending and unclaimed (no reap ran)');
SELECT is((tests.row_as('t13_w5', format('SELECT * FROM coord.get_task(%s)', tests.tid('r0'))) ->> 'status'), 'pending',
          'INV-RECLAIM: get_task shows the expired claim as pending');
SELECT is(tests.call('r3', 't13_w5', $$SELECT * FROM coord.claim_task(ARRAY['t13.r'])$$) ->> 'task_id', tests.tid('r0')::text,
          'INV-RECLAIM Reclaim: another agent claims the task whose claim expired');
SELECT is(format('token=%s attempt=%s', tests.res('r3') ->> 'claim_token', tests.res('r3') ->> 'attempt'), 'token=2 attempt=2',
          'INV-RECLAIM Reclaim: the reclaim is attempt 2 with claim_token 2');
SELECT is(tests.verdict('r3'),
          'ok allowed | 1 event: claim_task by t13_w5 allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE Reclaim: the reclaim wrote exactly one audit event');
SELECT is((tests.event('r3')).context ->> 'reclaim_from', 't13_w2',
          'INV-AUDIT-COMPLETE Reclaim: the audit event names the claimer it reclaimed from');

-- Late calls on a claim that is no longer the caller's: the stale claimer t13_w2
-- after the reclaim of r0 (not_claim_owner), and t13_w3, whose claim of e0 expired
-- and was not reclaimed (claim_expired). Each refusal is checked with its reason
-- and its single audit event; q takes the task id.
CREATE TEMP TABLE late (label text PRIMARY KEY, n integer NOT NULL, who text NOT NULL, task text NOT NULL,
                        action text NOT NULL, operation text NOT NULL, q text NOT NULL, want text NOT NULL, what text NOT NULL);
INSERT INTO late VALUES
    ('r4', 1, 't13_w2', 'r0', 'CompleteTask', 'complete_task', 'SELECT * FROM coord.complete_task(%s, 1, ''{"late": true}'')', 'not_claim_owner',
     'INV-COMPLETE-OWNER CompleteTask: the stale claimer''s completion after a reclaim'),
    ('r5', 2, 't13_w2', 'r0', 'FailTask', 'fail_task', 'SELECT * FROM coord.fail_task(%s, 1, ''late'')', 'not_claim_owner',
     'INV-COMPLETE-OWNER FailTask: the stale claimer''s failure after a reclaim'),
    ('r6', 3, 't13_w2', 'r0', 'RenewClaim', 'renew_claim', 'SELECT * FROM coord.renew_claim(%s, 1)', 'not_claim_owner',
     'INV-COMPLETE-OWNER RenewClaim: the stale claimer''s renewal after a reclaim'),
    ('e2', 4, 't13_w3', 'e0', 'CompleteTask', 'complete_task', 'SELECT * FROM coord.complete_task(%s, 1)', 'claim_expired',
     'INV-COMPLETE-OWNER CompleteTask: completing after one''s own claim expired'),
    ('e3', 5, 't13_w3', 'e0', 'FailTask', 'fail_task', 'SELECT * FROM coord.fail_task(%s, 1, ''too late'')', 'claim_expired',
     'INV-COMPLETE-OWNER FailTask: failing after one''s own claim expired'),
    ('e4', 6, 't13_w3', 'e0', 'RenewClaim', 'renew_claim', 'SELECT * FROM coord.renew_claim(%s, 1)', 'claim_expired',
     'INV-RECLAIM RenewClaim: renewing one''s own expired claim');

-- The stale claimer after the reclaim: not_claim_owner, and the task is untouched.
SELECT is(tests.call(c.label, c.who, format(c.q, tests.tid(c.task))) ->> 'reason', c.want, c.what || ' → ' || c.want)
  FROM late c WHERE c.task = 'r0' ORDER BY c.n;
SELECT is(tests.verdict(c.label),
          format('refused %s | 1 event: %s by %s allowed=true proceeded=false reason=%s mode=enforce', c.want, c.operation, c.who, c.want),
          format('INV-AUDIT-COMPLETE %s: the refusal is its single audit event', c.action))
  FROM late c WHERE c.task = 'r0' ORDER BY c.n;
SELECT is((SELECT format('%s %s %s %s', t.status, t.claimed_by, t.claim_token, coalesce(t.result::text, 'no result')) FROM coord_private.tasks t
            WHERE t.task_id = tests.tid('r0')),
          'claimed t13_w5 2 no result', 'INV-COMPLETE-OWNER: the stale claimer changed nothing: claimed by t13_w5, token 2, no result');

-- The claimer whose claim expired and was not reclaimed: claim_expired.
SELECT is(tests.call(c.label, c.who, format(c.q, tests.tid(c.task))) ->> 'reason', c.want, c.what || ' → ' || c.want)
  FROM late c WHERE c.task = 'e0' ORDER BY c.n;
SELECT is(tests.verdict(c.label),
          format('refused %s | 1 event: %s by %s allowed=true proceeded=false reason=%s mode=enforce', c.want, c.operation, c.who, c.want),
          format('INV-AUDIT-COMPLETE %s: the refusal is its single audit event', c.action))
  FROM late c WHERE c.task = 'e0' ORDER BY c.n;
SELECT is((SELECT format('%s %s %s', t.status, t.attempts, (t.claim_expires_at <= coord_private.current_time())::text) FROM coord_private.tasks t
            WHERE t.task_id = tests.tid('e0')),
          'claimed 1 true', 'INV-RECLAIM: the refused calls neither renewed nor settled the expired claim');
SELECT is(tests.call('e5', 't13_w3', $$SELECT * FROM coord.claim_task(ARRAY['t13.e'])$$) ->> 'claim_token', '2',
          'INV-RECLAIM Reclaim: the same agent may claim its expired task again, as attempt 2');
SELECT is(tests.call('e6', 't13_w3', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('e0'))) ->> 'reason', 'not_claim_owner',
          'INV-COMPLETE-OWNER CompleteTask: its token of attempt 1 no longer matches → not_claim_owner');

-- Expired claims no longer count against max_claimed_tasks: t13_w2 holds s3 and s1
-- (5-minute leases, still live) and the expired t13.r claim.
SELECT is(tests.call('x0', 't13_sub', $$SELECT * FROM coord.submit_task('t13.x', 'room')$$) ->> 'reason', 'allowed',
          'INV-CLAIM-UNIQ SubmitTask: a t13.x task');
SELECT is(tests.call('x1', 't13_w2', $$SELECT * FROM coord.claim_task(ARRAY['t13.x'])$$) ->> 'reason', 'allowed',
          'INV-RECLAIM ClaimTask: a lost (expired) claim does not count against max_claimed_tasks');

-- Reads through the agent-facing view.
SELECT is(tests.sqlstate_as('t13_w1', 'SELECT * FROM coord.tasks'), NULL,
          'INV-RLS: an agent can read the queue through coord.tasks (no error)');
SELECT is(tests.bad('t13_sub', format('SELECT * FROM coord.get_task(%s)', tests.tid('s1'))), 'no error',
          'INV-AUDIT-COMPLETE: get_task is a read: no error, no audit event, no change');


-- ---------------------------------------------------------------- the row invariants
-- Defense in depth below the API: the tasks table itself refuses an inconsistent
-- row (check_violation, 23514), whoever writes it.
SELECT throws_ok(format($$INSERT INTO coord_private.tasks (task_type, submitter, max_attempts, status, created_at, updated_at)
                           VALUES ('t13.bad', 't13_sub', 3, %L, now(), now())$$, v.status), '23514', NULL,
                 format('INV-CLAIM-UNIQ / INV-COMPLETE-OWNER: the tasks table refuses %s', v.what))
  FROM (VALUES ('unknown status', 'sleeping'),
               ('a claimed task without a claim', 'claimed'),
               ('a terminal task without finished_at', 'completed')) v(what, status);
SELECT throws_ok($$INSERT INTO coord_private.tasks (task_type, submitter, max_attempts, created_at, updated_at)
                   VALUES ('t13.bad', 't13_sub', 0, now(), now())$$, '23514', NULL,
                 'the tasks table refuses max_attempts outside 1..100');
SELECT throws_ok($$INSERT INTO coord_private.tasks (task_type, submitter, max_attempts, attempts, created_at, updated_at)
                   VALUES ('t13.bad', 't13_sub', 3, -1, now(), now())$$, '23514', NULL,
                 'the tasks table refuses negative attempts');
SELECT throws_ok($$INSERT INTO coord_private.tasks (task_type, submitter, max_attempts, unmet_deps, created_at, updated_at)
                   VALUES ('t13.bad', 't13_sub', 3, -1, now(), now())$$, '23514', NULL,
                 'the tasks table refuses a negative count of unmet dependencies');
SELECT throws_ok($$INSERT INTO coord_private.tasks (task_type, submitter, max_attempts, status, attempts, claimed_by,
                                                    claim_token, claim_expires_at, created_at, updated_at)
                   VALUES ('t13.bad', 't13_sub', 3, 'claimed', 2, 't13_w1', 1, now() + interval '1 minute', now(), now())$$,
                 '23514', NULL, 'INV-COMPLETE-OWNER: the tasks table refuses a claim whose token is not the attempt');
SELECT throws_ok($$INSERT INTO coord_private.tasks (task_type, submitter, max_attempts, status, claim_expires_at,
                                                    created_at, updated_at)
                   VALUES ('t13.bad', 't13_sub', 3, 'pending', now() + interval '1 minute', now(), now())$$,
                 '23514', NULL, 'the tasks table refuses a claim expiry on an unclaimed task');
SELECT is((SELECT count(*)::int FROM coord_private.tasks WHERE task_type = 't13.bad'), 0,
          'none of those rows exists');

SELECT * FROM finish();
ROLLBACK;
