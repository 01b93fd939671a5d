-- The Cedar policy engine (INV-POLICY-EQ): the engine switch is coord_admin's and
-- audited; where the Cedar engine cannot run, switching is refused (PC011) and the
-- native engine stays in force; on the baseline policies Cedar decides as the
-- native engine does, through the API and in shadow mode; invalid policies are
-- PC012 and change nothing; a new policy version is in force at the next decision
-- (the per-session cache is refreshed). Tests that need PL/Python and cedarpy are
-- skipped, with the reason, where the database has no Cedar engine.
BEGIN;
SELECT plan(66);

SELECT coord_private.cedar_available() AS cedar_ok,
       coalesce(coord_private.cedar_probe()->>'reason', '') AS cedar_reason \gset

-- one agent of each trust level 0-4, and a suspended implementer
SELECT tests.create_members('coord_admin', 't30_admin'), tests.create_members('coord_auditor', 't30_auditor'),
       tests.create_agents('untrusted', 't30_untr'), tests.create_agents('reviewer', 't30_rev'),
       tests.create_agents('implementer', 't30_impl'), tests.create_agents('orchestrator', 't30_orch'),
       tests.create_agents('administrator', 't30_adm'), tests.create_agents('implementer', 't30_susp');
SELECT ok AS t30_susp_suspended FROM coord.set_agent_status('t30_susp', 'suspended') \gset

-- The DETAIL of the error p_sql raises as p_role (NULL when it succeeds).
CREATE FUNCTION pg_temp.detail_as(p_role text, p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_detail text;
BEGIN
    PERFORM tests.run_as(p_role, p_sql);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
    RETURN v_detail;
END
$$;

-- ---------------------------------------------------------------- structure (every database)
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'coord_private.cedar_policies'::regclass),
    'INV-RLS: row-level security is enabled on coord_private.cedar_policies');
SELECT results_eq($$ SELECT version, is_current, created_by FROM coord.cedar_policies ORDER BY version $$,
                  $$ VALUES (1::bigint, false, 'pgcoord'), (2::bigint, true, 'pgcoord') $$,
    'INV-POLICY-EQ: the baseline policies as released are version 1; with approvals (the approvals change), version 2, in force');
SELECT results_eq($$ SELECT name, category, min_trust FROM coord.operations
                      WHERE name IN ('set_policy_engine', 'set_cedar_policies') ORDER BY name $$,
                  $$ VALUES ('set_cedar_policies', 'admin', 4), ('set_policy_engine', 'admin', 4) $$,
    'INV-BOUNDARY: the engine and policy changes are admin operations of the catalog');
SELECT is(tests.sqlstate_as('t30_impl', $$SELECT * FROM coord.set_policy_engine('cedar', 'agent tries')$$), '42501',
    'INV-BOUNDARY: an agent cannot change the policy engine (42501)');
SELECT is(tests.sqlstate_as('t30_impl', $$SELECT * FROM coord.set_cedar_policies('permit (principal, action, resource);', 'agent tries')$$),
    '42501', 'INV-BOUNDARY: an agent cannot change the Cedar policies (42501)');
SELECT is(tests.sqlstate_as('t30_impl', $$SELECT * FROM coord.cedar_policies$$), '42501',
    'INV-RLS: an agent cannot read the Cedar policies');
SELECT is(tests.sqlstate_as('t30_admin', $$SELECT * FROM coord.set_policy_engine(NULL, 'x')$$), 'PC001',
    'a NULL engine is PC001');
SELECT is(tests.sqlstate_as('t30_admin', $$SELECT * FROM coord.set_policy_engine('opa', 'x')$$), 'PC002',
    'an unknown engine is PC002');
SELECT is(tests.sqlstate_as('t30_admin', $$SELECT * FROM coord.set_policy_engine('native', '  ')$$), 'PC002',
    'an empty reason is PC002');

