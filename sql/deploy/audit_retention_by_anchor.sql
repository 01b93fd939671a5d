-- Deploy pgcoord:audit_retention_by_anchor
-- INV-AUDIT-IMMUTABLE, INV-DEFINER. Retention used to open the immutability
-- trigger with a transaction-local setting, coord_private.audit_retention = on,
-- which any session can SET: code running as the owner could then erase whole
-- chains. Now the trigger lets the owner delete an event only when a retention
-- anchor covers it (chain_id, seq <= anchor.seq); coord.purge_audit writes that
-- anchor, audited, before it deletes. No setting is read.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE OR REPLACE FUNCTION coord_private.audit_events_immutable()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- Retention: the owner may delete an event only at or below its chain's
    -- anchor, which coord.purge_audit writes (audited) before deleting. Nothing a
    -- session can SET is read here.
    IF TG_OP = 'DELETE'
       AND current_user = 'coord_owner'
       AND EXISTS (SELECT 1 FROM coord_private.audit_anchors an
                    WHERE an.chain_id = OLD.chain_id AND OLD.seq <= an.seq) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'PC009',
        MESSAGE = pg_catalog.format('audit events are immutable: %s refused', TG_OP),
        DETAIL  = 'the pgcoord audit trail is append-only (INV-AUDIT-IMMUTABLE)',
        HINT    = 'retention is coord.purge_audit(before, reason), run by a coord_admin';
END
$$;
COMMENT ON FUNCTION coord_private.audit_events_immutable() IS
    'trigger: refuses UPDATE, DELETE and TRUNCATE of audit events, except the owner''s deletion of events a retention anchor covers (INV-AUDIT-IMMUTABLE)';

CREATE OR REPLACE FUNCTION coord.purge_audit(p_before timestamptz, p_reason text,
    OUT ok boolean, OUT reason text, OUT event_id bigint, OUT purged bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    IF p_before IS NULL OR p_reason IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'before and reason must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.purge_audit';
    END IF;
    IF p_before > pg_catalog.now() OR pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'purge boundary must not be in the future and a reason is required',
            DETAIL = pg_catalog.format('before = %s', p_before),
            HINT = 'see the function documentation: \df+ coord.purge_audit';
    END IF;
    v := coord_private.authorize('purge_audit', p_before::text,
        pg_catalog.jsonb_build_object('before', p_before, 'why', p_reason));
    purged := 0;
    IF v.proceed THEN
        -- Record where each chain's remaining part starts, then remove the prefix:
        -- the immutability trigger lets the owner delete exactly what an anchor covers.
        INSERT INTO coord_private.audit_anchors AS an (chain_id, seq, hash, purged_at)
        SELECT DISTINCT ON (e.chain_id) e.chain_id, e.seq, e.hash, pg_catalog.now()
          FROM coord_private.audit_events e
         WHERE e.occurred_at < p_before
         ORDER BY e.chain_id, e.seq DESC
        ON CONFLICT (chain_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, purged_at = EXCLUDED.purged_at;
        DELETE FROM coord_private.audit_events e
         USING coord_private.audit_anchors an
         WHERE e.chain_id = an.chain_id AND e.seq <= an.seq;
        GET DIAGNOSTICS purged = ROW_COUNT;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.purge_audit(timestamptz, text) IS
    'coord_admin: retention — remove events older than before, keeping an anchor per chain so verification still works; itself audited. Errors PC001, PC002';

COMMIT;
