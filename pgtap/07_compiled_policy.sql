-- INV-TRUST through the compiled policy (sql/deploy/policy.sql): the native engine
-- reads one compiled row per (agent, operation); after every kind of change to
-- agents, profiles and operations that row equals its source, so the effective
-- trust a decision sees is always the profile's. A missing row falls back to
-- the source and decides the same; a stale one never exists.
BEGIN;
SELECT plan(31);

-- TEST ONLY: rows where the compiled table and its source view differ (0 = in sync).
CREATE FUNCTION pg_temp.drift() RETURNS integer LANGUAGE sql AS $$
    SELECT count(*)::integer FROM (
        (SELECT * FROM coord_private.agent_operation_policy EXCEPT SELECT * FROM coord_private.agent_operation_policy_source)
        UNION ALL
        (SELECT * FROM coord_private.agent_operation_policy_source EXCEPT SELECT * FROM coord_private.agent_operation_policy)) d
$$;
-- TEST ONLY: the compiled reason of one (agent, operation), NULL when there is no row.
CREATE FUNCTION pg_temp.compiled(p_role text, p_operation text) RETURNS text LANGUAGE sql AS $$
    SELECT p.reason FROM coord_private.agent_operation_policy p WHERE p.role_name = p_role AND p.operation = p_operation
$$;
-- TEST ONLY: the native decision's reason for one request.
CREATE FUNCTION pg_temp.decided(p_role text, p_operation text, p_context jsonb DEFAULT '{}') RETURNS text LANGUAGE sql AS $$
    SELECT (coord_private.native_decide(p_role, p_operation, 'x', p_context)).reason
$$;

SELECT tests.create_members('coord_admin', 't07_admin'), tests.create_agents('implementer', 't07_alice');

-- registration
SELECT is((SELECT count(*)::int FROM coord_private.agent_operation_policy WHERE role_name = 't07_alice'),
          (SELECT count(*)::int FROM coord_private.operations WHERE category = 'agent'),
          'INV-TRUST: registering an agent compiles one row per agent operation');
SELECT is(pg_temp.drift(), 0, 'INV-TRUST: after registration the compiled policy equals its source');
SELECT is((SELECT count(*)::int FROM coord_private.agent_operation_policy p
            WHERE p.operation NOT IN (SELECT o.name FROM coord_private.operations o WHERE o.category = 'agent')), 0,
          'INV-TRUST: admin and system operations are never compiled (they are decided from the catalog)');
SELECT is(pg_temp.compiled('t07_alice', 'acquire_lock'), 'allowed', 'an implementer may acquire leases');
SELECT is(pg_temp.compiled('t07_alice', 'force_release_lock'), 'trust_too_low', 'an implementer may not force-release');
SELECT is((SELECT p.context FROM coord_private.agent_operation_policy p
            WHERE p.role_name = 't07_alice' AND p.operation = 'acquire_lock'),
          '{"profile": "implementer", "trust": 2, "min_trust": 2}'::jsonb,
          'the compiled context is the one a decision records');

-- the agent changes
SELECT ok((tests.row_as('t07_admin', $$SELECT ok FROM coord.set_agent_profile('t07_alice', 'orchestrator')$$)->>'ok')::boolean,
          'coord_admin moves the agent to orchestrator');
SELECT is(pg_temp.compiled('t07_alice', 'force_release_lock'), 'allowed',
          'INV-TRUST: a new profile is in force at once (force-release now allowed)');
SELECT is(pg_temp.drift(), 0, 'INV-TRUST: after a profile assignment the compiled policy equals its source');
SELECT ok((tests.row_as('t07_admin', $$SELECT ok FROM coord.set_agent_status('t07_alice', 'suspended')$$)->>'ok')::boolean,
          'coord_admin suspends the agent');
SELECT is(pg_temp.decided('t07_alice', 'acquire_lock'), 'agent_suspended',
          'INV-TRUST: a suspended agent is refused at once');
SELECT is(pg_temp.drift(), 0, 'INV-TRUST: after a suspension the compiled policy equals its source');
SELECT ok((tests.row_as('t07_admin', $$SELECT ok FROM coord.set_agent_status('t07_alice', 'active')$$)->>'ok')::boolean,
          'coord_admin reactivates the agent');

