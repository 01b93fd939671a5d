-- Handoffs (change handoffs, issue 15), acting as two agents, a reviewer, an
-- untrusted, a suspended and an unregistered member, an admin and an auditor:
--   (a) the catalog: the operation (write_handoff, agent, trust 2), the grants, the
--       private table (INV-RLS: RLS on, no grant), the pinned definers (INV-DEFINER),
--       the hook before the write (INV-BOUNDARY);
--   (b) write and read: what is stored (files normalised as lease paths, repeats
--       dropped), newest first, the limit, one agent's or all; INV-AUDIT-COMPLETE:
--       one event per write, actor = session_user, the event the call returned;
--       a read writes no event;
--   (c) INV-RLS: every reader of the fleet reads every handoff; the session id only
--       its author, coord_admin and coord_auditor; unregistered, untrusted and
--       suspended callers read nothing; a stray grant shows an agent its own rows only;
--   (d) sessions: the caller's own (open or ended) accepted, another agent's refused
--       in every mode (session_not_owned), an unknown one PC013;
--   (e) INV-TRUST: a reviewer (trust 1), an untrusted, a suspended and an
--       unregistered caller write nothing in enforce mode; admins hold no EXECUTE;
--   (f) the enforcement mode: shadow and off record the denial and write;
--   (g) guardrails: the text is scanned as submit_task's (block, warn, by trust);
--   (h) INV-BOUNDARY: no identity argument; SET ROLE and set_config('role') to another
--       agent refused; SET ROLE to a group role and a GUC named like pgcoord's change
--       nothing (SET SESSION AUTHORIZATION needs a superuser's login, which this
--       suite has: tests/test_hostile_agent.py tries it from a real agent login);
--   (i) bad input: the documented SQLSTATE with message, detail and hint, no row and
--       no audit event written.
BEGIN;
SELECT plan(92);
-- The tests that need the catalog gate's dependency analysis skip, saying why, where
-- the server has no plpgsql_check (tests.plpgsql_check_unavailable()).
SELECT tests.plpgsql_check_unavailable() IS NULL AS t26_analysis,
       coalesce(tests.plpgsql_check_unavailable(), '') AS t26_no_analysis \gset

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   pg_temp.n()                 the number of handoff rows
--   pg_temp.bad(role, sql)      'SQLSTATE|message?|detail?|hint?' of the error sql raises as
--                               role, plus ' (changed ...)' when a handoff row or an audit
--                               event was written
--   pg_temp.seen(role, sql)     the handoffs sql (a read_handoffs call) returns as role, one
--                               'agent: summary' each, in the order returned
--   pg_temp.w(summary, ...)     a write_handoff call's SQL
SELECT tests.start_calls();

CREATE FUNCTION pg_temp.n() RETURNS bigint
LANGUAGE sql AS $$ SELECT count(*) FROM coord_private.handoffs $$;