-- ---------------------------------------------------------------- Cedar unavailable: refused, native stays
-- Simulated where Cedar is installed: the probe says "unavailable" inside a savepoint.
SAVEPOINT no_cedar;
CREATE OR REPLACE FUNCTION coord_private.cedar_probe() RETURNS jsonb LANGUAGE sql STABLE
AS $$ SELECT '{"available": false, "reason": "pgTAP: cedarpy removed"}'::jsonb $$;
SELECT tests.audit_count() AS u0 \gset
SELECT throws_ok($$ SELECT tests.run_as('t30_admin', 'SELECT * FROM coord.set_policy_engine(''cedar'', ''try cedar'')') $$,
    'PC011', 'the Cedar policy engine is not available in this database',
    'INV-POLICY-EQ: switching to Cedar where it cannot run is refused with PC011 and a clear message');
SELECT matches(pg_temp.detail_as('t30_admin', $$SELECT * FROM coord.set_policy_engine('cedar', 'try cedar')$$),
    'pgTAP: cedarpy removed; the native engine stays in force',
    'INV-POLICY-EQ: the DETAIL says why Cedar is unavailable and that the native engine stays in force');
SELECT results_eq($$ SELECT policy_engine FROM coord.enforcement $$, $$ VALUES ('native') $$,
    'INV-POLICY-EQ: after the refusal the native engine is still in force');
SELECT is(tests.sqlstate_as('t30_admin', $$SELECT * FROM coord.set_cedar_policies('permit (principal, action, resource);', 'x')$$),
    'PC011', 'INV-POLICY-EQ: Cedar policies cannot be stored (nor validated) where Cedar cannot run: PC011');
SELECT is(tests.audit_count(), :u0::bigint, 'INV-BOUNDARY: the refused calls changed nothing (no audit event, no write)');
ROLLBACK TO SAVEPOINT no_cedar;

-- ---------------------------------------------------------------- Cedar available
\if :cedar_ok
SELECT results_eq($$ SELECT available, in_force, policy_version FROM coord.cedar_engine() $$,
                  $$ VALUES (true, false, 2::bigint) $$,
    'INV-POLICY-EQ: coord.cedar_engine() reports the engine available, not in force, at policy version 2');
SELECT is(coord_private.cedar_validate((SELECT policy_text FROM coord_private.cedar_policies WHERE version = 2)), '{}'::text[],
    'INV-POLICY-EQ: the baseline policies validate against the schema generated from the operation catalog');

-- the engine switch: coord_admin, audited
SELECT tests.audit_count() AS s0 \gset
SELECT tests.row_as('t30_admin', $$SELECT * FROM coord.set_policy_engine('cedar', 'pgTAP 30: Cedar rollout')$$) AS sw \gset
SELECT is(:'sw'::jsonb - 'event_id', '{"ok": true, "reason": "allowed"}'::jsonb,
    'INV-POLICY-EQ: a coord_admin switches the engine to Cedar');
SELECT is(tests.audit_count(), :s0::bigint + 1, 'INV-AUDIT-COMPLETE: the engine switch wrote exactly one audit event');
SELECT results_eq(format($$ SELECT actor, operation, resource, allowed, proceeded, context->>'from', context->>'to', context->>'why'
                              FROM coord_private.audit_events WHERE event_id = %s $$, :'sw'::jsonb ->> 'event_id'),
                  $$ VALUES ('t30_admin', 'set_policy_engine', 'cedar', true, true, 'native', 'cedar', 'pgTAP 30: Cedar rollout') $$,
    'INV-AUDIT-COMPLETE: the switch event records the admin, from/to and the reason');
SELECT results_eq($$ SELECT policy_engine, updated_by FROM coord.enforcement $$, $$ VALUES ('cedar', 't30_admin') $$,
    'INV-POLICY-EQ: the Cedar engine is in force');

