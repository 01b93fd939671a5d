-- Task dependencies (INV-DEPS): a task is never claimable before all of its
-- dependencies completed, whatever its priority; a failed or cancelled dependency
-- settles every not-yet-terminal transitive dependent as cancelled with
-- settle_reason dependency_failed, each with its own settle_task audit event
-- (INV-AUDIT-COMPLETE); a new task cannot depend on a failed or cancelled one
-- (TLA+ SubmitTask, ClaimTask, CompleteTask, FailTask, CancelTask, SettleDependents).
BEGIN;
SELECT plan(65);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql) record and read
--                           calls in the temporary table tests.start_calls creates
SELECT tests.start_calls();

-- Submits a task as t15_sub, depending on the tasks of the given labels.
CREATE FUNCTION pg_temp.submit(p_label text, p_type text, p_deps text[] DEFAULT '{}', p_priority integer DEFAULT 0) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT tests.call(p_label, 't15_sub',
        format('SELECT * FROM coord.submit_task(%L, %L, p_priority => %s, p_depends_on => %L::bigint[])', p_type, p_label, p_priority,
               (SELECT coalesce(array_agg(tests.tid(d) ORDER BY o), '{}') FROM unnest(p_deps) WITH ORDINALITY u(d, o))))
$$;
-- status, unmet dependencies and settle_reason of a task row
CREATE FUNCTION pg_temp.state_of(p_label text) RETURNS text
LANGUAGE sql AS $$
    SELECT format('%s unmet=%s settle=%s', t.status, t.unmet_deps, coalesce(t.settle_reason, '-'))
      FROM coord_private.tasks t WHERE t.task_id = tests.tid(p_label)
