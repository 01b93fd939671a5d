-- Deploy pgcoord:profiles_api
-- Profiles as an API: coord_admin defines and removes profiles (audited); an agent
-- reads its own. Removing a profile leaves its agents without one, so every
-- decision about them fails closed (INV-TRUST).
BEGIN;
SET LOCAL ROLE coord_owner;

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('set_profile',  'admin', 4, 'create or change a profile'),
    ('drop_profile', 'admin', 4, 'remove a profile (its agents then fail closed)');

CREATE FUNCTION coord.set_profile(p_name text, p_trust_level integer, p_description text DEFAULT '',
    p_allowed_operations text[] DEFAULT NULL, p_blocked_operations text[] DEFAULT '{}',
    p_max_locks integer DEFAULT 50, p_max_claimed_tasks integer DEFAULT 5,
    p_max_lease_seconds integer DEFAULT 3600, p_max_file_modifications integer DEFAULT 100,
    OUT ok boolean, OUT reason text, OUT created boolean, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_unknown text[];
BEGIN
    IF p_name IS NULL OR p_trust_level IS NULL OR p_description IS NULL OR p_blocked_operations IS NULL
       OR p_max_locks IS NULL OR p_max_claimed_tasks IS NULL OR p_max_lease_seconds IS NULL
       OR p_max_file_modifications IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'set_profile: only allowed_operations may be NULL',
            HINT = 'allowed_operations NULL means: every operation the trust level permits',
            DETAIL = 'a required argument was NULL; nothing was changed';
    END IF;
    IF p_name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid profile name %L', pg_catalog.left(p_name, 80)),
            HINT = 'lower case letters, digits and _, starting with a letter, at most 63 characters',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed';
    END IF;
    IF p_trust_level NOT BETWEEN 0 AND 4 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('trust level %s out of range', p_trust_level),
            HINT = '0 untrusted, 1 reads, 2 writes, 3 elevated, 4 admin',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed';
    END IF;
    IF least(p_max_locks, p_max_claimed_tasks, p_max_file_modifications) < 0
       OR p_max_lease_seconds NOT BETWEEN 1 AND 86400 OR pg_catalog.length(p_description) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'profile limits out of range',
            DETAIL = 'limits are >= 0, max_lease_seconds is 1 .. 86400, the description at most 1000 characters',
            HINT = 'see the function documentation: \df+ coord.set_profile';
    END IF;
    SELECT pg_catalog.array_agg(o) INTO v_unknown
      FROM pg_catalog.unnest(coalesce(p_allowed_operations, '{}') || p_blocked_operations) o
     WHERE NOT EXISTS (SELECT 1 FROM coord_private.operations x WHERE x.name = o);
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'unknown operations in the profile',
            DETAIL = pg_catalog.format('not in the operation catalog: %s', pg_catalog.array_to_string(v_unknown, ', ')),
            HINT = 'SELECT name FROM coord.operations';
    END IF;
    created := NOT EXISTS (SELECT 1 FROM coord_private.profiles p WHERE p.name = p_name);
    v := coord_private.authorize('set_profile', p_name, pg_catalog.jsonb_build_object(
        'trust_level', p_trust_level, 'allowed_operations', p_allowed_operations,
        'blocked_operations', p_blocked_operations, 'max_locks', p_max_locks,
        'max_claimed_tasks', p_max_claimed_tasks, 'max_lease_seconds', p_max_lease_seconds,
        'max_file_modifications', p_max_file_modifications, 'created', created));
    IF v.proceed THEN
        INSERT INTO coord_private.profiles AS p (name, trust_level, description, allowed_operations, blocked_operations,
                                                 max_locks, max_claimed_tasks, max_lease_seconds, max_file_modifications)
        VALUES (p_name, p_trust_level, p_description, p_allowed_operations, p_blocked_operations,
                p_max_locks, p_max_claimed_tasks, p_max_lease_seconds, p_max_file_modifications)
        ON CONFLICT (name) DO UPDATE SET
            trust_level = EXCLUDED.trust_level, description = EXCLUDED.description,
            allowed_operations = EXCLUDED.allowed_operations, blocked_operations = EXCLUDED.blocked_operations,
            max_locks = EXCLUDED.max_locks, max_claimed_tasks = EXCLUDED.max_claimed_tasks,
            max_lease_seconds = EXCLUDED.max_lease_seconds, max_file_modifications = EXCLUDED.max_file_modifications;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_profile(text, integer, text, text[], text[], integer, integer, integer, integer) IS
    'coord_admin: create or change a profile (trust 0-4, allowed/blocked operations, limits); audited. Errors PC001, PC002';

CREATE FUNCTION coord.drop_profile(p_name text, p_reason text,
    OUT ok boolean, OUT reason text, OUT agents_affected integer, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    PERFORM coord_private.require_profile(p_name);
    IF p_reason IS NULL OR pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = CASE WHEN p_reason IS NULL THEN 'PC001' ELSE 'PC002' END,
            MESSAGE = 'dropping a profile needs a reason', HINT = 'it is recorded in the audit trail',
            DETAIL = 'nothing was changed';
    END IF;
    SELECT pg_catalog.count(*) INTO agents_affected FROM coord_private.agents a WHERE a.profile = p_name;
    v := coord_private.authorize('drop_profile', p_name,
        pg_catalog.jsonb_build_object('why', p_reason, 'agents_affected', agents_affected));
    IF v.proceed THEN
        DELETE FROM coord_private.profiles p WHERE p.name = p_name;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.drop_profile(text, text) IS
    'coord_admin: remove a profile; its agents are left without one and every decision about them fails closed (INV-TRUST); audited. Errors PC001, PC002, PC006';

CREATE FUNCTION coord.get_my_profile()
RETURNS SETOF coord.profiles
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT p.* FROM coord.profiles p JOIN coord_private.agents a ON a.profile = p.name
     WHERE a.role_name = (session_user::text COLLATE "default")
$$;
COMMENT ON FUNCTION coord.get_my_profile() IS
    'agent: the calling agent''s profile (no row when it has none: every decision then fails closed)';

REVOKE ALL ON FUNCTION coord.set_profile(text, integer, text, text[], text[], integer, integer, integer, integer),
    coord.drop_profile(text, text), coord.get_my_profile() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.set_profile(text, integer, text, text[], text[], integer, integer, integer, integer),
    coord.drop_profile(text, text) TO coord_admin;
GRANT EXECUTE ON FUNCTION coord.get_my_profile() TO coord_agent;

COMMIT;