CREATE FUNCTION pg_temp.bad(p_role text, p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_rows bigint := pg_temp.n();
    v_events bigint := tests.audit_count();
    v text;
BEGIN
    v := coalesce(tests.diag_as(p_role, p_sql), 'no error');
    RETURN v || CASE WHEN pg_temp.n() = v_rows AND tests.audit_count() = v_events THEN ''
                     ELSE format(' (changed: handoffs %s -> %s, events %s -> %s)', v_rows, pg_temp.n(),
                                 v_events, tests.audit_count()) END;
END
$$;

CREATE FUNCTION pg_temp.seen(p_role text, p_sql text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(r ->> 'agent' || ': ' || (r ->> 'summary') ORDER BY o), '{}')
      FROM jsonb_array_elements(tests.run_as(p_role, p_sql)) WITH ORDINALITY AS x(r, o)
$$;

SELECT tests.create_agents('implementer', 't26_a', 't26_b', 't26_s'), tests.create_agents('reviewer', 't26_r'),
       tests.create_agents('untrusted', 't26_u'), tests.create_agents('orchestrator', 't26_o'),
       tests.create_members('coord_agent', 't26_unreg'), tests.create_members('coord_admin', 't26_adm'),
       tests.create_members('coord_auditor', 't26_aud');
SELECT (tests.open_sessions('t26_a', 'a s1'))[1] AS sa, (tests.open_sessions('t26_b', 'b s1'))[1] AS sb \gset
SELECT (tests.open_sessions('t26_a', 'a s2'))[1] AS sa_ended \gset
SELECT tests.row_as('t26_a', format('SELECT * FROM coord.end_session(%L)', :'sa_ended')) ->> 'reason' AS ended \gset

-- ---------------------------------------------------------------- (a) the catalog
SELECT is((SELECT format('%s %s %s', o.name, o.category, o.min_trust) FROM coord_private.operations o WHERE o.name = 'write_handoff'),
          'write_handoff agent 2',
          'INV-BOUNDARY: write_handoff is an operation of the catalog (agent, trust 2: a write of state the fleet shares)');
SELECT ok(has_function_privilege('coord_agent', 'coord.write_handoff(text, text[], text[], text[], text[], text[], uuid)', 'EXECUTE')
          AND has_function_privilege('coord_agent', 'coord.read_handoffs(text, integer)', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.read_handoffs(text, integer)', 'EXECUTE')
          AND has_function_privilege('coord_auditor', 'coord.read_handoffs(text, integer)', 'EXECUTE'),
          'INV-BOUNDARY: agents write and read handoffs; admins and auditors read them');
SELECT ok(NOT has_function_privilege('coord_admin', 'coord.write_handoff(text, text[], text[], text[], text[], text[], uuid)', 'EXECUTE')
          AND NOT has_function_privilege('coord_auditor', 'coord.write_handoff(text, text[], text[], text[], text[], text[], uuid)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'coord.write_handoff(text, text[], text[], text[], text[], text[], uuid)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'coord.read_handoffs(text, integer)', 'EXECUTE'),
          'INV-BOUNDARY: neither admins, auditors nor PUBLIC write handoffs; PUBLIC does not read them');
SELECT ok((SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = 'coord_private.handoffs'::regclass)
          AND NOT EXISTS (SELECT 1 FROM unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r
                           WHERE has_table_privilege(r, 'coord_private.handoffs', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES')
                              OR has_sequence_privilege(r, 'coord_private.handoffs_handoff_id_seq', 'USAGE, SELECT, UPDATE')),
          'INV-RLS: coord_private.handoffs has row level security and no pgcoord role holds a privilege on it or its sequence');
SELECT is((SELECT array_agg(format('%s definer=%s %s', p.proname, p.prosecdef::text, array_to_string(p.proconfig, ',')) ORDER BY p.proname)
             FROM pg_proc p WHERE p.oid IN ('coord.write_handoff(text, text[], text[], text[], text[], text[], uuid)'::regprocedure,
                                            'coord.read_handoffs(text, integer)'::regprocedure)),
          ARRAY['read_handoffs definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on',
                'write_handoff definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on'],
          'INV-DEFINER: both functions are definers pinning search_path, lock_timeout and standard_conforming_strings');
\if :t26_analysis
CREATE TEMP TABLE writers AS SELECT * FROM tests.writer_functions() WHERE fn::text LIKE '%handoff%';
SELECT is((SELECT array_agg(format('%s hook_before_write=%s', w.fn, (w.hook_pos < w.first_write_pos)::text)) FROM pg_temp.writers w),
          ARRAY['coord.write_handoff(text,text[],text[],text[],text[],text[],uuid) hook_before_write=true'],
          'INV-BOUNDARY: write_handoff is the one handoff writer and calls coord_private.authorize before its first write');
SELECT ok(EXISTS (SELECT 1 FROM tests.hooked_operations() h WHERE h.operation = 'write_handoff'),
          'INV-BOUNDARY: write_handoff is authorized by name');
\else
SELECT skip(:'t26_no_analysis', 2);
\endif

-- ---------------------------------------------------------------- (b) write and read
SELECT tests.call('w_a', 't26_a', format($$SELECT * FROM coord.write_handoff(
    'Split the users API; the orders half is open.',
    ARRAY['moved users routes to src/api/users.py'], ARRAY['orders routes'], ARRAY['keep the v1 paths as aliases'],
    ARRAY['finish src/api/orders.py', 'run the API tests'],
    ARRAY['src/api/users.py', 'src/api/', 'src/**/*.py', 'src/api/users.py'], %L)$$, :'sa'));
SELECT is(tests.verdict('w_a'),
          'ok allowed | 1 event: write_handoff by t26_a allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: t26_a''s handoff is allowed with exactly one audit event (actor = session_user), the one it returns');
SELECT is((SELECT format('%s %s %s %s %s %s %s', h.agent, h.session_id = :'sa'::uuid, h.completed, h.in_progress, h.decisions,
                         h.next_steps, h.files)
             FROM coord_private.handoffs h WHERE h.handoff_id = (tests.res('w_a') ->> 'handoff_id')::bigint),
          't26_a t {"moved users routes to src/api/users.py"} {"orders routes"} {"keep the v1 paths as aliases"} {"finish src/api/orders.py","run the API tests"} {src/api/users.py,src/api/,src/**/*.py}',
          'the handoff is stored as written, under the caller and its session; files as lease paths, the repeat dropped');
SELECT is((SELECT format('resource=%s handoff_id=%s files=%s next_steps=%s row_event=%s', e.resource,
                         (e.context ->> 'handoff_id' = tests.res('w_a') ->> 'handoff_id')::text, e.context ->> 'files',
                         e.context ->> 'next_steps',
                         ((SELECT h.event_id FROM coord_private.handoffs h
                           WHERE h.handoff_id = (tests.res('w_a') ->> 'handoff_id')::bigint) = e.event_id)::text)
             FROM coord_private.audit_events e WHERE e.event_id = (tests.event('w_a')).event_id),
          format('resource=%s handoff_id=true files=3 next_steps=2 row_event=true', tests.res('w_a') ->> 'handoff_id'),
          'INV-AUDIT-COMPLETE: the event names the handoff (resource and context), counts the lists, and the row keeps the event id');
SELECT is(tests.res('w_a') -> 'guardrails', '[]'::jsonb, 'a handoff without a guardrail match returns guardrails []');

SELECT tests.call('w_b1', 't26_b', $$SELECT * FROM coord.write_handoff('b: first')$$);
SELECT tests.call('w_b2', 't26_b', format($$SELECT * FROM coord.write_handoff('b: second', p_session_id => %L)$$, :'sb'));
SELECT is(tests.verdict('w_b1') || ' / ' || tests.verdict('w_b2'),
          'ok allowed | 1 event: write_handoff by t26_b allowed=true proceeded=true reason=allowed mode=enforce / '
          'ok allowed | 1 event: write_handoff by t26_b allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: t26_b writes two handoffs (defaults; with its session), one event each');
SELECT is(pg_temp.seen('t26_b', 'SELECT * FROM coord.read_handoffs()'),
          ARRAY['t26_b: b: second', 't26_b: b: first', 't26_a: Split the users API; the orders half is open.'],
          'read_handoffs() returns every agent''s handoffs, newest first');
SELECT is(pg_temp.seen('t26_a', 'SELECT * FROM coord.read_handoffs(p_limit => 2)'),
          ARRAY['t26_b: b: second', 't26_b: b: first'], 'the limit keeps the newest');
SELECT is(pg_temp.seen('t26_b', $$SELECT * FROM coord.read_handoffs('t26_a')$$),
          ARRAY['t26_a: Split the users API; the orders half is open.'], 'p_agent reads one agent''s handoffs');
SELECT is(pg_temp.seen('t26_a', $$SELECT * FROM coord.read_handoffs('t26_o')$$), '{}'::text[],
          'an agent without handoffs: no row');
SELECT is((tests.run_as('t26_b', $$SELECT * FROM coord.read_handoffs('t26_a')$$) -> 0) - 'created_at'
              - 'handoff_id' - 'session_id',
          jsonb_build_object('agent', 't26_a', 'summary', 'Split the users API; the orders half is open.',
                             'completed', ARRAY['moved users routes to src/api/users.py'], 'in_progress', ARRAY['orders routes'],
                             'decisions', ARRAY['keep the v1 paths as aliases'],
                             'next_steps', ARRAY['finish src/api/orders.py', 'run the API tests'],
                             'files', ARRAY['src/api/users.py', 'src/api/', 'src/**/*.py']),
          'INV-RLS: another agent reads the whole handoff: summary, lists, files (what it was written for)');
SELECT is((SELECT count(*) FROM jsonb_object_keys(tests.run_as('t26_b', 'SELECT * FROM coord.read_handoffs(p_limit => 1)') -> 0)),
          10::bigint, 'read_handoffs returns ten columns');
SELECT tests.audit_count() AS events_before \gset
SELECT cardinality(pg_temp.seen('t26_a', 'SELECT * FROM coord.read_handoffs()'))
       + cardinality(pg_temp.seen('t26_adm', $$SELECT * FROM coord.read_handoffs('t26_b', 1)$$)) AS rows_read \gset
SELECT is(format('%s rows read, %s events', :rows_read, tests.audit_count() - :events_before), '4 rows read, 0 events',
          'INV-AUDIT-COMPLETE: a read is no decision: read_handoffs writes no audit event (as check_locks, get_task)');

-- ---------------------------------------------------------------- (c) INV-RLS: who reads what
SELECT is((SELECT array_agg(format('%s %s', r ->> 'agent', CASE WHEN r ->> 'session_id' IS NULL THEN 'hidden'
                                                                  ELSE (r ->> 'session_id' IN (:'sa', :'sb'))::text END) ORDER BY o)
             FROM jsonb_array_elements(tests.run_as('t26_a', 'SELECT * FROM coord.read_handoffs()')) WITH ORDINALITY x(r, o)),
          ARRAY['t26_b hidden', 't26_b hidden', 't26_a true'],
          'INV-RLS: the session id of a handoff is shown to its author only, among agents (t26_a sees its own, not t26_b''s)');
SELECT is((SELECT array_agg(r ->> 'session_id' ORDER BY o)
             FROM jsonb_array_elements(tests.run_as('t26_b', 'SELECT * FROM coord.read_handoffs()')) WITH ORDINALITY x(r, o)),
          ARRAY[:'sb', NULL, NULL],
          'INV-RLS: t26_b sees its own session id, not t26_a''s');
SELECT is(tests.run_as('t26_adm', 'SELECT session_id FROM coord.read_handoffs() ORDER BY handoff_id')
              || tests.run_as('t26_aud', 'SELECT session_id FROM coord.read_handoffs() ORDER BY handoff_id'),
          jsonb_build_array(jsonb_build_object('session_id', :'sa'), jsonb_build_object('session_id', NULL),
                            jsonb_build_object('session_id', :'sb'), jsonb_build_object('session_id', :'sa'),
                            jsonb_build_object('session_id', NULL), jsonb_build_object('session_id', :'sb')),
          'INV-RLS: coord_admin and coord_auditor read every handoff with its session id');
SELECT is(cardinality(pg_temp.seen('t26_r', 'SELECT * FROM coord.read_handoffs()')), 3,
          'INV-RLS: a reviewer (trust 1, reads) reads the fleet''s handoffs');
SELECT is(pg_temp.seen('t26_u', 'SELECT * FROM coord.read_handoffs()'), '{}'::text[],
          'INV-RLS, INV-TRUST: an untrusted agent (trust 0) reads no handoff');
SELECT is(pg_temp.seen('t26_unreg', 'SELECT * FROM coord.read_handoffs()'), '{}'::text[],
          'INV-RLS: an unregistered member of coord_agent reads no handoff');
SELECT ok((SELECT (r ->> 'ok')::boolean FROM tests.row_as('t26_adm', $$SELECT * FROM coord.set_agent_status('t26_s', 'suspended')$$) r),
          'set-up: t26_s is suspended');
SELECT is(pg_temp.seen('t26_s', 'SELECT * FROM coord.read_handoffs()'), '{}'::text[],
          'INV-RLS, INV-TRUST: a suspended agent reads no handoff');
GRANT USAGE ON SCHEMA coord_private TO coord_agent;
GRANT SELECT ON coord_private.handoffs TO coord_agent;
SELECT is(tests.run_as('t26_b', 'SELECT DISTINCT agent FROM coord_private.handoffs'), '[{"agent": "t26_b"}]'::jsonb,
          'INV-RLS: with a stray SELECT grant an agent still sees only its own handoff rows (policy handoffs_own)');
REVOKE SELECT ON coord_private.handoffs FROM coord_agent;
REVOKE USAGE ON SCHEMA coord_private FROM coord_agent;
SELECT is(tests.sqlstate_as('t26_a', 'SELECT * FROM coord_private.handoffs'), '42501',
          'INV-RLS: an agent cannot name coord_private.handoffs (42501)');
SELECT is(tests.statement_sqlstate_as('t26_a', $$INSERT INTO coord_private.handoffs (agent, summary, event_id, created_at) VALUES ('t26_b', 'forged', 0, now())$$),
          '42501', 'INV-BOUNDARY: an agent cannot insert a handoff directly (42501)');

-- ---------------------------------------------------------------- (d) sessions
SELECT pg_temp.n() AS n_before \gset
SELECT tests.call('w_foreign', 't26_a', format($$SELECT * FROM coord.write_handoff('as b', p_session_id => %L)$$, :'sb'));
SELECT is(tests.verdict('w_foreign'),
          'refused session_not_owned | 1 event: write_handoff by t26_a allowed=true proceeded=false reason=session_not_owned mode=enforce',
          'another agent''s session is refused (session_not_owned), with one audit event');
SELECT is(pg_temp.n(), :n_before::bigint, 'the refused handoff was not written');
SELECT is(tests.res('w_foreign') ->> 'handoff_id', NULL, 'a refusal returns no handoff_id');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_session_id => '00000000-0000-0000-0000-000000000026')$$),
          'PC013|true|true|true', 'an unknown session id is PC013 (unknown_session), with detail and hint; nothing written');
