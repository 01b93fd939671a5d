-- Deploy pgcoord:audit_api
-- Reading, verifying, exporting and retiring the audit trail (INV-AUDIT-IMMUTABLE).
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE VIEW coord.audit_trail AS
    SELECT e.event_id, e.chain_id, e.seq, e.occurred_at, e.actor, e.operation, e.resource,
           e.allowed, e.proceeded, e.reason, e.engine, e.mode, e.context,
           pg_catalog.encode(e.hash, 'hex') AS hash
      FROM coord_private.audit_events e;
COMMENT ON VIEW coord.audit_trail IS 'coord_auditor: the whole audit trail';

CREATE VIEW coord.my_audit_events WITH (security_barrier) AS
    SELECT e.event_id, e.occurred_at, e.operation, e.resource, e.allowed, e.proceeded,
           e.reason, e.engine, e.mode, e.context
      FROM coord_private.audit_events e
     WHERE e.actor = (session_user::text COLLATE "default");
COMMENT ON VIEW coord.my_audit_events IS 'agent: the calling agent''s own audit events (INV-RLS)';

\ir ../parts/audit_api/coord_private.audit_problems.sql

\ir ../parts/audit_api/coord.verify_audit.sql

CREATE FUNCTION coord_private.digest_of_chains(p_chains jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to('pgcoord-audit-digest-v1:' || p_chains::text, 'UTF8')), 'hex') $$;
COMMENT ON FUNCTION coord_private.digest_of_chains(jsonb) IS 'the self-check hash of an exported digest''s chain list';

CREATE FUNCTION coord.audit_digest()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
    WITH chains AS (
        SELECT coalesce(pg_catalog.jsonb_object_agg(h.chain_id::text,
                   pg_catalog.jsonb_build_object('seq', h.seq, 'hash', pg_catalog.encode(h.head_hash, 'hex'))),
               '{}'::jsonb) AS c
          FROM coord_private.audit_chain_heads h
         WHERE h.seq > 0
    )
    SELECT pg_catalog.jsonb_build_object(
               'format', 'pgcoord-audit-digest-v1',
               'database', pg_catalog.current_database(),
               'taken_at', pg_catalog.now(),
               'chains', chains.c,
               'digest', coord_private.digest_of_chains(chains.c))
      FROM chains
$$;
COMMENT ON FUNCTION coord.audit_digest() IS
    'coord_auditor: the head (seq, hash) of every chain, to keep OUTSIDE the database; coord.verify_audit_digest later proves no chain was rewritten, even by a superuser';

CREATE FUNCTION coord.verify_audit_digest(p_digest jsonb,
    OUT ok boolean, OUT chains_checked integer, OUT first_bad_chain integer, OUT problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_chain text;
    v_head jsonb;
    v_seq bigint;
    v_hash bytea;
    v_anchor coord_private.audit_anchors;
    v_verify record;
BEGIN
    IF p_digest IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'digest must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.verify_audit_digest';
    END IF;
    IF pg_catalog.jsonb_typeof(p_digest) <> 'object'
       OR p_digest->>'format' IS DISTINCT FROM 'pgcoord-audit-digest-v1'
       OR pg_catalog.jsonb_typeof(p_digest->'chains') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC014', MESSAGE = 'not a pgcoord audit digest',
            HINT = 'pass the JSON that coord.audit_digest() returned',
            DETAIL = 'the digest cannot be checked';
    END IF;
    IF coord_private.digest_of_chains(p_digest->'chains') IS DISTINCT FROM p_digest->>'digest' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC014', MESSAGE = 'the digest was altered after export',
            DETAIL = 'its chain list does not match its own digest field',
            HINT = 'see the function documentation: \df+ coord.verify_audit_digest';
    END IF;

    chains_checked := 0;
    FOR v_chain, v_head IN SELECT * FROM pg_catalog.jsonb_each(p_digest->'chains') ORDER BY 1 LOOP
        chains_checked := chains_checked + 1;
        IF v_chain !~ '^[0-9]{1,10}$' OR pg_catalog.jsonb_typeof(v_head) IS DISTINCT FROM 'object'
           OR (v_head->>'seq') !~ '^[1-9][0-9]{0,17}$' OR (v_head->>'hash') !~ '^[0-9a-f]{64}$' THEN
            RAISE EXCEPTION USING ERRCODE = 'PC014', MESSAGE = 'malformed chain entry in the audit digest',
                DETAIL = pg_catalog.format('chain %s: %s', pg_catalog.left(v_chain, 20), pg_catalog.left(v_head::text, 200)),
                HINT = 'pass the JSON that coord.audit_digest() returned, unchanged';
        END IF;
        v_seq := (v_head->>'seq')::bigint;
        SELECT e.hash INTO v_hash FROM coord_private.audit_events e
         WHERE e.chain_id = v_chain::integer AND e.seq = v_seq;
        IF FOUND THEN
            IF v_hash <> pg_catalog.decode(v_head->>'hash', 'hex') THEN
                ok := false; first_bad_chain := v_chain::integer;
                problem := pg_catalog.format('chain %s was rewritten: event %s no longer has the exported hash', v_chain, v_seq);
                RETURN;
            END IF;
            CONTINUE;
        END IF;
        SELECT * INTO v_anchor FROM coord_private.audit_anchors a WHERE a.chain_id = v_chain::integer;
        IF FOUND AND v_anchor.seq > v_seq THEN
            CONTINUE;   -- purged by retention; the anchor carries verification on
        END IF;
        IF FOUND AND v_anchor.seq = v_seq AND v_anchor.hash = pg_catalog.decode(v_head->>'hash', 'hex') THEN
            CONTINUE;
        END IF;
        ok := false; first_bad_chain := v_chain::integer;
        problem := pg_catalog.format('chain %s lost event %s that the digest recorded', v_chain, v_seq);
        RETURN;
    END LOOP;

    SELECT * INTO v_verify FROM coord.verify_audit();
    IF NOT v_verify.ok THEN
        ok := false; first_bad_chain := v_verify.first_bad_chain;
        problem := v_verify.problem;
        RETURN;
    END IF;
    ok := true;
END
$$;
COMMENT ON FUNCTION coord.verify_audit_digest(jsonb) IS
    'coord_auditor: check the trail against a digest exported earlier by coord.audit_digest() (catches a superuser who recomputed whole chains). Errors PC001, PC014';

\ir ../parts/audit_api/coord.purge_audit.sql

REVOKE ALL ON FUNCTION coord.verify_audit(), coord.audit_digest(), coord.verify_audit_digest(jsonb),
    coord.purge_audit(timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.verify_audit(), coord.audit_digest(), coord.verify_audit_digest(jsonb)
    TO coord_auditor, coord_admin;
GRANT EXECUTE ON FUNCTION coord.purge_audit(timestamptz, text) TO coord_admin;
GRANT SELECT ON coord.audit_trail TO coord_auditor;
GRANT SELECT ON coord.my_audit_events TO coord_agent;

COMMIT;