-- the same decisions as the native engine, for every baseline profile
CREATE TEMP TABLE t30_cases AS
SELECT a AS actor, o AS operation, c AS context,
       coord_private.native_decide(a, o, 'src/app.py', c) AS n,
       coord_private.cedar_decide(a, o, 'src/app.py', c) AS k
  FROM unnest(ARRAY['t30_untr', 't30_rev', 't30_impl', 't30_orch', 't30_adm', 't30_susp', 't30_admin', 'postgres']) a,
       unnest(ARRAY['register_session', 'end_session', 'acquire_lock', 'release_lock', 'force_release_lock',
                    'submit_task', 'claim_task', 'complete_task', 'cancel_task', 'settle_task',
                    'register_agent', 'set_policy_engine', 'no_such_operation']) o,
       unnest(ARRAY['{}', '{"live_locks": 20, "lease_seconds": 300}', '{"lease_seconds": 3600.5}',
                    '{"claimed_tasks": 3}', '{"elevated": true}', '{"files_modified": 101}',
                    '{"guardrail_matches": [{"severity": "block", "always": false, "exempt_trust": 3}]}',
                    '{"guardrail_matches": [{"severity": "block", "always": true, "exempt_trust": 5}]}',
                    '{"network_verdict": "deny"}']::jsonb[]) c;
SELECT is_empty($$ SELECT actor, operation, context, (n).allowed, (n).reason, (k).allowed, (k).reason
                     FROM t30_cases WHERE ((n).allowed, (n).reason) IS DISTINCT FROM ((k).allowed, (k).reason) $$,
    'INV-POLICY-EQ: on the baseline, Cedar gives the native allow/deny and reason for 8 principals x 13 operations x 9 contexts');
SELECT set_eq($$ SELECT DISTINCT (k).reason FROM t30_cases $$,
              $$ VALUES ('allowed'), ('unknown_operation'), ('not_admin'), ('agent_not_registered'), ('agent_suspended'),
                        ('trust_too_low'), ('limit_exceeded'), ('guardrail_blocked'), ('domain_denied') $$,
    'INV-POLICY-EQ: the comparison is not vacuous: it covers allowed and eight denial reasons');
SELECT is_empty($$ SELECT 1 FROM t30_cases WHERE (k).engine <> 'cedar' OR ((k).context->>'policy_version')::bigint <> 2 $$,
    'INV-POLICY-EQ: every Cedar decision names the cedar engine and the policy version it used');
SELECT is((SELECT (k).context->>'limit' FROM t30_cases WHERE actor = 't30_impl' AND operation = 'acquire_lock'
            AND context = '{"live_locks": 20, "lease_seconds": 300}'), 'max_locks',
    'INV-POLICY-EQ: the decision context names the limit, as the native engine''s does');

-- through the API, Cedar decides and the audit trail says so
SELECT tests.row_as('t30_impl', $$SELECT * FROM coord.register_session('cedar s1')$$) AS r1 \gset
SELECT results_eq(format($$ SELECT allowed, proceeded, reason, engine FROM coord_private.audit_events WHERE event_id = %s $$,
                         :'r1'::jsonb ->> 'event_id'),
                  $$ VALUES (true, true, 'allowed', 'cedar') $$,
    'INV-POLICY-EQ: an implementer registers a session; the Cedar engine allowed it (audit engine cedar)');
SELECT is(tests.row_as('t30_untr', $$SELECT ok, reason FROM coord.register_session('cedar s2')$$),
          '{"ok": false, "reason": "trust_too_low"}'::jsonb,
    'INV-TRUST: under Cedar an untrusted agent is denied register_session with trust_too_low');
SELECT is(tests.row_as('t30_impl', $$SELECT ok, reason FROM coord.acquire_lock('src/cedar.py', interval '5 minutes')$$),
          '{"ok": true, "reason": "allowed"}'::jsonb,
    'INV-POLICY-EQ: under Cedar an implementer acquires a lock');
SELECT is(tests.row_as('t30_rev', $$SELECT ok, reason FROM coord.acquire_lock('src/rev.py', interval '5 minutes')$$),
          '{"ok": false, "reason": "trust_too_low"}'::jsonb,
    'INV-TRUST: under Cedar a reviewer (trust 1) is denied acquire_lock (min trust 2) with trust_too_low');