SELECT tests.call('w_ended', 't26_a', format($$SELECT * FROM coord.write_handoff('after my session ended', p_session_id => %L)$$, :'sa_ended'));
SELECT is(:'ended' || ' ' || tests.verdict('w_ended'),
          'allowed ok allowed | 1 event: write_handoff by t26_a allowed=true proceeded=true reason=allowed mode=enforce',
          'the caller''s own ended session is accepted (a handoff is often written as its session ends)');

-- ---------------------------------------------------------------- (e) INV-TRUST
SELECT pg_temp.n() AS n_before \gset
SELECT tests.call('w_rev', 't26_r', $$SELECT * FROM coord.write_handoff('reviewer notes')$$);
SELECT is(tests.verdict('w_rev'),
          'refused trust_too_low | 1 event: write_handoff by t26_r allowed=false proceeded=false reason=trust_too_low mode=enforce',
          'INV-TRUST: a reviewer (trust 1 < 2) is denied, with one audit event');
SELECT tests.call('w_unt', 't26_u', $$SELECT * FROM coord.write_handoff('untrusted notes')$$);
SELECT is(tests.verdict('w_unt'),
          'refused trust_too_low | 1 event: write_handoff by t26_u allowed=false proceeded=false reason=trust_too_low mode=enforce',
          'INV-TRUST: an untrusted agent is denied');
