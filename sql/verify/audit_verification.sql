-- Verify pgcoord:audit_verification
BEGIN;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c
                WHERE c.conrelid = 'coord_private.audit_events'::regclass AND c.contype = 'f') THEN
        RAISE EXCEPTION 'verify audit_verification: audit_events still has a foreign key';
    END IF;
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord.verify_audit()'::regprocedure),
                         'coord_private.first_audit_problem') = 0 THEN
        RAISE EXCEPTION 'verify audit_verification: verify_audit does not judge the chains through first_audit_problem';
    END IF;
END
$$;
ROLLBACK;
