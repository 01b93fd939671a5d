-- INV-TRUST through the profile API: coord_admin defines and drops profiles
-- (audited); an agent reads only its own; a dropped profile fails closed.
BEGIN;
SELECT plan(14);

SELECT tests.create_members('coord_admin', 't05_admin'), tests.create_agents('implementer', 't05_alice');

SELECT is(tests.row_as('t05_alice', 'SELECT name, trust_level FROM coord.get_my_profile()'),
          '{"name": "implementer", "trust_level": 2}'::jsonb,
          'INV-TRUST: get_my_profile returns the caller''s own profile');

SELECT is(tests.sqlstate_as('t05_alice', $$SELECT * FROM coord.set_profile('sneaky', 4)$$), '42501',
          'INV-BOUNDARY: an agent cannot define profiles');

SELECT is(tests.row_as('t05_admin', $$SELECT ok, reason, created FROM coord.set_profile('builder', 2, 'builds',
              NULL, ARRAY['force_release_lock'], 5, 2, 900, 40)$$),
          '{"ok": true, "reason": "allowed", "created": true}'::jsonb,
          'INV-TRUST: coord_admin creates a profile');
SELECT is((SELECT count(*)::int FROM coord_private.audit_events WHERE operation = 'set_profile' AND resource = 'builder'), 1,
          'INV-AUDIT-COMPLETE: the profile change is one audit event');
SELECT is((SELECT row(trust_level, max_locks, max_lease_seconds, blocked_operations)::text FROM coord.profiles WHERE name = 'builder'),
          '(2,5,900,{force_release_lock})', 'the profile carries its trust and limits');

SELECT is(tests.row_as('t05_admin', $$SELECT ok, created FROM coord.set_profile('builder', 1)$$),
          '{"ok": true, "created": false}'::jsonb, 'set_profile on an existing name changes it');
SELECT is((SELECT trust_level FROM coord.profiles WHERE name = 'builder'), 1, 'the new trust level is in force');

-- bad input: documented SQLSTATEs, nothing changes
SELECT is(tests.sqlstate_as('t05_admin', $$SELECT * FROM coord.set_profile('builder', 7)$$), 'PC002',
          'trust level out of range is PC002');
SELECT is(tests.sqlstate_as('t05_admin', $$SELECT * FROM coord.set_profile('builder', 2, '', ARRAY['no_such_op'])$$), 'PC002',
          'an unknown operation in the allow-list is PC002');
SELECT is(tests.sqlstate_as('t05_admin', $$SELECT * FROM coord.set_profile(NULL, 2)$$), 'PC001', 'a NULL name is PC001');
SELECT is((SELECT trust_level FROM coord.profiles WHERE name = 'builder'), 1, 'refused inputs changed nothing');

-- dropping the profile of a live agent: it fails closed
SELECT tests.create_agents('builder', 't05_bob');
SELECT is(tests.row_as('t05_admin', $$SELECT ok, agents_affected FROM coord.drop_profile('builder', 'retired')$$),
          '{"ok": true, "agents_affected": 1}'::jsonb, 'coord_admin drops a profile, reporting the agents it leaves');
SELECT is(tests.row_as('t05_bob', $$SELECT ok, reason FROM coord.register_session('x')$$),
          '{"ok": false, "reason": "profile_unresolved"}'::jsonb,
          'INV-TRUST: an agent whose profile was dropped is denied (fail closed)');
SELECT is(tests.sqlstate_as('t05_admin', $$SELECT * FROM coord.drop_profile('builder', 'again')$$), 'PC006',
          'dropping an unknown profile is PC006');

SELECT * FROM finish();
ROLLBACK;