SELECT tests.call('w_sus', 't26_s', $$SELECT * FROM coord.write_handoff('suspended notes')$$);
SELECT is(tests.verdict('w_sus'),
          'refused agent_suspended | 1 event: write_handoff by t26_s allowed=false proceeded=false reason=agent_suspended mode=enforce',
          'INV-TRUST: a suspended agent is denied');
SELECT tests.call('w_unreg', 't26_unreg', $$SELECT * FROM coord.write_handoff('who am I')$$);
SELECT is(tests.verdict('w_unreg'),
          'refused agent_not_registered | 1 event: write_handoff by t26_unreg allowed=false proceeded=false reason=agent_not_registered mode=enforce',
          'INV-TRUST: an unregistered member of coord_agent is refused');
SELECT is(pg_temp.n(), :n_before::bigint, 'INV-TRUST: none of them wrote a handoff');
UPDATE coord_private.agents SET profile = NULL WHERE role_name = 't26_o';
SELECT tests.call('w_noprof', 't26_o', $$SELECT * FROM coord.write_handoff('no profile')$$);
SELECT is(tests.verdict('w_noprof'),
          'refused profile_unresolved | 1 event: write_handoff by t26_o allowed=false proceeded=false reason=profile_unresolved mode=enforce',
          'INV-TRUST: an agent whose profile cannot be resolved fails closed');
