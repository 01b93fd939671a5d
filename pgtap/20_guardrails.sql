-- Guardrails (change guardrails_api): destructive text refused with guardrail_blocked
-- and the names of the matching patterns, every match persisted with its audit event
-- and exactly one audit event per decision (INV-AUDIT-COMPLETE); warn patterns
-- proceed and are recorded; exempt trust comes from the profile only (INV-TRUST) and
-- never exempts credentials (always_applies); complete_task's result is scanned; the
-- admin API validates patterns (PC012, nothing added) and only coord_admin may use it
-- (42501 for agents); shadow mode lets a blocked submit proceed and records it.
BEGIN;
SELECT plan(74);

-- trust: t20_untr 0, t20_rev 1, t20_impl 2, t20_orch 3
SELECT tests.create_members('coord_admin', 't20_admin'), tests.create_agents('implementer', 't20_impl'),
       tests.create_agents('orchestrator', 't20_orch'), tests.create_agents('reviewer', 't20_rev'),
       tests.create_agents('untrusted', 't20_untr');

-- TEST ONLY helpers, gone with the transaction (and tests.last_event_id, tests.diag_as
-- of tests/sql/actors.sql).
--   pg_temp.events_since(n)   audit events after event id n
--   pg_temp.names(jsonb)      the pattern names of a guardrails array, sorted
CREATE FUNCTION pg_temp.events_since(p_last bigint) RETURNS bigint
LANGUAGE sql AS $$ SELECT count(*) FROM coord_private.audit_events e WHERE e.event_id > p_last $$;
CREATE FUNCTION pg_temp.names(p jsonb) RETURNS text[]
LANGUAGE sql AS $$ SELECT coalesce(array_agg(m->>'name' ORDER BY m->>'name'), '{}') FROM jsonb_array_elements(p) m $$;