SELECT is(tests.row_as('t30_impl', $$SELECT ok, reason FROM coord.acquire_lock('src/long.py', interval '2 hours')$$),
          '{"ok": false, "reason": "limit_exceeded"}'::jsonb,
    'INV-POLICY-EQ: under Cedar a lease longer than the implementer''s max_lease_seconds is limit_exceeded');
SELECT is(tests.row_as('t30_susp', $$SELECT ok, reason FROM coord.register_session('susp')$$),
          '{"ok": false, "reason": "agent_suspended"}'::jsonb,
    'INV-POLICY-EQ: under Cedar a suspended agent is denied with agent_suspended');

-- shadow mode with Cedar: the would-be denial is recorded and proceeds
SELECT is(tests.row_as('t30_admin', $$SELECT ok FROM coord.set_enforcement_mode('shadow', 'pgTAP 30: shadow under Cedar')$$),
          '{"ok": true}'::jsonb, 'under Cedar a coord_admin sets the enforcement mode to shadow');
SELECT tests.row_as('t30_rev', $$SELECT * FROM coord.acquire_lock('src/shadow.py', interval '5 minutes')$$) AS r2 \gset
SELECT is(:'r2'::jsonb -> 'ok', 'true'::jsonb, 'shadow under Cedar: the reviewer''s denied acquire_lock proceeds');
SELECT results_eq(format($$ SELECT allowed, proceeded, reason, engine, mode FROM coord_private.audit_events WHERE event_id = %s $$,
                         :'r2'::jsonb ->> 'event_id'),
                  $$ VALUES (false, true, 'trust_too_low', 'cedar', 'shadow') $$,
    'shadow under Cedar: the audit event records the Cedar denial (trust_too_low) and that it proceeded');
SELECT isnt_empty($$ SELECT 1 FROM coord_private.locks WHERE holder = 't30_rev' AND path = 'src/shadow.py' $$,
    'shadow under Cedar: the mutation ran (the lock exists)');
SELECT lives_ok($$ SELECT tests.run_as('t30_admin', 'SELECT * FROM coord.set_enforcement_mode(''enforce'', ''pgTAP 30: back'')') $$,
    'back to enforce');

-- invalid policies: PC012 with the errors, nothing changes
SELECT tests.audit_count() AS v0 \gset
SELECT is(tests.sqlstate_as('t30_admin', $$SELECT * FROM coord.set_cedar_policies('permit (principal, action, resource', 'syntax')$$),
    'PC012', 'PC012: a syntax error');
SELECT matches(pg_temp.detail_as('t30_admin', $$SELECT * FROM coord.set_cedar_policies(
        'permit (principal, action == Action::"no_such_op", resource);', 'unknown action')$$),
    'no_such_op', 'PC012: an action missing from the operation catalog fails validation, named in the DETAIL');
SELECT matches(pg_temp.detail_as('t30_admin', $$SELECT * FROM coord.set_cedar_policies(
        'permit (principal, action, resource) when { principal.profile.trust > 1 };', 'optional attribute')$$),
    'profile', 'PC012: a policy the schema rejects (an optional attribute read without has) is refused with the validator''s error');
SELECT matches(pg_temp.detail_as('t30_admin', $$SELECT * FROM coord.set_cedar_policies(
        'forbid (principal, action, resource);', 'no id')$$),
    'a forbid needs @id', 'PC012: a forbid without @id("<reason code>") is refused');
SELECT matches(pg_temp.detail_as('t30_admin', $$SELECT * FROM coord.set_cedar_policies(
        '@id("because") forbid (principal, action, resource);', 'bad id')$$),
    'is not a deny or refuse reason code', 'PC012: a forbid whose @id is not a reason code is refused');
SELECT results_eq($$ SELECT count(*)::integer, max(version) FROM coord_private.cedar_policies $$, $$ VALUES (2, 2::bigint) $$,
    'PC012: invalid policies stored nothing: version 2 is still the latest');
SELECT is(tests.audit_count(), :v0::bigint, 'PC012: invalid policies wrote no audit event');

