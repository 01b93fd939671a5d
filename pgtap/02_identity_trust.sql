-- Identity and trust (INV-TRUST): identity is the session user, never an argument
-- or a GUC; unregistered, suspended and profile-less agents are refused (fail
-- closed); agent registration is coord_admin's, validated and audited.
BEGIN;
SELECT plan(36);

-- t02_ghost is in coord_agent, never registered; t02_doomed is a profile that will
-- disappear under its agent t02_orphan.
SELECT tests.create_profile('t02_doomed', 2, 'pgTAP');
SELECT tests.create_members('coord_admin', 't02_admin'), tests.create_members('coord_agent', 't02_ghost'),
       tests.create_agents('implementer', 't02_alice', 't02_bob', 't02_susp'), tests.create_agents('t02_doomed', 't02_orphan');

-- ---------------------------------------------------------------- whoami
SELECT is(tests.row_as('t02_alice', 'SELECT * FROM coord.whoami()'),
          '{"role_name": "t02_alice", "registered": true, "status": "active", "profile": "implementer", "trust_level": 2}'::jsonb,
          'INV-TRUST: coord.whoami() reports the session user, its registration and the trust of its profile');
SELECT is(tests.row_as('t02_ghost', 'SELECT * FROM coord.whoami()'),
          '{"role_name": "t02_ghost", "registered": false, "status": null, "profile": null, "trust_level": null}'::jsonb,
          'INV-TRUST: coord.whoami() of an unregistered role: not registered, no trust');

-- ---------------------------------------------------------------- unregistered
SELECT tests.audit_count() AS a0 \gset
SELECT is(tests.row_as('t02_ghost', 'SELECT ok, reason, session_id FROM coord.register_session(''ghost'')'),
          '{"ok": false, "reason": "agent_not_registered", "session_id": null}'::jsonb,
          'INV-TRUST: an unregistered member of coord_agent is refused with agent_not_registered');
SELECT is(tests.audit_count(), :a0::bigint + 1,
          'INV-AUDIT-COMPLETE: the refusal of an unregistered role leaves exactly one audit event');
SELECT results_eq($$ SELECT actor, operation, allowed, proceeded, reason, mode
                      FROM coord_private.audit_events ORDER BY event_id DESC LIMIT 1 $$,
                  $$ VALUES ('t02_ghost', 'register_session', false, false, 'agent_not_registered', 'enforce') $$,
                  'INV-TRUST: that event records the unregistered actor, denied and not proceeded');
SELECT is_empty($$ SELECT 1 FROM coord_private.sessions WHERE agent = 't02_ghost' $$,
                'INV-TRUST: no session exists for the unregistered role');

-- even in shadow mode (agent_not_registered is a refusal, not a policy denial)
SELECT tests.run_as('t02_admin', $$SELECT ok FROM coord.set_enforcement_mode('shadow', 'pgTAP 02: shadow')$$) IS NOT NULL AS mode_set \gset
SELECT is(tests.row_as('t02_ghost', 'SELECT ok, reason FROM coord.register_session(''ghost in shadow'')'),
          '{"ok": false, "reason": "agent_not_registered"}'::jsonb,
          'INV-TRUST: agent_not_registered is refused even in shadow mode');
SELECT results_eq($$ SELECT allowed, proceeded, reason, mode FROM coord_private.audit_events ORDER BY event_id DESC LIMIT 1 $$,
                  $$ VALUES (false, false, 'agent_not_registered', 'shadow') $$,
                  'INV-TRUST: the shadow-mode refusal is recorded as not proceeded');
SELECT is_empty($$ SELECT 1 FROM coord_private.sessions WHERE agent = 't02_ghost' $$,
                'INV-TRUST: still no session for the unregistered role after shadow mode');
SELECT tests.run_as('t02_admin', $$SELECT ok FROM coord.set_enforcement_mode('enforce', 'pgTAP 02: back')$$) IS NOT NULL AS mode_set \gset

-- ---------------------------------------------------------------- suspended
SELECT is(tests.row_as('t02_admin', $$SELECT ok, reason FROM coord.set_agent_status('t02_susp', 'suspended')$$),
          '{"ok": true, "reason": "allowed"}'::jsonb,
          'INV-TRUST: a coord_admin suspends an agent');