SELECT is(pg_temp.seen('t26_o', 'SELECT * FROM coord.read_handoffs()'), '{}'::text[],
          'INV-RLS, INV-TRUST: an agent without a profile reads no handoff (fail closed)');
UPDATE coord_private.agents SET profile = 'orchestrator' WHERE role_name = 't26_o';
SELECT is(tests.sqlstate_as('t26_adm', $$SELECT * FROM coord.write_handoff('admin notes')$$), '42501',
          'INV-BOUNDARY: a coord_admin that is no agent cannot call write_handoff (42501)');

-- ---------------------------------------------------------------- (f) the enforcement mode
SELECT tests.row_as('t26_adm', $$SELECT * FROM coord.set_enforcement_mode('shadow', 'pgTAP 26: handoff rollout')$$) ->> 'ok' AS shadow_set \gset
SELECT pg_temp.n() AS n_before \gset
SELECT tests.call('w_rev_shadow', 't26_r', $$SELECT * FROM coord.write_handoff('reviewer notes in shadow')$$);
SELECT is(:'shadow_set' || ' ' || tests.verdict('w_rev_shadow'),
          'true ok trust_too_low | 1 event: write_handoff by t26_r allowed=false proceeded=true reason=trust_too_low mode=shadow',
          'shadow: the reviewer''s denial is recorded (allowed=false, proceeded=true) and the handoff is written');
SELECT is((SELECT h.agent FROM coord_private.handoffs h WHERE h.handoff_id = (tests.res('w_rev_shadow') ->> 'handoff_id')::bigint),
          't26_r', 'shadow: the reviewer''s handoff is stored under the reviewer');