-- the profile changes
SELECT ok((tests.row_as('t07_admin', $$SELECT ok FROM coord.set_profile('orchestrator', 2)$$)->>'ok')::boolean,
          'coord_admin lowers the orchestrator profile to trust 2');
SELECT is(pg_temp.decided('t07_alice', 'force_release_lock', '{"elevated": true}'), 'trust_too_low',
          'INV-TRUST: the lowered trust of the profile is in force for its agents at once');
SELECT is(pg_temp.drift(), 0, 'INV-TRUST: after a profile edit the compiled policy equals its source');
UPDATE coord_private.profiles SET blocked_operations = '{acquire_lock}' WHERE name = 'orchestrator';
SELECT is(pg_temp.decided('t07_alice', 'acquire_lock'), 'operation_blocked', 'INV-TRUST: a blocked operation is refused at once');
UPDATE coord_private.profiles SET blocked_operations = '{}', allowed_operations = '{renew_lock}' WHERE name = 'orchestrator';
SELECT is(pg_temp.decided('t07_alice', 'acquire_lock'), 'operation_not_allowed',
          'INV-TRUST: an operation outside a new allow list is refused at once');
UPDATE coord_private.profiles SET name = 'conductor' WHERE name = 'orchestrator';
SELECT is((SELECT p.context->>'profile' FROM coord_private.agent_operation_policy p
            WHERE p.role_name = 't07_alice' AND p.operation = 'renew_lock'), 'conductor',
          'INV-TRUST: a renamed profile (cascaded to its agents) is recompiled under its new name');
SELECT is(pg_temp.drift(), 0, 'INV-TRUST: after a rename the compiled policy equals its source');
DELETE FROM coord_private.profiles WHERE name = 'conductor';
SELECT is(pg_temp.decided('t07_alice', 'renew_lock'), 'profile_unresolved',
          'INV-TRUST: an agent whose profile was deleted fails closed at once');
SELECT is(pg_temp.drift(), 0, 'INV-TRUST: after a profile deletion the compiled policy equals its source');

-- the operation catalog changes
SELECT ok((tests.row_as('t07_admin', $$SELECT ok FROM coord.set_agent_profile('t07_alice', 'implementer')$$)->>'ok')::boolean,
          'coord_admin gives the agent a profile again');
INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES ('t_seven', 'agent', 3, 'test operation');
SELECT is(pg_temp.compiled('t07_alice', 't_seven'), 'trust_too_low', 'INV-TRUST: a new agent operation is compiled for every agent');
UPDATE coord_private.operations SET min_trust = 1 WHERE name = 't_seven';
SELECT is(pg_temp.compiled('t07_alice', 't_seven'), 'allowed', 'INV-TRUST: a changed minimum trust is in force at once');
UPDATE coord_private.operations SET category = 'admin' WHERE name = 't_seven';
SELECT is(pg_temp.decided('t07_alice', 't_seven'), 'not_admin',
          'INV-TRUST: an operation that becomes admin leaves the compiled policy (decided from the catalog)');
DELETE FROM coord_private.operations WHERE name = 't_seven';
SELECT is(pg_temp.decided('t07_alice', 't_seven'), 'unknown_operation', 'INV-TRUST: a deleted operation is unknown at once');
SELECT is(pg_temp.drift(), 0, 'INV-TRUST: after catalog changes the compiled policy equals its source');

-- a missing row costs speed, never the decision
SET LOCAL ROLE coord_owner;
DELETE FROM coord_private.agent_operation_policy WHERE role_name = 't07_alice' AND operation = 'force_release_lock';
RESET ROLE;
SELECT is(pg_temp.decided('t07_alice', 'force_release_lock'), 'trust_too_low',
          'INV-TRUST: without its compiled row, a decision reads the source and decides the same');

-- the agent leaves
DELETE FROM coord_private.agents WHERE role_name = 't07_alice';
SELECT is((SELECT count(*)::int FROM coord_private.agent_operation_policy WHERE role_name = 't07_alice'), 0,
          'INV-TRUST: a deleted agent has no compiled rows');
SELECT is(pg_temp.decided('t07_alice', 'acquire_lock'), 'agent_not_registered', 'INV-TRUST: and is not registered at once');

SELECT * FROM finish();
ROLLBACK;
