-- Completing, failing and cancelling tasks: only the holder of the current live
-- claim completes or fails (INV-COMPLETE-OWNER), a terminal task never changes
-- again, retryable failures return to the queue while attempts remain, claims
-- that expire on the last attempt fail the task (attempts_exhausted) and
-- reap_expired settles it and its dependents (TLA+ CompleteTask, FailTask,
-- CancelTask, ExhaustAttempts, SettleDependents). Every refusal is checked with its
-- reason code and its single audit event (INV-AUDIT-COMPLETE).
BEGIN;
SELECT plan(97);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql) record and read
--                           calls in the temporary table tests.start_calls creates
SELECT tests.start_calls();

-- status, attempts, claimer, result, error, settle_reason and finished? of a task row
CREATE FUNCTION pg_temp.row_of(p_label text) RETURNS text
LANGUAGE sql AS $$
    SELECT format('%s attempts=%s claimed_by=%s result=%s error=%s settle=%s finished=%s',
                  t.status, t.attempts, coalesce(t.claimed_by, '-'), coalesce(t.result::text, '-'),
                  coalesce(t.error, '-'), coalesce(t.settle_reason, '-'), (t.finished_at IS NOT NULL)::text)
      FROM coord_private.tasks t WHERE t.task_id = tests.tid(p_label)
$$;

SELECT tests.create_agents('implementer', 't14_sub', 't14_w1', 't14_w2'), tests.create_agents('orchestrator', 't14_olga'),
       tests.create_members('coord_admin', 't14_admin');

-- ---------------------------------------------------------------- completion
SELECT is(tests.submit_and_claim('c0', 't14_sub', 't14.c', 'complete me', 't14_w1'), 'submit allowed; claim by t14_w1 allowed, the submitted task, token 1, attempt 1',
          'INV-COMPLETE-OWNER SubmitTask, ClaimTask: a t14.c task, claimed by t14_w1 (token 1)');
SELECT is(tests.call('c2', 't14_w2', format('SELECT * FROM coord.complete_task(%s, 1, ''{"answer": -1}'')', tests.tid('c0'))) ->> 'reason', 'not_claim_owner',
          'INV-COMPLETE-OWNER CompleteTask: another agent, even with the current token → not_claim_owner');
SELECT is(tests.verdict('c2'),
          'refused not_claim_owner | 1 event: complete_task by t14_w2 allowed=true proceeded=false reason=not_claim_owner mode=enforce',
          'INV-AUDIT-COMPLETE CompleteTask: the refusal is its single audit event');
SELECT is(tests.call('c3', 't14_w1', format('SELECT * FROM coord.complete_task(%s, 2, ''{"answer": -2}'')', tests.tid('c0'))) ->> 'reason', 'not_claim_owner',
          'INV-COMPLETE-OWNER CompleteTask: the claimer with a token that is not the current one → not_claim_owner');
SELECT is(tests.verdict('c3'),
          'refused not_claim_owner | 1 event: complete_task by t14_w1 allowed=true proceeded=false reason=not_claim_owner mode=enforce',
          'INV-AUDIT-COMPLETE CompleteTask: the refusal is its single audit event');
SELECT is(pg_temp.row_of('c0'), 'claimed attempts=1 claimed_by=t14_w1 result=- error=- settle=- finished=false',
          'INV-COMPLETE-OWNER CompleteTask: the refused completions changed nothing');
SELECT is(tests.call('c4', 't14_w1', format('SELECT * FROM coord.complete_task(%s, 1, ''{"answer": 42}'')', tests.tid('c0'))) ->> 'reason', 'allowed',
          'INV-COMPLETE-OWNER CompleteTask: the claimer with the current token completes the task');
SELECT is(tests.verdict('c4'),
          'ok allowed | 1 event: complete_task by t14_w1 allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE CompleteTask: the completion wrote exactly one audit event');
SELECT is(pg_temp.row_of('c0'), 'completed attempts=1 claimed_by=t14_w1 result={"answer": 42} error=- settle=- finished=true',
          'INV-COMPLETE-OWNER CompleteTask: the task is completed with its result and a finish time');
