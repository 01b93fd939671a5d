-- Approvals (change approvals, issue 15; INV-APPROVAL, docs/approvals.md), the
-- attacker's tests at the database layer, acting as several agents, approvers, an
-- admin and an auditor:
--   (a) the catalog: the approvable operations, approve / reject and their admin
--       twins, the grants, the private table (INV-RLS: RLS on, no grant), the pinned
--       definers (INV-DEFINER);
--   (b) the gate: every input parameter of an approvable operation's function is a
--       key of the 'args' object it passes to the hook, bound to that parameter
--       (a new parameter without its args entry would let one grant cover two
--       different calls); checked on a planted offender too;
--   (c) the verdict and its precedence, deny > approval_required > allow: a blocked
--       operation, a limit, a coordination refusal, a guardrail block and
--       trust_too_low below an elevation of min_trust < 3 still deny (and ask
--       nobody); profile approval_operations, approve_elevation (force_release_lock
--       at min_trust 3, cancel_task of another's task), a guardrail of severity
--       approve; not_approvable (fail closed) for an operation that cannot bind its
--       arguments;
--   (d) the request row (approval id = event id, args, their digest, sources,
--       lifetime), approve by an approver (administrator agent, coord_admin member),
--       the identical retry proceeds (reason approved) and uses the grant up; a
--       call with other arguments, another resource, another operation, or by
--       another agent asks again and leaves the grant unused (the resource and the
--       operation, which no API function varies apart from the arguments, through
--       the hook itself); single use;
--   (e) never by the requester: approval_self (directly, through any session of its
--       role, under SET ROLE to an approver role it is a member of), not_approver;
--   (f) not pending: used, rejected, superseded; reject of a pending request and
--       revocation of a grant; no use after either; not found, bad input;
--   (g) expiry by pgcoord's clock (tests.advance_clock): a request (approval_expired,
--       state expired), a grant (the retry asks again; its event names the expired
--       grant), the effective state, set_approval_settings;
--   (h) stale policy: a request made under the requester's former policy cannot be
--       granted (approval_stale_policy); a grant made under it is not used;
--   (i) shadow and off: the call proceeds, no request row, the event says
--       would_require_approval; a refusal of approve is a refusal in every mode;
--   (j) coord.set_profile_approvals: approvable operations only (PC002), unknown
--       profile PC006, coord_admin only, audited;
--   (k) the hostile agent: no read or write of coord_private.approvals, no call of
--       the private functions, no forgery through pg_temp shadows (a table named
--       approvals, functions named authorize_approval / args_digest /
--       approval_policy_version) or session settings; coord.approvals and
--       approval_status show a requester its own requests and approvers all.
-- The NOTIFY on pgcoord_approvals is delivered at commit and this file rolls back:
-- tests/test_races_approvals.py listens for it. The races are
-- isolation/specs/approval_use_vs_use.spec, isolation/specs/approve_vs_reject.spec
-- and tests/test_races_approvals.py.
BEGIN;
SELECT plan(104);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   tests.call/res/verdict/event (tests/sql/actors.sql)
--   pg_temp.id(label)              the event id (= approval id) a call returned
--   pg_temp.st(id)                 'state used=<event or ->' of an approval row ('no row')
--   pg_temp.nreq(requester)        the number of approval rows of a requester
--   pg_temp.decide(label, role, action, id[, note])
--                                  coord.approve / coord.reject as role, recorded as a call;
--                                  'ok|refused <reason> <state>'
--   pg_temp.ctx(label, key)        a key of the context of a call's (first) audit event
--   pg_temp.as_set_role(role, set_role, sql)
--                                  sql as role after SET ROLE set_role: '<current_user>: <row 1>'
--                                  or 'error <SQLSTATE>'
--   pg_temp.hook(operation, resource, context)
--                                  coord_private.authorize as the role tests.run_as acts as
--   pg_temp.args_pairs(src)        the key / value expression pairs of the 'args' object in a
--                                  function's source
--   pg_temp.args_gate(fn)          the input parameters of fn missing from its 'args' object
--                                  (or bound there to another value)
SELECT tests.start_calls();

CREATE FUNCTION pg_temp.id(p_label text) RETURNS bigint
LANGUAGE sql AS $$ SELECT (tests.res(p_label) ->> 'event_id')::bigint $$;

CREATE FUNCTION pg_temp.st(p_id bigint) RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce((SELECT format('%s used=%s', a.state, coalesce(a.used_event_id::text, '-'))
                       FROM coord_private.approvals a WHERE a.approval_id = p_id), 'no row')
$$;

CREATE FUNCTION pg_temp.nreq(p_requester text) RETURNS bigint
LANGUAGE sql AS $$ SELECT count(*) FROM coord_private.approvals a WHERE a.requester = p_requester $$;

