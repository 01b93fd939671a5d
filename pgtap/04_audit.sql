-- The audit trail (INV-AUDIT-COMPLETE, INV-AUDIT-IMMUTABLE): append-only for every
-- pgcoord role, hash-chained per backend so that coord.verify_audit() finds any
-- event a superuser altered, removed or inserted, and an exported digest catches a
-- superuser who recomputed a whole chain. Retention (purge_audit) is audited and
-- keeps verification working. Everything here runs in one transaction and one
-- backend, so all events of this file form one chain (chain_id = pg_backend_pid()).
-- Tampering happens inside savepoints (or the subtransaction of tests.verify_audit_after):
-- results are captured with \gset and the tampering is rolled back before the pgTAP
-- assertions.
BEGIN;
SELECT plan(55);

SELECT tests.create_members('coord_admin', 't04_admin'), tests.create_members('coord_auditor', 't04_auditor'),
       tests.create_agents('implementer', 't04_alice', 't04_bob');
SELECT tests.open_sessions('t04_alice', 'alice 1', 'alice 2'), tests.open_sessions('t04_bob', 'bob 1', 'bob 2');

-- ---------------------------------------------------------------- one chain, exactly one event per call
SELECT results_eq($$ SELECT count(*)::integer, min(seq)::integer, max(seq)::integer, count(DISTINCT seq)::integer
                      FROM coord_private.audit_events WHERE chain_id = pg_backend_pid() $$,
                  $$ VALUES (6, 1, 6, 6) $$,
    'INV-AUDIT-COMPLETE: 2 registrations + 4 sessions = 6 events, seq 1..6 of this backend''s chain');
SELECT results_eq($$ SELECT seq, head_hash = (SELECT hash FROM coord_private.audit_events e
                                                WHERE e.chain_id = h.chain_id AND e.seq = h.seq)
                      FROM coord_private.audit_chain_heads h WHERE chain_id = pg_backend_pid() $$,
                  $$ VALUES (6::bigint, true) $$,
    'INV-AUDIT-IMMUTABLE: the chain head holds the last event''s seq and hash');

-- ---------------------------------------------------------------- immutability: the owner and the superuser
SET LOCAL ROLE coord_owner;
SELECT throws_ok($$ UPDATE coord_private.audit_events SET resource = 'edited' $$, 'PC009', NULL,
    'INV-AUDIT-IMMUTABLE: UPDATE of audit events is refused even for coord_owner (PC009)');
SELECT throws_ok($$ DELETE FROM coord_private.audit_events $$, 'PC009', NULL,
    'INV-AUDIT-IMMUTABLE: DELETE of audit events is refused for coord_owner outside retention (PC009)');
SELECT throws_ok($$ TRUNCATE coord_private.audit_events $$, 'PC009', NULL,
    'INV-AUDIT-IMMUTABLE: TRUNCATE of audit events is refused even for coord_owner (PC009)');
RESET ROLE;
SELECT throws_ok($$ UPDATE coord_private.audit_events SET resource = 'edited' $$, 'PC009', NULL,
    'INV-AUDIT-IMMUTABLE: UPDATE of audit events is refused even for a superuser (PC009) while triggers are on');

-- ---------------------------------------------------------------- immutability: agent, admin, auditor
SELECT is(tests.statement_sqlstate_as(r.role, s.q), '42501',
          format('INV-AUDIT-IMMUTABLE: %s cannot %s audit events (42501)', r.who, s.verb))
  FROM (VALUES (1, 't04_alice', 'an agent'), (2, 't04_admin', 'an admin'), (3, 't04_auditor', 'an auditor')) r(n, role, who)
 CROSS JOIN (VALUES (1, 'UPDATE', $$UPDATE coord_private.audit_events SET resource = 'edited'$$),
                    (2, 'DELETE', $$DELETE FROM coord_private.audit_events$$),
                    (3, 'TRUNCATE', $$TRUNCATE coord_private.audit_events$$)) s(n, verb, q)
 ORDER BY r.n, s.n;
SELECT is(tests.statement_sqlstate_as('t04_auditor', $$UPDATE coord.audit_trail SET resource = 'edited'$$), '42501',
    'INV-AUDIT-IMMUTABLE: an auditor cannot UPDATE through the coord.audit_trail view (42501)');