$$;
-- operation, resource (as a label), reason, settle_reason and cause (as a label) of
-- every audit event a labelled call wrote
CREATE FUNCTION pg_temp.events_of(p_label text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT array_agg(format('%s %s %s%s', e.operation,
                            coalesce((SELECT min(k.label) FROM calls k WHERE e.resource = (k.rows -> 0 ->> 'task_id')), e.resource),
                            e.reason,
                            coalesce(' ' || (e.context ->> 'settle_reason') || ' cause ' ||
                                     (SELECT min(k.label) FROM calls k WHERE (e.context ->> 'cause') = (k.rows -> 0 ->> 'task_id')), ''))
                     ORDER BY e.event_id)
      FROM calls c JOIN coord_private.audit_events e ON e.event_id = ANY (c.events) WHERE c.label = p_label
$$;

SELECT tests.create_agents('implementer', 't15_sub', 't15_w1', 't15_w2');

-- ---------------------------------------------------------------- claimable only once every dependency completed
SELECT is(pg_temp.submit('A', 't15.a') ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: dependency A');
SELECT is(pg_temp.submit('B', 't15.a') ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: dependency B');
SELECT is(pg_temp.submit('D', 't15.d', ARRAY['A', 'B', 'A'], 1000) ->> 'reason', 'allowed',
          'INV-DEPS SubmitTask: D (priority 1000) depends on A and B (A named twice)');
SELECT is(tests.verdict('D'),
          'ok allowed | 1 event: submit_task by t15_sub allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE SubmitTask: the submission with dependencies wrote exactly one audit event');
SELECT is(pg_temp.state_of('D'), 'pending unmet=2 settle=-', 'INV-DEPS SubmitTask: D has two unmet dependencies (duplicates count once)');
SELECT is((SELECT t.depends_on FROM coord.tasks t WHERE t.task_id = tests.tid('D')), ARRAY[tests.tid('A'), tests.tid('B')],
          'INV-DEPS SubmitTask: coord.tasks lists D''s dependencies A and B once each');
SELECT is(pg_temp.submit('E', 't15.d', '{}', 0) ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: E of the same type, priority 0, no dependency');

SELECT is(tests.call('d1', 't15_w1', $$SELECT * FROM coord.claim_task(ARRAY['t15.d'])$$) ->> 'task_id', tests.tid('E')::text,
          'INV-DEPS ClaimTask: the blocked D (priority 1000) is passed over for E (priority 0)');
SELECT is(tests.call('d2', 't15_w2', $$SELECT * FROM coord.claim_task(ARRAY['t15.d'])$$) ->> 'reason', 'task_not_claimable',
          'INV-DEPS ClaimTask: with A and B pending, D is not claimable → task_not_claimable');
SELECT is(tests.verdict('d2'),
          'refused task_not_claimable | 1 event: claim_task by t15_w2 allowed=true proceeded=false reason=task_not_claimable mode=enforce',
          'INV-AUDIT-COMPLETE ClaimTask: the refusal is its single audit event');
SELECT is(tests.call('d3', 't15_w1', $$SELECT * FROM coord.claim_task(ARRAY['t15.a'])$$) ->> 'task_id', tests.tid('A')::text,
          'INV-DEPS ClaimTask: t15_w1 claims A');
SELECT is(tests.call('d4', 't15_w2', $$SELECT * FROM coord.claim_task(ARRAY['t15.a'])$$) ->> 'task_id', tests.tid('B')::text,
          'INV-DEPS ClaimTask: t15_w2 claims B');
SELECT is(tests.call('d5', 't15_w1', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('A'))) ->> 'reason', 'allowed',
          'INV-DEPS CompleteTask: A completes');
SELECT is(pg_temp.state_of('D'), 'pending unmet=1 settle=-', 'INV-DEPS CompleteTask: D has one unmet dependency left');
SELECT is(tests.call('d6', 't15_w2', $$SELECT * FROM coord.claim_task(ARRAY['t15.d'])$$) ->> 'reason', 'task_not_claimable',
          'INV-DEPS ClaimTask: with B claimed but not completed, D is still not claimable');
SELECT is(cardinality(tests.col('d7', 'task_id')), 0,
          'INV-DEPS ClaimTask: the batch form does not claim D either')
  FROM (SELECT tests.call('d7', 't15_w2', $$SELECT * FROM coord.claim_tasks(5, ARRAY['t15.d'])$$)) s;
SELECT is(tests.call('d8', 't15_w2', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('B'))) ->> 'reason', 'allowed',
          'INV-DEPS CompleteTask: B completes');
SELECT is(pg_temp.state_of('D'), 'pending unmet=0 settle=-', 'INV-DEPS CompleteTask: D has no unmet dependency left');
SELECT is(tests.call('d9', 't15_w2', $$SELECT * FROM coord.claim_task(ARRAY['t15.d'])$$) ->> 'task_id', tests.tid('D')::text,
          'INV-DEPS ClaimTask: once A and B completed, D is claimable');
SELECT is(pg_temp.submit('G', 't15.g', ARRAY['A']) ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: G depends on the completed A');
SELECT is(pg_temp.state_of('G'), 'pending unmet=0 settle=-', 'INV-DEPS SubmitTask: a completed dependency is met from the start');
SELECT is(tests.call('d10', 't15_w1', $$SELECT * FROM coord.claim_task(ARRAY['t15.g'])$$) ->> 'task_id', tests.tid('G')::text,
          'INV-DEPS ClaimTask: G is claimable at once');

-- ---------------------------------------------------------------- a failed dependency settles its transitive dependents
-- X <- Y <- Z, W depends on Y and Z (reached twice), V depends on X but is cancelled
-- first, U is unrelated.
SELECT is(pg_temp.submit('X', 't15.x') ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: X');
SELECT is(pg_temp.submit('Y', 't15.y', ARRAY['X']) ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: Y depends on X');
SELECT is(pg_temp.submit('Z', 't15.y', ARRAY['Y']) ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: Z depends on Y');
SELECT is(pg_temp.submit('W', 't15.y', ARRAY['Y', 'Z']) ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: W depends on Y and Z');
SELECT is(pg_temp.submit('V', 't15.y', ARRAY['X']) ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: V depends on X');
SELECT is(pg_temp.submit('U', 't15.u') ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: U, unrelated');
SELECT is(tests.call('v1', 't15_sub', format('SELECT * FROM coord.cancel_task(%s, ''not needed'')', tests.tid('V'))) ->> 'settled', '0',
          'INV-DEPS CancelTask: V is cancelled by its submitter first (no dependents to settle)');
SELECT is(tests.call('x1', 't15_w1', $$SELECT * FROM coord.claim_task(ARRAY['t15.x'])$$) ->> 'task_id', tests.tid('X')::text,
          'INV-DEPS ClaimTask: t15_w1 claims X');
SELECT is(tests.call('x2', 't15_w1', format('SELECT * FROM coord.fail_task(%s, 1, ''boom'', false)', tests.tid('X'))) ->> 'settled', '3',
          'INV-DEPS FailTask: failing X settles its three not-yet-terminal transitive dependents');
SELECT is(pg_temp.events_of('x2'),
          ARRAY['fail_task X allowed', 'settle_task Y allowed dependency_failed cause X',
                'settle_task Z allowed dependency_failed cause X', 'settle_task W allowed dependency_failed cause X'],
          'INV-AUDIT-COMPLETE SettleDependents: the failure and each settled dependent have exactly one audit event (W once, though reached twice)');
SELECT is((SELECT array_agg(format('%s by %s proceeded=%s', e.operation, e.actor, e.proceeded::text) ORDER BY e.event_id)
             FROM calls c JOIN coord_private.audit_events e ON e.event_id = ANY (c.events[2:]) WHERE c.label = 'x2'),
          ARRAY['settle_task by t15_w1 proceeded=true', 'settle_task by t15_w1 proceeded=true', 'settle_task by t15_w1 proceeded=true'],
          'INV-AUDIT-COMPLETE SettleDependents: the settle events are recorded in the failing agent''s transaction');
SELECT is(ARRAY[pg_temp.state_of('Y'), pg_temp.state_of('Z'), pg_temp.state_of('W')],
          ARRAY['cancelled unmet=1 settle=dependency_failed', 'cancelled unmet=1 settle=dependency_failed', 'cancelled unmet=2 settle=dependency_failed'],
          'INV-DEPS SettleDependents: Y, Z and W are cancelled with settle_reason dependency_failed');
SELECT is((SELECT array_agg(format('%s finished=%s', t.error, (t.finished_at IS NOT NULL)::text) ORDER BY t.task_id)
             FROM coord_private.tasks t WHERE t.task_id IN (tests.tid('Y'), tests.tid('Z'), tests.tid('W'))),
          ARRAY[format('dependency %s failed or was cancelled finished=true', tests.tid('X')),
                format('dependency %s failed or was cancelled finished=true', tests.tid('X')),
                format('dependency %s failed or was cancelled finished=true', tests.tid('X'))],
          'INV-DEPS SettleDependents: each settled task is finished and says which dependency failed');
SELECT is(pg_temp.state_of('V'), 'cancelled unmet=1 settle=-',
          'INV-DEPS SettleDependents: the already cancelled V is not settled again');
SELECT is(pg_temp.state_of('U'), 'pending unmet=0 settle=-', 'INV-DEPS SettleDependents: the unrelated U is untouched');
SELECT is(tests.call('x3', 't15_w2', $$SELECT * FROM coord.claim_task(ARRAY['t15.y'])$$) ->> 'reason', 'task_not_claimable',
          'INV-DEPS ClaimTask: no settled dependent is claimable');

-- ---------------------------------------------------------------- a cancelled dependency settles its dependents
SELECT is(pg_temp.submit('P', 't15.p') ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: P');
SELECT is(pg_temp.submit('Q', 't15.q', ARRAY['P']) ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: Q depends on P');
SELECT is(pg_temp.submit('R', 't15.q', ARRAY['Q']) ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: R depends on Q');
SELECT is(tests.call('p1', 't15_sub', format('SELECT * FROM coord.cancel_task(%s, ''scrapped'')', tests.tid('P'))) ->> 'settled', '2',
          'INV-DEPS CancelTask: cancelling P settles Q and R');
SELECT is(pg_temp.events_of('p1'),
          ARRAY['cancel_task P allowed', 'settle_task Q allowed dependency_failed cause P', 'settle_task R allowed dependency_failed cause P'],
          'INV-AUDIT-COMPLETE SettleDependents: the cancellation and each settled dependent have exactly one audit event');
SELECT is(ARRAY[pg_temp.state_of('Q'), pg_temp.state_of('R')],
          ARRAY['cancelled unmet=1 settle=dependency_failed', 'cancelled unmet=1 settle=dependency_failed'],
          'INV-DEPS SettleDependents: Q and R are cancelled with settle_reason dependency_failed');

-- ---------------------------------------------------------------- partial dependencies, retries
SELECT is(pg_temp.submit('K', 't15.k') ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: K');
SELECT is(pg_temp.submit('L', 't15.l') ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: L');
SELECT is(pg_temp.submit('M', 't15.m', ARRAY['K', 'L']) ->> 'reason', 'allowed', 'INV-DEPS SubmitTask: M depends on K and L');
SELECT is(tests.call('k1', 't15_w1', $$SELECT * FROM coord.claim_task(ARRAY['t15.k'])$$) ->> 'task_id', tests.tid('K')::text,
          'INV-DEPS ClaimTask: K');
SELECT is(tests.call('k2', 't15_w1', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('K'))) ->> 'reason', 'allowed',
          'INV-DEPS CompleteTask: K completes');
SELECT is(tests.call('l1', 't15_w2', $$SELECT * FROM coord.claim_task(ARRAY['t15.l'])$$) ->> 'task_id', tests.tid('L')::text,
          'INV-DEPS ClaimTask: L');
SELECT is(tests.call('l2', 't15_w2', format('SELECT * FROM coord.fail_task(%s, 1, ''transient'', true)', tests.tid('L'))) ->> 'settled', '0',
          'INV-DEPS FailTask: a retryable failure with attempts left settles nothing');
SELECT is(pg_temp.events_of('l2'), ARRAY['fail_task L allowed'], 'INV-AUDIT-COMPLETE FailTask: the retry wrote exactly one audit event');
SELECT is(pg_temp.state_of('M'), 'pending unmet=1 settle=-', 'INV-DEPS FailTask: M waits on L, which is pending again');
SELECT is(tests.call('l3', 't15_w2', $$SELECT * FROM coord.claim_task(ARRAY['t15.l'])$$) ->> 'claim_token', '2',
          'INV-DEPS ClaimTask: L again, attempt 2');
SELECT is(tests.call('l4', 't15_w2', format('SELECT * FROM coord.fail_task(%s, 2, ''fatal'', false)', tests.tid('L'))) ->> 'settled', '1',
          'INV-DEPS FailTask: L fails for good and settles M, whose other dependency completed');
SELECT is(pg_temp.state_of('M'), 'cancelled unmet=1 settle=dependency_failed', 'INV-DEPS SettleDependents: M is cancelled with dependency_failed');

-- ---------------------------------------------------------------- no new dependent of a dead task
SELECT is(pg_temp.submit('N1', 't15.n', ARRAY['X']) ->> 'reason', 'dependency_failed',
          'INV-DEPS SubmitTask: depending on the failed X → dependency_failed');
SELECT is(tests.verdict('N1'),
          'refused dependency_failed | 1 event: submit_task by t15_sub allowed=true proceeded=false reason=dependency_failed mode=enforce',
          'INV-AUDIT-COMPLETE SubmitTask: the refusal is its single audit event');
SELECT is(pg_temp.submit('N2', 't15.n', ARRAY['P']) ->> 'reason', 'dependency_failed',
          'INV-DEPS SubmitTask: depending on the cancelled P → dependency_failed');
SELECT is(pg_temp.submit('N3', 't15.n', ARRAY['U', 'Y']) ->> 'reason', 'dependency_failed',
          'INV-DEPS SubmitTask: depending on a pending U and the settled Y → dependency_failed');
SELECT is(pg_temp.submit('N4', 't15.n', ARRAY['K', 'V']) ->> 'reason', 'dependency_failed',
          'INV-DEPS SubmitTask: depending on a completed K and the cancelled V → dependency_failed');
SELECT is((SELECT count(*) FROM coord_private.tasks t WHERE t.task_type = 't15.n'), 0::bigint,
          'INV-DEPS SubmitTask: the refused submissions created no task');
SELECT is(ARRAY[tests.res('N1') ->> 'task_id', tests.res('N4') ->> 'task_id'], ARRAY[NULL, NULL]::text[],
          'INV-DEPS SubmitTask: a refused submission returns no task id');
SELECT is(pg_temp.submit('N5', 't15.n', ARRAY['K', 'U']) ->> 'reason', 'allowed',
          'INV-DEPS SubmitTask: depending on a completed K and a pending U is accepted');
SELECT is(pg_temp.state_of('N5'), 'pending unmet=1 settle=-', 'INV-DEPS SubmitTask: only the pending U is unmet');

SELECT * FROM finish();
ROLLBACK;