-- ---------------------------------------------------------------- structure
SELECT ok(has_function_privilege('coord_admin', 'coord.add_guardrail_pattern(text,text,text,text,integer,boolean,text,text)', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.remove_guardrail_pattern(text,text)', 'EXECUTE'),
    'INV-BOUNDARY: coord_admin may add and remove guardrail patterns');
SELECT ok(NOT has_function_privilege('coord_agent', 'coord.add_guardrail_pattern(text,text,text,text,integer,boolean,text,text)', 'EXECUTE')
          AND NOT has_function_privilege('coord_agent', 'coord.remove_guardrail_pattern(text,text)', 'EXECUTE'),
    'INV-BOUNDARY: agents may not add or remove guardrail patterns');
SELECT ok(has_function_privilege('coord_agent', 'coord.check_guardrails(text,text[])', 'EXECUTE')
          AND NOT has_function_privilege('coord_auditor', 'coord.check_guardrails(text,text[])', 'EXECUTE'),
    'INV-BOUNDARY: agents (not auditors) may check guardrails');
SELECT results_eq($$ SELECT name, category, min_trust FROM coord_private.operations
                      WHERE name IN ('add_guardrail_pattern', 'remove_guardrail_pattern', 'check_guardrails') ORDER BY name $$,
                  $$ VALUES ('add_guardrail_pattern', 'admin', 4), ('check_guardrails', 'agent', 1),
                            ('remove_guardrail_pattern', 'admin', 4) $$,
    'INV-BOUNDARY: the guardrail operations are in the catalog (admin 4, check_guardrails agent 1)');
SELECT cmp_ok((SELECT count(*)::integer FROM coord_private.guardrail_patterns WHERE severity = 'block'), '>=', 12,
    'the baseline ships at least 12 block patterns');
SELECT is_empty($$ SELECT name FROM coord_private.guardrail_patterns
                    WHERE coord_private.guardrail_regex_problem(regex, false) IS NOT NULL $$,
    'every baseline pattern passes the structural checks an admin''s pattern must pass');
SELECT is_empty($$ SELECT name FROM coord_private.guardrail_patterns
                    WHERE category = 'credentials' AND NOT always_applies $$,
    'INV-TRUST: every credential pattern applies at every trust level');

-- ---------------------------------------------------------------- submit_task: block
SELECT tests.last_event_id() AS e0 \gset
SELECT tests.row_as('t20_impl', $$SELECT * FROM coord.submit_task('t20_cleanup', 'free disk space: sudo rm -rf --no-preserve-root /')$$) AS s1 \gset
SELECT is(:'s1'::jsonb->>'ok' || ' ' || (:'s1'::jsonb->>'reason'), 'false guardrail_blocked',
    'INV-TRUST: an implementer submitting rm -rf / is refused with guardrail_blocked');
SELECT ok('shell_rm_catastrophic' = ANY (pg_temp.names(:'s1'::jsonb->'guardrails')),
    'the refusal names the matching pattern (shell_rm_catastrophic) in guardrails');
SELECT is(:'s1'::jsonb->>'task_id', NULL, 'the refused submit returns no task id');
SELECT is_empty($$ SELECT 1 FROM coord_private.tasks WHERE task_type = 't20_cleanup' $$,
    'INV-BOUNDARY: the refused task was not queued');
SELECT is(pg_temp.events_since(:e0), 1::bigint, 'INV-AUDIT-COMPLETE: the refusal wrote exactly one audit event');
SELECT results_eq(format($$ SELECT actor, operation, allowed, proceeded, reason FROM coord_private.audit_events WHERE event_id = %s $$,
                         :'s1'::jsonb->>'event_id'),
                  $$ VALUES ('t20_impl', 'submit_task', false, false, 'guardrail_blocked') $$,
    'INV-AUDIT-COMPLETE: the returned event_id is the refusal event');
SELECT results_eq(format($$ SELECT pattern, severity, field FROM coord_private.guardrail_hits
                              WHERE event_id = %s AND pattern = 'shell_rm_catastrophic' $$, :'s1'::jsonb->>'event_id'),
                  $$ VALUES ('shell_rm_catastrophic', 'block', 'description/input') $$,
    'the match is persisted in guardrail_hits with the event id of the decision');
SELECT ok((SELECT context->'guardrail_matches' @> '[{"name": "shell_rm_catastrophic"}]'
             FROM coord_private.audit_events WHERE event_id = (:'s1'::jsonb->>'event_id')::bigint),
    'INV-AUDIT-COMPLETE: the audit event carries the matches the engine decided on');

-- obfuscation in the JSON input: quotes inside the word, env prefix, chain, subshell
SELECT tests.row_as('t20_impl', $$SELECT * FROM coord.submit_task('t20_obf', 'routine maintenance',
    '{"steps": ["make clean", "FOO=1 \"r\"\"m\" -fr \"$HOME\""]}'::jsonb)$$) AS s2 \gset
SELECT is(:'s2'::jsonb->>'reason', 'guardrail_blocked',
    'an obfuscated rm -fr "$HOME" inside the JSON input (quotes in the word, env prefix) is still blocked');

-- ---------------------------------------------------------------- submit_task: warn
SELECT tests.last_event_id() AS e1 \gset
SELECT tests.row_as('t20_impl', $$SELECT * FROM coord.submit_task('t20_push', 'rebase and git push --force origin feature/login')$$) AS w1 \gset
SELECT is(:'w1'::jsonb->>'ok' || ' ' || (:'w1'::jsonb->>'reason'), 'true allowed',
    'a warn pattern (forced push to a feature branch) does not refuse');
SELECT is(pg_temp.names(:'w1'::jsonb->'guardrails'), ARRAY['git_lossy_operation'],
    'the warn match is returned');
SELECT is((SELECT count(*)::integer FROM coord_private.tasks WHERE task_id = (:'w1'::jsonb->>'task_id')::bigint), 1,
    'the warned task was queued');
SELECT results_eq(format($$ SELECT pattern, severity FROM coord_private.guardrail_hits WHERE event_id = %s $$, :'w1'::jsonb->>'event_id'),
                  $$ VALUES ('git_lossy_operation', 'warn') $$,
    'the warn match is recorded with the event');
SELECT is(pg_temp.events_since(:e1), 1::bigint, 'INV-AUDIT-COMPLETE: the warned submit wrote exactly one audit event');

-- ---------------------------------------------------------------- exempt trust (INV-TRUST)
SELECT is(tests.row_as('t20_impl', $$SELECT ok, reason FROM coord.submit_task('t20_reset', 'sync: git reset --hard origin/main')$$),
          '{"ok": false, "reason": "guardrail_blocked"}'::jsonb,
    'INV-TRUST: git reset --hard (exempt from trust 3) blocks an implementer (trust 2)');
SELECT is(tests.row_as('t20_orch', $$SELECT ok, reason FROM coord.submit_task('t20_reset', 'sync: git reset --hard origin/main')$$),
          '{"ok": true, "reason": "allowed"}'::jsonb,
    'INV-TRUST: the same text proceeds for an orchestrator (trust 3, exempt)');
SELECT is(tests.row_as('t20_orch', $$SELECT ok, reason FROM coord.submit_task('t20_key', 'debug auth: cat ~/.ssh/id_ed25519')$$),
          '{"ok": false, "reason": "guardrail_blocked"}'::jsonb,
    'INV-TRUST: a credential pattern (always_applies) blocks even the orchestrator');
SELECT is(tests.row_as('t20_orch', $$SELECT ok, reason FROM coord.check_guardrails('', ARRAY['config/.env.production'])$$),
          '{"ok": false, "reason": "guardrail_blocked"}'::jsonb,
    'INV-TRUST: a credential path (.env.production) blocks the orchestrator too');
SELECT is(tests.row_as('t20_orch', $$SELECT ok, reason FROM coord.submit_task('t20_root', 'rm -rf /')$$),
          '{"ok": false, "reason": "guardrail_blocked"}'::jsonb,
    'INV-TRUST: a pattern with exempt_trust 5 blocks the orchestrator');
SELECT is((SELECT count(*)::integer FROM coord_private.guardrail_hits h
              JOIN coord_private.audit_events e ON e.event_id = h.event_id
             WHERE e.actor = 't20_orch' AND h.pattern = 'git_discard_worktree' AND e.proceeded), 1,
    'an exempt block match proceeds and is still recorded (every match is persisted)');

-- ---------------------------------------------------------------- complete_task scans the result
SELECT tests.row_as('t20_impl', $$SELECT * FROM coord.submit_task('t20_work', 'tidy the build directory')$$) AS t1 \gset
SELECT tests.row_as('t20_impl', $$SELECT * FROM coord.claim_task(ARRAY['t20_work'])$$) AS c1 \gset
SELECT is(:'c1'::jsonb->>'task_id', :'t1'::jsonb->>'task_id', 'the implementer claims its task');
SELECT tests.last_event_id() AS e2 \gset
SELECT tests.row_as('t20_impl', format($$SELECT * FROM coord.complete_task(%s, %s, '{"ran": "docker system prune -af --volumes"}')$$,
                                       :'c1'::jsonb->>'task_id', :'c1'::jsonb->>'claim_token')) AS d1 \gset
SELECT is(:'d1'::jsonb->>'ok' || ' ' || (:'d1'::jsonb->>'reason'), 'false guardrail_blocked',
    'complete_task with a destructive result is refused with guardrail_blocked');
SELECT ok('container_k8s_destroy' = ANY (pg_temp.names(:'d1'::jsonb->'guardrails')),
    'the refused completion names the pattern');
SELECT is((SELECT status FROM coord_private.tasks WHERE task_id = (:'c1'::jsonb->>'task_id')::bigint), 'claimed',
    'INV-BOUNDARY: the task stays claimed (the completion did not run)');
SELECT results_eq(format($$ SELECT pattern, field FROM coord_private.guardrail_hits WHERE event_id = %s $$, :'d1'::jsonb->>'event_id'),
                  $$ VALUES ('container_k8s_destroy', 'result') $$,
    'the result''s match is persisted with the completion''s event (field result)');
SELECT is(pg_temp.events_since(:e2), 1::bigint, 'INV-AUDIT-COMPLETE: the refused completion wrote exactly one audit event');
SELECT is(tests.row_as('t20_impl', format($$SELECT ok, reason FROM coord.complete_task(%s, %s, '{"ran": "rm -rf ./build"}')$$,
                                          :'c1'::jsonb->>'task_id', :'c1'::jsonb->>'claim_token')),
          '{"ok": true, "reason": "allowed"}'::jsonb,
    'the same claim completes with a benign result');

-- ---------------------------------------------------------------- check_guardrails
SELECT tests.last_event_id() AS e3 \gset
SELECT tests.row_as('t20_impl', $$SELECT * FROM coord.check_guardrails(E'cd repo && git push -f origin main\nnpm publish', '{}')$$) AS k1 \gset
SELECT is(:'k1'::jsonb->>'ok' || ' ' || (:'k1'::jsonb->>'blocked') || ' ' || (:'k1'::jsonb->>'reason'), 'false true guardrail_blocked',
    'check_guardrails: a forced push to main and npm publish are blocked for an implementer');
SELECT is(pg_temp.names(:'k1'::jsonb->'guardrails'), ARRAY['git_rewrite_history', 'publish_artifact'],
    'check_guardrails returns every matching rule (the shell rules of shell_guardrails judge a command)');
SELECT ok((SELECT bool_and(m ? 'severity' AND m ? 'category' AND m ? 'exempt_trust' AND m ? 'always')
             FROM jsonb_array_elements(:'k1'::jsonb->'guardrails') m),
    'each match carries its severity, category, exempt trust and always flag');
SELECT is(pg_temp.events_since(:e3), 1::bigint, 'INV-AUDIT-COMPLETE: a check writes exactly one audit event');
SELECT results_eq(format($$ SELECT operation, allowed, proceeded, reason, (context->>'text_length')::integer
                              FROM coord_private.audit_events WHERE event_id = %s $$, :'k1'::jsonb->>'event_id'),
                  $$ VALUES ('check_guardrails', false, false, 'guardrail_blocked', 46) $$,
    'INV-AUDIT-COMPLETE: the check is audited as a decision of check_guardrails');
SELECT is((SELECT count(*)::integer FROM coord_private.guardrail_hits WHERE event_id = (:'k1'::jsonb->>'event_id')::bigint), 2,
    'the check''s two matches are recorded');
SELECT is(tests.row_as('t20_impl', $$SELECT ok, blocked, reason, guardrails FROM coord.check_guardrails('rm -rf ./build && git push origin feature', '{src/app.py}')$$),
          '{"ok": true, "blocked": false, "reason": "allowed", "guardrails": []}'::jsonb,
    'check_guardrails: benign look-alikes pass with no match');
SELECT is(tests.row_as('t20_rev', $$SELECT ok, reason FROM coord.check_guardrails('terraform plan', '{}')$$),
          '{"ok": true, "reason": "allowed"}'::jsonb,
    'INV-TRUST: a reviewer (trust 1) may check');
SELECT is(tests.row_as('t20_untr', $$SELECT ok, reason FROM coord.check_guardrails('terraform plan', '{}')$$),
          '{"ok": false, "reason": "trust_too_low"}'::jsonb,
    'INV-TRUST: an untrusted agent (trust 0) is denied with trust_too_low');
SELECT is(tests.diag_as('t20_impl', $$SELECT * FROM coord.check_guardrails(NULL, '{}')$$), 'PC001|true|true|true',
    'bad input: a NULL text raises PC001 with message, detail and hint');
SELECT is(tests.diag_as('t20_impl', format('SELECT * FROM coord.check_guardrails(%L, %L)', repeat('x', 1048577), '{}')), 'PC002|true|true|true',
    'bad input: a text over 1 MiB raises PC002 with message, detail and hint');
SELECT is(tests.diag_as('t20_impl', $$SELECT * FROM coord.check_guardrails('x', ARRAY[NULL::text])$$), 'PC002|true|true|true',
    'bad input: a NULL path raises PC002');

-- ---------------------------------------------------------------- the admin API
SELECT tests.last_event_id() AS e4 \gset
SELECT is(tests.diag_as('t20_admin', $$SELECT * FROM coord.add_guardrail_pattern('t20_backref', 'custom', '(a)\1', 'block')$$),
          'PC012|true|true|true', 'PC012: a back-reference is refused (message, detail, hint)');
SELECT is(tests.diag_as('t20_admin', $$SELECT * FROM coord.add_guardrail_pattern('t20_broken', 'custom', 'rm -rf (', 'block')$$),
          'PC012|true|true|true', 'PC012: a pattern that does not compile is refused');
SELECT is(tests.diag_as('t20_admin', $$SELECT * FROM coord.add_guardrail_pattern('t20_count', 'custom', 'a{1,150}', 'block')$$),
          'PC012|true|true|true', 'PC012: a counted repetition above 100 is refused');
SELECT is(tests.diag_as('t20_admin', $$SELECT * FROM coord.add_guardrail_pattern('t20_look', 'custom', 'git(?=.*--force)', 'block')$$),
          'PC012|true|true|true', 'PC012: an unbounded quantifier inside a lookahead is refused');
SELECT is(tests.diag_as('t20_admin', $$SELECT * FROM coord.add_guardrail_pattern('t20_long', 'custom', repeat('x', 1001), 'block')$$),
          'PC012|true|true|true', 'PC012: a pattern over 1000 characters is refused');
SELECT is(tests.diag_as('t20_admin', $$SELECT * FROM coord.add_guardrail_pattern('t20_empty', 'custom', 'x*', 'block')$$),
          'PC012|true|true|true', 'PC012: a pattern matching the empty string is refused');
SELECT is(tests.diag_as('t20_admin', $$SELECT * FROM coord.add_guardrail_pattern('T20 bad', 'custom', 'x', 'block')$$)
          || ' ' || tests.diag_as('t20_admin', $$SELECT * FROM coord.add_guardrail_pattern('t20_sev', 'custom', 'x', 'fatal')$$)
          || ' ' || tests.diag_as('t20_admin', $$SELECT * FROM coord.add_guardrail_pattern('t20_null', NULL, 'x', 'block')$$),
          'PC002|true|true|true PC002|true|true|true PC001|true|true|true',
    'bad input: an invalid name or severity raises PC002, a NULL argument PC001');
SELECT is_empty($$ SELECT name FROM coord_private.guardrail_patterns WHERE name LIKE 't20%' $$,
    'nothing was added by the refused patterns');
SELECT is(pg_temp.events_since(:e4), 0::bigint, 'bad input writes no audit event (nothing was decided)');
SELECT is(tests.diag_as('t20_impl', $$SELECT * FROM coord.add_guardrail_pattern('t20_agent', 'custom', 'x', 'block')$$),
          '42501|true|false|false', 'INV-BOUNDARY: an agent cannot add a pattern (42501)');
SELECT is(tests.diag_as('t20_impl', $$SELECT * FROM coord_private.guardrail_patterns$$) ~ '^42501', true,
    'INV-BOUNDARY: an agent cannot even read the registry table directly (42501)');

SELECT tests.last_event_id() AS e5 \gset
SELECT tests.row_as('t20_admin', $$SELECT * FROM coord.add_guardrail_pattern('t20_frob', 'custom', '\mfrobnicate\s+--everything\M', 'block', 3)$$) AS a1 \gset
SELECT is(:'a1'::jsonb - 'event_id', '{"ok": true, "reason": "allowed", "replaced": false}'::jsonb,
    'coord_admin adds a validated pattern');
SELECT results_eq(format($$ SELECT actor, operation, resource, allowed FROM coord_private.audit_events WHERE event_id = %s $$, :'a1'::jsonb->>'event_id'),
                  $$ VALUES ('t20_admin', 'add_guardrail_pattern', 't20_frob', true) $$,
    'INV-AUDIT-COMPLETE: adding a pattern is audited (one event)');
SELECT is(tests.row_as('t20_impl', $$SELECT ok, reason FROM coord.check_guardrails('now frobnicate --everything', '{}')$$),
          '{"ok": false, "reason": "guardrail_blocked"}'::jsonb,
    'the new pattern applies at once');
SELECT is(tests.row_as('t20_admin', $$SELECT ok, replaced FROM coord.add_guardrail_pattern('t20_frob', 'custom', '\mfrobnicate\s+--everything\M', 'warn')$$),
          '{"ok": true, "replaced": true}'::jsonb, 'adding under the same name replaces the pattern');
SELECT is(tests.row_as('t20_impl', $$SELECT ok, reason FROM coord.check_guardrails('now frobnicate --everything', '{}')$$),
          '{"ok": true, "reason": "allowed"}'::jsonb, 'the replaced (now warn) pattern no longer blocks');
SELECT is(tests.row_as('t20_admin', $$SELECT ok, reason FROM coord.remove_guardrail_pattern('t20_frob', 'pgTAP 20 fixture')$$),
          '{"ok": true, "reason": "allowed"}'::jsonb, 'coord_admin removes the pattern (audited with its reason)');
SELECT is(pg_temp.events_since(:e5), 5::bigint,
    'INV-AUDIT-COMPLETE: add, two checks, replace and remove wrote one audit event each');
SELECT is(tests.diag_as('t20_admin', $$SELECT * FROM coord.remove_guardrail_pattern('t20_frob', 'again')$$), 'PC002|true|true|true',
    'bad input: removing an unknown pattern raises PC002');

-- ---------------------------------------------------------------- prefilter
-- A baseline pattern's prefilter lists keywords of its own regex: a replaced regex
-- must not inherit them (it would be skipped on texts its keywords miss).
SELECT ok((SELECT bool_and(g.prefilter IS NOT NULL) FROM coord_private.guardrail_patterns g
            WHERE g.created_by = 'pgcoord baseline' AND g.applies_to IN ('text', 'both')),
          'every baseline text pattern carries a prefilter');
SELECT is(tests.row_as('t20_admin', $$SELECT ok, replaced FROM coord.add_guardrail_pattern('shell_chmod_world_writable',
              'shell', '\mobliterate\s+everything\M', 'block')$$),
          '{"ok": true, "replaced": true}'::jsonb, 'coord_admin replaces a baseline pattern');
SELECT is((SELECT g.prefilter FROM coord_private.guardrail_patterns g WHERE g.name = 'shell_chmod_world_writable'), NULL,
          'the replaced pattern has no prefilter: it is always evaluated');
SELECT is(tests.row_as('t20_impl', $$SELECT ok, reason FROM coord.check_guardrails('obliterate everything', '{}')$$),
          '{"ok": false, "reason": "guardrail_blocked"}'::jsonb,
          'the new regex blocks a text without any of the old keywords (chmod)');

-- ---------------------------------------------------------------- shadow mode
SELECT tests.row_as('t20_admin', $$SELECT ok FROM coord.set_enforcement_mode('shadow', 'pgTAP 20: guardrail rollout')$$) ->> 'ok' AS m1 \gset
SELECT tests.last_event_id() AS e6 \gset
SELECT tests.row_as('t20_impl', $$SELECT * FROM coord.submit_task('t20_shadow', 'DROP TABLE users;')$$) AS sh \gset
SELECT is(:'sh'::jsonb->>'ok' || ' ' || (:'sh'::jsonb->>'reason'), 'true guardrail_blocked',
    'shadow mode: the would-be guardrail refusal proceeds and names guardrail_blocked');
SELECT is((SELECT count(*)::integer FROM coord_private.tasks WHERE task_id = (:'sh'::jsonb->>'task_id')::bigint), 1,
    'shadow mode: the task was queued');
SELECT results_eq(format($$ SELECT allowed, proceeded, mode, reason FROM coord_private.audit_events WHERE event_id = %s $$, :'sh'::jsonb->>'event_id'),
                  $$ VALUES (false, true, 'shadow', 'guardrail_blocked') $$,
    'INV-AUDIT-COMPLETE: the shadow event records the would-be block (allowed false, proceeded true)');
SELECT ok(EXISTS (SELECT 1 FROM coord_private.guardrail_hits WHERE event_id = (:'sh'::jsonb->>'event_id')::bigint AND pattern = 'sql_drop'),
    'shadow mode: the match is recorded');
SELECT is(tests.row_as('t20_impl', $$SELECT ok, blocked, reason FROM coord.check_guardrails('TRUNCATE audit_log;', '{}')$$),
          '{"ok": true, "blocked": true, "reason": "guardrail_blocked"}'::jsonb,
    'shadow mode: check_guardrails proceeds and says what enforce would do (blocked)');

SELECT * FROM finish();
ROLLBACK;
