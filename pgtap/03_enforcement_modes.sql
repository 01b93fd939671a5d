-- The enforcement path end to end, on coord.register_session: allowed, denied for
-- trust, shadow, off; exactly one audit event each time; a refusal is a returned
-- result that keeps its event; mode changes are coord_admin's and audited; bad
-- input raises a PC SQLSTATE and changes nothing (INV-BOUNDARY, INV-AUDIT-COMPLETE,
-- INV-TRUST).
BEGIN;
SELECT plan(39);

-- t03_impl: trust 2; t03_untr: trust 0 < min_trust 1 of register_session.
SELECT tests.create_members('coord_admin', 't03_admin'), tests.create_members('coord_auditor', 't03_auditor'),
       tests.create_agents('implementer', 't03_impl'), tests.create_agents('untrusted', 't03_untr');

SELECT results_eq($$ SELECT enforcement_mode FROM coord.enforcement $$, $$ VALUES ('enforce') $$,
    'INV-BOUNDARY: the enforcement mode is enforce by default');

-- ---------------------------------------------------------------- enforce: allowed
SELECT tests.audit_count() AS a0 \gset
SELECT tests.row_as('t03_impl', $$SELECT * FROM coord.register_session('impl s1', '{"client": "pgtap"}')$$) AS r1 \gset
SELECT is(:'r1'::jsonb - 'session_id' - 'event_id', '{"ok": true, "reason": "allowed"}'::jsonb,
    'INV-BOUNDARY: an implementer (trust 2) registering a session is allowed');
SELECT results_eq(format($$ SELECT agent, label, client_info FROM coord_private.sessions WHERE session_id = %L $$,
                         :'r1'::jsonb ->> 'session_id'),
                  $$ VALUES ('t03_impl', 'impl s1', '{"client": "pgtap"}'::jsonb) $$,
    'INV-BOUNDARY: the allowed mutation ran: the session row exists with its label and client_info');
SELECT is(tests.audit_count(), :a0::bigint + 1, 'INV-AUDIT-COMPLETE: the allowed mutation wrote exactly one audit event');
SELECT results_eq(format($$ SELECT actor, operation, resource, allowed, proceeded, reason, engine, mode
                              FROM coord_private.audit_events WHERE event_id = %s $$, :'r1'::jsonb ->> 'event_id'),
                  $$ VALUES ('t03_impl', 'register_session', 'impl s1', true, true, 'allowed', 'native', 'enforce') $$,
    'INV-AUDIT-COMPLETE: the returned event_id is that event: allowed, proceeded, reason allowed, mode enforce');

-- ---------------------------------------------------------------- enforce: denied for trust
SELECT tests.audit_count() AS a1 \gset
SELECT tests.row_as('t03_untr', $$SELECT * FROM coord.register_session('untr s1')$$) AS r2 \gset
SELECT is(:'r2'::jsonb - 'event_id', '{"ok": false, "reason": "trust_too_low", "session_id": null}'::jsonb,
    'INV-TRUST: an untrusted agent (trust 0 < 1) is denied with trust_too_low');
SELECT is_empty($$ SELECT 1 FROM coord_private.sessions WHERE agent = 't03_untr' $$,
    'INV-BOUNDARY: the denied mutation did not run: no session row');
SELECT is(tests.audit_count(), :a1::bigint + 1, 'INV-AUDIT-COMPLETE: the denial wrote exactly one audit event');
SELECT results_eq(format($$ SELECT actor, allowed, proceeded, reason, mode, context->'decision'->>'trust', context->'decision'->>'min_trust'
                              FROM coord_private.audit_events WHERE event_id = %s $$, :'r2'::jsonb ->> 'event_id'),
                  $$ VALUES ('t03_untr', false, false, 'trust_too_low', 'enforce', '0', '1') $$,
    'INV-AUDIT-COMPLETE: the denial event: not allowed, not proceeded, trust 0 against min_trust 1');

-- a refusal is a returned result (no exception), so its event stays with the transaction
SELECT tests.audit_count() AS a2 \gset
SELECT lives_ok($$ SELECT tests.run_as('t03_untr', 'SELECT * FROM coord.register_session(''untr s2'')') $$,
    'INV-AUDIT-COMPLETE: a refused call returns normally (no exception that would roll its audit event back)');
SELECT results_eq($$ SELECT count(*)::integer, bool_and(NOT proceeded) FROM coord_private.audit_events
                      WHERE actor = 't03_untr' AND resource = 'untr s2' $$,
                  $$ VALUES (1, true) $$,
    'INV-AUDIT-COMPLETE: the refusal keeps exactly one audit event after the call returned');

