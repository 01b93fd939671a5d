-- Deploy pgcoord:audit
-- The append-only, hash-chained audit trail (INV-AUDIT-COMPLETE, INV-AUDIT-IMMUTABLE).
--
-- Chains: one hash chain per server backend (chain_id = pg_backend_pid()). Two live
-- backends never share a pid, so concurrent writers never queue on a common chain
-- head row; a single global head would serialise every mutating transaction on one
-- row lock for its whole length. The cost: verification walks many short chains,
-- and the exported digest (coord.audit_digest) lists every chain head.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE TABLE coord_private.audit_events (
    event_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain_id    integer NOT NULL,
    seq         bigint NOT NULL CHECK (seq > 0),
    occurred_at timestamptz NOT NULL,
    actor       text NOT NULL,
    operation   text NOT NULL,
    resource    text,
    allowed     boolean NOT NULL,           -- the engine's decision
    proceeded   boolean NOT NULL,           -- whether the mutation went ahead
    reason      text NOT NULL REFERENCES coord_private.reason_codes (code),
    engine      text NOT NULL,
    mode        text NOT NULL,
    context     jsonb NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    UNIQUE (chain_id, seq)
);
COMMENT ON TABLE coord_private.audit_events IS
    'append-only audit trail: one event per mutation and decision, hash-chained per backend';
CREATE INDEX audit_events_actor_idx ON coord_private.audit_events (actor, event_id);
CREATE INDEX audit_events_occurred_idx ON coord_private.audit_events (occurred_at);
ALTER TABLE coord_private.audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_events_own ON coord_private.audit_events FOR SELECT
    USING (actor = (session_user::text COLLATE "default") OR pg_catalog.pg_has_role(session_user, 'coord_auditor', 'MEMBER'));

CREATE TABLE coord_private.audit_chain_heads (
    chain_id  integer PRIMARY KEY,
    seq       bigint NOT NULL,
    head_hash bytea NOT NULL,
    -- The hash head_hash replaced: an append sets it from the old row in the same
    -- UPDATE and returns it as the new event's prev_hash, where reading the old
    -- head would otherwise take a self-join. Verification does not read it.
    prev_hash bytea
);
COMMENT ON TABLE coord_private.audit_chain_heads IS
    'the last (seq, hash) of each chain: removing an event at a chain''s tail is caught against it';
ALTER TABLE coord_private.audit_chain_heads ENABLE ROW LEVEL SECURITY;

CREATE TABLE coord_private.audit_anchors (
    chain_id   integer PRIMARY KEY,
    seq        bigint NOT NULL,
    hash       bytea NOT NULL,
    purged_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE coord_private.audit_anchors IS
    'retention: the (seq, hash) of the last purged event of each chain, where verification resumes';
ALTER TABLE coord_private.audit_anchors ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION coord_private.audit_genesis(p_chain_id integer)
RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.sha256(pg_catalog.convert_to('pgcoord-audit-genesis:' || p_chain_id::text, 'UTF8')) $$;
COMMENT ON FUNCTION coord_private.audit_genesis(integer) IS 'the prev_hash of the first event of a chain';

-- The canonical form: a JSON array of the fields as text. Built with json (not
-- jsonb) functions, so the context is rendered once and nothing is re-encoded.
CREATE FUNCTION coord_private.audit_event_hash(
    p_prev_hash bytea, p_chain_id integer, p_seq bigint, p_occurred_at timestamptz,
    p_actor text, p_operation text, p_resource text, p_allowed boolean, p_proceeded boolean,
    p_reason text, p_engine text, p_mode text, p_context jsonb)
RETURNS bytea
-- SQL and STABLE (json_build_array is STABLE), so the planner inlines it into the
-- append and into verification: no function frame per event. The canonical form
-- depends on no setting: the timestamp is hashed as UTC without a zone, and JSON
-- writes timestamps in ISO 8601 whatever DateStyle says (pgTAP 04 checks both).
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.sha256(p_prev_hash || pg_catalog.convert_to(pg_catalog.json_build_array(
        p_chain_id, p_seq, p_occurred_at AT TIME ZONE 'UTC',
        p_actor, p_operation, p_resource, p_allowed, p_proceeded,
        p_reason, p_engine, p_mode, p_context)::text, 'UTF8'))
$$;
COMMENT ON FUNCTION coord_private.audit_event_hash(bytea, integer, bigint, timestamptz, text, text, text, boolean, boolean, text, text, text, jsonb)
    IS 'sha256 of the previous hash and the canonical form of one audit event';

-- Appends one event to this backend's chain. Only called by coord_private.authorize.
CREATE FUNCTION coord_private.append_audit_event(
    p_operation text, p_resource text, p_allowed boolean, p_proceeded boolean,
    p_reason text, p_engine text, p_mode text, p_context jsonb)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_chain integer := pg_catalog.pg_backend_pid();
    v_seq bigint;
    v_prev bytea;
    v_at timestamptz := pg_catalog.now();
    v_hash bytea;
    v_id bigint;
BEGIN
    -- Advance this backend's head and append the event in one statement (one
    -- executor start per event). No other backend ever touches this head row; the
    -- UPDATE keeps the hash it replaces in prev_hash, which RETURNING hands on.
    WITH head AS (
        UPDATE coord_private.audit_chain_heads h
           SET seq = h.seq + 1,
               prev_hash = h.head_hash,
               head_hash = coord_private.audit_event_hash(h.head_hash, v_chain, h.seq + 1, v_at, session_user,
                   p_operation, p_resource, p_allowed, p_proceeded, p_reason, p_engine, p_mode, p_context)
         WHERE h.chain_id = v_chain
        RETURNING h.seq, h.head_hash, h.prev_hash)
    INSERT INTO coord_private.audit_events
        (chain_id, seq, occurred_at, actor, operation, resource, allowed, proceeded,
         reason, engine, mode, context, prev_hash, hash)
    SELECT v_chain, head.seq, v_at, session_user, p_operation, p_resource, p_allowed, p_proceeded,
           p_reason, p_engine, p_mode, p_context, head.prev_hash, head.head_hash
      FROM head
    RETURNING event_id INTO v_id;
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    -- The first event of this backend's chain.
    v_seq := 1;
    v_prev := coord_private.audit_genesis(v_chain);
    v_hash := coord_private.audit_event_hash(v_prev, v_chain, v_seq, v_at, session_user,
        p_operation, p_resource, p_allowed, p_proceeded, p_reason, p_engine, p_mode, p_context);
    INSERT INTO coord_private.audit_chain_heads (chain_id, seq, head_hash, prev_hash) VALUES (v_chain, v_seq, v_hash, v_prev);
    INSERT INTO coord_private.audit_events
        (chain_id, seq, occurred_at, actor, operation, resource, allowed, proceeded,
         reason, engine, mode, context, prev_hash, hash)
    VALUES (v_chain, v_seq, v_at, session_user, p_operation, p_resource, p_allowed, p_proceeded,
            p_reason, p_engine, p_mode, p_context, v_prev, v_hash)
    RETURNING event_id INTO v_id;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION coord_private.append_audit_event(text, text, boolean, boolean, text, text, text, jsonb)
    IS 'appends one hash-chained event to the calling backend''s chain (INV-AUDIT-COMPLETE)';

\ir ../parts/audit/coord_private.audit_events_immutable.sql

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON coord_private.audit_events
    FOR EACH ROW EXECUTE FUNCTION coord_private.audit_events_immutable();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON coord_private.audit_events
    FOR EACH ROW EXECUTE FUNCTION coord_private.audit_events_immutable();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON coord_private.audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION coord_private.audit_events_immutable();

COMMIT;
