-- Liveness (change liveness, issue 15), acting as several agents:
--   (a) the catalog: the operations, the grants, the loss triggers;
--   (b) coord.heartbeat records the caller's heartbeat through the policy hook
--       (INV-AUDIT-COMPLETE: one event per call; the enforcement mode applies;
--       INV-TRUST: an untrusted or unregistered caller writes nothing);
--   (c) coord.discover_agents: live / stale / never by the threshold, filters by
--       capability and status, a read (no audit event);
--   (d) INV-LOCK-EXPIRY, INV-RECLAIM: a stale agent's lease and claim stay live and
--       keep conflicting until their own expiry; then they are reclaimable as usual;
--   (e) coord.lease_status: live, released, force_released, taken_over and expired,
--       each with its cause, for leases and claims; INV-RLS: only the caller's own;
--   (f) the agent's channel: a NOTIFY on force release and takeover (leases and
--       claims), none on its own release, completion or an expiry by itself; the
--       payload carries kind, path or task id, token and cause only (INV-RLS);
--       channel names of odd and long role names;
--   (g) INV-DEFINER: no setting an agent can SET changes a recorded cause;
--   (h) bad input: the documented SQLSTATE with detail and hint, nothing written;
--   (i) coord.set_stale_threshold: coord_admin only, audited, moves the verdict;
--   (j) recorded losses are bounded: at most about twice 100 per agent, 100 and 7 days shown.
-- NOTIFY is delivered at commit and this file rolls back: coord_private.send_notification
-- is replaced inside the transaction by a recorder (as in 23_notifications); the
-- triggers and payloads are the deployed ones. The clock is moved with
-- tests.advance_clock (tests/sql/test_clock.sql).
BEGIN;
SELECT plan(114);

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   pg_temp.sent                what coord_private.send_notification was asked to send
--   pg_temp.take_agent()        what was sent on agents' channels (pgcoord_agent_*) as
--                               [{channel, payload (jsonb)}], in order; forgets everything sent
--   pg_temp.status_of(role)     coord.lease_status() as role, one 'kind what state [cause]'
--                               line per row (what: the path, or the task's type), sorted
--   pg_temp.agents_seen(role, capability, status)
--                               coord.discover_agents as role: 'role liveness [reported]'
--                               for this file's agents (t24_*), sorted
--   pg_temp.liveness_state()    a digest of the liveness tables and the audit trail
SELECT tests.start_calls();
CREATE TEMP TABLE sent (id bigserial PRIMARY KEY, channel text NOT NULL, payload text NOT NULL);
GRANT INSERT, SELECT ON pg_temp.sent TO coord_owner;
GRANT USAGE ON SEQUENCE pg_temp.sent_id_seq TO coord_owner;

CREATE FUNCTION pg_temp.take_agent() RETURNS jsonb
LANGUAGE sql AS $$
    WITH d AS (DELETE FROM pg_temp.sent RETURNING id, channel, payload)
    SELECT coalesce(jsonb_agg(jsonb_build_object('channel', channel, 'payload', payload::jsonb) ORDER BY id)
                        FILTER (WHERE channel LIKE 'pgcoord\_agent\_%'), '[]') FROM d
$$;

CREATE FUNCTION pg_temp.status_of(p_role text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(x.line ORDER BY x.line COLLATE "C"), '{}')
      FROM (SELECT format('%s %s %s%s', s.kind,
                          coalesce(s.path, (SELECT t.task_type FROM coord_private.tasks t WHERE t.task_id = s.task_id)),
                          s.state, coalesce(' ' || s.cause, '')) AS line
              FROM jsonb_to_recordset(tests.run_as(p_role, 'SELECT * FROM coord.lease_status()'))
                   AS s(kind text, path text, task_id bigint, state text, cause text)) x
$$;

CREATE FUNCTION pg_temp.agents_seen(p_role text, p_capability text DEFAULT NULL, p_status text DEFAULT NULL) RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(format('%s %s%s', d.role_name, d.liveness, coalesce(' ' || d.reported_status, ''))
                              ORDER BY d.role_name COLLATE "C"), '{}')
      FROM jsonb_to_recordset(tests.run_as(p_role, format('SELECT * FROM coord.discover_agents(%L, %L)', p_capability, p_status)))
           AS d(role_name text, liveness text, reported_status text)
     WHERE d.role_name LIKE 't24\_%'
$$;

CREATE FUNCTION pg_temp.liveness_state() RETURNS text
LANGUAGE sql AS $$
    SELECT md5(concat_ws('|',
        (SELECT string_agg(l::text, ';' ORDER BY l.role_name) FROM coord_private.agent_liveness l),
        (SELECT string_agg(g::text, ';' ORDER BY g.loss_id) FROM coord_private.lost_grants g),
        (SELECT string_agg(s::text, ';') FROM coord_private.liveness_settings s)))
        || ' ' || tests.snapshot()
$$;