SELECT tests.call('w_foreign_shadow', 't26_a', format($$SELECT * FROM coord.write_handoff('as b, shadow', p_session_id => %L)$$, :'sb'));
SELECT is(tests.verdict('w_foreign_shadow'),
          'refused session_not_owned | 1 event: write_handoff by t26_a allowed=true proceeded=false reason=session_not_owned mode=shadow',
          'shadow: another agent''s session is still refused (a refusal in every mode)');
SELECT is(pg_temp.n(), :n_before::bigint + 1, 'shadow: only the reviewer''s handoff was written');
SELECT tests.row_as('t26_adm', $$SELECT * FROM coord.set_enforcement_mode('off', 'pgTAP 26: off')$$) ->> 'ok' AS off_set \gset
SELECT tests.call('w_unt_off', 't26_u', $$SELECT * FROM coord.write_handoff('untrusted, mode off')$$);
SELECT is(:'off_set' || ' ' || tests.verdict('w_unt_off'),
          'true ok trust_too_low | 1 event: write_handoff by t26_u allowed=false proceeded=true reason=trust_too_low mode=off',
          'off: the denial is recorded and the handoff written');
SELECT tests.call('w_unreg_off', 't26_unreg', $$SELECT * FROM coord.write_handoff('unregistered, mode off')$$);
SELECT is(tests.verdict('w_unreg_off'),
          'refused agent_not_registered | 1 event: write_handoff by t26_unreg allowed=false proceeded=false reason=agent_not_registered mode=off',
          'off: an unregistered caller is still refused (agent_not_registered is refused in every mode)');
SELECT tests.row_as('t26_adm', $$SELECT * FROM coord.set_enforcement_mode('enforce', 'pgTAP 26: back')$$) ->> 'ok' AS enforce_set \gset
SELECT is(:'enforce_set'::text, 'true', 'set-up: back to enforce');

-- ---------------------------------------------------------------- (g) guardrails
SELECT pg_temp.n() AS n_before \gset
SELECT tests.call('w_block', 't26_a', $$SELECT * FROM coord.write_handoff('disk full',
    p_next_steps => ARRAY['free disk space: sudo rm -rf --no-preserve-root /'])$$);
SELECT is(tests.verdict('w_block'),
          'refused guardrail_blocked | 1 event: write_handoff by t26_a allowed=false proceeded=false reason=guardrail_blocked mode=enforce',
          'a blocking guardrail match in next_steps denies the handoff (guardrail_blocked)');
SELECT is(pg_temp.n(), :n_before::bigint, 'the blocked handoff was not written');
SELECT ok((tests.res('w_block') -> 'guardrails') @> '[{"name": "shell_rm_catastrophic", "severity": "block"}]'
          AND EXISTS (SELECT 1 FROM coord_private.guardrail_hits g
                       WHERE g.event_id = (tests.event('w_block')).event_id AND g.pattern = 'shell_rm_catastrophic'
                         AND g.field = 'handoff'),
          'the match is returned in guardrails and kept with the audit event (field handoff)');
SELECT tests.call('w_reset_impl', 't26_a', $$SELECT * FROM coord.write_handoff('sync first', p_decisions => ARRAY['git reset --hard origin/main'])$$);
SELECT tests.call('w_reset_orch', 't26_o', $$SELECT * FROM coord.write_handoff('sync first', p_decisions => ARRAY['git reset --hard origin/main'])$$);
SELECT is(format('%s / %s', tests.res('w_reset_impl') ->> 'reason', tests.res('w_reset_orch') ->> 'reason'),
          'guardrail_blocked / allowed',
          'INV-TRUST: a guardrail exempting trust 3 blocks the implementer''s handoff and lets the orchestrator''s through');
SELECT tests.call('w_warn', 't26_a', $$SELECT * FROM coord.write_handoff('rebase and git push --force origin feature/login')$$);
SELECT ok((tests.res('w_warn') ->> 'ok')::boolean AND (tests.res('w_warn') -> 'guardrails') @> '[{"severity": "warn"}]',
          'a warning match lets the handoff through and is returned');

-- ---------------------------------------------------------------- (h) INV-BOUNDARY: no impersonation
SELECT is((SELECT p.proargnames FROM pg_proc p
            WHERE p.oid = 'coord.write_handoff(text, text[], text[], text[], text[], text[], uuid)'::regprocedure),
          ARRAY['p_summary', 'p_completed', 'p_in_progress', 'p_decisions', 'p_next_steps', 'p_files', 'p_session_id',
                'ok', 'reason', 'handoff_id', 'guardrails', 'event_id'],
          'INV-BOUNDARY: write_handoff has no identity argument (the author is session_user)');
