-- Verify pgcoord:audit_api
BEGIN;
DO $$
BEGIN
    IF NOT (SELECT v.ok FROM coord.verify_audit() v) THEN
        RAISE EXCEPTION 'verify audit_api: the audit trail does not verify';
    END IF;
    IF pg_catalog.has_function_privilege('coord_agent', 'coord.purge_audit(timestamptz, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'verify audit_api: agents must not purge the audit trail';
    END IF;
END
$$;
ROLLBACK;
