-- Verify pgcoord:roles
BEGIN;
DO $$
BEGIN
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_roles
         WHERE rolname IN ('coord_owner', 'coord_agent', 'coord_admin', 'coord_auditor')) <> 4 THEN
        RAISE EXCEPTION 'verify roles: a pgcoord role is missing';
    END IF;
    IF (SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = 'coord_owner') THEN
        RAISE EXCEPTION 'verify roles: coord_owner must be NOLOGIN';
    END IF;
END
$$;
ROLLBACK;