-- ---------------------------------------------------------------- mode change: shadow (audited)
SELECT tests.audit_count() AS a3 \gset
SELECT tests.row_as('t03_admin', $$SELECT * FROM coord.set_enforcement_mode('shadow', 'pgTAP 03: profile rollout')$$) AS m1 \gset
SELECT is(:'m1'::jsonb - 'event_id', '{"ok": true, "reason": "allowed"}'::jsonb,
    'INV-BOUNDARY: a coord_admin sets the enforcement mode to shadow');
SELECT is(tests.audit_count(), :a3::bigint + 1, 'INV-AUDIT-COMPLETE: the mode change wrote exactly one audit event');
SELECT results_eq(format($$ SELECT actor, operation, resource, allowed, proceeded, context->>'from', context->>'to', context->>'why'
                              FROM coord_private.audit_events WHERE event_id = %s $$, :'m1'::jsonb ->> 'event_id'),
                  $$ VALUES ('t03_admin', 'set_enforcement_mode', 'shadow', true, true, 'enforce', 'shadow', 'pgTAP 03: profile rollout') $$,
    'INV-AUDIT-COMPLETE: the mode change event records the admin, from/to and the reason');
SELECT results_eq($$ SELECT enforcement_mode, updated_by FROM coord.enforcement $$, $$ VALUES ('shadow', 't03_admin') $$,
    'INV-BOUNDARY: the setting is now shadow, updated by the admin');

-- ---------------------------------------------------------------- shadow: the would-be denial proceeds
SELECT tests.audit_count() AS a4 \gset
SELECT tests.row_as('t03_untr', $$SELECT * FROM coord.register_session('untr shadow')$$) AS r3 \gset
SELECT is(:'r3'::jsonb - 'event_id' - 'session_id', '{"ok": true, "reason": "trust_too_low"}'::jsonb,
    'INV-BOUNDARY: in shadow mode the denied agent proceeds, and the would-be denial''s reason is returned');
SELECT results_eq(format($$ SELECT agent, label FROM coord_private.sessions WHERE session_id = %L $$, :'r3'::jsonb ->> 'session_id'),
                  $$ VALUES ('t03_untr', 'untr shadow') $$,
    'INV-BOUNDARY: in shadow mode the mutation ran: the session row exists');
SELECT is(tests.audit_count(), :a4::bigint + 1, 'INV-AUDIT-COMPLETE: the shadow decision wrote exactly one audit event');
SELECT results_eq(format($$ SELECT allowed, proceeded, mode, reason FROM coord_private.audit_events WHERE event_id = %s $$,
                         :'r3'::jsonb ->> 'event_id'),
                  $$ VALUES (false, true, 'shadow', 'trust_too_low') $$,
    'INV-AUDIT-COMPLETE: the shadow event records the would-be denial: allowed=false, proceeded=true, mode shadow, trust_too_low');

-- ---------------------------------------------------------------- off: decisions recorded, nothing refused
SELECT tests.row_as('t03_admin', $$SELECT * FROM coord.set_enforcement_mode('off', 'pgTAP 03: incident')$$) AS m2 \gset
SELECT results_eq(format($$ SELECT context->>'from', context->>'to', context->>'why' FROM coord_private.audit_events WHERE event_id = %s $$,
                         :'m2'::jsonb ->> 'event_id'),
                  $$ VALUES ('shadow', 'off', 'pgTAP 03: incident') $$,
    'INV-AUDIT-COMPLETE: the change to off is audited with from/to/why');
SELECT tests.audit_count() AS a5 \gset
SELECT tests.row_as('t03_untr', $$SELECT * FROM coord.register_session('untr off')$$) AS r4 \gset
SELECT is(:'r4'::jsonb ->> 'ok', 'true', 'INV-BOUNDARY: in off mode the denied agent proceeds');
SELECT results_eq(format($$ SELECT agent FROM coord_private.sessions WHERE session_id = %L $$, :'r4'::jsonb ->> 'session_id'),
                  $$ VALUES ('t03_untr') $$, 'INV-BOUNDARY: in off mode the mutation ran: the session row exists');
SELECT is(tests.audit_count(), :a5::bigint + 1, 'INV-AUDIT-COMPLETE: in off mode the decision is still recorded, exactly once');
SELECT results_eq(format($$ SELECT allowed, proceeded, mode, reason FROM coord_private.audit_events WHERE event_id = %s $$,
                         :'r4'::jsonb ->> 'event_id'),
                  $$ VALUES (false, true, 'off', 'trust_too_low') $$,
    'INV-AUDIT-COMPLETE: the off-mode event: allowed=false, proceeded=true, mode off');