SELECT is(tests.statement_sqlstate_as('t26_b', 'SET ROLE t26_a'), '42501', 'INV-BOUNDARY: t26_b cannot SET ROLE t26_a');
SELECT is(tests.statement_sqlstate_as('t26_b', $$SELECT set_config('role', 't26_a', true)$$), '42501',
          'INV-BOUNDARY: t26_b cannot set_config(''role'', ''t26_a'')');
SET LOCAL pgcoord.agent = 't26_a';
SET LOCAL pgcoord.actor = 't26_a';
SELECT tests.call('w_guc', 't26_b', $$SELECT * FROM coord.write_handoff('written by b under a GUC naming a')$$);
RESET pgcoord.agent;
RESET pgcoord.actor;
-- SET ROLE to a group it belongs to changes current_user, never pgcoord's identity.
SET LOCAL SESSION AUTHORIZATION t26_b;
SET LOCAL ROLE coord_agent;
SELECT current_user AS t26_cu, w.handoff_id AS w_role_id FROM coord.write_handoff('written by b as coord_agent') w \gset
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT is(format('%s %s', :'t26_cu', (SELECT h.agent FROM coord_private.handoffs h WHERE h.handoff_id = :'w_role_id'::bigint)),
          'coord_agent t26_b', 'INV-BOUNDARY: a handoff written under SET ROLE coord_agent is the session user''s (t26_b)');
SELECT is(format('%s %s', (SELECT h.agent FROM coord_private.handoffs h WHERE h.handoff_id = (tests.res('w_guc') ->> 'handoff_id')::bigint),
                 (tests.event('w_guc')).actor),
          't26_b t26_b', 'INV-BOUNDARY: a setting named like pgcoord''s changes nothing: the handoff and its event are t26_b''s');
SELECT is((SELECT count(*) FROM coord_private.handoffs h JOIN coord_private.audit_events e ON e.event_id = h.event_id
            WHERE e.actor <> h.agent OR e.operation <> 'write_handoff' OR e.resource <> h.handoff_id::text),
          0::bigint, 'INV-AUDIT-COMPLETE: every stored handoff''s event is its write_handoff event, by its author');

-- ---------------------------------------------------------------- (i) bad input: SQLSTATE, nothing written
SELECT is(pg_temp.bad('t26_a', 'SELECT * FROM coord.write_handoff(NULL)'), 'PC001|true|true|true', 'a NULL summary is PC001; nothing written');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('')$$), 'PC002|true|true|true', 'an empty summary is PC002');
SELECT is(pg_temp.bad('t26_a', format('SELECT * FROM coord.write_handoff(%L)', E'  \n\t ')), 'PC002|true|true|true',
          'a blank summary is PC002');
SELECT is(pg_temp.bad('t26_a', format('SELECT * FROM coord.write_handoff(%L)', repeat('x', 4001))), 'PC002|true|true|true',
          'a summary of 4001 characters is PC002');
SELECT is(tests.row_as('t26_a', format('SELECT ok FROM coord.write_handoff(%L)', repeat('é', 4000))), '{"ok": true}'::jsonb,
          'a summary of 4000 characters is accepted');
SELECT is(pg_temp.bad('t26_a', format('SELECT * FROM coord.write_handoff(%L)', 'ring the bell' || chr(7))), 'PC002|true|true|true',
          'a control character in the summary is PC002');
SELECT is(pg_temp.bad('t26_a', format('SELECT * FROM coord.write_handoff(%L)', 'done ' || chr(x'202E'::int) || 'txt.exe')),
          'PC002|true|true|true', 'a bidirectional override in the summary is PC002');
SELECT is(pg_temp.bad('t26_a', format('SELECT * FROM coord.write_handoff(%L)', 'x' || chr(x'0085'::int))), 'PC002|true|true|true',
          'a C1 control character in the summary is PC002');
SELECT is(tests.row_as('t26_a', format('SELECT ok FROM coord.write_handoff(%L)', E'line one\r\n\tline two')), '{"ok": true}'::jsonb,
          'tab, line feed and carriage return are accepted');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_completed => NULL)$$), 'PC001|true|true|true',
          'a NULL list is PC001');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_next_steps => NULL)$$), 'PC001|true|true|true',
          'a NULL next_steps is PC001');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_in_progress => array_fill('step'::text, ARRAY[51]))$$),
          'PC002|true|true|true', 'a list of 51 items is PC002');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_decisions => ARRAY['a', NULL])$$),
          'PC002|true|true|true', 'a NULL item is PC002');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_decisions => ARRAY['a', ' '])$$),
          'PC002|true|true|true', 'a blank item is PC002');
