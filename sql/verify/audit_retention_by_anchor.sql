-- Verify pgcoord:audit_retention_by_anchor
BEGIN;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                WHERE p.oid IN ('coord_private.audit_events_immutable()'::regprocedure,
                                'coord.purge_audit(timestamptz, text)'::regprocedure)
                  AND p.prosrc ~ '(current_setting|set_config)') THEN
        RAISE EXCEPTION 'verify audit_retention_by_anchor: retention still reads or sets a session setting';
    END IF;
END
$$;
ROLLBACK;