-- ---------------------------------------------------------------- back to enforce
SELECT tests.row_as('t03_admin', $$SELECT * FROM coord.set_enforcement_mode('enforce', 'pgTAP 03: done')$$) ->> 'ok' AS m3 \gset
SELECT is(tests.row_as('t03_untr', $$SELECT ok, reason FROM coord.register_session('untr again')$$),
          '{"ok": false, "reason": "trust_too_low"}'::jsonb,
    'INV-BOUNDARY: back in enforce mode the untrusted agent is refused again');

-- ---------------------------------------------------------------- set_enforcement_mode: who and what
SELECT tests.audit_count() AS a6 \gset
SELECT is(tests.sqlstate_as('t03_admin', $$SELECT * FROM coord.set_enforcement_mode('permissive', 'typo')$$), 'PC008',
    'INV-BOUNDARY (bad input): an invalid mode raises PC008');
SELECT is(tests.sqlstate_as('t03_admin', $$SELECT * FROM coord.set_enforcement_mode('off', NULL)$$), 'PC001',
    'INV-BOUNDARY (bad input): a NULL reason raises PC001');
SELECT is(tests.sqlstate_as('t03_admin', $$SELECT * FROM coord.set_enforcement_mode(NULL, 'why')$$), 'PC001',
    'INV-BOUNDARY (bad input): a NULL mode raises PC001');
SELECT is(tests.sqlstate_as('t03_admin', $$SELECT * FROM coord.set_enforcement_mode('off', '')$$)
          || '/' || tests.sqlstate_as('t03_admin', $$SELECT * FROM coord.set_enforcement_mode('off', '   ')$$), 'PC002/PC002',
    'INV-BOUNDARY (bad input): an empty or blank reason raises PC002');
SELECT is(tests.sqlstate_as('t03_admin', format('SELECT * FROM coord.set_enforcement_mode(%L, %L)', 'off', repeat('x', 1001))), 'PC002',
    'INV-BOUNDARY (bad input): a reason over 1000 characters raises PC002');
SELECT is(tests.sqlstate_as('t03_impl', $$SELECT * FROM coord.set_enforcement_mode('off', 'agent wants out')$$), '42501',
    'INV-BOUNDARY: an agent cannot call set_enforcement_mode (42501)');
SELECT is(tests.sqlstate_as('t03_auditor', $$SELECT * FROM coord.set_enforcement_mode('off', 'auditor')$$), '42501',
    'INV-BOUNDARY: an auditor cannot call set_enforcement_mode (42501)');
SELECT results_eq($$ SELECT (SELECT enforcement_mode FROM coord_private.settings), tests.audit_count() $$,
                  format('VALUES (%L, %s::bigint)', 'enforce', :a6),
    'INV-AUDIT-COMPLETE: the rejected mode changes changed nothing: mode still enforce, no audit event');

-- ---------------------------------------------------------------- register_session: bad input
SELECT tests.audit_count() AS a7 \gset
SELECT count(*) AS s7 FROM coord_private.sessions \gset
SELECT is(tests.sqlstate_as('t03_impl', $$SELECT * FROM coord.register_session(NULL)$$), 'PC001',
    'INV-BOUNDARY (bad input): register_session(NULL label) raises PC001');
SELECT is(tests.sqlstate_as('t03_impl', $$SELECT * FROM coord.register_session('x', NULL)$$), 'PC001',
    'INV-BOUNDARY (bad input): register_session(label, NULL client_info) raises PC001');
SELECT is(tests.sqlstate_as('t03_impl', format('SELECT * FROM coord.register_session(%L)', repeat('x', 300))), 'PC002',
    'INV-BOUNDARY (bad input): a 300-character label raises PC002');
SELECT is(tests.sqlstate_as('t03_impl', format('SELECT * FROM coord.register_session(%L)', E'bad\nlabel')), 'PC002',
    'INV-BOUNDARY (bad input): a label with a control character raises PC002');
SELECT is(tests.sqlstate_as('t03_impl', $$SELECT * FROM coord.register_session('x', '["not", "an", "object"]')$$), 'PC002',
    'INV-BOUNDARY (bad input): client_info that is not a JSON object raises PC002');
SELECT results_eq($$ SELECT (SELECT count(*) FROM coord_private.sessions), tests.audit_count() $$,
                  format('VALUES (%s::bigint, %s::bigint)', :s7, :a7),
    'INV-AUDIT-COMPLETE: the rejected register_session calls changed nothing: no session, no audit event');

SELECT * FROM finish();
ROLLBACK;