-- ---------------------------------------------------------------- verify_audit on an intact trail
SELECT is(tests.row_as('t04_auditor', 'SELECT ok, events_checked, first_bad_event_id, problem FROM coord.verify_audit()'),
          jsonb_build_object('ok', true, 'events_checked', tests.audit_count(), 'first_bad_event_id', NULL, 'problem', NULL),
    'INV-AUDIT-IMMUTABLE: verify_audit() (as an auditor) is ok on an intact trail and checked every event');
-- The canonical form cannot depend on the verifying session's settings.
SET LOCAL TimeZone = 'Pacific/Chatham';
SET LOCAL DateStyle = 'SQL, DMY';
SET LOCAL IntervalStyle = 'sql_standard';
SELECT is((SELECT ok FROM coord.verify_audit()), true,
    'INV-AUDIT-IMMUTABLE: the trail verifies under another TimeZone, DateStyle and IntervalStyle');
RESET TimeZone;
RESET DateStyle;
RESET IntervalStyle;

SELECT event_id AS ev3 FROM coord_private.audit_events WHERE chain_id = pg_backend_pid() AND seq = 3 \gset
SELECT event_id AS ev4 FROM coord_private.audit_events WHERE chain_id = pg_backend_pid() AND seq = 4 \gset
SELECT event_id AS ev5 FROM coord_private.audit_events WHERE chain_id = pg_backend_pid() AND seq = 5 \gset
SELECT event_id AS ev6 FROM coord_private.audit_events WHERE chain_id = pg_backend_pid() AND seq = 6 \gset

-- ---------------------------------------------------------------- a superuser alters one event
SELECT tests.verify_audit_after(format('UPDATE coord_private.audit_events SET resource = ''tampered'' WHERE event_id = %s', :ev3)) AS alt \gset
SELECT is((:'alt'::jsonb ->> 'ok')::boolean, false, 'INV-AUDIT-IMMUTABLE: verify_audit() fails after a superuser altered an event');
SELECT is((:'alt'::jsonb ->> 'first_bad_event_id')::bigint, :ev3::bigint, 'INV-AUDIT-IMMUTABLE: ... and names the altered event as the first bad one');
SELECT matches(:'alt'::jsonb ->> 'problem', 'altered', 'INV-AUDIT-IMMUTABLE: ... and says it was altered');

-- ---------------------------------------------------------------- a superuser deletes a middle event
SELECT tests.verify_audit_after(format('DELETE FROM coord_private.audit_events WHERE event_id = %s', :ev4)) AS del \gset
SELECT is((:'del'::jsonb ->> 'ok')::boolean, false, 'INV-AUDIT-IMMUTABLE: verify_audit() fails after a superuser deleted a middle event');
SELECT is((:'del'::jsonb ->> 'first_bad_event_id')::bigint, :ev5::bigint, 'INV-AUDIT-IMMUTABLE: ... the gap is reported at the event following the deleted one');
SELECT matches(:'del'::jsonb ->> 'problem', 'removed', 'INV-AUDIT-IMMUTABLE: ... as events removed');

-- ---------------------------------------------------------------- a superuser deletes the tail event
SELECT tests.verify_audit_after(format('DELETE FROM coord_private.audit_events WHERE event_id = %s', :ev6)) AS tail \gset
SELECT is((:'tail'::jsonb ->> 'ok')::boolean, false, 'INV-AUDIT-IMMUTABLE: verify_audit() fails after a superuser deleted the tail event (chain head)');
SELECT is((:'tail'::jsonb ->> 'first_bad_event_id')::bigint, :ev5::bigint, 'INV-AUDIT-IMMUTABLE: ... reported at the new last event, which no longer matches the head');

-- ---------------------------------------------------------------- a superuser inserts an event behind pgcoord's back
SAVEPOINT tamper;
INSERT INTO coord_private.audit_events (chain_id, seq, occurred_at, actor, operation, resource, allowed, proceeded,
                                        reason, engine, mode, context, prev_hash, hash)
SELECT e.chain_id, 7, e.occurred_at, 't04_alice', 'register_session', 'forged', true, true, 'allowed', 'native', 'enforce', '{}',
       e.hash, coord_private.audit_event_hash(e.hash, e.chain_id, 7, e.occurred_at, 't04_alice', 'register_session', 'forged',
                                              true, true, 'allowed', 'native', 'enforce', '{}')
  FROM coord_private.audit_events e WHERE e.event_id = :ev6;
