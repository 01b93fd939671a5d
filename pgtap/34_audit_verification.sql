-- coord.verify_audit() as audit_verification made it: every event judged against its own hash,
-- its predecessor (a join, in parallel), its chain start and the reason catalogue;
-- each head against its chain's last event. 04_audit covers an altered event, a
-- middle and a tail event removed, an inserted event and a rewritten chain; this file
-- covers the other ways a chain can be wrong, one tampering each (rolled back), and
-- the reason check that replaced the foreign key: a superuser can now append a
-- correctly hashed event whose reason the catalogue does not hold, and verification
-- must say so. One backend, one chain (chain_id = pg_backend_pid()).
BEGIN;
SELECT plan(19);

SELECT tests.create_agents('implementer', 't34_alice');
SELECT tests.open_sessions('t34_alice', 's1', 's2', 's3', 's4');
SELECT event_id AS e1 FROM coord_private.audit_events WHERE chain_id = pg_backend_pid() AND seq = 1 \gset
SELECT event_id AS e2 FROM coord_private.audit_events WHERE chain_id = pg_backend_pid() AND seq = 2 \gset
SELECT max(seq) AS last_seq FROM coord_private.audit_events WHERE chain_id = pg_backend_pid() \gset

SELECT is((SELECT ok FROM coord.verify_audit()), true, 'INV-AUDIT-IMMUTABLE: the untouched trail verifies');
SELECT is((SELECT count(*) FROM pg_catalog.pg_constraint c
            WHERE c.conrelid = 'coord_private.audit_events'::regclass AND c.contype = 'f'), 0::bigint,
    'no foreign key on audit events: no row of the reason catalogue is locked by every append');

-- ---------------------------------------------------------------- a correctly hashed event with an unknown reason
SELECT tests.verify_audit_after($$
    WITH h AS (SELECT * FROM coord_private.audit_chain_heads WHERE chain_id = pg_backend_pid()),
         ev AS (
            INSERT INTO coord_private.audit_events (chain_id, seq, occurred_at, actor, operation, resource, allowed,
                                                    proceeded, reason, engine, mode, context, prev_hash, hash)
            SELECT h.chain_id, h.seq + 1, now(), 't34_alice', 'register_session', 'x', true, true, 'made_up_reason',
                   'native', 'enforce', '{}', h.head_hash,
                   coord_private.audit_event_hash(h.head_hash, h.chain_id, h.seq + 1, now(), 't34_alice',
                       'register_session', 'x', true, true, 'made_up_reason', 'native', 'enforce', '{}')
              FROM h
            RETURNING chain_id, seq, hash)
    UPDATE coord_private.audit_chain_heads x SET seq = ev.seq, head_hash = ev.hash FROM ev WHERE x.chain_id = ev.chain_id
$$) AS unk \gset
SELECT is((:'unk'::jsonb ->> 'ok')::boolean, false,
    'INV-AUDIT-IMMUTABLE: a correctly hashed and linked event whose reason the catalogue does not hold fails verification');
SELECT is((:'unk'::jsonb ->> 'first_bad_seq')::bigint, :last_seq::bigint + 1, '... at that event');
SELECT matches(:'unk'::jsonb ->> 'problem', 'reason the reason catalogue does not hold', '... saying why');

-- ---------------------------------------------------------------- the chain's first event removed
SELECT tests.verify_audit_after(format('DELETE FROM coord_private.audit_events WHERE event_id = %s', :e1)) AS first \gset
SELECT is((:'first'::jsonb ->> 'ok')::boolean, false, 'INV-AUDIT-IMMUTABLE: removing a chain''s first event fails verification');
SELECT is((:'first'::jsonb ->> 'first_bad_event_id')::bigint, :e2::bigint, '... reported at the event that is now first');
SELECT matches(:'first'::jsonb ->> 'problem', 'removed', '... as events removed');

-- ---------------------------------------------------------------- a link broken with a consistent hash
-- event 2 rewritten to point at a made-up predecessor, its own hash recomputed
SELECT tests.verify_audit_after(format($$
    UPDATE coord_private.audit_events e
       SET prev_hash = '\x00', hash = coord_private.audit_event_hash('\x00', e.chain_id, e.seq, e.occurred_at, e.actor,
           e.operation, e.resource, e.allowed, e.proceeded, e.reason, e.engine, e.mode, e.context)
     WHERE e.event_id = %s$$, :e2)) AS link \gset
SELECT is((:'link'::jsonb ->> 'first_bad_event_id')::bigint, :e2::bigint,
    'INV-AUDIT-IMMUTABLE: an event whose own hash is right but whose link is not is the first bad event');
SELECT matches(:'link'::jsonb ->> 'problem', 'chain broken', '... reported as a broken chain');

-- ---------------------------------------------------------------- the first event linked to the wrong start
SELECT tests.verify_audit_after(format($$
    UPDATE coord_private.audit_events e
       SET prev_hash = '\x01', hash = coord_private.audit_event_hash('\x01', e.chain_id, e.seq, e.occurred_at, e.actor,
           e.operation, e.resource, e.allowed, e.proceeded, e.reason, e.engine, e.mode, e.context)
     WHERE e.event_id = %s$$, :e1)) AS start \gset
SELECT is((:'start'::jsonb ->> 'first_bad_event_id')::bigint, :e1::bigint,
    'INV-AUDIT-IMMUTABLE: a first event that does not link to the genesis hash is found');
SELECT matches(:'start'::jsonb ->> 'problem', 'does not link to the chain start', '... and named as such');

-- ---------------------------------------------------------------- the head row removed
SELECT tests.verify_audit_after('DELETE FROM coord_private.audit_chain_heads WHERE chain_id = pg_backend_pid()') AS nohead \gset
SELECT is((:'nohead'::jsonb ->> 'first_bad_event_id')::bigint, :e1::bigint,
    'INV-AUDIT-IMMUTABLE: a chain without a head row fails verification, reported at its first event');
SELECT matches(:'nohead'::jsonb ->> 'problem', 'chain head missing', '... as a missing head');

-- ---------------------------------------------------------------- every event of the chain removed, head kept
SELECT tests.verify_audit_after('DELETE FROM coord_private.audit_events WHERE chain_id = pg_backend_pid()') AS all_gone \gset
SELECT is((:'all_gone'::jsonb ->> 'ok')::boolean, false,
    'INV-AUDIT-IMMUTABLE: removing every event of a chain (head kept) fails verification');
SELECT is(:'all_gone'::jsonb ->> 'first_bad_event_id', NULL, '... with no event to name');
SELECT is((:'all_gone'::jsonb ->> 'first_bad_chain')::integer, pg_backend_pid(), '... but the chain');
SELECT matches(:'all_gone'::jsonb ->> 'problem', 'every event of the chain', '... and why');

-- ---------------------------------------------------------------- the head's hash altered
SELECT tests.verify_audit_after($$UPDATE coord_private.audit_chain_heads SET head_hash = '\x02'
                               WHERE chain_id = pg_backend_pid()$$) AS badhead \gset
SELECT matches(:'badhead'::jsonb ->> 'problem', 'chain head was altered',
    'INV-AUDIT-IMMUTABLE: a head whose hash is not its last event''s fails verification');

SELECT * FROM finish();
ROLLBACK;
