-- Bad input to the task API: every malformed argument raises its documented
-- SQLSTATE of class PC (coord.error_codes) and changes nothing — no task, lock or
-- dependency row and no audit event (INV-BOUNDARY: bad input never reaches the
-- policy hook or a table). Unknown task ids raise PC005 everywhere a task id is
-- taken. Lock and path inputs: 10_paths.sql and 11_locks.sql.
--
-- How "changes nothing" can fail: tests.sqlstate_as runs the call in a
-- subtransaction, so a raised error rolls back by construction; the check catches
-- a call that returns instead of raising (a refusal with an audit event, or a
-- mutation), which is the failure that matters for a client.
BEGIN;
SELECT plan(77);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/bad/event (tests/sql/actors.sql) record and read
--                           calls in the temporary table tests.start_calls creates
SELECT tests.start_calls();

SELECT tests.create_agents('implementer', 't16_sub', 't16_w');

-- State that a wrong call could change: a pending task, a claimed task with a
-- dependent, and a live lock.
SELECT is(tests.call('p', 't16_sub', $$SELECT * FROM coord.submit_task('t16.p', 'pending')$$) ->> 'reason', 'allowed',
          'INV-BOUNDARY SubmitTask: a pending t16.p task');
SELECT is(tests.submit_and_claim('c', 't16_sub', 't16.c', 'to be claimed', 't16_w'),
          'submit allowed; claim by t16_w allowed, the submitted task, token 1, attempt 1',
          'INV-BOUNDARY SubmitTask, ClaimTask: a t16.c task, claimed by t16_w (token 1)');
SELECT is(tests.call('d', 't16_sub', format('SELECT * FROM coord.submit_task(''t16.d'', ''dependent'', p_depends_on => ARRAY[%s]::bigint[])',
                                              tests.tid('c'))) ->> 'reason', 'allowed',
          'INV-BOUNDARY SubmitTask: a t16.d task depending on it');
