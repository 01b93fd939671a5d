-- Who may read a task (INV-RLS). A task's full row — input, result and error — is
-- visible to its submitter, to the agent that holds or last held its claim (the
-- stored claimed_by) and to members of coord_admin and coord_auditor. An agent whose
-- profile lets it claim tasks (the native engine's static verdict for claim_task is
-- allowed and max_claimed_tasks > 0) also sees the queue: tasks whose effective
-- status is pending, with their input but never another agent's result or error.
-- Everyone else sees nothing of the row. Rows are filtered by RLS policies on
-- coord_private.tasks and task_deps (applied to agents through the security_invoker
-- view coord.tasks); coord.get_task (SECURITY DEFINER) applies the same predicate,
-- coord_private.task_access, explicitly.
--
-- The cast: t09_alice submits, t09_bob and t09_carol work (implementers), t09_rita
-- reviews (trust 1: no claims), t09_nora's profile blocks claim_task, t09_dave is
-- suspended after submitting, t09_admin and t09_aud are coord_admin / coord_auditor
-- members (not agents).
BEGIN;
SELECT plan(60);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
SELECT tests.start_calls();
CREATE TEMP TABLE labels (task_id bigint PRIMARY KEY, label text NOT NULL);

CREATE FUNCTION pg_temp.tid(p_label text) RETURNS bigint
LANGUAGE sql AS $$ SELECT l.task_id FROM labels l WHERE l.label = p_label $$;

-- Submit as p_role, remember the task under p_label.
CREATE FUNCTION pg_temp.submit(p_label text, p_role text, p_type text, p_deps text[] DEFAULT '{}')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
BEGIN
    r := tests.call(p_label, p_role, format(
        'SELECT * FROM coord.submit_task(%L, %L, %L::jsonb, p_depends_on => %L::bigint[], p_max_attempts => 3)',
        p_type, 'task ' || p_label, jsonb_build_object('secret', p_label || '-in'),
        (SELECT coalesce(array_agg(l.task_id), '{}') FROM labels l WHERE l.label = ANY (p_deps))));
    INSERT INTO labels VALUES ((r ->> 'task_id')::bigint, p_label);
    RETURN r ->> 'reason';
END
$$;

-- What p_role reads of the t09 tasks through p_sql (rows with task_id, input, result,
-- error): 'label[input secret|result secret|error]' per task, by label.
CREATE FUNCTION pg_temp.seen(p_role text, p_sql text DEFAULT 'SELECT * FROM coord.tasks')
RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(format('%s[%s|%s|%s]', l.label, coalesce(r -> 'input' ->> 'secret', '-'),
                                      coalesce(r -> 'result' ->> 'secret', '-'), coalesce(r ->> 'error', '-')),
                               ' ' ORDER BY l.label), '(nothing)')
      FROM jsonb_array_elements(tests.run_as(p_role, p_sql)) r
      JOIN labels l ON l.task_id = (r ->> 'task_id')::bigint
$$;

