-- READ COMMITTED only (PC015). This whole file runs in one REPEATABLE READ
-- transaction — the isolation level can only be chosen before a transaction's
-- first query, so it cannot be switched inside another pgTAP file.
--
-- Why (codes.sql, PC015): a pgcoord mutation decides after taking coordination
-- locks; a snapshot older than those locks can miss a row another transaction
-- committed meanwhile. For the queue that is a lost dependent: a task D submitted
-- (depending on A) and committed after the snapshot of a transaction that then
-- completes, fails or cancels A is invisible to that transaction's
-- task_deps/settle queries, so D's unmet_deps is never decremented (D is never
-- claimable) or D is never settled (INV-DEPS). submit_task's FOR SHARE lock on A
-- does not help: a share lock is not an update, so REPEATABLE READ raises no
-- serialization failure. Hence every mutation that reads task_deps or decides a
-- conflict must raise PC015 outside READ COMMITTED.
-- The fixtures below are written directly as the test superuser, because the API
-- refuses to write in this transaction — which is the point.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT plan(15);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql) record and read
--                           calls in the temporary table tests.start_calls creates
SELECT tests.start_calls();

-- Registering an agent recompiles its policy rows, which also refuses REPEATABLE READ
-- (the compiled policy, sql/deploy/policy.sql); replica mode skips that trigger for these fixtures, and the
-- native engine then reads the agents' rules from the source view.
SET LOCAL session_replication_role = replica;
SELECT tests.create_agents('implementer', 't17_a'), tests.create_agents('orchestrator', 't17_o'),
       tests.create_members('coord_admin', 't17_admin');
DO $$
DECLARE
    v_now timestamptz := coord_private.current_time();
BEGIN
    INSERT INTO coord_private.locks (path, kind, anchor, mode, holder, token, granted_at, expires_at)
    VALUES ('t17/a.py', 'file', 't17/', 'exclusive', 't17_a', nextval('coord_private.fencing_tokens'), v_now, v_now + interval '10 minutes');
    INSERT INTO coord_private.tasks (task_type, submitter, max_attempts, created_at, updated_at)
    VALUES ('t17.p', 't17_a', 3, v_now, v_now);
    INSERT INTO coord_private.tasks (task_type, submitter, max_attempts, status, attempts, claimed_by, claim_token, claim_expires_at, created_at, updated_at)
    VALUES ('t17.c', 't17_a', 3, 'claimed', 1, 't17_a', 1, v_now + interval '10 minutes', v_now, v_now);
END
$$;
SET LOCAL session_replication_role = origin;
\set P '(SELECT t.task_id FROM coord_private.tasks t WHERE t.task_type = ''t17.p'')'
\set C '(SELECT t.task_id FROM coord_private.tasks t WHERE t.task_type = ''t17.c'')'

SELECT is(current_setting('transaction_isolation'), 'repeatable read',
          'INV-LOCK-EXCL / INV-DEPS: (precondition) this transaction is REPEATABLE READ');
SELECT is(tests.bad('t17_a', 'SELECT coord_private.require_read_committed()'), '42501',
          'INV-BOUNDARY: an agent cannot call the private guard itself (permission denied)');
SELECT throws_ok('SELECT coord_private.require_read_committed()', 'PC015', NULL,
                 'INV-LOCK-EXCL / INV-DEPS: coord_private.require_read_committed raises PC015 in a REPEATABLE READ transaction');
SELECT throws_ok($$UPDATE coord_private.agents SET status = 'suspended' WHERE role_name = 't17_a'$$, 'PC015', NULL,
                 'INV-TRUST: changing an agent (which recompiles its policy rows) raises PC015 in a REPEATABLE READ transaction');

SELECT is(tests.bad(v.who, v.q), 'PC015', format('INV-LOCK-EXCL / INV-DEPS %s outside READ COMMITTED → PC015, nothing changes', v.what))
  FROM (VALUES
    (1, 't17_a',     'AcquireLock: acquire_lock',            $$SELECT * FROM coord.acquire_lock('t17/b.py', '60 s')$$),
    (2, 't17_a',     'AcquireLock: acquire_lock (shared)',   $$SELECT * FROM coord.acquire_lock('t17/', '60 s', 'shared')$$),
    (3, 't17_a',     'SubmitTask: submit_task',              $$SELECT * FROM coord.submit_task('t17.new')$$),
    (4, 't17_a',     'ClaimTask: claim_task',                $$SELECT * FROM coord.claim_task(ARRAY['t17.p'])$$),
    (5, 't17_a',     'ClaimTask: claim_tasks',               $$SELECT * FROM coord.claim_tasks(2, ARRAY['t17.p'])$$)
  ) v(n, who, what, q) ORDER BY v.n;

-- Completing, failing and cancelling read task_deps (unmet_deps, settlement):
-- the same stale-snapshot hazard as above.
SELECT is(tests.bad('t17_a', format('SELECT * FROM coord.complete_task(%s, 1)', :C)), 'PC015',
          'INV-DEPS CompleteTask: complete_task outside READ COMMITTED → PC015, nothing changes');
SELECT is(tests.bad('t17_a', format('SELECT * FROM coord.fail_task(%s, 1, ''boom'')', :C)), 'PC015',
          'INV-DEPS FailTask: fail_task outside READ COMMITTED → PC015, nothing changes');
SELECT is(tests.bad('t17_a', format('SELECT * FROM coord.cancel_task(%s, ''stop'')', :P)), 'PC015',
          'INV-DEPS CancelTask: cancel_task outside READ COMMITTED → PC015, nothing changes');
SELECT is(tests.bad('t17_admin', 'SELECT * FROM coord.reap_expired()'), 'PC015',
          'INV-DEPS SettleDependents: reap_expired outside READ COMMITTED → PC015, nothing changes');

-- Reads need no particular isolation.
SELECT is(tests.bad('t17_o', $$SELECT * FROM coord.check_locks(ARRAY['t17/'])$$), 'no error',
          'INV-BOUNDARY: check_locks (a read) works in REPEATABLE READ, nothing changes');
SELECT is(tests.bad('t17_a', format('SELECT * FROM coord.get_task(%s)', :C)), 'no error',
          'INV-BOUNDARY: get_task (a read) works in REPEATABLE READ, nothing changes');

SELECT * FROM finish();
ROLLBACK;
