CREATE OR REPLACE FUNCTION coord.purge_audit(p_before timestamptz, p_reason text,
    OUT ok boolean, OUT reason text, OUT event_id bigint, OUT purged bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
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
        -- Record where each chain's remaining part starts, then remove the prefix.
        INSERT INTO coord_private.audit_anchors AS an (chain_id, seq, hash, purged_at)
        SELECT DISTINCT ON (e.chain_id) e.chain_id, e.seq, e.hash, pg_catalog.now()
          FROM coord_private.audit_events e
         WHERE e.occurred_at < p_before
         ORDER BY e.chain_id, e.seq DESC
        ON CONFLICT (chain_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, purged_at = EXCLUDED.purged_at;
        PERFORM pg_catalog.set_config('coord_private.audit_retention', 'on', true);
        DELETE FROM coord_private.audit_events e
         USING coord_private.audit_anchors an
         WHERE e.chain_id = an.chain_id AND e.seq <= an.seq;
        GET DIAGNOSTICS purged = ROW_COUNT;
        PERFORM pg_catalog.set_config('coord_private.audit_retention', 'off', true);
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.purge_audit(timestamptz, text) IS
    'coord_admin: retention — remove events older than before, keeping an anchor per chain so verification still works; itself audited. Errors PC001, PC002';