SELECT is(pg_temp.bad('t26_a', format('SELECT * FROM coord.write_handoff(%L, p_completed => ARRAY[%L])', 'x', repeat('y', 501))),
          'PC002|true|true|true', 'an item of 501 characters is PC002');
SELECT is(pg_temp.bad('t26_a', format('SELECT * FROM coord.write_handoff(%L, p_completed => ARRAY[%L])', 'x', 'a' || chr(27) || '[2J')),
          'PC002|true|true|true', 'an escape character in an item is PC002');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_completed => '{{a,b},{c,d}}'::text[])$$),
          'PC002|true|true|true', 'a two-dimensional list is PC002');
SELECT is(tests.row_as('t26_a', format('SELECT ok FROM coord.write_handoff(%L, %L, %L, %L, %L, %L)', 'full',
                                        array_fill(repeat('c', 500), ARRAY[50]), array_fill(repeat('i', 500), ARRAY[50]),
                                        array_fill(repeat('d', 500), ARRAY[50]), array_fill(repeat('n', 500), ARRAY[50]),
                                        ARRAY(SELECT 'f/' || g || '.py' FROM generate_series(1, 100) g))),
          '{"ok": true}'::jsonb, 'the bounds themselves are accepted: 50 items of 500 characters per list, 100 files');
SELECT tests.call('w_bounds', 't26_a', $$SELECT * FROM coord.write_handoff('odd bounds', p_completed => '[5:6]={a,b}'::text[],
    p_files => '[0:1]={b.py,a.py}'::text[])$$);
SELECT is((SELECT format('%s %s %s %s', h.completed, array_lower(h.completed, 1), h.files, array_lower(h.files, 1))
             FROM coord_private.handoffs h WHERE h.handoff_id = (tests.res('w_bounds') ->> 'handoff_id')::bigint),
          '{a,b} 1 {b.py,a.py} 1', 'lists with other array bounds are stored numbered from 1, in their order');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_files => NULL)$$), 'PC001|true|true|true',
          'NULL files is PC001');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_files => ARRAY(SELECT 'f/' || g FROM generate_series(1, 101) g))$$),
          'PC002|true|true|true', '101 files is PC002');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_files => ARRAY['a.py', NULL])$$),
          'PC002|true|true|true', 'a NULL file is PC002');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_files => ARRAY['a.py', '../etc/passwd'])$$),
          'PC003|true|true|true', 'a file with a .. segment is PC003 (invalid_path), as for a lease');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_files => ARRAY['/etc/passwd'])$$),
          'PC003|true|true|true', 'an absolute file path is PC003');
SELECT is(pg_temp.bad('t26_a', format('SELECT * FROM coord.write_handoff(%L, p_files => ARRAY[%L])', 'x', 'src/a' || chr(x'200B'::int) || '.py')),
          'PC003|true|true|true', 'a file with an invisible character is PC003');
SELECT is(pg_temp.bad('t26_a', format('SELECT * FROM coord.write_handoff(%L, p_files => ARRAY[%L])', 'x', 'src' || chr(92) || 'a.py')),
          'PC003|true|true|true', 'a file with a backslash is PC003');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.write_handoff('x', p_files => ARRAY['ok.py', 'a//b'])$$),
          'PC003|true|true|true', 'a file with an empty segment is PC003');
SELECT is(pg_temp.bad('t26_a', 'SELECT * FROM coord.read_handoffs(p_limit => NULL)'), 'PC001|true|true|true',
          'read_handoffs: a NULL limit is PC001');
SELECT is(pg_temp.bad('t26_a', 'SELECT * FROM coord.read_handoffs(p_limit => 0)') || ' ' || pg_temp.bad('t26_a', 'SELECT * FROM coord.read_handoffs(p_limit => 101)'),
          'PC002|true|true|true PC002|true|true|true', 'read_handoffs: a limit outside 1..100 is PC002');
SELECT is(pg_temp.bad('t26_a', $$SELECT * FROM coord.read_handoffs('t26_nobody')$$), 'PC007|true|true|true',
          'read_handoffs: an agent that is not registered is PC007 (unknown_agent)');
SELECT is(tests.run_as('t26_a', 'SELECT count(*) AS n FROM coord.read_handoffs(p_limit => 100)') -> 0 ->> 'n',
          least(pg_temp.n(), 100)::text, 'read_handoffs: the largest limit (100)');

SELECT * FROM finish();
ROLLBACK;