-- get_task(label) as p_role: the same format, or the error it raised
-- (SQLSTATE, message with digits as N, detail).
CREATE FUNCTION pg_temp.get(p_role text, p_label text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_msg text;
    v_detail text;
BEGIN
    RETURN pg_temp.seen(p_role, format('SELECT * FROM coord.get_task(%s)', coalesce(pg_temp.tid(p_label), 9223372036854775807)));
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
    RETURN format('%s %s (%s)', SQLSTATE, regexp_replace(v_msg, '[0-9]+', 'N', 'g'), v_detail);
END
$$;

SELECT tests.create_profile('t09_noclaim', 2, 'writes, but claim_task is blocked', '{"blocked_operations": ["claim_task"]}');
SELECT tests.create_agents('implementer', 't09_alice', 't09_bob', 't09_carol'), tests.create_agents('reviewer', 't09_rita'),
       tests.create_agents('implementer', 't09_dave'), tests.create_agents('t09_noclaim', 't09_nora'),
       tests.create_members('coord_admin', 't09_admin'), tests.create_members('coord_auditor', 't09_aud');

-- ---------------------------------------------------------------- the catalog
SELECT ok((SELECT c.reloptions @> ARRAY['security_invoker=true'] FROM pg_class c WHERE c.oid = 'coord.tasks'::regclass),
          'INV-RLS: coord.tasks is a security_invoker view (RLS applies to the reader, not to the view owner)');
SELECT is((SELECT array_agg(format('%s.%s %s %s', p.tablename, p.policyname, p.cmd, p.roles::text) ORDER BY p.tablename, p.policyname)
             FROM pg_policies p WHERE p.schemaname = 'coord_private' AND p.tablename IN ('tasks', 'task_deps')),
          ARRAY['task_deps.task_deps_visible SELECT {public}', 'tasks.tasks_visible SELECT {public}'],
          'INV-RLS: one SELECT policy each on tasks and task_deps (the USING (true) policies are gone)');
SELECT is((SELECT array_agg(format('%s rls=%s force=%s', c.relname, c.relrowsecurity::text, c.relforcerowsecurity::text) ORDER BY c.relname)
             FROM pg_class c WHERE c.oid IN ('coord_private.tasks'::regclass, 'coord_private.task_deps'::regclass)),
          ARRAY['task_deps rls=true force=false', 'tasks rls=true force=false'],
          'INV-RLS: RLS is enabled but not forced: the owner''s own queries (claims, completion, settlement) do not pay for the policy');
SELECT ok(NOT has_schema_privilege(r, 'coord_private', 'USAGE'),
          format('INV-RLS: %s still has no USAGE on coord_private: only the views and functions name its tables', r))
  FROM unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r;
SELECT is((SELECT array_agg(DISTINCT x ORDER BY x) FROM (
              SELECT format('%s SELECT %s', r, c.relname) AS x
                FROM unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r, pg_class c
               WHERE c.relnamespace = 'coord_private'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
                 AND has_any_column_privilege(r, c.oid, 'SELECT')
              UNION ALL
              SELECT format('%s EXECUTE %s', r, p.proname)
                FROM unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r, pg_proc p
               WHERE p.pronamespace = 'coord_private'::regnamespace AND has_function_privilege(r, p.oid, 'EXECUTE')) s),
          ARRAY['coord_admin EXECUTE task_access', 'coord_admin EXECUTE task_viewer', 'coord_admin SELECT task_deps', 'coord_admin SELECT tasks',
                'coord_agent EXECUTE task_access', 'coord_agent EXECUTE task_viewer', 'coord_agent SELECT task_deps', 'coord_agent SELECT tasks',
                'coord_auditor EXECUTE task_access', 'coord_auditor EXECUTE task_viewer', 'coord_auditor SELECT task_deps', 'coord_auditor SELECT tasks'],
          'INV-RLS: the group roles read exactly tasks and task_deps (RLS-filtered) and run exactly the two visibility helpers in coord_private');

-- ---------------------------------------------------------------- the queue: pending tasks
SELECT is(pg_temp.submit('P', 't09_alice', 't09.p'), 'allowed', 'INV-RLS SubmitTask: alice submits P');
SELECT is(pg_temp.submit('Q', 't09_alice', 't09.q', ARRAY['P']), 'allowed', 'INV-RLS SubmitTask: alice submits Q, depending on P (blocked)');
SELECT is(pg_temp.submit('C', 't09_alice', 't09.c'), 'allowed', 'INV-RLS SubmitTask: alice submits C');
SELECT is(pg_temp.submit('F', 't09_alice', 't09.f'), 'allowed', 'INV-RLS SubmitTask: alice submits F');
SELECT is(pg_temp.submit('X', 't09_alice', 't09.x'), 'allowed', 'INV-RLS SubmitTask: alice submits X');
SELECT is(pg_temp.submit('D', 't09_dave', 't09.d'), 'allowed', 'INV-RLS SubmitTask: dave submits D');

SELECT is(pg_temp.seen('t09_carol'), 'C[C-in|-|-] D[D-in|-|-] F[F-in|-|-] P[P-in|-|-] Q[Q-in|-|-] X[X-in|-|-]',
          'INV-RLS: an agent that may claim sees every pending task with its input (blocked Q included)');
SELECT is(pg_temp.seen('t09_rita'), '(nothing)',
          'INV-RLS: a reviewer (trust 1, no claims) sees nothing of tasks it neither submitted nor claimed');
SELECT is(pg_temp.seen('t09_nora'), '(nothing)',
          'INV-RLS: an agent whose profile blocks claim_task sees no queue');

-- ---------------------------------------------------------------- a live claim
SELECT is(tests.call('c1', 't09_bob', $$SELECT * FROM coord.claim_task(ARRAY['t09.c'])$$) ->> 'task_id', pg_temp.tid('C')::text,
          'INV-RLS ClaimTask: bob claims C (claims still work)');
SELECT is(tests.res('c1') -> 'input' ->> 'secret', 'C-in', 'INV-RLS ClaimTask: the claim returns C''s input to its claimer');
SELECT is(pg_temp.seen('t09_carol', $$SELECT * FROM coord.tasks WHERE task_type = 't09.c'$$), '(nothing)',
          'INV-RLS: another agent does not see a task live-claimed by someone else');
SELECT is(pg_temp.seen('t09_bob', $$SELECT * FROM coord.tasks WHERE task_type = 't09.c'$$), 'C[C-in|-|-]',
          'INV-RLS: the claimer sees the task it holds');
SELECT is(tests.run_as('t09_alice', $$SELECT status, claimed_by FROM coord.tasks WHERE task_type = 't09.c'$$),
          '[{"status": "claimed", "claimed_by": "t09_bob"}]'::jsonb, 'INV-RLS: the submitter sees its task claimed, and by whom');
SELECT is(tests.call('c2', 't09_bob', format($$SELECT * FROM coord.complete_task(%s, 1, '{"secret": "C-out"}')$$, pg_temp.tid('C'))) ->> 'reason',
          'allowed', 'INV-RLS CompleteTask: bob completes C with a result (completion still works)');

-- ---------------------------------------------------------------- a retryable failure
SELECT is(tests.call('f1', 't09_carol', $$SELECT * FROM coord.claim_task(ARRAY['t09.f'])$$) ->> 'task_id', pg_temp.tid('F')::text,
          'INV-RLS ClaimTask: carol claims F');
SELECT is(tests.call('f2', 't09_carol', format($$SELECT * FROM coord.fail_task(%s, 1, 'F-err', true)$$, pg_temp.tid('F'))) ->> 'status',
          'pending', 'INV-RLS FailTask: carol fails F retryably: F is pending again, with her error');

-- ---------------------------------------------------------------- an expired claim
SELECT is(tests.call('x1', 't09_bob', $$SELECT * FROM coord.claim_task(ARRAY['t09.x'], '60 s')$$) ->> 'task_id', pg_temp.tid('X')::text,
          'INV-RLS ClaimTask: bob claims X for 60 s');
DO $$ BEGIN PERFORM tests.advance_clock('61 s'); END $$;

-- ---------------------------------------------------------------- a suspended submitter
SELECT is((SELECT (coord.set_agent_status('t09_dave', 'suspended')).reason), 'allowed', 'INV-RLS: dave is suspended');

-- ---------------------------------------------------------------- what each one sees through coord.tasks
SELECT is(pg_temp.seen('t09_alice'), 'C[C-in|C-out|-] D[D-in|-|-] F[F-in|-|F-err] P[P-in|-|-] Q[Q-in|-|-] X[X-in|-|-]',
          'INV-RLS coord.tasks: the submitter sees its tasks in full (C''s result, F''s error) and the queue (D) without results or errors');
SELECT is(pg_temp.seen('t09_bob'), 'C[C-in|C-out|-] D[D-in|-|-] F[F-in|-|-] P[P-in|-|-] Q[Q-in|-|-] X[X-in|-|-]',
          'INV-RLS coord.tasks: bob sees what he completed (C) and last held (X) in full, the queue without F''s error (carol''s)');
SELECT is(pg_temp.seen('t09_carol'), 'D[D-in|-|-] F[F-in|-|-] P[P-in|-|-] Q[Q-in|-|-] X[X-in|-|-]',
          'INV-RLS coord.tasks: carol sees the queue (X expired: claimable again) but not C (bob''s result) nor F''s error');
SELECT is(pg_temp.seen('t09_rita'), '(nothing)', 'INV-RLS coord.tasks: the reviewer still sees nothing');
SELECT is(pg_temp.seen('t09_nora'), '(nothing)', 'INV-RLS coord.tasks: the agent that may not claim still sees nothing');
SELECT is(pg_temp.seen('t09_dave'), 'D[D-in|-|-]', 'INV-RLS coord.tasks: a suspended agent sees its own task and no queue');
SELECT is(pg_temp.seen('t09_admin'), 'C[C-in|C-out|-] D[D-in|-|-] F[F-in|-|F-err] P[P-in|-|-] Q[Q-in|-|-] X[X-in|-|-]',
          'INV-RLS coord.tasks: a coord_admin member sees every task in full');
SELECT is(pg_temp.seen('t09_aud'), 'C[C-in|C-out|-] D[D-in|-|-] F[F-in|-|F-err] P[P-in|-|-] Q[Q-in|-|-] X[X-in|-|-]',
          'INV-RLS coord.tasks: a coord_auditor member sees every task in full');
SELECT is(tests.run_as('t09_carol', $$SELECT status, claimed_by FROM coord.tasks WHERE task_type = 't09.x'$$),
          '[{"status": "pending", "claimed_by": null}]'::jsonb, 'INV-RLS coord.tasks: the expired claim shows as pending, unclaimed');
SELECT is(tests.run_as('t09_bob', $$SELECT count(*) AS n FROM coord.tasks WHERE error IS NOT NULL OR result IS NOT NULL$$),
          '[{"n": 1}]'::jsonb, 'INV-RLS coord.tasks: filtering on a masked column finds only what the reader may see (C''s result)');

-- ---------------------------------------------------------------- dependencies
SELECT is(tests.run_as('t09_carol', $$SELECT depends_on FROM coord.tasks WHERE task_type = 't09.q'$$),
          jsonb_build_array(jsonb_build_object('depends_on', jsonb_build_array(pg_temp.tid('P')))),
          'INV-RLS coord.tasks: the queue shows a visible task''s dependencies');

-- ---------------------------------------------------------------- get_task
SELECT is(pg_temp.get('t09_alice', 'C'), 'C[C-in|C-out|-]', 'INV-RLS get_task: the submitter reads the result');
SELECT is(pg_temp.get('t09_bob', 'C'), 'C[C-in|C-out|-]', 'INV-RLS get_task: the claimer that completed it reads the result');
SELECT is(pg_temp.get('t09_carol', 'C'), 'PC005 unknown task N (no task with this id is visible to the caller; nothing was changed)',
          'INV-RLS get_task: another agent gets PC005 for a task it may not see');
SELECT is(pg_temp.get('t09_carol', 'no such task'), pg_temp.get('t09_carol', 'C'),
          'INV-RLS get_task: an invisible task and a missing one raise the very same error');
SELECT is(pg_temp.get('t09_bob', 'F'), 'F[F-in|-|-]', 'INV-RLS get_task: a claimer reads a queued task''s input, not another agent''s error');
SELECT is(pg_temp.get('t09_alice', 'F'), 'F[F-in|-|F-err]', 'INV-RLS get_task: the submitter reads the error');
SELECT is(pg_temp.get('t09_bob', 'X'), 'X[X-in|-|-]', 'INV-RLS get_task: the last holder of an expired claim still reads the task');
SELECT is(pg_temp.get('t09_rita', 'P'), pg_temp.get('t09_carol', 'C'), 'INV-RLS get_task: the reviewer gets PC005 for a pending task');
SELECT is(pg_temp.get('t09_dave', 'D'), 'D[D-in|-|-]', 'INV-RLS get_task: a suspended agent reads its own task');
SELECT is(pg_temp.get('t09_dave', 'P'), pg_temp.get('t09_carol', 'C'), 'INV-RLS get_task: a suspended agent gets PC005 for the queue');
SELECT is(pg_temp.get('t09_admin', 'F') || ' ' || pg_temp.get('t09_aud', 'C'), 'F[F-in|-|F-err] C[C-in|C-out|-]',
          'INV-RLS get_task: coord_admin and coord_auditor members read any task in full');
SELECT is(tests.bad('t09_carol', format('SELECT * FROM coord.get_task(%s)', pg_temp.tid('C'))), 'PC005',
          'INV-RLS get_task: the refused read changed nothing');

-- ---------------------------------------------------------------- direct reads of coord_private
SELECT is(tests.sqlstate_as('t09_carol', 'SELECT * FROM coord_private.tasks'), '42501',
          'INV-RLS: an agent cannot name coord_private.tasks (no USAGE on the schema)');
SELECT is(tests.sqlstate_as('t09_carol', 'SELECT * FROM coord_private.task_deps'), '42501',
          'INV-RLS: an agent cannot name coord_private.task_deps');

-- Defence in depth: with a stray USAGE grant the rows are still RLS-filtered.
GRANT USAGE ON SCHEMA coord_private TO coord_agent;
SELECT is(pg_temp.seen('t09_carol', 'SELECT task_id, input FROM coord_private.tasks'),
          'D[D-in|-|-] F[F-in|-|-] P[P-in|-|-] Q[Q-in|-|-] X[X-in|-|-]',
          'INV-RLS (stray USAGE): a direct SELECT on coord_private.tasks returns only the rows the rule allows');
SELECT is(pg_temp.seen('t09_rita', 'SELECT task_id FROM coord_private.tasks'), '(nothing)',
          'INV-RLS (stray USAGE): the reviewer reads no row of coord_private.tasks');
SELECT is(tests.run_as('t09_rita', 'SELECT count(*) AS n FROM coord_private.task_deps'), '[{"n": 0}]'::jsonb,
          'INV-RLS (stray USAGE): nor a dependency edge of coord_private.task_deps');
SELECT is(tests.run_as('t09_dave', 'SELECT count(*) AS n FROM coord_private.task_deps'), '[{"n": 0}]'::jsonb,
          'INV-RLS (stray USAGE): an agent sees no edge of a task it may not see (Q depends on P)');
SELECT is(tests.run_as('t09_carol', 'SELECT count(*) AS n FROM coord_private.task_deps'), '[{"n": 1}]'::jsonb,
          'INV-RLS (stray USAGE): a claimer sees the edge of the queued Q');
REVOKE USAGE ON SCHEMA coord_private FROM coord_agent;

-- ---------------------------------------------------------------- the queue follows the profile
SELECT is((SELECT (coord.set_agent_profile('t09_rita', 'implementer')).reason), 'allowed', 'INV-RLS: rita becomes an implementer');
SELECT is(pg_temp.seen('t09_rita'), 'D[D-in|-|-] F[F-in|-|-] P[P-in|-|-] Q[Q-in|-|-] X[X-in|-|-]',
          'INV-RLS: with a profile that may claim, rita sees the queue at once');
SELECT is(tests.call('r1', 't09_rita', $$SELECT * FROM coord.claim_task(ARRAY['t09.x'])$$) ->> 'task_id', pg_temp.tid('X')::text,
          'INV-RLS Reclaim: rita reclaims the expired X');
SELECT is(pg_temp.get('t09_bob', 'X'), pg_temp.get('t09_carol', 'C'),
          'INV-RLS get_task: once X is reclaimed, bob no longer holds or last held its claim: PC005');

SELECT * FROM finish();
ROLLBACK;