SELECT ok AS ins_ok, problem AS ins_problem FROM coord.verify_audit() \gset
ROLLBACK TO SAVEPOINT tamper;
SELECT is(:'ins_ok'::boolean, false,
    'INV-AUDIT-IMMUTABLE: verify_audit() fails after a superuser inserted a correctly hashed event (the head does not match)');

-- ---------------------------------------------------------------- a superuser recomputes the whole chain
SELECT tests.row_as('t04_auditor', 'SELECT coord.audit_digest() AS d') ->> 'd' AS digest0 \gset
SAVEPOINT tamper;
DO $$
DECLARE
    r record;
    v_prev bytea;
    v_hash bytea;
BEGIN
    PERFORM set_config('session_replication_role', 'replica', true);
    UPDATE coord_private.audit_events SET resource = 'rewritten' WHERE chain_id = pg_backend_pid() AND seq = 3;
    FOR r IN SELECT * FROM coord_private.audit_events WHERE chain_id = pg_backend_pid() ORDER BY seq LOOP
        v_prev := coalesce(v_prev, r.prev_hash);           -- the first event keeps its genesis link
        v_hash := coord_private.audit_event_hash(v_prev, r.chain_id, r.seq, r.occurred_at, r.actor, r.operation,
                      r.resource, r.allowed, r.proceeded, r.reason, r.engine, r.mode, r.context);
        UPDATE coord_private.audit_events SET prev_hash = v_prev, hash = v_hash WHERE event_id = r.event_id;
        v_prev := v_hash;
    END LOOP;
    UPDATE coord_private.audit_chain_heads SET head_hash = v_prev WHERE chain_id = pg_backend_pid();
    PERFORM set_config('session_replication_role', 'origin', true);
END
$$;
SELECT ok AS rw_ok FROM coord.verify_audit() \gset
SELECT ok AS rw_dok, first_bad_chain AS rw_chain, problem AS rw_problem FROM coord.verify_audit_digest(:'digest0'::jsonb) \gset
ROLLBACK TO SAVEPOINT tamper;
SELECT is(:'rw_ok'::boolean, true,
    'INV-AUDIT-IMMUTABLE: a chain recomputed consistently by a superuser passes verify_audit() (what the digest is for)');
SELECT is(:'rw_dok'::boolean, false,
    'INV-AUDIT-IMMUTABLE: verify_audit_digest() with a digest taken before catches the recomputed chain');
SELECT is(:'rw_chain'::integer, pg_backend_pid(), 'INV-AUDIT-IMMUTABLE: ... naming the rewritten chain');
SELECT matches(:'rw_problem'::text, 'rewritten', 'INV-AUDIT-IMMUTABLE: ... as rewritten');
SELECT is(tests.row_as('t04_auditor', format('SELECT ok FROM coord.verify_audit_digest(%L)', :'digest0')),
          '{"ok": true}'::jsonb,
    'INV-AUDIT-IMMUTABLE: on the untouched trail verify_audit_digest() with the same digest is ok (control)');

-- the digest itself is tamper-evident
SELECT throws_ok(format('SELECT * FROM coord.verify_audit_digest(%L)',
                        jsonb_set(:'digest0'::jsonb, ARRAY['chains', pg_backend_pid()::text, 'seq'], '2'))::text,
                 'PC014', NULL,
    'INV-AUDIT-IMMUTABLE: a digest edited after export (a chain''s seq moved back) raises PC014');
SELECT throws_ok($$ SELECT * FROM coord.verify_audit_digest('{"format": "something-else", "chains": {}}') $$, 'PC014', NULL,
    'INV-AUDIT-IMMUTABLE: a JSON value that is not a pgcoord digest raises PC014');
SELECT throws_ok($$ SELECT * FROM coord.verify_audit_digest(NULL) $$, 'PC001', NULL,
    'INV-AUDIT-IMMUTABLE: a NULL digest raises PC001');