SELECT is(tests.call('lk', 't16_w', $$SELECT * FROM coord.acquire_lock('t16/a.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-BOUNDARY AcquireLock: t16_w holds t16/a.py');

\set P '(SELECT (rows -> 0 ->> ''task_id'')::bigint FROM calls WHERE label = ''p'')'
\set C '(SELECT (rows -> 0 ->> ''task_id'')::bigint FROM calls WHERE label = ''c'')'
CREATE TEMP TABLE bad_inputs (n serial PRIMARY KEY, who text NOT NULL, what text NOT NULL, q text NOT NULL, want text NOT NULL);
INSERT INTO bad_inputs (who, what, q, want) VALUES
    -- SubmitTask
    ('t16_sub', 'SubmitTask: type ''''',                   $$SELECT * FROM coord.submit_task('')$$,                                      'PC002'),
    ('t16_sub', 'SubmitTask: type with spaces',            $$SELECT * FROM coord.submit_task('build docs')$$,                            'PC002'),
    ('t16_sub', 'SubmitTask: type with a slash',           $$SELECT * FROM coord.submit_task('build/docs')$$,                            'PC002'),
    ('t16_sub', 'SubmitTask: type of 101 characters',      format('SELECT * FROM coord.submit_task(%L)', repeat('t', 101)),             'PC002'),
    ('t16_sub', 'SubmitTask: type NULL',                   $$SELECT * FROM coord.submit_task(NULL)$$,                                    'PC001'),
    ('t16_sub', 'SubmitTask: description NULL',            $$SELECT * FROM coord.submit_task('t16.x', NULL)$$,                           'PC001'),
    ('t16_sub', 'SubmitTask: description of 10001 characters', format('SELECT * FROM coord.submit_task(''t16.x'', %L)', repeat('d', 10001)), 'PC002'),
    ('t16_sub', 'SubmitTask: input NULL',                  $$SELECT * FROM coord.submit_task('t16.x', '', NULL)$$,                       'PC001'),
    ('t16_sub', 'SubmitTask: input a JSON array',          $$SELECT * FROM coord.submit_task('t16.x', '', '[1, 2]')$$,                   'PC002'),
    ('t16_sub', 'SubmitTask: input a JSON string',         $$SELECT * FROM coord.submit_task('t16.x', '', '"x"')$$,                      'PC002'),
    ('t16_sub', 'SubmitTask: input JSON null',             $$SELECT * FROM coord.submit_task('t16.x', '', 'null')$$,                     'PC002'),
    ('t16_sub', 'SubmitTask: input over 1 MiB',            $$SELECT * FROM coord.submit_task('t16.x', '', jsonb_build_object('k', repeat('x', 1048576)))$$, 'PC002'),
    ('t16_sub', 'SubmitTask: priority 5000',               $$SELECT * FROM coord.submit_task('t16.x', '', '{}', 5000)$$,                 'PC002'),
    ('t16_sub', 'SubmitTask: priority -1001',              $$SELECT * FROM coord.submit_task('t16.x', '', '{}', -1001)$$,                'PC002'),
    ('t16_sub', 'SubmitTask: priority NULL',               $$SELECT * FROM coord.submit_task('t16.x', '', '{}', NULL)$$,                 'PC001'),
    ('t16_sub', 'SubmitTask: max_attempts 0',              $$SELECT * FROM coord.submit_task('t16.x', p_max_attempts => 0)$$,            'PC002'),
    ('t16_sub', 'SubmitTask: max_attempts 101',            $$SELECT * FROM coord.submit_task('t16.x', p_max_attempts => 101)$$,          'PC002'),
    ('t16_sub', 'SubmitTask: max_attempts NULL',           $$SELECT * FROM coord.submit_task('t16.x', p_max_attempts => NULL)$$,         'PC001'),
    ('t16_sub', 'SubmitTask: idempotency key ''''',        $$SELECT * FROM coord.submit_task('t16.x', p_idempotency_key => '')$$,        'PC002'),
    ('t16_sub', 'SubmitTask: idempotency key of 201 characters', format('SELECT * FROM coord.submit_task(''t16.x'', p_idempotency_key => %L)', repeat('k', 201)), 'PC002'),
    ('t16_sub', 'SubmitTask: depends_on NULL',             $$SELECT * FROM coord.submit_task('t16.x', p_depends_on => NULL)$$,           'PC001'),
    ('t16_sub', 'SubmitTask: depends_on holding NULL',     $$SELECT * FROM coord.submit_task('t16.x', p_depends_on => ARRAY[NULL]::bigint[])$$, 'PC002'),
    ('t16_sub', 'SubmitTask: 101 dependencies',            $$SELECT * FROM coord.submit_task('t16.x', p_depends_on => ARRAY(SELECT generate_series(1, 101)::bigint))$$, 'PC002'),
    ('t16_sub', 'SubmitTask: depends_on an unknown task id', $$SELECT * FROM coord.submit_task('t16.x', p_depends_on => ARRAY[-1]::bigint[])$$, 'PC005'),
    ('t16_sub', 'SubmitTask: depends_on a known and an unknown task id',
                format('SELECT * FROM coord.submit_task(''t16.x'', p_depends_on => ARRAY[%s, 9223372036854775807])', :P),       'PC005'),
    -- ClaimTask
    ('t16_w', 'ClaimTask: types ''{}''',                   $$SELECT * FROM coord.claim_task('{}')$$,                                     'PC002'),
    ('t16_w', 'ClaimTask: types holding NULL',             $$SELECT * FROM coord.claim_task(ARRAY[NULL]::text[])$$,                      'PC002'),
    ('t16_w', 'ClaimTask: 101 types',                      $$SELECT * FROM coord.claim_task(array_fill('t16.p'::text, ARRAY[101]))$$,    'PC002'),
    ('t16_w', 'ClaimTask: lease 0 s',                      $$SELECT * FROM coord.claim_task(ARRAY['t16.p'], '0 s')$$,                    'PC004'),
    ('t16_w', 'ClaimTask: lease 86401 s',                  $$SELECT * FROM coord.claim_task(ARRAY['t16.p'], '86401 s')$$,                'PC004'),
    ('t16_w', 'ClaimTask: lease NULL',                     $$SELECT * FROM coord.claim_task(ARRAY['t16.p'], NULL)$$,                     'PC001'),
    ('t16_w', 'ClaimTask (batch): limit 0',                $$SELECT * FROM coord.claim_tasks(0, ARRAY['t16.p'])$$,                       'PC002'),
    ('t16_w', 'ClaimTask (batch): limit -1',               $$SELECT * FROM coord.claim_tasks(-1, ARRAY['t16.p'])$$,                      'PC002'),
    ('t16_w', 'ClaimTask (batch): limit 1001',             $$SELECT * FROM coord.claim_tasks(1001, ARRAY['t16.p'])$$,                    'PC002'),
    ('t16_w', 'ClaimTask (batch): limit NULL',             $$SELECT * FROM coord.claim_tasks(NULL, ARRAY['t16.p'])$$,                    'PC001'),
    ('t16_w', 'ClaimTask (batch): types ''{}''',           $$SELECT * FROM coord.claim_tasks(2, '{}')$$,                                 'PC002'),
    ('t16_w', 'ClaimTask (batch): lease 0 s',              $$SELECT * FROM coord.claim_tasks(2, ARRAY['t16.p'], '0 s')$$,                'PC004'),
    -- RenewClaim
    ('t16_w', 'RenewClaim: task id NULL',                  $$SELECT * FROM coord.renew_claim(NULL, 1)$$,                                 'PC001'),
    ('t16_w', 'RenewClaim: unknown task id',               $$SELECT * FROM coord.renew_claim(-1, 1)$$,                                   'PC005'),
    ('t16_w', 'RenewClaim: claim token NULL',              format('SELECT * FROM coord.renew_claim(%s, NULL)', :C),                     'PC001'),
    ('t16_w', 'RenewClaim: lease 0 s',                     format('SELECT * FROM coord.renew_claim(%s, 1, ''0 s'')', :C),               'PC004'),
    ('t16_w', 'RenewClaim: lease NULL',                    format('SELECT * FROM coord.renew_claim(%s, 1, NULL)', :C),                  'PC001'),
    -- CompleteTask
    ('t16_w', 'CompleteTask: task id NULL',                $$SELECT * FROM coord.complete_task(NULL, 1)$$,                               'PC001'),
    ('t16_w', 'CompleteTask: unknown task id',             $$SELECT * FROM coord.complete_task(-1, 1)$$,                                 'PC005'),
    ('t16_w', 'CompleteTask: unknown task id 2^63-1',      $$SELECT * FROM coord.complete_task(9223372036854775807, 1)$$,                'PC005'),
    ('t16_w', 'CompleteTask: claim token NULL',            format('SELECT * FROM coord.complete_task(%s, NULL)', :C),                   'PC001'),
    ('t16_w', 'CompleteTask: result NULL',                 format('SELECT * FROM coord.complete_task(%s, 1, NULL)', :C),                'PC001'),
    ('t16_w', 'CompleteTask: result over 1 MiB',           format('SELECT * FROM coord.complete_task(%s, 1, jsonb_build_object(''k'', repeat(''x'', 1048576)))', :C), 'PC002'),
    -- FailTask
    ('t16_w', 'FailTask: task id NULL',                    $$SELECT * FROM coord.fail_task(NULL, 1, 'e')$$,                              'PC001'),
    ('t16_w', 'FailTask: unknown task id',                 $$SELECT * FROM coord.fail_task(-1, 1, 'e')$$,                                'PC005'),
    ('t16_w', 'FailTask: claim token NULL',                format('SELECT * FROM coord.fail_task(%s, NULL, ''e'')', :C),                'PC001'),
    ('t16_w', 'FailTask: error NULL',                      format('SELECT * FROM coord.fail_task(%s, 1, NULL)', :C),                    'PC001'),
    ('t16_w', 'FailTask: retryable NULL',                  format('SELECT * FROM coord.fail_task(%s, 1, ''e'', NULL)', :C),             'PC001'),
    ('t16_w', 'FailTask: error of 10001 characters',       format('SELECT * FROM coord.fail_task(%s, 1, %L)', :C, repeat('e', 10001)),  'PC002'),
    -- CancelTask
    ('t16_sub', 'CancelTask: task id NULL',                $$SELECT * FROM coord.cancel_task(NULL, 'r')$$,                               'PC001'),
    ('t16_sub', 'CancelTask: unknown task id',             $$SELECT * FROM coord.cancel_task(-1, 'r')$$,                                 'PC005'),
    ('t16_sub', 'CancelTask: reason NULL',                 format('SELECT * FROM coord.cancel_task(%s, NULL)', :P),                     'PC001'),
    ('t16_sub', 'CancelTask: reason ''''',                 format('SELECT * FROM coord.cancel_task(%s, '''')', :P),                     'PC002'),
    ('t16_sub', 'CancelTask: blank reason',                format('SELECT * FROM coord.cancel_task(%s, ''   '')', :P),                 'PC002'),
    ('t16_sub', 'CancelTask: reason of 1001 characters',   format('SELECT * FROM coord.cancel_task(%s, %L)', :P, repeat('r', 1001)),    'PC002'),
    -- get_task
    ('t16_w', 'get_task: task id NULL',                    $$SELECT * FROM coord.get_task(NULL)$$,                                       'PC001'),
    ('t16_w', 'get_task: unknown task id',                 $$SELECT * FROM coord.get_task(-1)$$,                                         'PC005');

SELECT is(tests.bad(b.who, b.q), b.want, format('INV-BOUNDARY %s → %s, nothing changes', b.what, b.want))
  FROM bad_inputs b ORDER BY b.n;

SELECT is_empty($$SELECT DISTINCT b.want FROM bad_inputs b WHERE b.want NOT IN (SELECT e.sqlstate FROM coord.error_codes e)$$,
                'INV-BOUNDARY: every SQLSTATE expected above is documented in coord.error_codes');
SELECT is((SELECT format('%s %s %s %s', t.status, t.claimed_by, t.claim_token,
                          (t.claim_expires_at = (tests.res('c/claim') ->> 'claim_expires_at')::timestamptz)::text)
             FROM coord_private.tasks t WHERE t.task_id = :C),
          'claimed t16_w 1 true', 'INV-BOUNDARY: after all the bad calls the claim is exactly as granted');

-- The boundaries themselves are accepted.
SELECT is(tests.row_as('t16_sub', v.q) ->> 'reason', 'allowed', format('INV-BOUNDARY SubmitTask: %s is accepted', v.what))
  FROM (VALUES
    (1, 'priority 1000',                   $$SELECT * FROM coord.submit_task('t16.edge', '', '{}', 1000)$$),
    (2, 'priority -1000',                  $$SELECT * FROM coord.submit_task('t16.edge', '', '{}', -1000)$$),
    (3, 'max_attempts 1',                  $$SELECT * FROM coord.submit_task('t16.edge', p_max_attempts => 1)$$),
    (4, 'max_attempts 100',                $$SELECT * FROM coord.submit_task('t16.edge', p_max_attempts => 100)$$),
    (5, 'a type of 100 characters A-Z a-z 0-9 _ . : -', format('SELECT * FROM coord.submit_task(%L)', rpad('Az09_.:-', 100, 'x'))),
    (6, 'an idempotency key of 200 characters', format('SELECT * FROM coord.submit_task(''t16.edge'', p_idempotency_key => %L)', repeat('k', 200))),
    (7, 'NULL as the idempotency key',     $$SELECT * FROM coord.submit_task('t16.edge', p_idempotency_key => NULL)$$)
  ) v(n, what, q) ORDER BY v.n;
SELECT is(jsonb_array_length(tests.run_as('t16_w', $$SELECT * FROM coord.claim_tasks(1, ARRAY['t16.edge'])$$)), 1,
          'INV-BOUNDARY ClaimTask (batch): limit 1 is accepted and claims one task');
SELECT is(tests.sqlstate_as('t16_w', $$SELECT * FROM coord.claim_tasks(1000, ARRAY['t16.none'])$$), NULL,
          'INV-BOUNDARY ClaimTask (batch): limit 1000 is accepted');

SELECT * FROM finish();
ROLLBACK;