CREATE FUNCTION pg_temp.decide(p_label text, p_role text, p_action text, p_id bigint, p_note text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v jsonb;
BEGIN
    v := tests.call(p_label, p_role, format('SELECT * FROM coord.%I(%s, %L)', p_action, p_id, p_note));
    RETURN format('%s %s %s', CASE WHEN (v ->> 'ok')::boolean THEN 'ok' ELSE 'refused' END, v ->> 'reason', v ->> 'state');
END
$$;

CREATE FUNCTION pg_temp.ctx(p_label text, p_key text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT (tests.event(p_label)).context -> p_key $$;

CREATE FUNCTION pg_temp.as_set_role(p_role text, p_set_role text, p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v jsonb;
    v_cu text;
BEGIN
    EXECUTE format('SET LOCAL SESSION AUTHORIZATION %I', p_role);
    BEGIN
        EXECUTE format('SET LOCAL ROLE %I', p_set_role);
        v_cu := current_user;
        EXECUTE format('SELECT to_jsonb(r) FROM (%s) r LIMIT 1', p_sql) INTO v;
    EXCEPTION WHEN OTHERS THEN
        RESET ROLE;
        RESET SESSION AUTHORIZATION;
        RETURN 'error ' || SQLSTATE;
    END;
    RESET ROLE;
    RESET SESSION AUTHORIZATION;
    RETURN format('%s: %s %s', v_cu, CASE WHEN (v ->> 'ok')::boolean THEN 'ok' ELSE 'refused' END, v ->> 'reason');
END
$$;

-- The policy hook itself, called with session_user = the acting role (a definer owned
-- by this superuser session: the call any API function makes, with a context chosen
-- here), for the bindings no API function can vary on their own (the resource and the
-- operation for the same arguments).
CREATE FUNCTION pg_temp.hook(p_operation text, p_resource text, p_context jsonb) RETURNS jsonb
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT to_jsonb(v) FROM coord_private.authorize(p_operation, p_resource, p_context) v $$;

-- The source after "'args', [pg_catalog.]jsonb_build_object(" up to its closing
-- parenthesis, split at its top-level commas (string literals and nested calls kept
-- whole) into key / value pairs.
CREATE FUNCTION pg_temp.args_pairs(p_src text) RETURNS TABLE (key text, val text)
LANGUAGE plpgsql AS $$
DECLARE
    v_head text := substring(p_src from $re$'args'\s*,\s*(?:pg_catalog\.)?jsonb_build_object\s*\($re$);
    i integer;
    c text;
    depth integer := 1;
    quoted boolean := false;
    item text := '';
    items text[] := '{}';
BEGIN
    IF v_head IS NULL THEN
        RETURN;
    END IF;
    i := strpos(p_src, v_head) + length(v_head);
    WHILE i <= length(p_src) LOOP
        c := substr(p_src, i, 1);
        IF quoted THEN
            item := item || c;
            quoted := c <> '''';
        ELSIF c = '''' THEN
            quoted := true; item := item || c;
        ELSIF c = '(' THEN
            depth := depth + 1; item := item || c;
        ELSIF c = ')' THEN
            depth := depth - 1;
            IF depth = 0 THEN
                items := items || btrim(item, E' \n\t');
                EXIT;
            END IF;
            item := item || c;
        ELSIF c = ',' AND depth = 1 THEN
            items := items || btrim(item, E' \n\t'); item := '';
        ELSE
            item := item || c;
        END IF;
        i := i + 1;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(items, 1), 0) / 2 LOOP
        key := btrim(items[2 * i - 1], ''''); val := items[2 * i];
        RETURN NEXT;
    END LOOP;
END
$$;

-- Each input parameter p_<name> must be the key <name> (p_ttl: ttl_seconds, the
-- normalised seconds acquire_lock records) whose value is p_<name> or the v_<name>
-- the function computed from it.
CREATE FUNCTION pg_temp.args_gate(p_fn regprocedure) RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(x.n ORDER BY x.o), '{}')
      FROM pg_proc f,
           unnest(f.proargnames, coalesce(f.proargmodes::text[], array_fill('i'::text, ARRAY[f.pronargs])))
               WITH ORDINALITY AS x(n, m, o)
     WHERE f.oid = p_fn AND x.m IN ('i', 'b')
       AND NOT EXISTS (SELECT 1 FROM pg_temp.args_pairs(pg_get_functiondef(f.oid)) a
                        WHERE a.key = CASE x.n WHEN 'p_ttl' THEN 'ttl_seconds' ELSE regexp_replace(x.n, '^p_', '') END
                          AND a.val ~ ('\m[pv]_' || regexp_replace(x.n, '^p_', '') || '\M'))
$$;

SELECT tests.create_profile('t30_ask', 2, 'pgTAP 30: approvals set by set_profile_approvals',
                            '{"max_locks": 20, "max_claimed_tasks": 3, "max_lease_seconds": 3600}'),
       tests.create_profile('t30_ask2', 2, 'pgTAP 30: t30_ask under another name',
                            '{"max_locks": 20, "max_claimed_tasks": 3, "max_lease_seconds": 3600}'),
       tests.create_profile('t30_noelev', 2, 'pgTAP 30: no approvals at all', '{"max_locks": 20, "max_claimed_tasks": 3}'),
       tests.create_profile('t30_lead', 4, 'pgTAP 30: an approver whose cancellations need an approval',
                            '{"max_locks": 20, "max_claimed_tasks": 3}'),
       tests.create_profile('t30_low', 1, 'pgTAP 30: trust 1 that approves elevation', '{"max_locks": 20}'),
       tests.create_profile('t30_blocked', 2, 'pgTAP 30: acquire_lock blocked and needing approval',
                            '{"blocked_operations": ["acquire_lock"], "max_locks": 20}'),
       tests.create_profile('t30_short', 2, 'pgTAP 30: 60 s leases, each needing approval',
                            '{"max_lease_seconds": 60, "max_locks": 20}');
SELECT tests.create_agents('t30_ask', 't30_a', 't30_b', 't30_c'), tests.create_agents('t30_noelev', 't30_n'),
       tests.create_agents('t30_lead', 't30_l'), tests.create_agents('t30_low', 't30_w'),
       tests.create_agents('t30_blocked', 't30_k'), tests.create_agents('t30_short', 't30_s'),
       tests.create_agents('implementer', 't30_i'), tests.create_agents('administrator', 't30_ap', 't30_ap2'),
       tests.create_agents('orchestrator', 't30_o'),
       tests.create_members('coord_admin', 't30_adm'), tests.create_members('coord_auditor', 't30_aud');

-- The admin API sets the profiles' approvals (t30_ask: a repeated operation kept once, sorted).
SELECT tests.call('spa', 't30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_ask', ARRAY['submit_task', 'acquire_lock', 'acquire_lock'], true)$$);
SELECT tests.call('spa2', 't30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_ask2', ARRAY['acquire_lock', 'submit_task'], true)$$);
SELECT tests.call('spa_lead', 't30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_lead', ARRAY['cancel_task'])$$);
SELECT tests.call('spa_low', 't30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_low', '{}', true)$$);
SELECT tests.call('spa_blocked', 't30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_blocked', ARRAY['acquire_lock'])$$);
SELECT tests.call('spa_short', 't30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_short', ARRAY['acquire_lock'])$$);
-- What the elevated calls are about: t30_i's lease and tasks, t30_n's own task.
SELECT tests.call('held', 't30_i', $$SELECT * FROM coord.acquire_lock('held/x.py', '30 min')$$);
SELECT tests.call('victim', 't30_i', $$SELECT * FROM coord.submit_task('t30.victim', 'a task of t30_i')$$);
SELECT tests.call('victim2', 't30_i', $$SELECT * FROM coord.submit_task('t30.victim', 'another task of t30_i')$$);
SELECT tests.call('own', 't30_n', $$SELECT * FROM coord.submit_task('t30.own', 'a task of t30_n')$$);
SELECT tests.tid('victim') AS victim, tests.tid('victim2') AS victim2, tests.tid('own') AS own \gset

-- ---------------------------------------------------------------- (a) the catalog
SELECT is((SELECT array_agg(o.operation ORDER BY o.operation) FROM coord_private.approvable_operations o),
          ARRAY['acquire_lock', 'cancel_task', 'force_release_lock', 'submit_task'],
          'INV-APPROVAL: the approvable operations are exactly the four whose functions pass their arguments');
SELECT is((SELECT array_agg(format('%s %s %s', o.name, o.category, o.min_trust) ORDER BY o.name) FROM coord_private.operations o
            WHERE o.name IN ('approve', 'reject', 'approve_as_admin', 'reject_as_admin',
                             'set_profile_approvals', 'set_approval_settings')),
          ARRAY['approve agent 4', 'approve_as_admin admin 4', 'reject agent 4',
                'reject_as_admin admin 4', 'set_approval_settings admin 4', 'set_profile_approvals admin 4'],
          'INV-APPROVAL: approve / reject at approver trust 4, their coord_admin twins, the settings admin''s');
SELECT ok(has_function_privilege('coord_agent', 'coord.approve(bigint, text)', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.approve(bigint, text)', 'EXECUTE')
          AND has_function_privilege('coord_agent', 'coord.reject(bigint, text)', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.reject(bigint, text)', 'EXECUTE')
          AND has_function_privilege('coord_auditor', 'coord.approval_status(bigint)', 'EXECUTE')
          AND has_table_privilege('coord_agent', 'coord.approvals', 'SELECT')
          AND NOT has_function_privilege('coord_auditor', 'coord.approve(bigint, text)', 'EXECUTE')
          AND NOT has_function_privilege('coord_auditor', 'coord.reject(bigint, text)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'coord.approve(bigint, text)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'coord.approval_status(bigint)', 'EXECUTE')
          AND NOT has_table_privilege('public', 'coord.approvals', 'SELECT')
          AND NOT has_function_privilege('coord_agent', 'coord.set_profile_approvals(text, text[], boolean)', 'EXECUTE')
          AND NOT has_function_privilege('coord_agent', 'coord.set_approval_settings(interval, interval)', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.set_profile_approvals(text, text[], boolean)', 'EXECUTE'),
          'INV-APPROVAL, INV-BOUNDARY: agents and admins decide, auditors only read, PUBLIC nothing; the settings are coord_admin''s');
SELECT ok((SELECT bool_and(c.relrowsecurity) AND count(*) = 4 FROM pg_class c
            WHERE c.oid IN ('coord_private.approvals'::regclass, 'coord_private.approval_settings'::regclass,
                            'coord_private.profile_approvals'::regclass, 'coord_private.approvable_operations'::regclass))
          AND NOT EXISTS (SELECT 1 FROM unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor', 't30_a', 't30_ap']) r,
                                        unnest(ARRAY['coord_private.approvals', 'coord_private.approval_settings',
                                                     'coord_private.profile_approvals', 'coord_private.approvable_operations']) t
                           WHERE has_table_privilege(r, t, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES')),
          'INV-RLS: the approval requests, settings, profiles'' approvals and the approvable operations have row level security and no pgcoord role holds a privilege on them');
SELECT is((SELECT array_agg(format('%s definer=%s %s', p.proname, p.prosecdef::text, array_to_string(p.proconfig, ',')) ORDER BY p.proname)
             FROM pg_proc p WHERE p.oid IN ('coord.approve(bigint, text)'::regprocedure, 'coord.reject(bigint, text)'::regprocedure,
                                            'coord.approval_status(bigint)'::regprocedure,
                                            'coord.set_profile_approvals(text, text[], boolean)'::regprocedure)),
          ARRAY['approval_status definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on',
                'approve definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on',
                'reject definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on',
                'set_profile_approvals definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on'],
          'INV-DEFINER: approve, reject, approval_status and set_profile_approvals are definers pinning search_path, lock_timeout and standard_conforming_strings');

-- ---------------------------------------------------------------- (b) the gate
CREATE TEMP TABLE approvable_fns AS
SELECT f.oid::regprocedure AS fn, o.name AS operation
  FROM coord_private.approvable_operations a
  JOIN coord_private.operations o ON o.name = a.operation
  JOIN coord_private.function_catalog c ON c.operation = o.name
  JOIN pg_proc f ON f.proname = c.function_name AND f.pronamespace = 'coord'::regnamespace;
SELECT is((SELECT coalesce(array_agg(format('%s misses %s', a.fn, m) ORDER BY a.fn::text, m), '{}')
             FROM pg_temp.approvable_fns a, unnest(pg_temp.args_gate(a.fn)) m),
          '{}'::text[],
          'INV-APPROVAL: every input parameter of every approvable operation''s function is a key of its ''args'', bound to that parameter');
SELECT is((SELECT format('%s functions, %s parameters, operations %s', count(DISTINCT a.fn),
                         sum((SELECT count(*) FROM pg_temp.args_pairs(pg_get_functiondef(a.fn)))),
                         array_agg(DISTINCT a.operation ORDER BY a.operation))
             FROM pg_temp.approvable_fns a),
          '5 functions, 20 parameters, operations {acquire_lock,cancel_task,force_release_lock,submit_task}',
          'INV-APPROVAL (gate not vacuous): the five approvable functions (acquire_locks among them) and their 20 args entries were read');
CREATE FUNCTION pg_temp.t30_offender(p_path text, p_ttl interval, p_mode text, p_extra integer, OUT ok boolean)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coord_private.authorize('acquire_lock', p_path,
        pg_catalog.jsonb_build_object('mode', p_mode, 'args', pg_catalog.jsonb_build_object(
            'path', p_path, 'ttl_seconds', EXTRACT(epoch FROM p_ttl), 'mode', p_extra)));
    ok := true;
END
$$;
SELECT is(pg_temp.args_gate('pg_temp.t30_offender(text, interval, text, integer)'::regprocedure),
          ARRAY['p_mode', 'p_extra'],
          'INV-APPROVAL (self-mutation): a new parameter without its args entry (p_extra), and an entry bound to another parameter''s value (mode), are reported');

-- ---------------------------------------------------------------- (c) the verdict and its precedence
SELECT is(format('%s %s %s', tests.res('spa') ->> 'reason',
                 (SELECT p.approval_operations FROM coord_private.profile_approvals p WHERE p.profile = 't30_ask'),
                 (SELECT p.approve_elevation FROM coord_private.profile_approvals p WHERE p.profile = 't30_ask')),
          'allowed {acquire_lock,submit_task} t',
          'INV-APPROVAL: set_profile_approvals stores the approvable operations once each, sorted, and approve_elevation');
SELECT tests.call('r1', 't30_a', $$SELECT * FROM coord.acquire_lock('src/a.py', '60 s')$$);
SELECT pg_temp.id('r1') AS r1 \gset
SELECT is(tests.verdict('r1'),
          'refused approval_required | 1 event: acquire_lock by t30_a allowed=false proceeded=false reason=approval_required mode=enforce',
          'INV-APPROVAL: an operation in the profile''s approval_operations is refused approval_required, with exactly one audit event');
SELECT is(format('token=%s expires_at=%s locks=%s', tests.res('r1') ->> 'token', tests.res('r1') ->> 'expires_at',
                 (SELECT count(*) FROM coord_private.locks l WHERE l.path = 'src/a.py')),
          'token= expires_at= locks=0',
          'INV-APPROVAL: the refused call leased nothing and returned no token');
SELECT is((SELECT format('%s %s %s %s %s %s %s %s', a.approval_id = :r1, a.requester, a.operation, a.resource, a.args,
                         a.sources, a.state, a.expires_at - a.requested_at)
             FROM coord_private.approvals a WHERE a.approval_id = :r1),
          't t30_a acquire_lock src/a.py {"mode": "exclusive", "path": "src/a.py", "reason": "", "ttl_seconds": 60} {profile} pending 01:00:00',
          'INV-APPROVAL: the request row: its id is the event id; requester (session_user), operation, resource, every argument, the source, pending for 1 hour');
SELECT is((SELECT format('digest=%s version=%s', a.args_digest = encode(sha256(convert_to(a.args::text, 'UTF8')), 'hex'),
                         a.policy_version = coord_private.approval_policy_version('t30_a', 'acquire_lock'))
             FROM coord_private.approvals a WHERE a.approval_id = :r1),
          'digest=t version=t',
          'INV-APPROVAL: the row binds the SHA-256 of the canonical arguments and the requester''s current policy version');
SELECT is(format('%s %s %s %s', pg_temp.ctx('r1', 'decision') -> 'approval_sources', pg_temp.ctx('r1', 'args_digest') IS NOT NULL,
                 pg_temp.ctx('r1', 'args') IS NULL, pg_temp.ctx('r1', 'approval_id') IS NULL),
          '["profile"] t t t',
          'INV-APPROVAL: the request event names the sources and the args digest (not the arguments themselves), and no approval id');
SELECT is(tests.run_as('t30_a', format('SELECT approval_id, requester, operation, state, sources, decided_by, used_event_id FROM coord.approval_status(%s)', :r1)),
          jsonb_build_array(jsonb_build_object('approval_id', :r1, 'requester', 't30_a', 'operation', 'acquire_lock', 'state', 'pending',
                                               'sources', ARRAY['profile'], 'decided_by', NULL, 'used_event_id', NULL)),
          'INV-APPROVAL: the requester reads its request with approval_status: pending');

-- deny > approval_required: a static or request-dependent denial wins and nobody is asked.
SELECT tests.call('p_blocked', 't30_k', $$SELECT * FROM coord.acquire_lock('k/a.py', '60 s')$$);
SELECT is(tests.verdict('p_blocked'),
          'refused operation_blocked | 1 event: acquire_lock by t30_k allowed=false proceeded=false reason=operation_blocked mode=enforce',
          'INV-APPROVAL precedence: a blocked operation is denied operation_blocked though it is also in approval_operations');
SELECT tests.call('p_limit', 't30_s', $$SELECT * FROM coord.acquire_lock('s/a.py', '120 s')$$);
SELECT is(tests.verdict('p_limit'),
          'refused limit_exceeded | 1 event: acquire_lock by t30_s allowed=false proceeded=false reason=limit_exceeded mode=enforce',
          'INV-APPROVAL precedence: a lease beyond the profile''s max_lease_seconds is denied limit_exceeded, not sent to approval');
SELECT tests.call('p_held', 't30_a', $$SELECT * FROM coord.acquire_lock('held/x.py', '60 s')$$);
SELECT is(tests.verdict('p_held'),
          'refused lock_held_by_other | 1 event: acquire_lock by t30_a allowed=false proceeded=false reason=lock_held_by_other mode=enforce',
          'INV-APPROVAL precedence: a coordination refusal (another agent''s lease) is refused, never turned into a request');
SELECT tests.call('p_guard', 't30_a', $$SELECT * FROM coord.submit_task('t30.job', 'clean up: rm -rf /')$$);
SELECT is(tests.verdict('p_guard'),
          'refused guardrail_blocked | 1 event: submit_task by t30_a allowed=false proceeded=false reason=guardrail_blocked mode=enforce',
          'INV-APPROVAL precedence: a guardrail block denies a submit_task that also needs an approval');
SELECT tests.call('p_low', 't30_w', $$SELECT * FROM coord.acquire_lock('w/a.py', '60 s')$$);
SELECT is(tests.verdict('p_low'),
          'refused trust_too_low | 1 event: acquire_lock by t30_w allowed=false proceeded=false reason=trust_too_low mode=enforce',
          'INV-APPROVAL precedence: approve_elevation does not reach an operation of min_trust < 3 (trust 1 < 2 stays trust_too_low)');
SELECT is(format('%s %s %s %s', pg_temp.nreq('t30_k'), pg_temp.nreq('t30_s'), pg_temp.nreq('t30_w'),
                 (SELECT count(*) FROM coord_private.approvals a WHERE a.approval_id IN (pg_temp.id('p_held'), pg_temp.id('p_guard')))),
          '0 0 0 0', 'INV-APPROVAL: none of these denials wrote a request');

-- approve_elevation: an elevated operation asks instead of trust_too_low.
SELECT tests.call('e_force', 't30_a', $$SELECT * FROM coord.force_release_lock('held/x.py', 'pgTAP 30: take over')$$);
SELECT pg_temp.id('e_force') AS e_force \gset
SELECT is(tests.verdict('e_force') || ' ' || (SELECT a.sources::text FROM coord_private.approvals a WHERE a.approval_id = :e_force),
          'refused approval_required | 1 event: force_release_lock by t30_a allowed=false proceeded=false reason=approval_required mode=enforce {elevation}',
          'INV-APPROVAL elevation: force_release_lock (min_trust 3) by a trust-2 agent whose profile approves elevation asks for approval');
SELECT tests.call('e_force_n', 't30_n', $$SELECT * FROM coord.force_release_lock('held/x.py', 'pgTAP 30: take over')$$);
SELECT is(tests.verdict('e_force_n') || ' lease=' || (SELECT count(*) FROM coord_private.locks l WHERE l.path = 'held/x.py'),
          'refused trust_too_low | 1 event: force_release_lock by t30_n allowed=false proceeded=false reason=trust_too_low mode=enforce lease=1',
          'INV-APPROVAL elevation: without approve_elevation it stays trust_too_low; the lease is untouched either way');
SELECT is((SELECT array_agg(format('%s %s %s %s', p.role_name, p.reason, p.approval_sources, p.approve_elevation) ORDER BY p.role_name)
             FROM coord_private.agent_operation_policy p WHERE p.operation = 'force_release_lock' AND p.role_name IN ('t30_a', 't30_n', 't30_o')),
          ARRAY['t30_a allowed {elevation} t', 't30_n trust_too_low {} f', 't30_o allowed {} f'],
          'INV-APPROVAL: the compiled policy carries the static sources (elevation for t30_a; none for the orchestrator, which is trusted)');
SELECT tests.call('e_cancel', 't30_a', format('SELECT * FROM coord.cancel_task(%s, %L)', :victim, 'pgTAP 30: not needed'));
SELECT pg_temp.id('e_cancel') AS e_cancel \gset
SELECT is(tests.verdict('e_cancel') || ' ' || (SELECT format('%s %s', a.sources, a.args) FROM coord_private.approvals a WHERE a.approval_id = :e_cancel),
          'refused approval_required | 1 event: cancel_task by t30_a allowed=false proceeded=false reason=approval_required mode=enforce '
          || format('{elevation} {"reason": "pgTAP 30: not needed", "task_id": %s}', :victim),
          'INV-APPROVAL elevation: cancelling another agent''s task (elevated context) asks for approval; the row binds task id and reason');
SELECT tests.call('e_cancel_n', 't30_n', format('SELECT * FROM coord.cancel_task(%s, %L)', :victim, 'pgTAP 30: not needed'));
SELECT tests.call('e_cancel_own', 't30_n', format('SELECT * FROM coord.cancel_task(%s, %L)', :own, 'pgTAP 30: mine'));
SELECT is(tests.res('e_cancel_n') ->> 'reason' || ' / ' || (tests.res('e_cancel_own') ->> 'reason') || ' / '
          || (SELECT t.status FROM coord_private.tasks t WHERE t.task_id = :victim),
          'trust_too_low / allowed / pending',
          'INV-APPROVAL elevation: without approve_elevation another''s task stays trust_too_low, one''s own is allowed; the victim task is untouched');

-- A guardrail of severity approve.
SELECT tests.call('g_add', 't30_adm', $$SELECT * FROM coord.add_guardrail_pattern('t30_prod_deploy', 'deploy', 'deploy-to-production', 'approve', 4)$$);
SELECT tests.call('g_impl', 't30_i', $$SELECT * FROM coord.submit_task('t30.deploy', 'ship it', '{"cmd": "deploy-to-production"}')$$);
SELECT pg_temp.id('g_impl') AS g_impl \gset
SELECT is(tests.res('g_add') ->> 'reason' || ' ' || tests.verdict('g_impl') || ' '
          || (SELECT format('%s %s', a.sources, a.args -> 'input') FROM coord_private.approvals a WHERE a.approval_id = :g_impl),
          'allowed refused approval_required | 1 event: submit_task by t30_i allowed=false proceeded=false reason=approval_required mode=enforce '
          || '{guardrail} {"cmd": "deploy-to-production"}',
          'INV-APPROVAL guardrail: a match of severity approve below its exempt trust sends a submit_task to approval (source guardrail)');
SELECT is(tests.res('g_impl') -> 'guardrails' -> 0 ->> 'severity', 'approve', 'the call returns the approve match');
SELECT tests.call('g_admin', 't30_ap', $$SELECT * FROM coord.submit_task('t30.deploy', 'ship it', '{"cmd": "deploy-to-production"}')$$);
SELECT is(tests.verdict('g_admin'),
          'ok allowed | 1 event: submit_task by t30_ap allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-APPROVAL guardrail: at the pattern''s exempt trust (4) the same call is allowed');
SELECT tests.call('g_both', 't30_i', $$SELECT * FROM coord.submit_task('t30.deploy', 'first rm -rf /', '{"cmd": "deploy-to-production"}')$$);
SELECT is(tests.verdict('g_both'),
          'refused guardrail_blocked | 1 event: submit_task by t30_i allowed=false proceeded=false reason=guardrail_blocked mode=enforce',
          'INV-APPROVAL precedence: a block match beside an approve match denies guardrail_blocked');
SELECT count(*) AS handoffs_before FROM coord_private.handoffs \gset
SELECT tests.call('g_handoff', 't30_i', $$SELECT * FROM coord.write_handoff('next: deploy-to-production')$$);
SELECT is(tests.verdict('g_handoff') || ' rows=' || pg_temp.nreq('t30_i')
          || ' handoffs=' || ((SELECT count(*) FROM coord_private.handoffs) - :handoffs_before),
          'refused not_approvable | 1 event: write_handoff by t30_i allowed=false proceeded=false reason=not_approvable mode=enforce rows=1 handoffs=0',
          'INV-APPROVAL fail closed: an operation that does not bind its arguments (write_handoff) sent to approval is denied not_approvable; no request, no handoff');

SELECT count(*) AS rows_before FROM coord_private.approvals \gset
SELECT tests.row_as('t30_i', format('SELECT pg_temp.hook(%L, %L, %L) AS v', 'write_handoff', '1',
                                    jsonb_build_object('guardrail_matches', tests.res('g_impl') -> 'guardrails',
                                                       'args', jsonb_build_object('summary', 'deploy-to-production')))) #>> '{v,reason}'
       AS hook_handoff \gset
SELECT is(:'hook_handoff' || ' rows=' || ((SELECT count(*) FROM coord_private.approvals) - :rows_before),
          'not_approvable rows=0',
          'INV-APPROVAL fail closed (the hook): an operation not in approvable_operations is not_approvable even when it passes arguments');

-- ---------------------------------------------------------------- (d) approve, use, binding
SELECT is(pg_temp.decide('d_b', 't30_b', 'approve', :r1) || ' / ' || pg_temp.decide('d_o', 't30_o', 'approve', :r1)
          || ' / ' || pg_temp.st(:r1),
          'refused not_approver pending / refused trust_too_low pending / pending used=-',
          'INV-APPROVAL: an agent of trust 2 or 3 is not an approver (not_approver; trust_too_low where its policy denies approve outright); the request stays pending');
SELECT is(tests.verdict('d_b'),
          'refused not_approver | 1 event: approve by t30_b allowed=false proceeded=false reason=not_approver mode=enforce',
          'INV-AUDIT-COMPLETE: the refused approval is recorded');
SELECT is(tests.sqlstate_as('t30_aud', format('SELECT * FROM coord.approve(%s)', :r1)), '42501',
          'INV-APPROVAL: an auditor cannot approve (42501)');
SELECT is(pg_temp.decide('d_ap', 't30_ap', 'approve', :r1, 'pgTAP 30: fine'), 'ok allowed granted',
          'INV-APPROVAL: an administrator agent (trust 4) approves the request: granted');
SELECT is(tests.verdict('d_ap'),
          'ok allowed | 1 event: approve by t30_ap allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: the approval is one audit event of the approver');
SELECT is((SELECT format('%s %s %s %s %s', e.resource = :r1::text, e.context ->> 'requester', e.context ->> 'operation', e.context ->> 'was',
                         e.context ->> 'note')
             FROM coord_private.audit_events e WHERE e.event_id = pg_temp.id('d_ap')),
          't t30_a acquire_lock pending pgTAP 30: fine',
          'INV-APPROVAL: the approval event names the request, its requester, operation, former state and the note');
SELECT is((SELECT format('%s %s %s %s %s', a.state, a.decided_by, a.note, a.decision_event_id = pg_temp.id('d_ap'), a.expires_at - a.decided_at)
             FROM coord_private.approvals a WHERE a.approval_id = :r1),
          'granted t30_ap pgTAP 30: fine t 00:15:00',
          'INV-APPROVAL: the grant records its approver, note and decision event, and lives 15 minutes');

-- Not this call: each asks again and leaves the grant unused.
SELECT tests.call('x_ttl', 't30_a', $$SELECT * FROM coord.acquire_lock('src/a.py', '61 s')$$),
       tests.call('x_mode', 't30_a', $$SELECT * FROM coord.acquire_lock('src/a.py', '60 s', 'shared')$$),
       tests.call('x_reason', 't30_a', $$SELECT * FROM coord.acquire_lock('src/a.py', '60 s', 'exclusive', 'other')$$),
       tests.call('x_path', 't30_a', $$SELECT * FROM coord.acquire_lock('src/b.py', '60 s')$$);
SELECT is(ARRAY[tests.res('x_ttl') ->> 'reason', tests.res('x_mode') ->> 'reason', tests.res('x_reason') ->> 'reason', tests.res('x_path') ->> 'reason'],
          ARRAY['approval_required', 'approval_required', 'approval_required', 'approval_required'],
          'INV-APPROVAL binding: another TTL, another mode, another reason, another path: each asks again');
SELECT tests.call('x_op', 't30_a', $$SELECT * FROM coord.submit_task('t30.job', 'src/a.py')$$);
SELECT is(tests.res('x_op') ->> 'reason', 'approval_required',
          'INV-APPROVAL binding: another operation of the requester asks again');
SELECT tests.call('x_other', 't30_b', $$SELECT * FROM coord.acquire_lock('src/a.py', '60 s')$$);
SELECT is(tests.verdict('x_other') || ' ' || (SELECT a.requester FROM coord_private.approvals a WHERE a.approval_id = pg_temp.id('x_other')),
          'refused approval_required | 1 event: acquire_lock by t30_b allowed=false proceeded=false reason=approval_required mode=enforce t30_b',
          'INV-APPROVAL binding: another agent''s identical call is not the requester''s: it asks for itself');
SELECT (SELECT a.args FROM coord_private.approvals a WHERE a.approval_id = :r1) AS r1_args \gset
SELECT is(ARRAY[tests.row_as('t30_a', format('SELECT pg_temp.hook(%L, %L, %L) AS v', 'acquire_lock', 'src/elsewhere.py',
                                             jsonb_build_object('args', :'r1_args'::jsonb))) #>> '{v,reason}',
                tests.row_as('t30_a', format('SELECT pg_temp.hook(%L, %L, %L) AS v', 'submit_task', 'src/a.py',
                                             jsonb_build_object('args', :'r1_args'::jsonb))) #>> '{v,reason}',
                (coord_private.approval_policy_version('t30_a', 'submit_task')
                 = coord_private.approval_policy_version('t30_a', 'acquire_lock'))::text],
          ARRAY['approval_required', 'approval_required', 'true'],
          'INV-APPROVAL binding (the hook): the very same arguments for another resource, or for another operation on the same resource (whose policy version is the same), ask again');
SELECT is(pg_temp.st(:r1) || ' locks=' || (SELECT count(*) FROM coord_private.locks l WHERE l.path IN ('src/a.py', 'src/b.py')),
          'granted used=- locks=0',
          'INV-APPROVAL binding: after those eight calls the grant is still unused and nothing was leased');
SELECT tests.call('u1', 't30_a', $$SELECT * FROM coord.acquire_lock('src/a.py', '60 s')$$);
SELECT is(tests.verdict('u1'),
          'ok approved | 1 event: acquire_lock by t30_a allowed=false proceeded=true reason=approved mode=enforce',
          'INV-APPROVAL: the identical retry proceeds with reason approved, one audit event');
SELECT is(format('%s ctx=%s lease=%s', pg_temp.st(:r1), pg_temp.ctx('u1', 'approval_id') = to_jsonb(:r1),
                 (SELECT format('%s %s', l.holder, l.token = (tests.res('u1') ->> 'token')::bigint) FROM coord_private.locks l WHERE l.path = 'src/a.py')),
          format('used used=%s ctx=t lease=t30_a t', pg_temp.id('u1')),
          'INV-APPROVAL: the grant is used by exactly that event (its context names the approval id) and the lease is granted');
SELECT is(tests.run_as('t30_a', 'SELECT * FROM coord.release_lock(''src/a.py'')') -> 0 ->> 'reason', 'allowed', 'the lease is released');
SELECT tests.call('u2', 't30_a', $$SELECT * FROM coord.acquire_lock('src/a.py', '60 s')$$);
SELECT pg_temp.id('u2') AS u2 \gset
SELECT is(format('%s new=%s %s', tests.res('u2') ->> 'reason', :u2 <> :r1, pg_temp.st(:u2)),
          'approval_required new=t pending used=-',
          'INV-APPROVAL single use: the same call once more asks again (a new request)');
SELECT is(pg_temp.decide('d_adm', 't30_adm', 'approve', :u2), 'ok allowed granted',
          'INV-APPROVAL: a coord_admin member approves');
SELECT is(tests.verdict('d_adm'),
          'ok allowed | 1 event: approve_as_admin by t30_adm allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-APPROVAL: as the admin operation approve_as_admin');
SELECT tests.call('u3', 't30_a', $$SELECT * FROM coord.acquire_lock('src/a.py', '1 minute')$$);
SELECT is(format('%s %s', tests.res('u3') ->> 'reason', pg_temp.st(:u2)), format('approved used used=%s', pg_temp.id('u3')),
          'INV-APPROVAL: the retry (1 minute is the same 60 s) uses the admin''s grant');

-- ---------------------------------------------------------------- (e) never by the requester
SELECT tests.call('l1', 't30_l', format('SELECT * FROM coord.cancel_task(%s, %L)', :victim2, 'pgTAP 30: lead cancels'));
SELECT pg_temp.id('l1') AS l1 \gset
SELECT is(tests.res('l1') ->> 'reason' || ' ' || (SELECT a.sources::text FROM coord_private.approvals a WHERE a.approval_id = :l1),
          'approval_required {profile}', 'an approver (trust 4) whose profile needs approval for cancel_task asks for one');
SELECT is(pg_temp.decide('s_self', 't30_l', 'approve', :l1) || ' / ' || pg_temp.decide('s_self2', 't30_l', 'reject', :l1) || ' / ' || pg_temp.st(:l1),
          'refused approval_self pending / refused approval_self pending / pending used=-',
          'INV-APPROVAL: the requester cannot approve or reject its own request, whatever its trust (approval_self); any session of its role is the requester');
SELECT is(tests.verdict('s_self'),
          'refused approval_self | 1 event: approve by t30_l allowed=true proceeded=false reason=approval_self mode=enforce',
          'INV-AUDIT-COMPLETE: the attempt is recorded');
SELECT is(pg_temp.as_set_role('t30_l', 't30_ap', format('SELECT * FROM coord.approve(%s)', :l1)) || ' / ' || pg_temp.st(:l1),
          'error 42501 / pending used=-',
          'INV-APPROVAL: SET ROLE to an approver role it is not a member of is refused (42501)');
GRANT t30_ap TO t30_l, t30_a;
GRANT coord_admin TO t30_l;
SELECT is(pg_temp.as_set_role('t30_l', 't30_ap', format('SELECT * FROM coord.approve(%s)', :l1))
          || ' / ' || pg_temp.as_set_role('t30_l', 'coord_admin', format('SELECT * FROM coord.approve(%s)', :l1))
          || ' / ' || pg_temp.st(:l1),
          't30_ap: refused approval_self / coord_admin: refused approval_self / pending used=-',
          'INV-APPROVAL: a requester that is a member of an approver role and of coord_admin is refused approval_self under SET ROLE to either (session_user, not current_user)');
SELECT tests.call('s_a', 't30_a', $$SELECT * FROM coord.acquire_lock('src/self.py', '60 s')$$);
SELECT is(pg_temp.as_set_role('t30_a', 't30_ap', format('SELECT * FROM coord.approve(%s)', pg_temp.id('s_a')))
          || ' / ' || pg_temp.st(pg_temp.id('s_a')),
          't30_ap: refused not_approver / pending used=-',
          'INV-APPROVAL: a trust-2 requester under SET ROLE to an approver agent''s role is still itself: not an approver');
REVOKE t30_ap FROM t30_l, t30_a;
REVOKE coord_admin FROM t30_l;
SELECT is(pg_temp.decide('s_other', 't30_ap2', 'approve', :l1), 'ok allowed granted',
          'INV-APPROVAL: another approver approves the approver''s request');
SELECT tests.call('l2', 't30_l', format('SELECT * FROM coord.cancel_task(%s, %L)', :victim2, 'pgTAP 30: lead cancels'));
SELECT is(format('%s %s task=%s', tests.res('l2') ->> 'reason', pg_temp.st(:l1), (SELECT t.status FROM coord_private.tasks t WHERE t.task_id = :victim2)),
          format('approved used used=%s task=cancelled', pg_temp.id('l2')),
          'INV-APPROVAL: its identical retry cancels the task with that grant');

-- ---------------------------------------------------------------- (f) not pending
SELECT is(pg_temp.decide('n_used', 't30_ap', 'approve', :r1) || ' / ' || pg_temp.decide('n_used2', 't30_adm', 'reject', :r1)
          || ' / ' || pg_temp.st(:r1),
          format('refused approval_not_pending used / refused approval_not_pending used / used used=%s', pg_temp.id('u1')),
          'INV-APPROVAL: a used grant can be neither approved again nor rejected (approval_not_pending)');
SELECT tests.call('j1', 't30_a', $$SELECT * FROM coord.acquire_lock('src/j.py', '60 s')$$);
SELECT pg_temp.id('j1') AS j1 \gset
SELECT is(pg_temp.decide('j_rej', 't30_ap', 'reject', :j1, 'no') || ' / ' || pg_temp.decide('j_app', 't30_ap2', 'approve', :j1)
          || ' / ' || pg_temp.decide('j_rej2', 't30_adm', 'reject', :j1) || ' / ' || pg_temp.st(:j1),
          'ok allowed rejected / refused approval_not_pending rejected / refused approval_not_pending rejected / rejected used=-',
          'INV-APPROVAL: a pending request is rejected; then it can be neither approved nor rejected again');
SELECT is(tests.verdict('j_rej'),
          'ok allowed | 1 event: reject by t30_ap allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: the rejection is one audit event');
SELECT tests.call('j2', 't30_a', $$SELECT * FROM coord.acquire_lock('src/j.py', '60 s')$$);
SELECT is(format('%s %s locks=%s', tests.res('j2') ->> 'reason', pg_temp.st(:j1), (SELECT count(*) FROM coord_private.locks l WHERE l.path = 'src/j.py')),
          'approval_required rejected used=- locks=0',
          'INV-APPROVAL: after a rejection the identical call asks again; nothing was leased');
SELECT tests.call('v1', 't30_a', $$SELECT * FROM coord.acquire_lock('src/v.py', '60 s')$$);
SELECT pg_temp.id('v1') AS v1 \gset
SELECT is(pg_temp.decide('v_app', 't30_ap', 'approve', :v1) || ' / ' || pg_temp.decide('v_rev', 't30_ap2', 'reject', :v1, 'changed my mind')
          || ' / ' || pg_temp.st(:v1) || ' revoked=' || pg_temp.ctx('v_rev', 'revoked'),
          'ok allowed granted / ok allowed rejected / rejected used=- revoked=true',
          'INV-APPROVAL: a grant not yet used is revoked by reject (state rejected, the event says revoked)');
SELECT tests.call('v2', 't30_a', $$SELECT * FROM coord.acquire_lock('src/v.py', '60 s')$$);
SELECT is(format('%s %s locks=%s', tests.res('v2') ->> 'reason', pg_temp.st(:v1), (SELECT count(*) FROM coord_private.locks l WHERE l.path = 'src/v.py')),
          'approval_required rejected used=- locks=0',
          'INV-APPROVAL: a revoked grant is not used: the identical call asks again');
SELECT tests.call('q1', 't30_a', $$SELECT * FROM coord.acquire_lock('src/q.py', '60 s')$$);
SELECT tests.call('q2', 't30_a', $$SELECT * FROM coord.acquire_lock('src/q.py', '60 s')$$);
SELECT is(format('%s / %s / %s', pg_temp.st(pg_temp.id('q1')), pg_temp.st(pg_temp.id('q2')),
                 pg_temp.decide('q_app', 't30_ap', 'approve', pg_temp.id('q1'))),
          'superseded used=- / pending used=- / refused approval_not_pending superseded',
          'INV-APPROVAL: an identical request supersedes the pending one; the superseded one cannot be approved');
SELECT is(tests.run_as('t30_a', format('SELECT state FROM coord.approval_status(%s)', pg_temp.id('q1'))) -> 0 ->> 'state', 'superseded',
          'approval_status shows superseded');
SELECT is(pg_temp.decide('nf', 't30_ap', 'approve', 999999999) || ' / ' || tests.verdict('nf'),
          'refused approval_not_found  / refused approval_not_found | 1 event: approve by t30_ap allowed=true proceeded=false reason=approval_not_found mode=enforce',
          'INV-APPROVAL: an unknown approval id: approval_not_found, recorded');
SELECT is(tests.diag_as('t30_ap', 'SELECT * FROM coord.approve(NULL)') || ' ' || tests.diag_as('t30_ap', format('SELECT * FROM coord.reject(%s, repeat(''x'', 2001))', :j1)),
          'PC001|true|true|true PC002|true|true|true',
          'bad input: a NULL id PC001, a note over 2000 characters PC002, each with message, detail and hint');

-- ---------------------------------------------------------------- (g) expiry
SELECT tests.call('x1', 't30_a', $$SELECT * FROM coord.acquire_lock('src/x.py', '60 s')$$);
SELECT pg_temp.id('x1') AS x1 \gset
SELECT ok(tests.advance_clock('61 minutes') IS NOT NULL, 'the clock moves 61 minutes: past the request''s hour');
SELECT is(tests.run_as('t30_a', format('SELECT state FROM coord.approval_status(%s)', :x1)) -> 0 ->> 'state' || ' ' || pg_temp.st(:x1),
          'expired pending used=-',
          'INV-APPROVAL: a pending request past its expiry shows expired (its effective state) before anyone touches it');
SELECT is(pg_temp.decide('x_app', 't30_ap', 'approve', :x1) || ' / ' || pg_temp.st(:x1),
          'refused approval_expired expired / expired used=-',
          'INV-APPROVAL: approving an expired request is refused approval_expired and the row becomes expired');
SELECT tests.call('y1', 't30_a', $$SELECT * FROM coord.acquire_lock('src/y.py', '60 s')$$);
SELECT pg_temp.id('y1') AS y1 \gset
SELECT is(pg_temp.decide('y_app', 't30_ap', 'approve', :y1), 'ok allowed granted', 'a new request is granted');
SELECT ok(tests.advance_clock('16 minutes') IS NOT NULL, 'the clock moves 16 minutes: past the grant''s 15');
SELECT tests.call('y2', 't30_a', $$SELECT * FROM coord.acquire_lock('src/y.py', '60 s')$$);
SELECT is(format('%s new=%s %s locks=%s', tests.res('y2') ->> 'reason', pg_temp.id('y2') <> :y1, pg_temp.st(:y1),
                 (SELECT count(*) FROM coord_private.locks l WHERE l.path = 'src/y.py')),
          'approval_required new=t expired used=- locks=0',
          'INV-APPROVAL: an expired grant is not used: the identical call asks again, the grant becomes expired');
SELECT is(tests.verdict('y2') || ' expired_grant=' || (pg_temp.ctx('y2', 'expired_grant') = to_jsonb(:y1))::text,
          'refused approval_required | 1 event: acquire_lock by t30_a allowed=false proceeded=false reason=approval_required mode=enforce expired_grant=true',
          'INV-APPROVAL: the retry''s one event (its new request) records the expired grant it met');
SELECT is(pg_temp.decide('y_rev', 't30_ap', 'reject', :y1), 'refused approval_not_pending expired',
          'INV-APPROVAL: an expired grant cannot be revoked either (approval_not_pending)');
SELECT tests.call('set_ttl', 't30_adm', $$SELECT * FROM coord.set_approval_settings(p_grant_ttl => '30 s')$$);
SELECT tests.call('t1', 't30_a', $$SELECT * FROM coord.acquire_lock('src/t.py', '60 s')$$);
SELECT pg_temp.decide('t_app', 't30_ap', 'approve', pg_temp.id('t1')) AS t_app \gset
SELECT is(tests.res('set_ttl') ->> 'reason' || ' ' || :'t_app' || ' '
          || (SELECT (a.expires_at - a.decided_at)::text || ' ' || (a.expires_at - a.requested_at > '59 minutes')::text
                FROM coord_private.approvals a WHERE a.approval_id = pg_temp.id('t1')),
          'allowed ok allowed granted 00:00:30 false',
          'INV-APPROVAL: set_approval_settings(grant_ttl 30 s): the next grant lives 30 s from its approval');
-- Two grants for one call (two identical requests both approved, as a race of two
-- sessions can leave them): the older one past its expiry, the younger live. The
-- use locks both in id order, closes the expired one and uses the live one. (Made
-- here by copying t1's grant under an older id, expired.)
INSERT INTO coord_private.approvals
SELECT -1, a.requester, a.operation, a.resource, a.args, a.args_digest, a.policy_version, a.sources, 'granted',
       a.requested_at, coord.now() - interval '1 second', a.decided_by, a.decided_at, a.note, a.decision_event_id, NULL
  FROM coord_private.approvals a WHERE a.approval_id = pg_temp.id('t1');
SELECT tests.call('t2', 't30_a', $$SELECT * FROM coord.acquire_lock('src/t.py', '60 s')$$);
SELECT is(format('%s / %s / %s / expired_grants=%s', tests.res('t2') ->> 'reason', pg_temp.st(-1), pg_temp.st(pg_temp.id('t1')),
                 pg_temp.ctx('t2', 'expired_grants')),
          format('approved / expired used=- / used used=%s / expired_grants=[-1]', pg_temp.id('t2')),
          'INV-APPROVAL: of two grants for one call, an older expired one is closed (and recorded) and the live one is used');
SELECT is(tests.diag_as('t30_adm', $$SELECT * FROM coord.set_approval_settings(p_grant_ttl => '2 days')$$) || ' '
          || coalesce(tests.sqlstate_as('t30_a', $$SELECT * FROM coord.set_approval_settings('1 hour')$$), 'none'),
          'PC002|true|true|true 42501', 'set_approval_settings: out of range PC002; agents cannot call it (42501)');

-- ---------------------------------------------------------------- (h) stale policy
SELECT tests.call('c1', 't30_c', $$SELECT * FROM coord.acquire_lock('src/c.py', '60 s')$$);
SELECT pg_temp.id('c1') AS c1 \gset
SELECT is(tests.row_as('t30_adm', $$SELECT * FROM coord.set_agent_profile('t30_c', 't30_ask2')$$) ->> 'reason', 'allowed',
          'set-up: t30_c moves to t30_ask2 (the same rules under another profile name)');
SELECT is(format('%s %s', tests.res('c1') ->> 'reason', pg_temp.decide('c_app', 't30_ap', 'approve', :c1)) || ' / ' || pg_temp.st(:c1),
          'approval_required refused approval_stale_policy pending / pending used=-',
          'INV-APPROVAL: a request made under the requester''s former policy cannot be granted (approval_stale_policy)');
SELECT tests.call('c2', 't30_c', $$SELECT * FROM coord.acquire_lock('src/c.py', '60 s')$$);
SELECT pg_temp.id('c2') AS c2 \gset
SELECT is(pg_temp.decide('c2_app', 't30_ap', 'approve', :c2), 'ok allowed granted', 'a request under the new policy is granted');
SELECT is(tests.call('c_back', 't30_adm', $$SELECT * FROM coord.set_profile('t30_ask2', 2, 'pgTAP 30: fewer leases', NULL, '{}', 19, 3, 3600)$$) ->> 'reason',
          'allowed', 'set-up: then t30_ask2 changes (max_locks 19)');
SELECT tests.call('c3', 't30_c', $$SELECT * FROM coord.acquire_lock('src/c.py', '60 s')$$);
SELECT is(format('%s %s locks=%s', tests.res('c3') ->> 'reason', pg_temp.st(:c2), (SELECT count(*) FROM coord_private.locks l WHERE l.path = 'src/c.py')),
          'approval_required granted used=- locks=0',
          'INV-APPROVAL: a grant made under the former policy is not used by the identical call (it asks again)');

-- ---------------------------------------------------------------- (i) shadow and off
SELECT is(tests.row_as('t30_adm', $$SELECT * FROM coord.set_enforcement_mode('shadow', 'pgTAP 30: approvals rollout')$$) ->> 'ok', 'true',
          'set-up: shadow mode');
SELECT pg_temp.nreq('t30_a') AS nreq_a \gset
SELECT tests.call('sh1', 't30_a', $$SELECT * FROM coord.acquire_lock('src/shadow.py', '60 s')$$);
SELECT is(tests.verdict('sh1'),
          'ok approval_required | 1 event: acquire_lock by t30_a allowed=false proceeded=true reason=approval_required mode=shadow',
          'INV-APPROVAL shadow: the call proceeds; its event records that it would have needed an approval');
SELECT is(format('would=%s rows=%s lease=%s', pg_temp.ctx('sh1', 'would_require_approval'), pg_temp.nreq('t30_a') - :nreq_a,
                 (SELECT l.holder FROM coord_private.locks l WHERE l.path = 'src/shadow.py')),
          'would=true rows=0 lease=t30_a',
          'INV-APPROVAL shadow: would_require_approval in the context, no request row (nobody is asked), the lease granted');
SELECT is(pg_temp.decide('sh_b', 't30_b', 'approve', pg_temp.id('j2')) || ' / ' || pg_temp.decide('sh_self', 't30_l', 'approve', pg_temp.id('l1')),
          'refused not_approver pending / refused approval_self used',
          'INV-APPROVAL shadow: not_approver and approval_self are refusals in every mode');
SELECT is(tests.row_as('t30_adm', $$SELECT * FROM coord.set_enforcement_mode('off', 'pgTAP 30: off')$$) ->> 'ok', 'true', 'set-up: off');
SELECT tests.call('off1', 't30_a', $$SELECT * FROM coord.submit_task('t30.job', 'in mode off')$$);
SELECT is(format('%s would=%s rows=%s task=%s', tests.verdict('off1'), pg_temp.ctx('off1', 'would_require_approval'), pg_temp.nreq('t30_a') - :nreq_a,
                 (SELECT t.submitter FROM coord_private.tasks t WHERE t.task_id = tests.tid('off1'))),
          'ok approval_required | 1 event: submit_task by t30_a allowed=false proceeded=true reason=approval_required mode=off would=true rows=0 task=t30_a',
          'INV-APPROVAL off: as shadow: the task is submitted, no request row');
SELECT is(tests.row_as('t30_adm', $$SELECT * FROM coord.set_enforcement_mode('enforce', 'pgTAP 30: back')$$) ->> 'ok', 'true', 'set-up: back to enforce');

-- ---------------------------------------------------------------- (j) set_profile_approvals
SELECT is(tests.diag_as('t30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_ask', ARRAY['write_handoff'])$$) || ' '
          || tests.diag_as('t30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_ask', ARRAY['acquire_lock', 'approve'])$$) || ' '
          || tests.diag_as('t30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_ask', ARRAY['no_such_operation'])$$) || ' '
          || tests.diag_as('t30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_ask', ARRAY['register_agent'])$$),
          'PC002|true|true|true PC002|true|true|true PC002|true|true|true PC002|true|true|true',
          'INV-APPROVAL: set_profile_approvals refuses a non-approvable operation (write_handoff, approve, unknown, an admin operation): PC002');
SELECT is(tests.diag_as('t30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_no_such_profile', ARRAY['acquire_lock'])$$) || ' '
          || tests.diag_as('t30_adm', $$SELECT * FROM coord.set_profile_approvals('t30_ask', NULL)$$) || ' '
          || tests.sqlstate_as('t30_a', $$SELECT * FROM coord.set_profile_approvals('t30_ask', '{}')$$),
          'PC006|true|true|true PC001|true|true|true 42501',
          'set_profile_approvals: unknown profile PC006, NULL operations PC001, an agent cannot call it (42501)');
SELECT is((SELECT format('%s %s', p.approval_operations, p.approve_elevation) FROM coord_private.profile_approvals p WHERE p.profile = 't30_ask'),
          '{acquire_lock,submit_task} t', 'the refused calls changed nothing');
SELECT is(tests.verdict('spa'),
          'ok allowed | 1 event: set_profile_approvals by t30_adm allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: set_profile_approvals is audited');

-- ---------------------------------------------------------------- (k) the hostile agent
SELECT is(ARRAY[tests.statement_sqlstate_as('t30_a', 'SELECT * FROM coord_private.approvals'),
                tests.statement_sqlstate_as('t30_a', format($$INSERT INTO coord_private.approvals (approval_id, requester, operation, resource, args, args_digest, policy_version, sources, state, requested_at, expires_at, decided_at)
                                                             VALUES (1, 't30_a', 'acquire_lock', 'src/f.py', '{}', repeat('0', 64), 'x', '{}', 'granted', now(), now() + interval '1 day', now())$$)),
                tests.statement_sqlstate_as('t30_a', format('UPDATE coord_private.approvals SET state = ''granted'' WHERE approval_id = %s', :j1)),
                tests.statement_sqlstate_as('t30_ap', format('UPDATE coord_private.approvals SET state = ''granted'' WHERE approval_id = %s', :j1)),
                tests.statement_sqlstate_as('t30_adm', 'DELETE FROM coord_private.approvals')],
          ARRAY['42501', '42501', '42501', '42501', '42501'],
          'INV-APPROVAL: no agent, approver or admin reads or writes coord_private.approvals directly (42501)');
SELECT is(ARRAY[tests.sqlstate_as('t30_a', format($$SELECT coord_private.decide_approval('approve', %s, NULL)$$, :j1)),
                tests.sqlstate_as('t30_a', $$SELECT coord_private.args_digest('{}')$$),
                tests.sqlstate_as('t30_a', $$SELECT coord_private.approval_policy_version('t30_a', 'acquire_lock')$$),
                tests.sqlstate_as('t30_a', $$SELECT coord_private.is_approver('t30_a')$$)],
          ARRAY['42501', '42501', '42501', '42501'],
          'INV-APPROVAL: an agent cannot call the private approval functions (42501)');
SELECT is(tests.statement_sqlstate_as('t30_a', 'CREATE TEMP TABLE approvals (approval_id bigint)'), '42501',
          'INV-DEFINER: an agent cannot create a pg_temp shadow of the approvals table (no TEMPORARY)');
-- The superuser plants, in this very backend, a pg_temp table named approvals holding a
-- forged grant for t30_a's next call, and pg_temp functions named like the private
-- ones that would find it; a session setting names it too. t30_a's call must still ask.
CREATE TEMP TABLE approvals (LIKE coord_private.approvals);
INSERT INTO pg_temp.approvals
SELECT 424242, 't30_a', 'acquire_lock', 'src/forged.py', x.args, coord_private.args_digest(x.args),
       coord_private.approval_policy_version('t30_a', 'acquire_lock'), '{profile}', 'granted',
       now(), now() + interval '1 day', 't30_ap', now(), 'forged', NULL, NULL
  FROM (SELECT jsonb_build_object('path', 'src/forged.py', 'ttl_seconds', 60, 'mode', 'exclusive', 'reason', '') AS args) x;
GRANT ALL ON pg_temp.approvals TO PUBLIC;
CREATE FUNCTION pg_temp.args_digest(jsonb) RETURNS text LANGUAGE sql AS $$ SELECT 'forged' $$;
CREATE FUNCTION pg_temp.approval_policy_version(text, text) RETURNS text LANGUAGE sql AS $$ SELECT 'forged' $$;
CREATE FUNCTION pg_temp.authorize_approval(text, text, jsonb, coord_private.decision, text) RETURNS coord_private.verdict
LANGUAGE sql AS $$ SELECT ROW(true, true, 'approved', 'native', 'enforce', 0)::coord_private.verdict $$;
SELECT tests.call('forge', 't30_a', $$SELECT * FROM coord.acquire_lock('src/forged.py', '60 s', p_reason => '') WHERE set_config('coord_private.approval_id', '424242', false) IS NOT NULL$$);
SELECT is(format('%s forged=%s locks=%s', tests.verdict('forge'), (SELECT a.state FROM pg_temp.approvals a),
                 (SELECT count(*) FROM coord_private.locks l WHERE l.path = 'src/forged.py')),
          'refused approval_required | 1 event: acquire_lock by t30_a allowed=false proceeded=false reason=approval_required mode=enforce forged=granted locks=0',
          'INV-APPROVAL, INV-DEFINER: a pg_temp approvals table with a forged grant, pg_temp authorize_approval / args_digest / approval_policy_version and a session setting change nothing: the call asks');
DROP FUNCTION pg_temp.authorize_approval(text, text, jsonb, coord_private.decision, text);
DROP FUNCTION pg_temp.approval_policy_version(text, text);
DROP FUNCTION pg_temp.args_digest(jsonb);
DROP TABLE pg_temp.approvals;
SELECT set_config('coord_private.approval_id', '', false) IS NOT NULL AS reset_setting \gset

-- coord.approvals: a requester sees its own requests; approvers and auditors all.
SELECT count(*) AS n_all FROM coord_private.approvals \gset
SELECT is(ARRAY[(tests.row_as('t30_a', 'SELECT count(*) AS n, count(*) FILTER (WHERE requester <> ''t30_a'') AS other FROM coord.approvals') ->> 'n')::bigint
                    = pg_temp.nreq('t30_a'),
                (tests.row_as('t30_a', 'SELECT count(*) FILTER (WHERE requester <> ''t30_a'') AS other FROM coord.approvals') ->> 'other')::bigint = 0,
                (tests.row_as('t30_b', 'SELECT count(*) AS n FROM coord.approvals') ->> 'n')::bigint = pg_temp.nreq('t30_b'),
                (tests.row_as('t30_o', 'SELECT count(*) AS n FROM coord.approvals') ->> 'n')::bigint = 0],
          ARRAY[true, true, true, true],
          'INV-APPROVAL, INV-RLS: coord.approvals shows a requester exactly its own requests, and a non-approver without requests none');
SELECT is(ARRAY[(tests.row_as('t30_ap', 'SELECT count(*) AS n FROM coord.approvals') ->> 'n')::bigint,
                (tests.row_as('t30_adm', 'SELECT count(*) AS n FROM coord.approvals') ->> 'n')::bigint,
                (tests.row_as('t30_aud', 'SELECT count(*) AS n FROM coord.approvals') ->> 'n')::bigint],
          ARRAY[:n_all::bigint, :n_all::bigint, :n_all::bigint],
          'INV-APPROVAL, INV-RLS: approvers (an administrator agent, a coord_admin member) and auditors see every request');
SELECT is(ARRAY[jsonb_array_length(tests.run_as('t30_b', format('SELECT * FROM coord.approval_status(%s)', :r1))),
                jsonb_array_length(tests.run_as('t30_o', format('SELECT * FROM coord.approval_status(%s)', :r1))),
                jsonb_array_length(tests.run_as('t30_ap', format('SELECT * FROM coord.approval_status(%s)', :r1))),
                jsonb_array_length(tests.run_as('t30_aud', format('SELECT * FROM coord.approval_status(%s)', :r1))),
                jsonb_array_length(tests.run_as('t30_a', 'SELECT * FROM coord.approval_status(999999999)'))],
          ARRAY[0, 0, 1, 1, 0],
          'INV-APPROVAL, INV-RLS: approval_status answers the requester, approvers and auditors; others and unknown ids get no row');
SELECT is(pg_temp.st(:r1) || ' ' || (SELECT count(*) FROM coord_private.approvals a WHERE a.state = 'used')::text,
          format('used used=%s 4', pg_temp.id('u1')),
          'INV-APPROVAL: in the whole file exactly four grants were used (r1, u2, l1, t1), each once');

SELECT * FROM finish();
ROLLBACK;