SELECT is(tests.row_as('t02_susp', 'SELECT ok, reason, session_id FROM coord.register_session(''suspended'')'),
          '{"ok": false, "reason": "agent_suspended", "session_id": null}'::jsonb,
          'INV-TRUST: a suspended agent is refused with agent_suspended');

-- ---------------------------------------------------------------- profile gone: fail closed
DELETE FROM coord_private.profiles WHERE name = 't02_doomed';
SELECT is(tests.row_as('t02_orphan', 'SELECT registered, profile, trust_level FROM coord.whoami()'),
          '{"registered": true, "profile": null, "trust_level": null}'::jsonb,
          'INV-TRUST: deleting an agent''s profile leaves the agent without a profile (FK ON DELETE SET NULL)');
SELECT tests.audit_count() AS a1 \gset
SELECT is(tests.row_as('t02_orphan', 'SELECT ok, reason, session_id FROM coord.register_session(''orphan'')'),
          '{"ok": false, "reason": "profile_unresolved", "session_id": null}'::jsonb,
          'INV-TRUST: an agent whose profile cannot be resolved is denied with profile_unresolved (fail closed)');
SELECT is(tests.audit_count(), :a1::bigint + 1,
          'INV-AUDIT-COMPLETE: the fail-closed denial leaves exactly one audit event');

-- ---------------------------------------------------------------- trust comes from the profile only
SELECT is(tests.row_as('t02_admin', $$SELECT ok FROM coord.set_agent_profile('t02_bob', 'untrusted')$$),
          '{"ok": true}'::jsonb, 'INV-TRUST: a coord_admin moves an agent to the untrusted profile');
SELECT is(tests.row_as('t02_bob', 'SELECT ok, reason FROM coord.register_session(''bob untrusted'')'),
          '{"ok": false, "reason": "trust_too_low"}'::jsonb,
          'INV-TRUST: the same agent is now denied: effective trust follows its profile (0 < 1)');
SELECT tests.run_as('t02_admin', $$SELECT ok FROM coord.set_agent_profile('t02_bob', 'reviewer')$$) IS NOT NULL AS p_set \gset
SELECT is(tests.row_as('t02_bob', 'SELECT ok, reason FROM coord.register_session(''bob reviewer'')'),
          '{"ok": true, "reason": "allowed"}'::jsonb,
          'INV-TRUST: with the reviewer profile (trust 1) the same agent is allowed');

-- ---------------------------------------------------------------- identity cannot be chosen by the client
SELECT is(tests.row_as('t02_alice', $$SELECT set_config('pgcoord.agent', 't02_admin', false) AS a,
                                             set_config('application_name', 't02_admin', false) AS b$$) ->> 'a',
          't02_admin', 'INV-TRUST (setup): the agent sets GUCs that name another role');
SELECT is(tests.row_as('t02_alice', 'SELECT role_name FROM coord.whoami()') ->> 'role_name', 't02_alice',
          'INV-TRUST: GUCs set by the client (set_config) do not change the identity whoami reports');
SELECT is(tests.row_as('t02_alice', 'SELECT ok, reason, event_id FROM coord.register_session(''guc'')') ->> 'reason',
          'allowed', 'INV-TRUST (setup): the agent registers a session after setting those GUCs');
SELECT is((SELECT actor FROM coord_private.audit_events ORDER BY event_id DESC LIMIT 1), 't02_alice',
          'INV-TRUST: the audit event of that call names the session user, not the role in the GUCs');
SELECT is(tests.sqlstate_as('t02_alice', $$SELECT set_config('role', 't02_bob', false)$$), '42501',
          'INV-TRUST: an agent cannot SET ROLE to another agent');
SELECT is(tests.sqlstate_as('t02_alice', $$SELECT set_config('role', 'coord_admin', false)$$), '42501',
          'INV-TRUST: an agent cannot SET ROLE coord_admin');