SELECT tests.create_agents('implementer', 't24_a', 't24_b'), tests.create_agents('orchestrator', 't24_o'),
       tests.create_agents('untrusted', 't24_u'), tests.create_agents('reviewer', 't24_r'),
       tests.create_members('coord_agent', 't24_unreg'), tests.create_members('coord_admin', 't24_adm'),
       tests.create_members('coord_auditor', 't24_aud');
SELECT tests.create_agents('implementer', 't24_odd "Q" name', 't24_' || repeat('x', 56));

-- ---------------------------------------------------------------- (a) the catalog
SELECT is((SELECT array_agg(format('%s %s %s', o.name, o.category, o.min_trust) ORDER BY o.name)
             FROM coord_private.operations o WHERE o.name IN ('heartbeat', 'set_stale_threshold')),
          ARRAY['heartbeat agent 1', 'set_stale_threshold admin 4'],
          'INV-BOUNDARY: heartbeat (agent, trust 1) and set_stale_threshold (admin) are operations of the catalog');
SELECT ok(has_function_privilege('coord_agent', 'coord.heartbeat(text, text[])', 'EXECUTE')
          AND has_function_privilege('coord_agent', 'coord.lease_status()', 'EXECUTE')
          AND has_function_privilege('coord_agent', 'coord.discover_agents(text, text)', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.discover_agents(text, text)', 'EXECUTE')
          AND has_function_privilege('coord_auditor', 'coord.discover_agents(text, text)', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.set_stale_threshold(interval, text)', 'EXECUTE'),
          'INV-BOUNDARY: agents call heartbeat, lease_status and discover_agents; admins and auditors discover; admins set the threshold');
SELECT ok(NOT has_function_privilege('coord_agent', 'coord.set_stale_threshold(interval, text)', 'EXECUTE')
          AND NOT has_function_privilege('coord_admin', 'coord.heartbeat(text, text[])', 'EXECUTE')
          AND NOT has_function_privilege('coord_auditor', 'coord.lease_status()', 'EXECUTE')
          AND NOT has_function_privilege('public', 'coord.discover_agents(text, text)', 'EXECUTE'),
          'INV-BOUNDARY: agents cannot set the threshold; neither admins nor auditors nor PUBLIC hold the agent calls');
SELECT is(tests.sqlstate_as('t24_a', $$SELECT * FROM coord.set_stale_threshold('1 hour', 'mine')$$), '42501',
          'INV-BOUNDARY: an agent calling set_stale_threshold gets 42501');
SELECT is((SELECT array_agg(format('%s %s %s %s', t.tgrelid::regclass, t.tgname,
                                   CASE WHEN t.tgtype & 2 = 2 THEN 'before' ELSE 'after' END,
                                   CASE WHEN t.tgtype & 1 = 1 THEN 'row' ELSE 'statement' END) ORDER BY t.tgname)
             FROM pg_trigger t WHERE t.tgname IN ('locks_record_loss', 'tasks_record_claim_loss') AND t.tgenabled = 'O'),
          ARRAY['coord_private.locks locks_record_loss after row', 'coord_private.tasks tasks_record_claim_loss after row'],
          'the loss triggers: AFTER row triggers on coord_private.locks and coord_private.tasks, enabled');
SELECT is((SELECT array_agg(format('%s definer=%s %s', p.proname, p.prosecdef::text, array_to_string(p.proconfig, ',')) ORDER BY p.proname)
             FROM pg_proc p WHERE p.oid IN ('coord_private.record_lease_loss()'::regprocedure,
                                            'coord_private.record_claim_loss()'::regprocedure)),
          ARRAY['record_claim_loss definer=false search_path=pg_catalog, pg_temp',
                'record_lease_loss definer=false search_path=pg_catalog, pg_temp'],
          'INV-DEFINER: the loss triggers pin search_path = pg_catalog, pg_temp and are no definers of their own');

-- The recorder: what the deployed triggers ask to send, kept in pg_temp.sent.
CREATE OR REPLACE FUNCTION coord_private.send_notification(p_channel text, p_payload text)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO pg_temp.sent (channel, payload) VALUES (p_channel, p_payload);
END
$$;

-- ---------------------------------------------------------------- (b) heartbeat
SELECT tests.call('hb_a', 't24_a', $$SELECT * FROM coord.heartbeat('busy', ARRAY['python', 'lang:rust', 'python'])$$);
SELECT is(tests.verdict('hb_a'),
          'ok allowed | 1 event: heartbeat by t24_a allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: t24_a''s heartbeat is allowed with exactly one audit event, the one it returns');
SELECT is(format('%s %s %s', tests.res('hb_a') ->> 'stale_after', tests.res('hb_a') ->> 'channel',
                 (tests.res('hb_a') ->> 'heartbeat_at')::timestamptz
                     = (SELECT l.last_heartbeat FROM coord_private.agent_liveness l WHERE l.role_name = 't24_a')),
          '00:01:30 pgcoord_agent_t24_a t',
          'the heartbeat returns the recorded time, the threshold (default 90 s) and the agent''s channel');
SELECT is((SELECT format('%s %s', l.reported_status, l.capabilities) FROM coord_private.agent_liveness l WHERE l.role_name = 't24_a'),
          'busy {lang:rust,python}', 'the reported status and the capabilities, sorted without repeats');
SELECT is((tests.event('hb_a')).context -> 'capabilities', '["lang:rust", "python"]'::jsonb,
          'INV-AUDIT-COMPLETE: the event records what was reported');
SELECT is(tests.call('hb_b', 't24_b', 'SELECT * FROM coord.heartbeat()') ->> 'reason', 'allowed',
          't24_b heartbeats with the defaults (active, no capabilities)');
SELECT is(tests.call('hb_r', 't24_r', 'SELECT * FROM coord.heartbeat(''idle'')') ->> 'reason', 'allowed',
          'a reviewer (trust 1) may heartbeat');

SELECT is(tests.call('hb_u', 't24_u', 'SELECT * FROM coord.heartbeat()') ->> 'reason', 'trust_too_low',
          'INV-TRUST: an untrusted agent (trust 0) is denied: trust_too_low');
SELECT is(tests.verdict('hb_u'),
          'refused trust_too_low | 1 event: heartbeat by t24_u allowed=false proceeded=false reason=trust_too_low mode=enforce',
          'INV-AUDIT-COMPLETE: the denial is one audit event');
SELECT is(tests.call('hb_unreg', 't24_unreg', 'SELECT * FROM coord.heartbeat()') ->> 'reason', 'agent_not_registered',
          'an unregistered member of coord_agent is refused: agent_not_registered');
SELECT is((SELECT count(*)::integer FROM coord_private.agent_liveness l WHERE l.role_name IN ('t24_u', 't24_unreg')), 0,
          'INV-TRUST: a denied or refused heartbeat records nothing');

SELECT is(tests.call('mode_shadow', 't24_adm', $$SELECT * FROM coord.set_enforcement_mode('shadow', 't24: shadow')$$) ->> 'reason',
          'allowed', 'the admin switches to shadow mode');
SELECT is(tests.call('hb_u2', 't24_u', 'SELECT * FROM coord.heartbeat()') ->> 'reason', 'trust_too_low',
          'in shadow mode the untrusted heartbeat still names its denial');
SELECT is(format('%s %s', (tests.event('hb_u2')).allowed, (tests.event('hb_u2')).proceeded)
              || ' ' || (SELECT count(*) FROM coord_private.agent_liveness l WHERE l.role_name = 't24_u'),
          'f t 1', 'the enforcement mode applies: in shadow mode the would-be denial is recorded and the heartbeat proceeds');
SELECT is(tests.call('mode_enforce', 't24_adm', $$SELECT * FROM coord.set_enforcement_mode('enforce', 't24: back')$$) ->> 'reason',
          'allowed', 'back to enforce mode');

SELECT is(tests.call('hb_a2', 't24_a', $$SELECT * FROM coord.heartbeat('idle')$$) ->> 'reason', 'allowed',
          't24_a heartbeats again, idle, without capabilities');
SELECT is((SELECT format('%s %s', l.reported_status, l.capabilities) FROM coord_private.agent_liveness l WHERE l.role_name = 't24_a'),
          'idle {lang:rust,python}', 'NULL capabilities keep the reported ones');
SELECT is(tests.call('hb_a3', 't24_a', $$SELECT * FROM coord.heartbeat('busy', ARRAY['python', 'lang:rust'])$$) ->> 'reason', 'allowed',
          't24_a reports busy again');

-- ---------------------------------------------------------------- (c) discover_agents
SELECT is(pg_temp.agents_seen('t24_b'),
          ARRAY['t24_a live busy', 't24_b live active', 't24_o never', 't24_odd "Q" name never', 't24_r live idle',
                't24_u live active', 't24_' || repeat('x', 56) || ' never'],
          'every registered agent with its liveness: live after a heartbeat, never without one');
SELECT is(tests.row_as('t24_b', $$SELECT role_name, profile, trust_level, status, capabilities, live_leases, live_claims, stale_after
                                    FROM coord.discover_agents() WHERE role_name = 't24_a'$$),
          jsonb_build_object('role_name', 't24_a', 'profile', 'implementer', 'trust_level', 2, 'status', 'active',
                             'capabilities', jsonb_build_array('lang:rust', 'python'), 'live_leases', 0, 'live_claims', 0,
                             'stale_after', '00:01:30'),
          'a row: profile, trust, registration status, capabilities, live leases and claims, the threshold');
SELECT is(pg_temp.agents_seen('t24_b', 'python'), ARRAY['t24_a live busy'], 'the capability filter');
SELECT is(pg_temp.agents_seen('t24_b', NULL, 'idle'), ARRAY['t24_r live idle'], 'the status filter, by reported status');
SELECT is(pg_temp.agents_seen('t24_adm', 'lang:rust', 'live'), ARRAY['t24_a live busy'],
          'coord_admin discovers too, by capability and liveness');
SELECT is(pg_temp.agents_seen('t24_aud', NULL, 'never'),
          ARRAY['t24_o never', 't24_odd "Q" name never', 't24_' || repeat('x', 56) || ' never'],
          'coord_auditor discovers the agents that never sent a heartbeat');
SELECT is(tests.call('suspend_r', 't24_adm', $$SELECT * FROM coord.set_agent_status('t24_r', 'suspended')$$) ->> 'reason', 'allowed',
          'the admin suspends t24_r');
SELECT is(pg_temp.agents_seen('t24_b', NULL, 'suspended'), ARRAY['t24_r live idle'], 'the suspended filter');

CREATE TEMP TABLE t24_before AS SELECT tests.audit_count() AS n;
SELECT pg_temp.agents_seen('t24_a'), pg_temp.status_of('t24_a');
SELECT is(tests.audit_count(), (SELECT n FROM t24_before),
          'reads, as check_locks and the views: discover_agents and lease_status write no audit event');

-- ---------------------------------------------------------------- (d) stale changes nothing live
SELECT is(tests.call('held', 't24_a', $$SELECT * FROM coord.acquire_lock('l24/held.py', '600 s')$$) ->> 'reason', 'allowed',
          't24_a leases l24/held.py for 600 s');
SELECT is(tests.submit_and_claim('held_task', 't24_b', 't24.held', 'held', 't24_a', NULL, '600 s'),
          'submit allowed; claim by t24_a allowed, the submitted task, token 1, attempt 1',
          't24_a claims a task for 600 s');
SELECT ok(tests.advance_clock('91 s') IS NOT NULL, 'the clock moves 91 s: past the threshold since t24_a''s last heartbeat');
SELECT is(tests.call('hb_b2', 't24_b', 'SELECT * FROM coord.heartbeat()') ->> 'reason', 'allowed', 't24_b heartbeats');
SELECT is(pg_temp.agents_seen('t24_o', NULL, 'stale'), ARRAY['t24_a stale busy', 't24_r stale idle', 't24_u stale active'],
          'agents without a heartbeat for more than 90 s are stale');
SELECT is(pg_temp.agents_seen('t24_o', 'python', 'live'), '{}'::text[], 'no live agent offers python now');
SELECT is(tests.row_as('t24_o', $$SELECT liveness, live_leases, live_claims FROM coord.discover_agents() WHERE role_name = 't24_a'$$),
          '{"liveness": "stale", "live_leases": 1, "live_claims": 1}'::jsonb,
          'INV-LOCK-EXPIRY: the stale agent still holds its live lease and its live claim');
SELECT is(tests.row_as('t24_b', $$SELECT count(*) AS n FROM coord.live_locks WHERE path = 'l24/held.py' AND holder = 't24_a'$$),
          '{"n": 1}'::jsonb, 'INV-LOCK-EXPIRY: the stale agent''s lease is in coord.live_locks');
SELECT is(tests.call('held_b', 't24_b', $$SELECT * FROM coord.acquire_lock('l24/held.py', '60 s')$$) ->> 'reason', 'lock_held_by_other',
          'INV-LOCK-EXPIRY: the stale agent''s lease still conflicts: lock_held_by_other');
SELECT ok((tests.row_as('t24_b', format('SELECT coord.check_fence(%L, %s) AS f', 'l24/held.py', tests.tok('held'))) ->> 'f')::boolean,
          'INV-LOCK-FENCE: its token still passes check_fence');
SELECT is(tests.call('held_claim_b', 't24_b', $$SELECT * FROM coord.claim_task(ARRAY['t24.held'])$$) ->> 'reason', 'task_not_claimable',
          'INV-LOCK-EXPIRY: the stale agent''s claim still holds: its task is not claimable');
SELECT is(pg_temp.take_agent(), '[]'::jsonb, 'staleness sends nothing');

-- ---------------------------------------------------------------- (e, f) losses and their causes
SELECT is(tests.call('live', 't24_a', $$SELECT * FROM coord.acquire_lock('l24/live.py', '3600 s')$$) ->> 'reason', 'allowed',
          't24_a leases l24/live.py');
SELECT is(tests.call('rel', 't24_a', $$SELECT * FROM coord.acquire_lock('l24/rel.py', '60 s')$$) ->> 'reason', 'allowed',
          't24_a leases l24/rel.py');
SELECT is(tests.call('rel2', 't24_a', $$SELECT * FROM coord.release_lock('l24/rel.py')$$) ->> 'reason', 'allowed',
          't24_a releases l24/rel.py');
SELECT is(pg_temp.take_agent(), '[]'::jsonb, 'an own release sends nothing on the agent''s channel');

SELECT is(tests.call('force', 't24_a', $$SELECT * FROM coord.acquire_lock('l24/force.py', '60 s')$$) ->> 'reason', 'allowed',
          't24_a leases l24/force.py');
SELECT is(tests.call('force2', 't24_o', $$SELECT * FROM coord.force_release_lock('l24/force.py', 'stuck')$$) ->> 'reason', 'allowed',
          'the orchestrator force-releases it');
SELECT is(pg_temp.take_agent(),
          jsonb_build_array(jsonb_build_object('channel', 'pgcoord_agent_t24_a', 'payload',
              jsonb_build_object('kind', 'lease', 'path', 'l24/force.py', 'token', tests.tok('force'), 'cause', 'force_released'))),
          'a force release notifies the holder''s channel: kind, path, token, cause');

SELECT is(tests.call('take', 't24_a', $$SELECT * FROM coord.acquire_lock('l24/take.py', '1 s')$$) ->> 'reason', 'allowed',
          't24_a leases l24/take.py for 1 s');
SELECT is(tests.call('exp', 't24_a', $$SELECT * FROM coord.acquire_lock('l24/exp.py', '1 s')$$) ->> 'reason', 'allowed',
          't24_a leases l24/exp.py for 1 s');
SELECT is(tests.call('reap', 't24_a', $$SELECT * FROM coord.acquire_lock('l24/reap.py', '1 s')$$) ->> 'reason', 'allowed',
          't24_a leases l24/reap.py for 1 s');
SELECT is(tests.submit_and_claim('lost_task', 't24_b', 't24.lost', 'lost', 't24_a', NULL, '1 s'),
          'submit allowed; claim by t24_a allowed, the submitted task, token 1, attempt 1',
          't24_a claims a task for 1 s');
SELECT ok(tests.advance_clock('2 s') IS NOT NULL, 'the clock moves past those expiries');
SELECT is(pg_temp.take_agent(), '[]'::jsonb, 'an expiry by itself sends nothing');

-- INV-DEFINER: t24_b sets what it can before taking over, and cannot set what would
-- switch the triggers off or change who it is.
SELECT is(tests.run_as('t24_b', $$SELECT set_config('pgcoord.cause', 'released', true) AS a,
                                         set_config('coord.actor', 't24_a', true) AS b,
                                         set_config('application_name', 't24_a', true) AS c$$),
          '[{"a": "released", "b": "t24_a", "c": "t24_a"}]'::jsonb,
          'INV-DEFINER: the taker sets pgcoord.cause, coord.actor and application_name (its own settings, for the transaction)');
SELECT is(tests.statement_sqlstate_as('t24_b', 'SET session_replication_role = replica'), '42501',
          'INV-DEFINER: an agent cannot SET session_replication_role (which would switch the loss triggers off)');
SELECT is(tests.statement_sqlstate_as('t24_b', 'SET ROLE t24_a'), '42501',
          'INV-DEFINER: an agent cannot SET ROLE to the holder');
SELECT is(tests.call('take2', 't24_b', $$SELECT * FROM coord.acquire_lock('l24/take.py', '600 s')$$) ->> 'reason', 'allowed',
          't24_b takes the expired l24/take.py');
SELECT is(pg_temp.take_agent(),
          jsonb_build_array(jsonb_build_object('channel', 'pgcoord_agent_t24_a', 'payload',
              jsonb_build_object('kind', 'lease', 'path', 'l24/take.py', 'token', tests.tok('take'), 'cause', 'taken_over'))),
          'INV-DEFINER: the takeover is recorded and notified as taken_over, whatever the taker SET');
SELECT is(tests.call('lost_task/reclaim', 't24_b', $$SELECT * FROM coord.claim_task(ARRAY['t24.lost'])$$) ->> 'attempt', '2',
          't24_b reclaims the expired task (attempt 2)');
SELECT is(pg_temp.take_agent(),
          jsonb_build_array(jsonb_build_object('channel', 'pgcoord_agent_t24_a', 'payload',
              jsonb_build_object('kind', 'claim', 'task_id', tests.tid('lost_task'), 'token', 1, 'cause', 'taken_over'))),
          'a claim taken over notifies the earlier claimer: kind, task id, its token, cause');
SELECT set_config('pgcoord.cause', '', true), set_config('coord.actor', '', true), set_config('application_name', '', true);

SELECT is(tests.submit_and_claim('cancel_task', 't24_b', 't24.cancel', 'cancel', 't24_a', NULL, '600 s'),
          'submit allowed; claim by t24_a allowed, the submitted task, token 1, attempt 1',
          't24_a claims another task for 600 s');
SELECT is(tests.call('cancel', 't24_o', format('SELECT * FROM coord.cancel_task(%s, %L)', tests.tid('cancel_task'), 'not needed')) ->> 'reason',
          'allowed', 'the orchestrator cancels it while the claim is live');
SELECT is(pg_temp.take_agent(),
          jsonb_build_array(jsonb_build_object('channel', 'pgcoord_agent_t24_a', 'payload',
              jsonb_build_object('kind', 'claim', 'task_id', tests.tid('cancel_task'), 'token', 1, 'cause', 'force_released'))),
          'a live claim cancelled by another role notifies its claimer: force_released');
SELECT is(tests.submit_and_claim('done_task', 't24_b', 't24.done', 'done', 't24_a', NULL, '600 s'),
          'submit allowed; claim by t24_a allowed, the submitted task, token 1, attempt 1', 't24_a claims a third task');
SELECT is(tests.call('done', 't24_a', format('SELECT * FROM coord.complete_task(%s, 1)', tests.tid('done_task'))) ->> 'reason', 'allowed',
          't24_a completes it');
SELECT is(pg_temp.take_agent(), '[]'::jsonb, 'an own completion sends nothing and is no loss');

SELECT is(pg_temp.status_of('t24_a'),
          ARRAY['claim t24.cancel lost force_released', 'claim t24.held live', 'claim t24.lost lost taken_over',
                'lease l24/exp.py lost expired', 'lease l24/force.py lost force_released', 'lease l24/held.py live',
                'lease l24/live.py live', 'lease l24/reap.py lost expired', 'lease l24/rel.py lost released',
                'lease l24/take.py lost taken_over'],
          'lease_status: live leases and claims, and each loss with its cause (expired: still there past its expiry)');
SELECT is(tests.row_as('t24_a', $$SELECT token, expires_at, state, cause, lost_at FROM coord.lease_status() WHERE path = 'l24/live.py'$$),
          jsonb_build_object('token', tests.tok('live'), 'expires_at', tests.res('live') -> 'expires_at', 'state', 'live',
                             'cause', NULL, 'lost_at', NULL),
          'a live lease: its token and expiry');
SELECT is(tests.row_as('t24_a', $$SELECT token, state, cause, lost_at IS NOT NULL AS has_time FROM coord.lease_status() WHERE path = 'l24/force.py'$$),
          jsonb_build_object('token', tests.tok('force'), 'state', 'lost', 'cause', 'force_released', 'has_time', true),
          'a lost lease: the token it had, its cause and when it was lost');
SELECT is((SELECT array_agg(format('%s %s', g.path, g.cause) ORDER BY g.path) FROM coord_private.lost_grants g
            WHERE g.agent = 't24_b'), NULL::text[], 'the taker lost nothing');

SELECT is(tests.call('reaped', 't24_adm', 'SELECT * FROM coord.reap_expired()') ->> 'expired_locks', '2',
          'the reaper deletes t24_a''s two expired leases');
SELECT is((SELECT jsonb_agg(x.v ORDER BY x.v ->> 'path') FROM jsonb_array_elements(pg_temp.take_agent()) AS x(v)),
          jsonb_build_array(
              jsonb_build_object('channel', 'pgcoord_agent_t24_a', 'payload',
                  jsonb_build_object('kind', 'lease', 'path', 'l24/exp.py', 'token', tests.tok('exp'), 'cause', 'taken_over')),
              jsonb_build_object('channel', 'pgcoord_agent_t24_a', 'payload',
                  jsonb_build_object('kind', 'lease', 'path', 'l24/reap.py', 'token', tests.tok('reap'), 'cause', 'taken_over'))),
          'leases the reaper tidied are taken_over, and notified');
SELECT is((SELECT array_agg(l ORDER BY l) FROM unnest(pg_temp.status_of('t24_a')) l WHERE l LIKE 'lease l24/exp%' OR l LIKE 'lease l24/reap%'),
          ARRAY['lease l24/exp.py lost taken_over', 'lease l24/reap.py lost taken_over'],
          'lease_status: an expired lease tidied by another role reads taken_over');

SELECT is(tests.call('own_exp', 't24_b', $$SELECT * FROM coord.acquire_lock('l24/own.py', '1 s')$$) ->> 'reason', 'allowed',
          't24_b leases l24/own.py for 1 s');
SELECT ok(tests.advance_clock('2 s') IS NOT NULL, 'it expires');
SELECT is(tests.call('own_exp2', 't24_b', $$SELECT * FROM coord.acquire_lock('l24/own.py', '60 s')$$) ->> 'reason', 'allowed',
          't24_b takes l24/own.py again');
SELECT is(format('%s %s', pg_temp.status_of('t24_b') @> ARRAY['lease l24/own.py lost expired', 'lease l24/own.py live'],
                 pg_temp.take_agent()),
          't []', 'its own expired grant, replaced by itself, reads expired and notifies nothing');

-- ---------------------------------------------------------------- INV-RLS: only one's own
SELECT ok(NOT (pg_temp.status_of('t24_b') && pg_temp.status_of('t24_a')),
          'INV-RLS: t24_b''s lease_status shows none of t24_a''s leases, claims or losses');
SELECT is(tests.row_as('t24_b', $$SELECT count(*) AS n FROM coord.lease_status() WHERE path LIKE 'l24/%' AND path NOT IN ('l24/take.py', 'l24/own.py')$$),
          '{"n": 0}'::jsonb, 'INV-RLS: t24_b sees only its own paths');
GRANT USAGE ON SCHEMA coord_private TO coord_agent;
GRANT SELECT ON coord_private.lost_grants, coord_private.agent_liveness, coord_private.liveness_settings TO coord_agent;
SELECT is(tests.run_as('t24_b', 'SELECT DISTINCT agent FROM coord_private.lost_grants'), '[{"agent": "t24_b"}]'::jsonb,
          'INV-RLS: with a stray SELECT grant an agent still sees only its own losses');
SELECT is(tests.run_as('t24_b', 'SELECT role_name FROM coord_private.agent_liveness'), '[{"role_name": "t24_b"}]'::jsonb,
          'INV-RLS: with a stray SELECT grant an agent still sees only its own liveness row');
SELECT is(tests.run_as('t24_b', 'SELECT count(*) AS n FROM coord_private.liveness_settings'), '[{"n": 0}]'::jsonb,
          'INV-RLS: and no liveness setting (RLS, no policy)');
REVOKE ALL ON coord_private.lost_grants, coord_private.agent_liveness, coord_private.liveness_settings FROM coord_agent;
REVOKE USAGE ON SCHEMA coord_private FROM coord_agent;

-- ---------------------------------------------------------------- INV-RECLAIM: after its own expiry
SELECT ok(tests.advance_clock('600 s') IS NOT NULL, 'the clock moves past the stale agent''s 600 s lease and claim');
SELECT is(tests.call('held_b2', 't24_b', $$SELECT * FROM coord.acquire_lock('l24/held.py', '60 s')$$) ->> 'reason', 'allowed',
          'INV-RECLAIM: after its own expiry the stale agent''s lease is granted to another agent');
SELECT is(tests.call('held_claim_b2', 't24_b', $$SELECT * FROM coord.claim_task(ARRAY['t24.held'])$$) ->> 'attempt', '2',
          'INV-RECLAIM: and its task is claimed again (attempt 2)');
SELECT is((SELECT jsonb_agg(x.v -> 'payload' ->> 'cause' ORDER BY x.v -> 'payload' ->> 'kind') FROM jsonb_array_elements(pg_temp.take_agent()) AS x(v)),
          '["taken_over", "taken_over"]'::jsonb, 'both are notified to t24_a as taken_over');

-- ---------------------------------------------------------------- channels
SELECT is(tests.call('hb_odd', 't24_odd "Q" name', 'SELECT * FROM coord.heartbeat()') ->> 'channel', 'pgcoord_agent_t24_odd "Q" name',
          'a role name with quotes and spaces keeps its spelling in its channel (LISTEN quotes it)');
SELECT is(tests.call('hb_long', 't24_' || repeat('x', 56), 'SELECT * FROM coord.heartbeat()') ->> 'channel',
          'pgcoord_agent_' || md5('t24_' || repeat('x', 56)),
          'a role name too long for the prefix within 63 bytes gets the md5 of the name');
SELECT lives_ok(format('SELECT pg_notify(%L, %L), pg_notify(%L, %L)', tests.res('hb_odd') ->> 'channel', 'x',
                       tests.res('hb_long') ->> 'channel', 'x'),
                'PostgreSQL accepts both as channel names (pg_notify; this transaction rolls back, so nothing is sent)');
SELECT is(tests.call('odd_lease', 't24_odd "Q" name', $$SELECT * FROM coord.acquire_lock('l24/odd.py', '60 s')$$) ->> 'reason', 'allowed',
          'the odd-named agent leases l24/odd.py');
SELECT is(tests.call('odd_force', 't24_o', $$SELECT * FROM coord.force_release_lock('l24/odd.py', 'stuck')$$) ->> 'reason', 'allowed',
          'the orchestrator force-releases it');
SELECT is((SELECT jsonb_agg(x.v ->> 'channel') FROM jsonb_array_elements(pg_temp.take_agent()) AS x(v)),
          '["pgcoord_agent_t24_odd \"Q\" name"]'::jsonb, 'the notice goes to the odd-named agent''s own channel');

-- ---------------------------------------------------------------- (h) bad input
CREATE TEMP TABLE t24_state AS SELECT pg_temp.liveness_state() AS s;
SELECT is(tests.diag_as('t24_a', 'SELECT * FROM coord.heartbeat(NULL)'), 'PC001|true|true|true',
          'heartbeat(NULL): PC001 with message, detail and hint');
SELECT is(tests.diag_as('t24_a', $$SELECT * FROM coord.heartbeat('sleeping')$$), 'PC002|true|true|true',
          'an unknown status: PC002 with message, detail and hint');
SELECT is(tests.diag_as('t24_a', $$SELECT * FROM coord.heartbeat('active', (SELECT array_agg('c' || i) FROM generate_series(1, 33) i))$$),
          'PC002|true|true|true', 'more than 32 capabilities: PC002');
SELECT is(ARRAY[tests.sqlstate_as('t24_a', $$SELECT * FROM coord.heartbeat('active', ARRAY['bad cap'])$$),
                tests.sqlstate_as('t24_a', $$SELECT * FROM coord.heartbeat('active', ARRAY[''])$$),
                tests.sqlstate_as('t24_a', $$SELECT * FROM coord.heartbeat('active', ARRAY['ok', NULL])$$),
                tests.sqlstate_as('t24_a', $$SELECT * FROM coord.heartbeat('active', ARRAY[repeat('c', 65)])$$),
                tests.sqlstate_as('t24_a', format('SELECT * FROM coord.heartbeat(%L, ARRAY[%L])', 'active', 'tab' || chr(9))),
                tests.sqlstate_as('t24_a', $$SELECT * FROM coord.heartbeat('active', ARRAY['-lead'])$$)],
          ARRAY['PC002', 'PC002', 'PC002', 'PC002', 'PC002', 'PC002'],
          'a capability with a space, empty, NULL, of 65 characters, with a control character, or not starting alphanumeric: PC002');
SELECT is(tests.diag_as('t24_a', $$SELECT * FROM coord.discover_agents('bad cap')$$), 'PC002|true|true|true',
          'discover_agents with a malformed capability: PC002');
SELECT is(tests.diag_as('t24_a', $$SELECT * FROM coord.discover_agents(NULL, 'zombie')$$), 'PC002|true|true|true',
          'discover_agents with an unknown status: PC002');
SELECT is(ARRAY[tests.diag_as('t24_adm', $$SELECT * FROM coord.set_stale_threshold(NULL, 'x')$$),
                tests.diag_as('t24_adm', $$SELECT * FROM coord.set_stale_threshold('4 s', 'x')$$),
                tests.diag_as('t24_adm', $$SELECT * FROM coord.set_stale_threshold('25 hours', 'x')$$),
                tests.diag_as('t24_adm', $$SELECT * FROM coord.set_stale_threshold('60 s', ' ')$$)],
          ARRAY['PC001|true|true|true', 'PC002|true|true|true', 'PC002|true|true|true', 'PC002|true|true|true'],
          'set_stale_threshold: NULL PC001; below 5 s, above 24 h or without a reason PC002');
SELECT is(pg_temp.liveness_state(), (SELECT s FROM t24_state),
          'bad input writes nothing: no liveness row, no loss, no setting, no lease, task or audit event changed');

-- ---------------------------------------------------------------- (i) the threshold
SELECT is(tests.call('threshold', 't24_adm', $$SELECT * FROM coord.set_stale_threshold('30 s', 'agents beat every 10 s')$$) ->> 'previous',
          '00:01:30', 'the admin sets the threshold to 30 s (the previous one is returned)');
SELECT is(tests.verdict('threshold'),
          'ok allowed | 1 event: set_stale_threshold by t24_adm allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: the change is one audit event');
SELECT is(tests.call('hb_b3', 't24_b', 'SELECT * FROM coord.heartbeat()') ->> 'stale_after', '00:00:30',
          'heartbeats now return the new threshold');
SELECT ok(tests.advance_clock('31 s') IS NOT NULL, 'the clock moves 31 s');
SELECT is(pg_temp.agents_seen('t24_o', NULL, 'live'), '{}'::text[], 'nobody heartbeat within 30 s: nobody is live');
SELECT is(tests.row_as('t24_o', $$SELECT liveness, live_leases FROM coord.discover_agents() WHERE role_name = 't24_b'$$),
          '{"liveness": "stale", "live_leases": 1}'::jsonb,
          'INV-LOCK-EXPIRY: t24_b is stale by the new threshold and keeps its live lease');

-- ---------------------------------------------------------------- bounded losses
DO $$
BEGIN
    FOR i IN 1 .. 250 LOOP
        PERFORM tests.run_as('t24_b', $q$SELECT * FROM coord.acquire_lock('l24/churn.py', '60 s')$q$);
        PERFORM tests.run_as('t24_b', $q$SELECT * FROM coord.release_lock('l24/churn.py')$q$);
    END LOOP;
END
$$;
SELECT cmp_ok((SELECT count(*)::integer FROM coord_private.lost_grants g WHERE g.agent = 't24_b'), '<=', 2 * coord_private.lost_grants_cap(),
              'after 250 releases an agent keeps at most twice lost_grants_cap() (100) recorded losses');
SELECT is(tests.row_as('t24_b', $$SELECT count(*) AS n, count(*) FILTER (WHERE cause = 'released') AS released
                                    FROM coord.lease_status() WHERE state = 'lost' AND cause <> 'expired'$$),
          '{"n": 100, "released": 100}'::jsonb, 'lease_status shows its newest 100 recorded losses (besides its leases still there past their expiry)');
SELECT ok(tests.advance_clock('8 days') IS NOT NULL, 'the clock moves 8 days');
SELECT is(tests.row_as('t24_b', $$SELECT count(*) AS n FROM coord.lease_status() WHERE state = 'lost' AND cause <> 'expired'$$),
          '{"n": 0}'::jsonb, 'losses older than 7 days are no longer shown');

SELECT * FROM finish();
ROLLBACK;