-- a new policy version is in force at the next decision (the session cache is refreshed)
SELECT is((coord_private.cedar_decide('t30_impl', 'acquire_lock', 'src/x.py', '{"lease_seconds": 1200}')).reason, 'allowed',
    'cache: under version 2 a 20-minute lease of an implementer is allowed');
SELECT is((coord_private.cedar_decide('t30_impl', 'acquire_lock', 'src/secret.py', '{"lease_seconds": 300}')).reason, 'allowed',
    'cache: under version 2 src/secret.py is like any path (the decision memo of this session now holds it)');
SELECT tests.row_as('t30_admin', format($$SELECT * FROM coord.set_cedar_policies(%L, 'pgTAP 30: leases over 10 minutes need trust 3')$$,
    (SELECT policy_text FROM coord_private.cedar_policies WHERE version = 2) || $cedar$
@id("limit_exceeded")
@precedence("95")
@limit("pgtap_lease")
forbid (principal, action == Action::"acquire_lock", resource)
when { context has lease_seconds && context.lease_seconds > 600 && principal has profile && principal.profile.trust < 3 };

@id("operation_blocked")
forbid (principal, action == Action::"acquire_lock", resource == File::"src/secret.py");
$cedar$)) AS p2 \gset
SELECT is(:'p2'::jsonb - 'event_id' - 'version', '{"ok": true, "reason": "allowed"}'::jsonb,
    'a coord_admin stores version 3 of the policies');
SELECT results_eq($$ SELECT version FROM coord.cedar_policies WHERE is_current $$,
                  format('VALUES (%s::bigint)', :'p2'::jsonb ->> 'version'),
    'the returned version is the one in force (a later identity than the baseline''s)');
SELECT results_eq(format($$ SELECT operation, resource, context->>'previous_version', context->>'why', length(context->>'sha256')
                              FROM coord_private.audit_events WHERE event_id = %s $$, :'p2'::jsonb ->> 'event_id'),
                  $$ VALUES ('set_cedar_policies', 'cedar_policies', '2', 'pgTAP 30: leases over 10 minutes need trust 3', 64) $$,
    'INV-AUDIT-COMPLETE: the policy change is audited with the previous version, the reason and the text''s digest');
SELECT is(tests.row_as('t30_impl', $$SELECT ok, reason FROM coord.acquire_lock('src/y.py', interval '20 minutes')$$),
          '{"ok": false, "reason": "limit_exceeded"}'::jsonb,
    'cache: the next decision uses version 3: the 20-minute lease is now denied');
SELECT results_eq($$ SELECT context->'decision'->>'limit', (context->'decision'->>'policy_version')::bigint
                       FROM coord_private.audit_events WHERE actor = 't30_impl' AND resource = 'src/y.py' $$,
                  format($$ VALUES ('pgtap_lease', %s::bigint) $$, :'p2'::jsonb ->> 'version'),
    'cache: the denial names the new forbid (its @limit annotation) and policy version 3');
SELECT is((coord_private.cedar_decide('t30_impl', 'acquire_lock', 'src/secret.py', '{"lease_seconds": 300}')).reason,
    'operation_blocked', 'cache: version 3 reads the resource, so the memo tells src/secret.py (denied) ...');
SELECT is((coord_private.cedar_decide('t30_impl', 'acquire_lock', 'src/other.py', '{"lease_seconds": 300}')).reason,
    'allowed', '... from src/other.py (allowed) on otherwise identical facts');
SELECT is(tests.row_as('t30_orch', $$SELECT ok, reason FROM coord.acquire_lock('src/z.py', interval '20 minutes')$$),
          '{"ok": true, "reason": "allowed"}'::jsonb,
    'version 3: an orchestrator (trust 3) still takes the 20-minute lease');
SELECT lives_ok(format($$ SELECT tests.run_as('t30_admin', %L) $$, format('SELECT * FROM coord.set_cedar_policies(%L, %L)',
                (SELECT policy_text FROM coord_private.cedar_policies WHERE version = 2), 'pgTAP 30: back to the baseline')),
    'a coord_admin restores the baseline as version 4');