-- SET ROLE to a group it belongs to changes current_user, never pgcoord's identity.
SET LOCAL SESSION AUTHORIZATION t02_alice;
SET LOCAL ROLE coord_agent;
SELECT current_user AS t02_cu, w.role_name AS t02_who FROM coord.whoami() w \gset
SELECT s.reason AS t02_reason FROM coord.register_session('set role') s \gset
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT is(:'t02_cu'::text, 'coord_agent', 'INV-TRUST (setup): SET ROLE coord_agent changed current_user');
SELECT is(:'t02_who'::text, 't02_alice', 'INV-TRUST: after SET ROLE coord_agent, whoami still reports the session user');
SELECT results_eq($$ SELECT actor, reason FROM coord_private.audit_events ORDER BY event_id DESC LIMIT 1 $$,
                  $$ VALUES ('t02_alice', 'allowed') $$,
                  'INV-TRUST: a mutation made under SET ROLE is attributed to the session user');

-- ---------------------------------------------------------------- register_agent
SELECT is(tests.sqlstate_as('t02_alice', $$SELECT * FROM coord.register_agent('t02_alice', 'administrator')$$), '42501',
          'INV-TRUST: an agent cannot call coord.register_agent (42501), e.g. to raise its own trust');

-- bad input: each raises its SQLSTATE and changes nothing
CREATE ROLE t02_nologin NOLOGIN IN ROLE coord_agent;
CREATE ROLE t02_outsider LOGIN;
SELECT count(*) AS ag0 FROM coord_private.agents \gset
SELECT tests.audit_count() AS a2 \gset
SELECT is(tests.sqlstate_as('t02_admin', $$SELECT * FROM coord.register_agent(NULL, 'implementer')$$), 'PC001',
          'INV-TRUST (bad input): register_agent(NULL role) raises PC001');
SELECT is(tests.sqlstate_as('t02_admin', $$SELECT * FROM coord.register_agent('t02_ghost', NULL)$$), 'PC001',
          'INV-TRUST (bad input): register_agent(role, NULL profile) raises PC001');
SELECT is(tests.sqlstate_as('t02_admin', $$SELECT * FROM coord.register_agent('t02_ghost', 'no_such_profile')$$), 'PC006',
          'INV-TRUST (bad input): register_agent with an unknown profile raises PC006');
SELECT is(tests.sqlstate_as('t02_admin', $$SELECT * FROM coord.register_agent('t02_nologin', 'implementer')$$), 'PC010',
          'INV-TRUST (bad input): register_agent of a NOLOGIN role raises PC010');
SELECT is(tests.sqlstate_as('t02_admin', $$SELECT * FROM coord.register_agent('t02_outsider', 'implementer')$$)
          || '/' || tests.sqlstate_as('t02_admin', $$SELECT * FROM coord.register_agent('t02_no_such_role', 'implementer')$$),
          'PC010/PC010',
          'INV-TRUST (bad input): register_agent of a role outside coord_agent, or of no role at all, raises PC010');
SELECT is(ARRAY[(SELECT count(*) FROM coord_private.agents), tests.audit_count()], ARRAY[:ag0, :a2]::bigint[],
          'INV-AUDIT-COMPLETE: the rejected register_agent calls changed nothing (no agent, no audit event)');

-- a valid registration is audited
SELECT is(tests.row_as('t02_admin', $$SELECT ok, reason FROM coord.register_agent('t02_ghost', 'reviewer')$$),
          '{"ok": true, "reason": "allowed"}'::jsonb,
          'INV-TRUST: a coord_admin registers a LOGIN member of coord_agent');
SELECT is(tests.audit_count(), :a2::bigint + 1, 'INV-AUDIT-COMPLETE: register_agent writes exactly one audit event');
SELECT results_eq($$ SELECT e.actor, e.operation, e.resource, e.allowed, e.proceeded, e.context->>'profile', a.registered_by, a.profile
                      FROM coord_private.audit_events e, coord_private.agents a
                     WHERE a.role_name = 't02_ghost'
                     ORDER BY e.event_id DESC LIMIT 1 $$,
                  $$ VALUES ('t02_admin', 'register_agent', 't02_ghost', true, true, 'reviewer', 't02_admin', 'reviewer') $$,
                  'INV-AUDIT-COMPLETE: the event names the admin as actor, the role as resource, the profile in its context');

SELECT * FROM finish();
ROLLBACK;
