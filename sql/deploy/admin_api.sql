-- Deploy pgcoord:admin_api
-- coord_admin's API: agent registration, profile assignment, suspension, and the
-- enforcement mode. Each call goes through the policy hook and is audited.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE FUNCTION coord_private.require_profile(p_profile text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF p_profile IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'profile must not be NULL',
            HINT = 'name one of the profiles in coord.profiles',
            DETAIL = 'a required argument was NULL; nothing was changed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coord_private.profiles p WHERE p.name = p_profile) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC006', MESSAGE = pg_catalog.format('unknown profile %L', p_profile),
            DETAIL = 'no row of coord.profiles has this name', HINT = 'list profiles with SELECT * FROM coord.profiles';
    END IF;
END
$$;
COMMENT ON FUNCTION coord_private.require_profile(text) IS 'raises PC001/PC006 unless the profile exists';

CREATE FUNCTION coord_private.require_agent(p_role text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF p_role IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'agent role must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'registered agents: SELECT role_name FROM coord.agents';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coord_private.agents a WHERE a.role_name = p_role) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC007', MESSAGE = pg_catalog.format('role %I is not a registered agent', p_role),
            HINT = 'register it first with coord.register_agent(role, profile)',
            DETAIL = 'the role is not a registered agent; nothing was changed';
    END IF;
END
$$;
COMMENT ON FUNCTION coord_private.require_agent(text) IS 'raises PC001/PC007 unless the role is a registered agent';

CREATE FUNCTION coord.register_agent(p_role text, p_profile text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    IF p_role IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'role must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.register_agent';
    END IF;
    PERFORM coord_private.require_profile(p_profile);
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname = p_role AND r.rolcanlogin AND NOT r.rolsuper
                      AND pg_catalog.pg_has_role(r.oid, 'coord_agent'::regrole, 'MEMBER')) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC010',
            MESSAGE = pg_catalog.format('role %L cannot be an agent', p_role),
            DETAIL = 'an agent is an existing LOGIN role, not a superuser, that is a member of coord_agent',
            HINT = pg_catalog.format('CREATE ROLE %I LOGIN IN ROLE coord_agent', p_role);
    END IF;

    v := coord_private.authorize('register_agent', p_role, pg_catalog.jsonb_build_object('profile', p_profile));
    IF v.proceed THEN
        INSERT INTO coord_private.agents (role_name, profile, status, registered_by)
        VALUES (p_role, p_profile, 'active', session_user)
        ON CONFLICT (role_name) DO UPDATE SET profile = EXCLUDED.profile, status = 'active';
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.register_agent(text, text) IS
    'coord_admin: register (or re-register, reactivating) a LOGIN member of coord_agent with a profile; audited. Errors PC001, PC006, PC010';

CREATE FUNCTION coord.set_agent_profile(p_role text, p_profile text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    PERFORM coord_private.require_agent(p_role);
    PERFORM coord_private.require_profile(p_profile);
    v := coord_private.authorize('set_agent_profile', p_role, pg_catalog.jsonb_build_object('profile', p_profile));
    IF v.proceed THEN
        UPDATE coord_private.agents SET profile = p_profile WHERE role_name = p_role;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_agent_profile(text, text) IS
    'coord_admin: assign a profile to an agent (INV-TRUST: the profile is the only source of trust); audited. Errors PC001, PC006, PC007';

CREATE FUNCTION coord.set_agent_status(p_role text, p_status text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    PERFORM coord_private.require_agent(p_role);
    IF p_status IS NULL OR p_status NOT IN ('active', 'suspended') THEN
        RAISE EXCEPTION USING ERRCODE = CASE WHEN p_status IS NULL THEN 'PC001' ELSE 'PC002' END,
            MESSAGE = pg_catalog.format('invalid agent status %L', p_status),
            HINT = 'status is active or suspended',
            DETAIL = 'nothing was changed';
    END IF;
    v := coord_private.authorize('set_agent_status', p_role, pg_catalog.jsonb_build_object('status', p_status));
    IF v.proceed THEN
        UPDATE coord_private.agents SET status = p_status WHERE role_name = p_role;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_agent_status(text, text) IS
    'coord_admin: suspend or reactivate an agent (a suspended agent is denied with agent_suspended); audited. Errors PC001, PC002, PC007';

CREATE FUNCTION coord.set_enforcement_mode(p_mode text, p_reason text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_old text;
BEGIN
    IF p_mode IS NULL OR p_reason IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'mode and reason must not be NULL',
            HINT = 'every mode change states why, e.g. set_enforcement_mode(''shadow'', ''rollout of profile X'')',
            DETAIL = 'a required argument was NULL; nothing was changed';
    END IF;
    IF p_mode NOT IN ('off', 'shadow', 'enforce') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC008', MESSAGE = pg_catalog.format('invalid enforcement mode %L', p_mode),
            HINT = 'the modes are off, shadow and enforce',
            DETAIL = 'nothing was changed';
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 OR pg_catalog.length(p_reason) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'reason must be 1 to 1000 characters',
            DETAIL = 'a mode change is audited with its reason',
            HINT = 'see the function documentation: \df+ coord.set_enforcement_mode';
    END IF;
    SELECT s.enforcement_mode INTO v_old FROM coord_private.settings s;
    v := coord_private.authorize('set_enforcement_mode', p_mode,
        pg_catalog.jsonb_build_object('from', v_old, 'to', p_mode, 'why', p_reason));
    IF v.proceed THEN
        UPDATE coord_private.settings
           SET enforcement_mode = p_mode, updated_at = pg_catalog.now(), updated_by = session_user;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_enforcement_mode(text, text) IS
    'coord_admin: set the enforcement mode (off: record only; shadow: record would-be denials and proceed; enforce: refuse); audited with its reason. Errors PC001, PC002, PC008';

REVOKE ALL ON FUNCTION coord.register_agent(text, text), coord.set_agent_profile(text, text),
    coord.set_agent_status(text, text), coord.set_enforcement_mode(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.register_agent(text, text), coord.set_agent_profile(text, text),
    coord.set_agent_status(text, text), coord.set_enforcement_mode(text, text) TO coord_admin;

COMMIT;
