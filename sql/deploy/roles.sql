-- Deploy pgcoord:roles
-- The four pgcoord roles. Roles are cluster-wide, so creation is idempotent: a
-- second database in the same cluster reuses them.
-- Edited in place (issue 18), not reworked: on PostgreSQL 16 and later the old text
-- failed for a non-superuser deployer whenever the roles already existed, and in
-- every case it deployed, this text does the same.
BEGIN;

DO $$
DECLARE
    -- PostgreSQL 16 split membership into ADMIN / INHERIT / SET: what SET LOCAL ROLE
    -- needs is SET (before 16, membership).
    v_can_set text := CASE WHEN pg_catalog.current_setting('server_version_num')::integer >= 160000
                           THEN 'SET' ELSE 'MEMBER' END;
    v_comment record;
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
    -- A non-superuser deployer must be able to SET ROLE coord_owner (the deploy scripts
    -- do) and to use its privileges without it (Sqitch's verify and revert scripts run
    -- as the deployer: without INHERIT a verify fails after the deploy and the revert
    -- cannot clean up). It grants that to itself only when it may (it created the roles:
    -- ADMIN on 16+, CREATEROLE before); when the roles are another role's, they must be
    -- granted to it beforehand.
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       AND NOT (pg_catalog.pg_has_role(current_user, 'coord_owner', v_can_set)
                AND pg_catalog.pg_has_role(current_user, 'coord_owner', 'USAGE')) THEN
        IF pg_catalog.current_setting('server_version_num')::integer >= 160000 THEN
            IF NOT pg_catalog.pg_has_role(current_user, 'coord_owner', 'USAGE WITH ADMIN OPTION') THEN
                RAISE EXCEPTION 'pgcoord: the deployer % cannot SET ROLE coord_owner and use its privileges, and may not grant it to itself', current_user
                    USING DETAIL = 'the pgcoord roles exist already (created by another role); since PostgreSQL 16 CREATEROLE alone does not allow granting them',
                          HINT = pg_catalog.format('as a superuser, or as the role that created coord_owner: GRANT coord_owner TO %I WITH INHERIT TRUE, SET TRUE', current_user);
            END IF;
            EXECUTE pg_catalog.format('GRANT coord_owner TO %I WITH INHERIT TRUE, SET TRUE', current_user);
        ELSE
            EXECUTE pg_catalog.format('GRANT coord_owner TO %I', current_user);
        END IF;
        IF NOT pg_catalog.pg_has_role(current_user, 'coord_owner', 'USAGE') THEN
            RAISE EXCEPTION 'pgcoord: the deployer % does not inherit the privileges of coord_owner', current_user
                USING DETAIL = 'the role is NOINHERIT: Sqitch''s verify and revert scripts would fail as it',
                      HINT = pg_catalog.format('ALTER ROLE %I INHERIT', current_user);
        END IF;
    END IF;
    -- The comments are the cluster's (roles are): set them where missing or different,
    -- which since PostgreSQL 16 takes the ADMIN option on the role.
    FOR v_comment IN
        SELECT r.rolname, c.text
          FROM (VALUES ('coord_owner', 'pgcoord: owns every pgcoord object; NOLOGIN; SECURITY DEFINER functions run as it'),
                       ('coord_agent', 'pgcoord: group role of agents; EXECUTE on the agent API only'),
                       ('coord_admin', 'pgcoord: profiles, policies, enforcement mode, agent registration'),
                       ('coord_auditor', 'pgcoord: reads and verifies the audit trail')) AS c(rolname, text)
          JOIN pg_catalog.pg_roles r ON r.rolname = c.rolname
         WHERE pg_catalog.shobj_description(r.oid, 'pg_authid') IS DISTINCT FROM c.text
    LOOP
        BEGIN
            EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', v_comment.rolname, v_comment.text);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pgcoord: role % left without its comment: % holds no ADMIN option on it',
                v_comment.rolname, current_user;
        END;
    END LOOP;
END
$$;

COMMIT;
