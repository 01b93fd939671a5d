-- Deploy pgcoord:roles
-- The four pgcoord roles. Roles are cluster-wide, so creation is idempotent: a
-- second database in the same cluster reuses them.
BEGIN;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'coord_owner') THEN
        CREATE ROLE coord_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'coord_agent') THEN
        CREATE ROLE coord_agent NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'coord_admin') THEN
        CREATE ROLE coord_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'coord_auditor') THEN
        CREATE ROLE coord_auditor NOLOGIN;
    END IF;
    -- The owner creates the schemas; later changes run as the owner (SET LOCAL ROLE).
    EXECUTE pg_catalog.format('GRANT CREATE ON DATABASE %I TO coord_owner', pg_catalog.current_database());
    EXECUTE pg_catalog.format('REVOKE ALL ON DATABASE %I FROM PUBLIC', pg_catalog.current_database());
    EXECUTE pg_catalog.format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO coord_agent, coord_admin, coord_auditor', pg_catalog.current_database());
    -- A non-superuser deployer must be able to SET ROLE coord_owner.
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        EXECUTE pg_catalog.format('GRANT coord_owner TO %I', current_user);
    END IF;
END
$$;

COMMENT ON ROLE coord_owner IS 'pgcoord: owns every pgcoord object; NOLOGIN; SECURITY DEFINER functions run as it';
COMMENT ON ROLE coord_agent IS 'pgcoord: group role of agents; EXECUTE on the agent API only';
COMMENT ON ROLE coord_admin IS 'pgcoord: profiles, policies, enforcement mode, agent registration';
COMMENT ON ROLE coord_auditor IS 'pgcoord: reads and verifies the audit trail';

COMMIT;