SELECT is((coord_private.cedar_decide('t30_impl', 'acquire_lock', 'src/x.py', '{"lease_seconds": 1200}')).reason, 'allowed',
    'cache: under version 4 the 20-minute lease is allowed again');

-- facts kept between decisions: valid only at the policy generation they were read at
-- (every change to agents, profiles or operations recompiles the policy and draws a new one)
SELECT is((coord_private.cedar_decide('t30_impl', 'register_session', '', '{}')).reason, 'allowed',
    'fact cache: an active implementer may register a session (its facts are now kept)');
SELECT generation AS g0 FROM coord_private.policy_generation \gset
SELECT lives_ok($$ SELECT tests.run_as('t30_admin', 'SELECT * FROM coord.set_agent_status(''t30_impl'', ''suspended'')') $$,
    'fact cache: a coord_admin suspends the implementer');
SELECT cmp_ok((SELECT generation FROM coord_private.policy_generation), '>', :g0::bigint,
    'fact cache: the change drew a new policy generation');
SELECT is((coord_private.cedar_decide('t30_impl', 'register_session', '', '{}')).reason, 'agent_suspended',
    'fact cache: the next decision of the same session sees the suspension, not the kept facts');
SELECT lives_ok($$ SELECT tests.run_as('t30_admin', 'SELECT * FROM coord.set_agent_status(''t30_impl'', ''active'')') $$,
    'fact cache: the implementer is active again');
-- a change made and rolled back in a savepoint: its generation is never drawn again
SAVEPOINT kept_facts;
UPDATE coord_private.profiles SET blocked_operations = blocked_operations || 'register_session'::text
 WHERE name = 'implementer';
SELECT generation AS g_rolled_back FROM coord_private.policy_generation \gset
SELECT is((coord_private.cedar_decide('t30_impl', 'register_session', '', '{}')).reason, 'operation_blocked',
    'fact cache: inside the savepoint the blocked operation is denied (facts read at its generation)');
ROLLBACK TO SAVEPOINT kept_facts;
SELECT is((coord_private.cedar_decide('t30_impl', 'register_session', '', '{}')).reason, 'allowed',
    'fact cache: after the rollback the facts of the rolled-back change are not used');
UPDATE coord_private.profiles SET max_locks = max_locks + 1 WHERE name = 'implementer';
SELECT cmp_ok((SELECT generation FROM coord_private.policy_generation), '>', :g_rolled_back::bigint,
    'fact cache: the next change draws a generation above the rolled-back one (a sequence: never drawn twice)');
SELECT is((coord_private.cedar_decide('t30_impl', 'register_session', '', '{}')).reason, 'allowed',
    'fact cache: ... and its facts, not the rolled-back ones, decide');
-- role membership is no fact of the generation: read for every admin decision
SELECT is((coord_private.cedar_decide('t30_rev', 'set_enforcement_mode', 'shadow', '{}')).reason, 'not_admin',
    'fact cache: an agent outside coord_admin is denied an admin operation');
GRANT coord_admin TO t30_rev;
SELECT is((coord_private.cedar_decide('t30_rev', 'set_enforcement_mode', 'shadow', '{}')).reason, 'allowed',
    'fact cache: once granted coord_admin, the same session''s next admin decision allows it');
REVOKE coord_admin FROM t30_rev;

-- fail closed: a forbid that cannot be evaluated denies (stored behind the API's back)
INSERT INTO coord_private.cedar_policies (policy_text, reason) VALUES (
    'permit (principal, action, resource); @id("operation_blocked") forbid (principal, action, resource) when { principal.profile.trust < 0 };',
    'pgTAP 30: a forbid that errors');
SELECT is((coord_private.cedar_decide('t30_admin', 'register_session', '', '{}')).reason, 'policy_error',
    'fail closed: a forbid that fails to evaluate (no profile) denies with policy_error, though a permit matched');
\else
SELECT skip('the Cedar engine is unavailable in this database: ' || :'cedar_reason', 52);
\endif

SELECT * FROM finish();
ROLLBACK;