SELECT is((SELECT t.claim_expires_at FROM coord_private.tasks t WHERE t.task_id = tests.tid('c0')), NULL,
          'INV-COMPLETE-OWNER CompleteTask: a completed task has no live claim');

SELECT is(tests.call('c5', 't14_w1', format('SELECT * FROM coord.complete_task(%s, 1, ''{"answer": 0}'')', tests.tid('c0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER CompleteTask: completing twice → task_terminal');
SELECT is(tests.verdict('c5'),
          'refused task_terminal | 1 event: complete_task by t14_w1 allowed=true proceeded=false reason=task_terminal mode=enforce',
          'INV-AUDIT-COMPLETE CompleteTask: the refusal is its single audit event');
SELECT is(tests.call('c6', 't14_w2', format('SELECT * FROM coord.complete_task(%s, 1, ''{"answer": 0}'')', tests.tid('c0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER CompleteTask: anyone completing a terminal task → task_terminal');
SELECT is(tests.call('c7', 't14_w1', format('SELECT * FROM coord.fail_task(%s, 1, ''after the fact'', true)', tests.tid('c0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER FailTask: failing a completed task → task_terminal');
SELECT is(tests.verdict('c7'),
          'refused task_terminal | 1 event: fail_task by t14_w1 allowed=true proceeded=false reason=task_terminal mode=enforce',
          'INV-AUDIT-COMPLETE FailTask: the refusal is its single audit event');
SELECT is(tests.res('c7') ->> 'status', 'completed', 'INV-COMPLETE-OWNER FailTask: the refusal reports the task''s unchanged status');
SELECT is(tests.call('c8', 't14_w1', format('SELECT * FROM coord.renew_claim(%s, 1)', tests.tid('c0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER RenewClaim: renewing the claim of a completed task → task_terminal');
SELECT is(pg_temp.row_of('c0'), 'completed attempts=1 claimed_by=t14_w1 result={"answer": 42} error=- settle=- finished=true',
          'INV-COMPLETE-OWNER: the completed task never changed again: same status, the result not overwritten');
SELECT is(tests.row_as('t14_sub', format('SELECT status, result FROM coord.get_task(%s)', tests.tid('c0'))),
          '{"status": "completed", "result": {"answer": 42}}'::jsonb, 'INV-COMPLETE-OWNER get_task shows the completed task and its result to its submitter (INV-RLS: 09_task_visibility)');

-- ---------------------------------------------------------------- failure
SELECT is(tests.submit_and_claim('f0', 't14_sub', 't14.f', 'flaky', 't14_w1', p_max_attempts => 3), 'submit allowed; claim by t14_w1 allowed, the submitted task, token 1, attempt 1',
          'INV-COMPLETE-OWNER SubmitTask, ClaimTask: a t14.f task, max_attempts 3, claimed by t14_w1 (token 1)');
SELECT is(tests.call('f2', 't14_w2', format('SELECT * FROM coord.fail_task(%s, 1, ''not mine'')', tests.tid('f0'))) ->> 'reason', 'not_claim_owner',
          'INV-COMPLETE-OWNER FailTask: another agent cannot fail it → not_claim_owner');
SELECT is(tests.verdict('f2'),
          'refused not_claim_owner | 1 event: fail_task by t14_w2 allowed=true proceeded=false reason=not_claim_owner mode=enforce',
          'INV-AUDIT-COMPLETE FailTask: the refusal is its single audit event');
SELECT is(tests.call('f3', 't14_w1', format('SELECT * FROM coord.fail_task(%s, 1, ''flaky network'', true)', tests.tid('f0'))) ->> 'reason', 'allowed',
          'INV-COMPLETE-OWNER FailTask: the claimer fails it as retryable');
SELECT is(tests.verdict('f3'),
          'ok allowed | 1 event: fail_task by t14_w1 allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE FailTask: the failure wrote exactly one audit event');
SELECT is(format('status=%s settled=%s', tests.res('f3') ->> 'status', tests.res('f3') ->> 'settled'), 'status=pending settled=0',
          'INV-RECLAIM FailTask: a retryable failure with attempts left returns status pending and settles nothing');
SELECT is(pg_temp.row_of('f0'), 'pending attempts=1 claimed_by=- result=- error=flaky network settle=- finished=false',
          'INV-RECLAIM FailTask: the task is pending again, unclaimed, not finished, with its error and the attempt counted');
SELECT is(tests.call('f4', 't14_w1', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('f0'))) ->> 'reason', 'not_claim_owner',
          'INV-COMPLETE-OWNER CompleteTask: after its retryable failure the earlier claim cannot complete it → not_claim_owner');
SELECT is(tests.call('f5', 't14_w2', $$SELECT * FROM coord.claim_task(ARRAY['t14.f'])$$) ->> 'claim_token', '2',
          'INV-RECLAIM ClaimTask: the retried task is claimed again as attempt 2 (token 2)');
SELECT is(tests.call('f6', 't14_w1', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('f0'))) ->> 'reason', 'not_claim_owner',
          'INV-COMPLETE-OWNER CompleteTask: the first claimer''s token 1 → not_claim_owner');
SELECT is(tests.call('f7', 't14_w2', format('SELECT * FROM coord.fail_task(%s, 2, ''broken input'', false)', tests.tid('f0'))) ->> 'status', 'failed',
          'INV-COMPLETE-OWNER FailTask: a non-retryable failure fails the task');
SELECT is(tests.verdict('f7'),
          'ok allowed | 1 event: fail_task by t14_w2 allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE FailTask: the failure wrote exactly one audit event (no dependents to settle)');
SELECT is(pg_temp.row_of('f0'), 'failed attempts=2 claimed_by=t14_w2 result=- error=broken input settle=- finished=true',
          'INV-COMPLETE-OWNER FailTask: the task is failed and finished, with its error');
SELECT is(tests.call('f8', 't14_w2', format('SELECT * FROM coord.complete_task(%s, 2)', tests.tid('f0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER CompleteTask: completing a failed task → task_terminal');
SELECT is(tests.call('f9', 't14_w2', format('SELECT * FROM coord.fail_task(%s, 2, ''again'', true)', tests.tid('f0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER FailTask: failing a failed task → task_terminal');
SELECT is(tests.verdict('f9'),
          'refused task_terminal | 1 event: fail_task by t14_w2 allowed=true proceeded=false reason=task_terminal mode=enforce',
          'INV-AUDIT-COMPLETE FailTask: the refusal is its single audit event');
SELECT is(tests.call('f10', 't14_w1', $$SELECT * FROM coord.claim_task(ARRAY['t14.f'])$$) ->> 'reason', 'task_not_claimable',
          'INV-COMPLETE-OWNER ClaimTask: a failed task is never claimable again');
SELECT is(pg_temp.row_of('f0'), 'failed attempts=2 claimed_by=t14_w2 result=- error=broken input settle=- finished=true',
          'INV-COMPLETE-OWNER: the failed task never changed again');

SELECT is(tests.submit_and_claim('l0', 't14_sub', 't14.l', 'one shot', 't14_w1', p_max_attempts => 1), 'submit allowed; claim by t14_w1 allowed, the submitted task, token 1, attempt 1',
          'INV-COMPLETE-OWNER SubmitTask, ClaimTask: a t14.l task, max_attempts 1, claimed by t14_w1');
SELECT is(tests.call('l2', 't14_w1', format('SELECT * FROM coord.fail_task(%s, 1, ''flaky'', true)', tests.tid('l0'))) ->> 'status', 'failed',
          'INV-RECLAIM FailTask: a retryable failure on the last allowed attempt fails the task');
SELECT is(pg_temp.row_of('l0'), 'failed attempts=1 claimed_by=t14_w1 result=- error=flaky settle=- finished=true',
          'INV-COMPLETE-OWNER FailTask: the task is failed and finished');
SELECT is(tests.call('l3', 't14_w2', $$SELECT * FROM coord.claim_task(ARRAY['t14.l'])$$) ->> 'reason', 'task_not_claimable',
          'INV-COMPLETE-OWNER ClaimTask: it is not claimable again');

-- ---------------------------------------------------------------- cancellation
SELECT is(tests.call('k0', 't14_sub', $$SELECT * FROM coord.submit_task('t14.k', 'cancel me')$$) ->> 'reason', 'allowed',
          'INV-COMPLETE-OWNER SubmitTask: a t14.k task');
SELECT is(tests.call('k1', 't14_sub', format('SELECT * FROM coord.cancel_task(%s, ''no longer needed'')', tests.tid('k0'))) ->> 'reason', 'allowed',
          'INV-COMPLETE-OWNER CancelTask: the submitter cancels its pending task');
SELECT is(tests.verdict('k1'),
          'ok allowed | 1 event: cancel_task by t14_sub allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE CancelTask: the cancellation wrote exactly one audit event');
SELECT is(pg_temp.row_of('k0'), 'cancelled attempts=0 claimed_by=- result=- error=no longer needed settle=- finished=true',
          'INV-COMPLETE-OWNER CancelTask: the task is cancelled and finished, the reason kept as its error');
SELECT is(tests.call('k2', 't14_sub', format('SELECT * FROM coord.cancel_task(%s, ''twice'')', tests.tid('k0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER CancelTask: cancelling a cancelled task → task_terminal');
SELECT is(tests.verdict('k2'),
          'refused task_terminal | 1 event: cancel_task by t14_sub allowed=true proceeded=false reason=task_terminal mode=enforce',
          'INV-AUDIT-COMPLETE CancelTask: the refusal is its single audit event');
SELECT is(tests.call('k3', 't14_sub', format('SELECT * FROM coord.cancel_task(%s, ''too late'')', tests.tid('c0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER CancelTask: cancelling a completed task → task_terminal');
SELECT is(tests.call('k4', 't14_sub', format('SELECT * FROM coord.cancel_task(%s, ''too late'')', tests.tid('f0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER CancelTask: cancelling a failed task → task_terminal');
SELECT is(format('%s / %s', pg_temp.row_of('c0'), pg_temp.row_of('f0')),
          'completed attempts=1 claimed_by=t14_w1 result={"answer": 42} error=- settle=- finished=true / failed attempts=2 claimed_by=t14_w2 result=- error=broken input settle=- finished=true',
          'INV-COMPLETE-OWNER CancelTask: the terminal tasks are unchanged');

SELECT is(tests.call('k5', 't14_sub', $$SELECT * FROM coord.submit_task('t14.k', 'not yours')$$) ->> 'reason', 'allowed',
          'INV-COMPLETE-OWNER SubmitTask: another t14.k task');
SELECT is(tests.call('k6', 't14_w1', format('SELECT * FROM coord.cancel_task(%s, ''mine now'')', tests.tid('k5'))) ->> 'reason', 'trust_too_low',
          'INV-TRUST CancelTask: another implementer cannot cancel it → trust_too_low');
SELECT is(tests.verdict('k6'),
          'refused trust_too_low | 1 event: cancel_task by t14_w1 allowed=false proceeded=false reason=trust_too_low mode=enforce',
          'INV-AUDIT-COMPLETE CancelTask: the denial is its single audit event');
SELECT is(pg_temp.row_of('k5'), 'pending attempts=0 claimed_by=- result=- error=- settle=- finished=false',
          'INV-TRUST CancelTask: the denied cancellation changed nothing');
SELECT is(tests.call('k7', 't14_olga', format('SELECT * FROM coord.cancel_task(%s, ''orchestrator decision'')', tests.tid('k5'))) ->> 'reason', 'allowed',
          'INV-TRUST CancelTask: an orchestrator (trust 3) cancels another agent''s task');
SELECT is(tests.verdict('k7'),
          'ok allowed | 1 event: cancel_task by t14_olga allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE CancelTask: the elevated cancellation wrote exactly one audit event');
SELECT is((tests.event('k7')).context ->> 'elevated', 'true', 'INV-AUDIT-COMPLETE CancelTask: the audit event records that it was elevated');
SELECT is(pg_temp.row_of('k5'), 'cancelled attempts=0 claimed_by=- result=- error=orchestrator decision settle=- finished=true',
          'INV-COMPLETE-OWNER CancelTask: the task is cancelled');

SELECT is(tests.submit_and_claim('k8', 't14_sub', 't14.kc', 'claimed, then cancelled', 't14_w1'), 'submit allowed; claim by t14_w1 allowed, the submitted task, token 1, attempt 1',
          'INV-COMPLETE-OWNER SubmitTask, ClaimTask: a t14.kc task, claimed by t14_w1');
SELECT is(tests.call('k10', 't14_w1', format('SELECT * FROM coord.cancel_task(%s, ''claimer'')', tests.tid('k8'))) ->> 'reason', 'trust_too_low',
          'INV-TRUST CancelTask: the claimer, not being the submitter, cannot cancel it → trust_too_low');
SELECT is(tests.call('k11', 't14_sub', format('SELECT * FROM coord.cancel_task(%s, ''superseded'')', tests.tid('k8'))) ->> 'reason', 'allowed',
          'INV-COMPLETE-OWNER CancelTask: the submitter cancels a claimed task');
SELECT is(tests.call('k12', 't14_w1', format('SELECT * FROM coord.complete_task(%s, 1, ''{"done": true}'')', tests.tid('k8'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER CompleteTask: the claimer of a cancelled task cannot complete it → task_terminal');
SELECT is(tests.verdict('k12'),
          'refused task_terminal | 1 event: complete_task by t14_w1 allowed=true proceeded=false reason=task_terminal mode=enforce',
          'INV-AUDIT-COMPLETE CompleteTask: the refusal is its single audit event');
SELECT is(tests.call('k13', 't14_w1', format('SELECT * FROM coord.renew_claim(%s, 1)', tests.tid('k8'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER RenewClaim: the claimer of a cancelled task cannot renew it → task_terminal');
SELECT is(pg_temp.row_of('k8'), 'cancelled attempts=1 claimed_by=t14_w1 result=- error=superseded settle=- finished=true',
          'INV-COMPLETE-OWNER: the cancelled task is unchanged, without result');

-- ---------------------------------------------------------------- attempts exhausted by expiry
SELECT is(tests.call('x0', 't14_sub', $$SELECT * FROM coord.submit_task('t14.x', 'keeps timing out', p_max_attempts => 2)$$) ->> 'reason', 'allowed',
          'INV-COMPLETE-OWNER SubmitTask: a t14.x task, max_attempts 2');
SELECT is(tests.call('d0', 't14_sub', format('SELECT * FROM coord.submit_task(''t14.xd'', ''depends on t14.x'', p_depends_on => ARRAY[%s]::bigint[])', tests.tid('x0'))) ->> 'reason', 'allowed',
          'INV-COMPLETE-OWNER SubmitTask: a t14.xd task depending on it');
SELECT is(tests.call('x1', 't14_w1', $$SELECT * FROM coord.claim_task(ARRAY['t14.x'], '60 s')$$) ->> 'attempt', '1',
          'INV-COMPLETE-OWNER ClaimTask: attempt 1 for 60 s');
DO $$ BEGIN PERFORM tests.advance_clock('61 s'); END $$;
SELECT is((SELECT c.shift FROM tests.clock_offset c), interval '61 s',
          'INV-RECLAIM: pgcoord''s clock now runs 61 s ahead: attempt 1 expired');
SELECT ok(coord_private.current_time() - pg_catalog.clock_timestamp() BETWEEN interval '61 s' - interval '1 ms' AND interval '61 s' + interval '1 ms',
          'INV-LOCK-EXPIRY: the clock pgcoord judges by is the time of the call plus the offset');
SELECT is(tests.call('x2', 't14_w2', $$SELECT * FROM coord.claim_task(ARRAY['t14.x'], '60 s')$$) ->> 'attempt', '2',
          'INV-RECLAIM Reclaim: attempt 2 for 60 s, by another agent');
DO $$ BEGIN PERFORM tests.advance_clock('61 s'); END $$;
SELECT is((SELECT c.shift FROM tests.clock_offset c), interval '122 s',
          'INV-RECLAIM ExhaustAttempts: pgcoord''s clock now runs 122 s ahead: the last allowed attempt expired');
SELECT is((SELECT format('%s attempts=%s claimed_by=%s', t.status, t.attempts, coalesce(t.claimed_by, '-')) FROM coord.tasks t WHERE t.task_id = tests.tid('x0')),
          'failed attempts=2 claimed_by=-', 'INV-RECLAIM ExhaustAttempts: coord.tasks shows it failed before anything settled it');
SELECT is((SELECT t.status FROM coord_private.tasks t WHERE t.task_id = tests.tid('x0')), 'claimed',
          'INV-RECLAIM ExhaustAttempts: (precondition) the stored row is untouched: nothing ran in the background');

SELECT is(tests.call('x3', 't14_w1', $$SELECT * FROM coord.claim_task(ARRAY['t14.x'])$$) ->> 'reason', 'task_not_claimable',
          'INV-RECLAIM ExhaustAttempts: a task whose last allowed attempt expired is not claimable');
SELECT is((SELECT array_agg(format('%s %s %s %s by %s', e.operation, coalesce(e.resource, '-'), e.reason,
                                   coalesce(e.context ->> 'settle_reason', '-'), e.actor) ORDER BY e.event_id)
             FROM calls c JOIN coord_private.audit_events e ON e.event_id = ANY (c.events) WHERE c.label = 'x3'),
          ARRAY[format('settle_task %s allowed attempts_exhausted by t14_w1', tests.tid('x0')),
                format('settle_task %s allowed dependency_failed by t14_w1', tests.tid('d0')),
                'claim_task - task_not_claimable - by t14_w1'],
          'INV-DEPS ExhaustAttempts / SettleDependents (no job): the next claim settled the exhausted task and its dependent, one settle_task event each, then refused');
SELECT is(tests.row_as('t14_sub', format('SELECT status FROM coord.get_task(%s)', tests.tid('x0'))) ->> 'status', 'failed',
          'INV-RECLAIM ExhaustAttempts: get_task shows it failed');
SELECT is((SELECT format('%s settle=%s', t.status, t.settle_reason) FROM coord_private.tasks t WHERE t.task_id = tests.tid('x0')),
          'failed settle=attempts_exhausted',
          'INV-DEPS ExhaustAttempts: the claim that met the exhausted task stored it failed (attempts_exhausted)');
SELECT is(tests.call('x4', 't14_w2', format('SELECT * FROM coord.complete_task(%s, 2)', tests.tid('x0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER CompleteTask: the last claimer cannot complete after its claim expired (the task is settled) → task_terminal');
SELECT is(tests.call('x5', 't14_sub', format('SELECT * FROM coord.submit_task(''t14.xe'', ''too late'', p_depends_on => ARRAY[%s]::bigint[])', tests.tid('x0'))) ->> 'reason', 'dependency_failed',
          'INV-DEPS SubmitTask: a new task depending on the exhausted task is refused → dependency_failed');
SELECT is(tests.verdict('x5'),
          'refused dependency_failed | 1 event: submit_task by t14_sub allowed=true proceeded=false reason=dependency_failed mode=enforce',
          'INV-AUDIT-COMPLETE SubmitTask: the refusal is its single audit event');
SELECT is(tests.call('x6', 't14_w1', $$SELECT * FROM coord.claim_task(ARRAY['t14.xd'])$$) ->> 'reason', 'task_not_claimable',
          'INV-DEPS ClaimTask: the dependent of the exhausted task is not claimable');

CREATE TEMP TABLE before_reap AS
SELECT (SELECT jsonb_agg(jsonb_build_array(t.task_id, t.status) ORDER BY t.task_id) FROM coord.tasks t
         WHERE t.status IN ('completed', 'failed', 'cancelled')) AS terminal;
SELECT is(tests.bad('t14_w1', 'SELECT * FROM coord.reap_expired()'), '42501',
          'INV-BOUNDARY: an agent cannot run reap_expired (permission denied), nothing changes');
SELECT is(tests.call('r1', 't14_admin', 'SELECT * FROM coord.reap_expired()') ->> 'reason', 'allowed',
          'INV-RECLAIM ExhaustAttempts: a coord_admin runs reap_expired');
SELECT is(format('exhausted=%s settled=%s', tests.res('r1') ->> 'exhausted_tasks', tests.res('r1') ->> 'settled_tasks'),
          'exhausted=0 settled=0', 'INV-DEPS ExhaustAttempts: reap_expired finds nothing left: the claim settled both (the reaper only tidies)');
SELECT is((SELECT array_agg(format('%s %s %s %s by %s', e.operation, coalesce(e.resource, '-'), e.reason,
                                   coalesce(e.context ->> 'settle_reason', '-'), e.actor) ORDER BY e.event_id)
             FROM calls c JOIN coord_private.audit_events e ON e.event_id = ANY (c.events) WHERE c.label = 'r1'),
          ARRAY['reap_expired - allowed - by t14_admin'],
          'INV-AUDIT-COMPLETE ExhaustAttempts / SettleDependents: the reap is one event, no task is settled twice');
SELECT is(pg_temp.row_of('x0'), 'failed attempts=2 claimed_by=t14_w2 result=- error=claim expired on the last allowed attempt settle=attempts_exhausted finished=true',
          'INV-RECLAIM ExhaustAttempts: the exhausted task is stored as failed with settle_reason attempts_exhausted');
SELECT is((SELECT format('%s settle=%s finished=%s', t.status, t.settle_reason, (t.finished_at IS NOT NULL)::text) FROM coord_private.tasks t WHERE t.task_id = tests.tid('d0')),
          'cancelled settle=dependency_failed finished=true',
          'INV-DEPS SettleDependents: its dependent is cancelled with settle_reason dependency_failed');
SELECT is((SELECT jsonb_agg(jsonb_build_array(t.task_id, t.status) ORDER BY t.task_id) FROM coord.tasks t
            WHERE t.status IN ('completed', 'failed', 'cancelled')),
          (SELECT terminal FROM before_reap),
          'INV-RECLAIM ExhaustAttempts: the reap changed no terminal status any function showed before (it only stored them)');
SELECT is(tests.call('r2', 't14_w1', $$SELECT * FROM coord.claim_task(ARRAY['t14.x', 't14.xd'])$$) ->> 'reason', 'task_not_claimable',
          'INV-RECLAIM ExhaustAttempts: after the reap, the task and its dependent are still not claimable');
SELECT is(tests.call('r3', 't14_admin', 'SELECT * FROM coord.reap_expired()') ->> 'exhausted_tasks', '0',
          'INV-RECLAIM ExhaustAttempts: a second reap finds nothing left to settle');

-- An exhausted task is terminal to every function before any reap, cancel_task included.
SELECT is(tests.submit_and_claim('y0', 't14_sub', 't14.y', 'one attempt', 't14_w1', p_max_attempts => 1, p_ttl => '60 s'), 'submit allowed; claim by t14_w1 allowed, the submitted task, token 1, attempt 1',
          'INV-COMPLETE-OWNER SubmitTask, ClaimTask: a t14.y task, max_attempts 1, claimed by t14_w1: its only attempt, for 60 s');
DO $$ BEGIN PERFORM tests.advance_clock('61 s'); END $$;
SELECT is((SELECT c.shift FROM tests.clock_offset c), interval '183 s',
          'INV-RECLAIM ExhaustAttempts: pgcoord''s clock now runs 183 s ahead: the only attempt expired');
SELECT ok(coord_private.current_time() - pg_catalog.clock_timestamp() BETWEEN interval '183 s' - interval '1 ms' AND interval '183 s' + interval '1 ms',
          'INV-LOCK-EXPIRY: the clock pgcoord judges by is the time of the call plus the offset');
SELECT is((SELECT t.status FROM coord.tasks t WHERE t.task_id = tests.tid('y0')), 'failed',
          'INV-RECLAIM ExhaustAttempts: coord.tasks shows the task failed');
SELECT is(tests.call('y2', 't14_sub', format('SELECT * FROM coord.cancel_task(%s, ''give up'')', tests.tid('y0'))) ->> 'reason', 'task_terminal',
          'INV-COMPLETE-OWNER CancelTask: cancelling a task whose attempts are exhausted (shown failed) → task_terminal');
SELECT is((SELECT t.status FROM coord.tasks t WHERE t.task_id = tests.tid('y0')), 'failed',
          'INV-COMPLETE-OWNER CancelTask: the exhausted task still shows failed (a terminal status never changes)');

SELECT * FROM finish();
ROLLBACK;
