-- Notifications (change notifications, issue 14): the database says when waiting
-- can end, so clients LISTEN instead of polling.
--   (a) the triggers and their functions: AFTER row triggers on coord_private.locks
--       and coord_private.tasks, functions pinning search_path = pg_catalog, pg_temp,
--       no SECURITY DEFINER of their own;
--   (b) pgcoord_leases carries the path of a lease row that is gone: released,
--       force-released, expired and tidied by the acquire that takes its path, or
--       reaped; a grant, a renewal or a refusal sends nothing;
--   (c) pgcoord_tasks carries the type of a task that became claimable: submitted
--       with no unmet dependency, its last dependency completed, failed retryably;
--       a claim, a renewal, a completion, a final failure, a cancellation, an
--       idempotent resubmit or a reclaim after expiry sends nothing;
--   (d) INV-RLS: a payload is the lease path or the task type alone (never a task
--       id, description, input or submitter).
-- NOTIFY is delivered at commit, and this file rolls back: it records instead what
-- would be sent, by replacing coord_private.send_notification (the one place
-- pgcoord calls pg_notify) inside its transaction with a version writing to a
-- temporary table; the triggers and their payloads are the deployed ones. The
-- delivery itself, to a second session's LISTEN, is tests/test_client.py.
BEGIN;
SELECT plan(51);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   pg_temp.sent            what coord_private.send_notification was asked to send
--   pg_temp.take()          'channel payload' of each on pgcoord_leases and pgcoord_tasks, in
--                           order, and forgets everything sent (the agents' own channels,
--                           pgcoord_agent_<role>, are 24_liveness's)
SELECT tests.start_calls();
CREATE TEMP TABLE sent (id bigserial PRIMARY KEY, channel text NOT NULL, payload text NOT NULL);
GRANT INSERT, SELECT ON pg_temp.sent TO coord_owner;
GRANT USAGE ON SEQUENCE pg_temp.sent_id_seq TO coord_owner;

CREATE FUNCTION pg_temp.take() RETURNS text[]
LANGUAGE sql AS $$
    WITH d AS (DELETE FROM pg_temp.sent RETURNING id, channel, channel || ' ' || payload AS s)
    SELECT coalesce(array_agg(s ORDER BY id) FILTER (WHERE channel IN ('pgcoord_leases', 'pgcoord_tasks')), '{}') FROM d
$$;

SELECT tests.create_agents('implementer', 't23_a', 't23_b'), tests.create_agents('orchestrator', 't23_o'),
       tests.create_members('coord_admin', 't23_adm');

-- ---------------------------------------------------------------- (a) the triggers
SELECT has_trigger('coord_private', 'locks', 'locks_notify_ended', 'the lease-ended trigger exists');
SELECT trigger_is('coord_private', 'locks', 'locks_notify_ended', 'coord_private', 'notify_lease_ended',
                  'locks_notify_ended runs coord_private.notify_lease_ended');
SELECT has_trigger('coord_private', 'tasks', 'tasks_notify_submitted', 'the task-submitted trigger exists');
SELECT has_trigger('coord_private', 'tasks', 'tasks_notify_claimable', 'the task-claimable trigger exists');
SELECT is((SELECT array_agg(format('%s %s %s %s', t.tgname,
                                   CASE WHEN t.tgtype & 2 = 2 THEN 'before' ELSE 'after' END,
                                   CASE WHEN t.tgtype & 1 = 1 THEN 'row' ELSE 'statement' END,
                                   concat_ws('/', CASE WHEN t.tgtype & 4 = 4 THEN 'insert' END,
                                                  CASE WHEN t.tgtype & 8 = 8 THEN 'delete' END,
                                                  CASE WHEN t.tgtype & 16 = 16 THEN 'update' END))
                            ORDER BY t.tgname)
             FROM pg_trigger t WHERE t.tgname LIKE '%notify%' AND NOT t.tgisinternal
              AND t.tgrelid IN ('coord_private.locks'::regclass, 'coord_private.tasks'::regclass)),
          ARRAY['locks_notify_ended after row delete', 'tasks_notify_claimable after row update',
                'tasks_notify_submitted after row insert'],
          'the notification triggers are AFTER row triggers: lease rows deleted, task rows inserted or updated');
SELECT is((SELECT array_agg(format('%s definer=%s %s', p.proname, p.prosecdef::text, array_to_string(p.proconfig, ',')) ORDER BY p.proname)
             FROM pg_proc p WHERE p.oid IN ('coord_private.send_notification(text, text)'::regprocedure,
                                            'coord_private.notify_lease_ended()'::regprocedure,
                                            'coord_private.notify_task_claimable()'::regprocedure)),
          ARRAY['notify_lease_ended definer=false search_path=pg_catalog, pg_temp',
                'notify_task_claimable definer=false search_path=pg_catalog, pg_temp',
                'send_notification definer=false search_path=pg_catalog, pg_temp'],
          'INV-DEFINER: the notification functions pin search_path = pg_catalog, pg_temp and are no definers of their own');
SELECT ok(NOT has_function_privilege('coord_agent', 'coord_private.send_notification(text, text)', 'EXECUTE')
          AND NOT has_schema_privilege('coord_agent', 'coord_private', 'USAGE'),
          'INV-BOUNDARY: an agent cannot send pgcoord''s notifications itself');

-- The recorder: what the deployed triggers ask to send, kept in pg_temp.sent.
CREATE OR REPLACE FUNCTION coord_private.send_notification(p_channel text, p_payload text)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO pg_temp.sent (channel, payload) VALUES (p_channel, p_payload);
END
$$;

-- ---------------------------------------------------------------- (b) leases
SELECT is(tests.call('l1', 't23_a', $$SELECT * FROM coord.acquire_lock('n23/a.py', '60 s')$$) ->> 'reason', 'allowed',
          'a grant: t23_a leases n23/a.py');
SELECT is(pg_temp.take(), '{}'::text[], 'a grant sends nothing');
SELECT is(tests.call('l2', 't23_a', $$SELECT * FROM coord.renew_lock('n23/a.py', '60 s')$$) ->> 'reason', 'allowed',
          't23_a renews it');
SELECT is(pg_temp.take(), '{}'::text[], 'a renewal sends nothing');
SELECT is(tests.call('l3', 't23_b', $$SELECT * FROM coord.acquire_lock('n23/a.py', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          't23_b is refused the held path');
SELECT is(pg_temp.take(), '{}'::text[], 'a refusal sends nothing');
SELECT is(tests.call('l4', 't23_a', $$SELECT * FROM coord.release_lock('n23/a.py')$$) ->> 'reason', 'allowed',
          't23_a releases n23/a.py');
SELECT is(pg_temp.take(), ARRAY['pgcoord_leases n23/a.py'], 'a release sends the path on pgcoord_leases');
SELECT is(tests.call('l5', 't23_b', $$SELECT * FROM coord.release_lock('n23/a.py')$$) ->> 'reason', 'lock_not_held',
          't23_b releases a lease it does not hold');
SELECT is(pg_temp.take(), '{}'::text[], 'a refused release sends nothing');

SELECT is(tests.call('l6', 't23_a', $$SELECT * FROM coord.acquire_lock('n23/dir/', '60 s')$$) ->> 'reason', 'allowed',
          't23_a leases the subtree n23/dir/');
SELECT is(tests.call('l7', 't23_o', $$SELECT * FROM coord.force_release_lock('n23/dir/', 'stuck')$$) ->> 'reason', 'allowed',
          'the orchestrator force-releases it');
SELECT is(pg_temp.take(), ARRAY['pgcoord_leases n23/dir/'], 'a force release sends the path');

SELECT is(tests.call('l8', 't23_a', $$SELECT * FROM coord.acquire_lock('n23/e.py', '1 s')$$) ->> 'reason', 'allowed',
          't23_a leases n23/e.py for one second');
SELECT ok(tests.advance_clock('2 s') IS NOT NULL, 'the clock moves past its expiry');
SELECT is(pg_temp.take(), '{}'::text[], 'expiry by itself sends nothing (it is a time, not a write)');
SELECT is(tests.call('l9', 't23_b', $$SELECT * FROM coord.acquire_lock('n23/e.py', '60 s')$$) ->> 'reason', 'allowed',
          't23_b takes the expired path');
SELECT is(pg_temp.take(), ARRAY['pgcoord_leases n23/e.py'], 'the expired lease tidied by the acquire that takes its path sends the path');

SELECT is(tests.call('l10', 't23_a', $$SELECT * FROM coord.acquire_lock('n23/f.py', '1 s')$$) ->> 'reason', 'allowed',
          't23_a leases n23/f.py for one second');
SELECT ok(tests.advance_clock('2 s') IS NOT NULL, 'the clock moves past its expiry');
SELECT is(tests.call('l11', 't23_adm', $$SELECT * FROM coord.reap_expired()$$) ->> 'expired_locks', '1',
          'reap_expired deletes the one expired lease');
SELECT is(pg_temp.take(), ARRAY['pgcoord_leases n23/f.py'], 'a reaped lease sends its path');

-- ---------------------------------------------------------------- (c, d) tasks
SELECT is(tests.call('t1', 't23_a', $$SELECT * FROM coord.submit_task('n23.build', 'secret description', '{"secret": 1}')$$) ->> 'reason',
          'allowed', 't23_a submits a task with no dependency');
SELECT is(pg_temp.take(), ARRAY['pgcoord_tasks n23.build'],
          'INV-RLS: a claimable submission sends its type on pgcoord_tasks, and nothing else of the task');
SELECT is(tests.call('t2', 't23_a', format('SELECT * FROM coord.submit_task(%L, p_depends_on => ARRAY[%s]::bigint[])',
                                           'n23.after', tests.tid('t1'))) ->> 'reason',
          'allowed', 't23_a submits a task depending on the first');
SELECT is(pg_temp.take(), '{}'::text[], 'a task with an unmet dependency sends nothing');
SELECT is(tests.call('t3', 't23_a', $$SELECT * FROM coord.submit_task('n23.idem', p_idempotency_key => 'k')$$) ->> 'existing', 'false',
          't23_a submits with an idempotency key');
SELECT is(tests.call('t4', 't23_a', $$SELECT * FROM coord.submit_task('n23.idem', p_idempotency_key => 'k')$$) ->> 'existing', 'true',
          'the same key again returns the existing task');
SELECT is(pg_temp.take(), ARRAY['pgcoord_tasks n23.idem'], 'only the first submission sends');

SELECT is(tests.call('t5', 't23_b', $$SELECT * FROM coord.claim_task(ARRAY['n23.build'])$$) ->> 'reason', 'allowed', 't23_b claims the first task');
SELECT is(tests.call('t6', 't23_b', format('SELECT * FROM coord.renew_claim(%s, 1)', tests.tid('t1'))) ->> 'reason', 'allowed',
          't23_b renews its claim');
SELECT is(pg_temp.take(), '{}'::text[], 'a claim and a claim renewal send nothing');
SELECT is(tests.call('t7', 't23_b', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('t1'))) ->> 'reason', 'allowed',
          't23_b completes the first task');
SELECT is(pg_temp.take(), ARRAY['pgcoord_tasks n23.after'],
          'the completion sends the type of the dependent it made claimable (not its own)');

SELECT is(tests.call('t8', 't23_b', $$SELECT * FROM coord.claim_task(ARRAY['n23.after'], '1 s')$$) ->> 'reason', 'allowed', 't23_b claims the dependent');
SELECT is(tests.call('t9', 't23_b', format('SELECT * FROM coord.fail_task(%s, 1, %L, true)', tests.tid('t2'), 'flaky')) ->> 'status', 'pending',
          't23_b fails it retryably: back to pending');
SELECT is(pg_temp.take(), ARRAY['pgcoord_tasks n23.after'], 'a retryable failure sends the type');
SELECT is(tests.call('t10', 't23_b', $$SELECT * FROM coord.claim_task(ARRAY['n23.after'], '1 s')$$) ->> 'attempt', '2', 't23_b claims it again');
SELECT ok(tests.advance_clock('2 s') IS NOT NULL, 'the claim expires');
SELECT is(tests.call('t11', 't23_a', $$SELECT * FROM coord.claim_task(ARRAY['n23.after'])$$) ->> 'attempt', '3', 't23_a reclaims it (attempt 3)');
SELECT is(pg_temp.take(), '{}'::text[], 'neither the expiry of a claim nor its reclaim sends anything');
SELECT is(tests.call('t12', 't23_a', format('SELECT * FROM coord.fail_task(%s, 3, %L, false)', tests.tid('t2'), 'broken')) ->> 'status', 'failed',
          't23_a fails it for good');
SELECT is(tests.call('t13', 't23_a', $$SELECT * FROM coord.cancel_task((SELECT max(task_id) FROM coord.tasks WHERE task_type = 'n23.idem'), 'not needed')$$) ->> 'reason',
          'allowed', 't23_a cancels the idempotent task');
SELECT is(pg_temp.take(), '{}'::text[], 'a final failure and a cancellation send nothing');

SELECT * FROM finish();
ROLLBACK;
