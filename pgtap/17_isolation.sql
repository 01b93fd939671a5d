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
SELECT plan(14);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   call(label, role, sql)  runs sql as role (tests.run_as), keeps its rows and the
--                           audit events it wrote under label
--   verdict(label)          'ok|refused <reason> | <n> event(s)[: <operation> by <actor>
--                           allowed=.. proceeded=.. reason=.. mode=..]' — the decision a
--                           call returned and its single audit event (which must be the
--                           event_id the call returned)
--   bad(role, sql)          the SQLSTATE sql raises as role; when anything changed in
--                           coord_private.locks/tasks/task_deps or the audit trail, the
--                           change is appended (so the expected value is the bare SQLSTATE)
--   event(label, n)         the n-th audit event a call wrote
CREATE TEMP TABLE calls (label text PRIMARY KEY, rows jsonb NOT NULL, events bigint[] NOT NULL);

CREATE FUNCTION pg_temp.call(p_label text, p_role text, p_sql text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_last bigint;
    v_rows jsonb;
BEGIN
    SELECT coalesce(max(e.event_id), 0) INTO v_last FROM coord_private.audit_events e;
    v_rows := tests.run_as(p_role, p_sql);
    INSERT INTO calls
    SELECT p_label, v_rows, coalesce(array_agg(e.event_id ORDER BY e.event_id), '{}')
      FROM coord_private.audit_events e WHERE e.event_id > v_last;
    RETURN v_rows -> 0;
END
$$;

CREATE FUNCTION pg_temp.res(p_label text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT c.rows -> 0 FROM calls c WHERE c.label = p_label $$;

CREATE FUNCTION pg_temp.verdict(p_label text) RETURNS text
LANGUAGE sql AS $$
    SELECT CASE WHEN (c.rows -> 0 ->> 'ok')::boolean THEN 'ok ' ELSE 'refused ' END
           || coalesce(c.rows -> 0 ->> 'reason', '<no reason>')
           || ' | ' || cardinality(c.events) || CASE cardinality(c.events) WHEN 1 THEN ' event' ELSE ' events' END
           || coalesce((SELECT format(': %s by %s allowed=%s proceeded=%s reason=%s mode=%s%s',
                                      e.operation, e.actor, e.allowed::text, e.proceeded::text, e.reason, e.mode,
                                      CASE WHEN e.event_id IS DISTINCT FROM (c.rows -> 0 ->> 'event_id')::bigint
                                           THEN ' (not the event_id returned)' ELSE '' END)
                          FROM coord_private.audit_events e
                         WHERE cardinality(c.events) = 1 AND e.event_id = c.events[1]), '')
      FROM calls c WHERE c.label = p_label
$$;

CREATE FUNCTION pg_temp.snapshot() RETURNS text
LANGUAGE sql AS $$
    SELECT format('locks=%s tasks=%s deps=%s audit=%s content=%s',
        (SELECT count(*) FROM coord_private.locks), (SELECT count(*) FROM coord_private.tasks),
        (SELECT count(*) FROM coord_private.task_deps), tests.audit_count(),
        md5(concat_ws('|',
            (SELECT string_agg(l::text, ';' ORDER BY l.lock_id) FROM coord_private.locks l),
            (SELECT string_agg(t::text, ';' ORDER BY t.task_id) FROM coord_private.tasks t),
            (SELECT string_agg(d::text, ';' ORDER BY d.task_id, d.depends_on) FROM coord_private.task_deps d))))
$$;

CREATE FUNCTION pg_temp.bad(p_role text, p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_before text := pg_temp.snapshot();
    v_state text;
BEGIN
    v_state := coalesce(tests.sqlstate_as(p_role, p_sql), 'no error');
    RETURN v_state || CASE WHEN pg_temp.snapshot() = v_before THEN ''
                           ELSE format(' (changed: before %s, after %s)', v_before, pg_temp.snapshot()) END;
END
$$;

CREATE FUNCTION pg_temp.event(p_label text, p_n integer DEFAULT 1) RETURNS coord_private.audit_events
LANGUAGE sql AS $$
    SELECT e.* FROM calls c JOIN coord_private.audit_events e ON e.event_id = c.events[p_n] WHERE c.label = p_label
$$;

DO $$
DECLARE
    v_now timestamptz := coord_private.current_time();
BEGIN
    PERFORM tests.create_agent('t17_a', 'implementer');
    PERFORM tests.create_agent('t17_o', 'orchestrator');
    PERFORM tests.create_member('t17_admin', 'coord_admin');
    INSERT INTO coord_private.locks (path, kind, anchor, mode, holder, token, granted_at, expires_at)
    VALUES ('t17/a.py', 'file', 't17/', 'exclusive', 't17_a', nextval('coord_private.fencing_tokens'), v_now, v_now + interval '10 minutes');
    INSERT INTO coord_private.tasks (task_type, submitter, max_attempts, created_at, updated_at)
    VALUES ('t17.p', 't17_a', 3, v_now, v_now);
    INSERT INTO coord_private.tasks (task_type, submitter, max_attempts, status, attempts, claimed_by, claim_token, claim_expires_at, created_at, updated_at)
    VALUES ('t17.c', 't17_a', 3, 'claimed', 1, 't17_a', 1, v_now + interval '10 minutes', v_now, v_now);
END
$$;
\set P '(SELECT t.task_id FROM coord_private.tasks t WHERE t.task_type = ''t17.p'')'
\set C '(SELECT t.task_id FROM coord_private.tasks t WHERE t.task_type = ''t17.c'')'

SELECT is(current_setting('transaction_isolation'), 'repeatable read',
          'INV-LOCK-EXCL / INV-DEPS: (precondition) this transaction is REPEATABLE READ');
SELECT is(pg_temp.bad('t17_a', 'SELECT coord_private.require_read_committed()'), '42501',
          'INV-BOUNDARY: an agent cannot call the private guard itself (permission denied)');
SELECT throws_ok('SELECT coord_private.require_read_committed()', 'PC015', NULL,
                 'INV-LOCK-EXCL / INV-DEPS: coord_private.require_read_committed raises PC015 in a REPEATABLE READ transaction');

SELECT is(pg_temp.bad(v.who, v.q), 'PC015', format('INV-LOCK-EXCL / INV-DEPS %s outside READ COMMITTED → PC015, nothing changes', v.what))
  FROM (VALUES
    (1, 't17_a',     'AcquireLock: acquire_lock',            $$SELECT * FROM coord.acquire_lock('t17/b.py', '60 s')$$),
    (2, 't17_a',     'AcquireLock: acquire_lock (shared)',   $$SELECT * FROM coord.acquire_lock('t17/', '60 s', 'shared')$$),
    (3, 't17_a',     'SubmitTask: submit_task',              $$SELECT * FROM coord.submit_task('t17.new')$$),
    (4, 't17_a',     'ClaimTask: claim_task',                $$SELECT * FROM coord.claim_task(ARRAY['t17.p'])$$),
    (5, 't17_a',     'ClaimTask: claim_tasks',               $$SELECT * FROM coord.claim_tasks(2, ARRAY['t17.p'])$$)
  ) v(n, who, what, q) ORDER BY v.n;

-- Completing, failing and cancelling read task_deps (unmet_deps, settlement):
-- the same stale-snapshot hazard as above.
SELECT is(pg_temp.bad('t17_a', format('SELECT * FROM coord.complete_task(%s, 1)', :C)), 'PC015',
          'INV-DEPS CompleteTask: complete_task outside READ COMMITTED → PC015, nothing changes');
SELECT is(pg_temp.bad('t17_a', format('SELECT * FROM coord.fail_task(%s, 1, ''boom'')', :C)), 'PC015',
          'INV-DEPS FailTask: fail_task outside READ COMMITTED → PC015, nothing changes');
SELECT is(pg_temp.bad('t17_a', format('SELECT * FROM coord.cancel_task(%s, ''stop'')', :P)), 'PC015',
          'INV-DEPS CancelTask: cancel_task outside READ COMMITTED → PC015, nothing changes');
SELECT is(pg_temp.bad('t17_admin', 'SELECT * FROM coord.reap_expired()'), 'PC015',
          'INV-DEPS SettleDependents: reap_expired outside READ COMMITTED → PC015, nothing changes');

-- Reads need no particular isolation.
SELECT is(pg_temp.bad('t17_o', $$SELECT * FROM coord.check_locks(ARRAY['t17/'])$$), 'no error',
          'INV-BOUNDARY: check_locks (a read) works in REPEATABLE READ, nothing changes');
SELECT is(pg_temp.bad('t17_o', format('SELECT * FROM coord.get_task(%s)', :C)), 'no error',
          'INV-BOUNDARY: get_task (a read) works in REPEATABLE READ, nothing changes');

SELECT * FROM finish();
ROLLBACK;