SELECT throws_ok(format('SELECT * FROM coord.verify_audit_digest(%L)',
                        jsonb_build_object('format', 'pgcoord-audit-digest-v1',
                                           'chains', '{"not-a-chain": {"seq": "x", "hash": "zz"}}'::jsonb,
                                           'digest', coord_private.digest_of_chains('{"not-a-chain": {"seq": "x", "hash": "zz"}}'))),
                 'PC014', NULL,
    'INV-AUDIT-IMMUTABLE: a structurally invalid digest (non-integer chain id, seq and hash) raises PC014');

-- ---------------------------------------------------------------- retention
-- Old history as it would be after 10 days: a finished chain (a backend long gone,
-- chain id above any pid) with events 1-3 ten days old and 4-5 an hour old, hashed
-- and headed exactly as coord_private.append_audit_event would have done.
DO $$
DECLARE
    v_chain constant integer := 2000000000;
    v_prev bytea := coord_private.audit_genesis(2000000000);
    v_at timestamptz;
    v_hash bytea;
BEGIN
    FOR s IN 1..5 LOOP
        v_at := now() - CASE WHEN s <= 3 THEN interval '10 days' ELSE interval '1 hour' END + s * interval '1 second';
        v_hash := coord_private.audit_event_hash(v_prev, v_chain, s, v_at, 't04_bob', 'register_session', 'old ' || s,
                                                 true, true, 'allowed', 'native', 'enforce', '{}');
        INSERT INTO coord_private.audit_events (chain_id, seq, occurred_at, actor, operation, resource, allowed, proceeded,
                                                reason, engine, mode, context, prev_hash, hash)
        VALUES (v_chain, s, v_at, 't04_bob', 'register_session', 'old ' || s, true, true, 'allowed', 'native', 'enforce', '{}',
                v_prev, v_hash);
        v_prev := v_hash;
    END LOOP;
    INSERT INTO coord_private.audit_chain_heads (chain_id, seq, head_hash) VALUES (v_chain, 5, v_prev);
END
$$;
SELECT is(tests.row_as('t04_auditor', 'SELECT ok, chains_checked FROM coord.verify_audit()'),
          '{"ok": true, "chains_checked": 2}'::jsonb,
    'INV-AUDIT-IMMUTABLE: the old history verifies (two chains) before retention');
SELECT tests.row_as('t04_auditor', 'SELECT coord.audit_digest() AS d') ->> 'd' AS digest1 \gset

SELECT is(tests.sqlstate_as('t04_alice', $$SELECT * FROM coord.purge_audit(now() - interval '1 day', 'agent')$$)
          || '/' || tests.sqlstate_as('t04_auditor', $$SELECT * FROM coord.purge_audit(now() - interval '1 day', 'auditor')$$),
          '42501/42501',
    'INV-AUDIT-IMMUTABLE: neither an agent nor an auditor may purge the audit trail (42501)');
SELECT is(tests.sqlstate_as('t04_admin', $$SELECT * FROM coord.purge_audit(now() + interval '1 day', 'future')$$)
          || '/' || tests.sqlstate_as('t04_admin', $$SELECT * FROM coord.purge_audit(NULL, 'null')$$)
          || '/' || tests.sqlstate_as('t04_admin', $$SELECT * FROM coord.purge_audit(now() - interval '1 day', '  ')$$),
          'PC002/PC001/PC002',
    'INV-AUDIT-IMMUTABLE (bad input): purge_audit refuses a future boundary (PC002), a NULL (PC001), a blank reason (PC002)');

SELECT tests.audit_count() AS a0 \gset
SELECT tests.row_as('t04_admin', $$SELECT * FROM coord.purge_audit(now() - interval '1 day', 'pgTAP 04: retention')$$) AS p1 \gset
SELECT is(:'p1'::jsonb - 'event_id', '{"ok": true, "reason": "allowed", "purged": 3}'::jsonb,
    'INV-AUDIT-IMMUTABLE: a coord_admin purges the 3 events older than the boundary');
SELECT is(tests.audit_count(), :a0::bigint - 3 + 1, 'INV-AUDIT-COMPLETE: 3 events removed and exactly one (the purge) added');
SELECT results_eq(format($$ SELECT actor, operation, allowed, proceeded, context->>'why' FROM coord_private.audit_events WHERE event_id = %s $$,
                         :'p1'::jsonb ->> 'event_id'),
                  $$ VALUES ('t04_admin', 'purge_audit', true, true, 'pgTAP 04: retention') $$,
    'INV-AUDIT-COMPLETE: the purge is itself audited (actor, operation, reason)');
SELECT results_eq($$ SELECT array_agg(seq ORDER BY seq) FROM coord_private.audit_events WHERE chain_id = 2000000000 $$,
                  $$ VALUES (ARRAY[4, 5]::bigint[]) $$,
    'INV-AUDIT-IMMUTABLE: only the events older than the boundary were removed');
SELECT results_eq($$ SELECT seq FROM coord_private.audit_anchors WHERE chain_id = 2000000000 $$, $$ VALUES (3::bigint) $$,
    'INV-AUDIT-IMMUTABLE: an anchor records where the purged chain resumes');
SELECT is(tests.row_as('t04_auditor', 'SELECT ok FROM coord.verify_audit()'), '{"ok": true}'::jsonb,
    'INV-AUDIT-IMMUTABLE: verify_audit() is still ok after retention');
SELECT is(tests.row_as('t04_auditor', format('SELECT ok FROM coord.verify_audit_digest(%L)', :'digest1')), '{"ok": true}'::jsonb,
    'INV-AUDIT-IMMUTABLE: a digest taken before retention still verifies after it');

-- removal behind pgcoord's back is still caught next to an anchor
SELECT tests.verify_audit_after('DELETE FROM coord_private.audit_events WHERE chain_id = 2000000000 AND seq = 4') AS anc \gset
SELECT is((:'anc'::jsonb ->> 'ok') || '/' || (:'anc'::jsonb ->> 'first_bad_seq'), 'false/5',
    'INV-AUDIT-IMMUTABLE: after retention, deleting the first event after the anchor is still caught (gap at seq 5)');

-- purging up to now(): the rest of the old chain goes, this transaction's events (occurred_at = now()) stay
SELECT count(*) AS own0 FROM coord_private.audit_events WHERE chain_id = pg_backend_pid() \gset
SELECT is(tests.row_as('t04_admin', $$SELECT ok, purged FROM coord.purge_audit(now(), 'pgTAP 04: everything old')$$),
          '{"ok": true, "purged": 2}'::jsonb,
    'INV-AUDIT-IMMUTABLE: purging before now() removes the 2 remaining old events and nothing of the current transaction');
SELECT is((SELECT count(*) FROM coord_private.audit_events WHERE chain_id = pg_backend_pid()), :own0::bigint + 1,
    'INV-AUDIT-COMPLETE: the current chain kept every event and gained the purge event');
SELECT is(tests.row_as('t04_auditor', 'SELECT ok FROM coord.verify_audit()'), '{"ok": true}'::jsonb,
    'INV-AUDIT-IMMUTABLE: verify_audit() is ok with a fully purged chain (head and anchor agree)');

-- ---------------------------------------------------------------- who reads what (INV-RLS)
SELECT is(tests.run_as('t04_alice', 'SELECT event_id FROM coord.my_audit_events ORDER BY event_id'),
          (SELECT jsonb_agg(jsonb_build_object('event_id', event_id) ORDER BY event_id)
             FROM coord_private.audit_events WHERE actor = 't04_alice'),
    'INV-RLS: an agent sees exactly its own audit events in coord.my_audit_events');
SELECT cmp_ok(jsonb_array_length(tests.run_as('t04_alice', 'SELECT event_id FROM coord.my_audit_events')), '>=', 2,
    'INV-RLS: ... which are there (its two sessions)');
SELECT is(tests.row_as('t04_auditor', 'SELECT count(*) AS n FROM coord.audit_trail') ->> 'n', tests.audit_count()::text,
    'INV-RLS: an auditor sees the whole trail in coord.audit_trail');
SELECT is(tests.sqlstate_as('t04_alice', 'SELECT 1 FROM coord.audit_trail'), '42501',
    'INV-RLS: an agent cannot read coord.audit_trail (42501)');
SELECT is(tests.sqlstate_as('t04_alice', 'SELECT * FROM coord.verify_audit()')
          || '/' || tests.sqlstate_as('t04_alice', 'SELECT coord.audit_digest()'),
          '42501/42501',
    'INV-AUDIT-IMMUTABLE: an agent has no EXECUTE on verify_audit() or audit_digest() (42501)');

SELECT * FROM finish();
ROLLBACK;
