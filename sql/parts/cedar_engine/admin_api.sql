-- The admin API of the Cedar engine.
CREATE FUNCTION coord.set_policy_engine(p_engine text, p_reason text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_old text;
    v_probe jsonb;
BEGIN
    IF p_engine IS NULL OR p_reason IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'engine and reason must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'every engine change states why, e.g. set_policy_engine(''cedar'', ''policy rollout'')';
    END IF;
    IF p_engine NOT IN ('native', 'cedar') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('unknown policy engine %L', pg_catalog.left(p_engine, 80)),
            DETAIL = 'nothing was changed', HINT = 'the engines are native and cedar';
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 OR pg_catalog.length(p_reason) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'reason must be 1 to 1000 characters',
            DETAIL = 'an engine change is audited with its reason; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.set_policy_engine';
    END IF;
    IF p_engine = 'cedar' THEN
        v_probe := coord_private.cedar_probe();
        IF NOT coalesce((v_probe->>'available')::boolean, false) THEN
            RAISE EXCEPTION USING ERRCODE = 'PC011',
                MESSAGE = 'the Cedar policy engine is not available in this database',
                DETAIL = pg_catalog.format('%s; the native engine stays in force', v_probe->>'reason'),
                HINT = 'install PL/Python (postgresql-plpython3-15) and cedarpy for the server''s /usr/bin/python3 '
                       '(scripts/bootstrap.sh), then deploy the cedar_engine change again as a superuser';
        END IF;
    END IF;
    SELECT s.policy_engine INTO v_old FROM coord_private.settings s;
    v := coord_private.authorize('set_policy_engine', p_engine,
        pg_catalog.jsonb_build_object('from', v_old, 'to', p_engine, 'why', p_reason, 'cedar', v_probe));
    IF v.proceed THEN
        UPDATE coord_private.settings
           SET policy_engine = p_engine, updated_at = pg_catalog.now(), updated_by = session_user;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_policy_engine(text, text) IS
    'coord_admin: choose the policy engine, native or cedar (refused with PC011 where the Cedar engine cannot run: the native engine stays in force); audited with its reason. Errors PC001, PC002, PC011';

CREATE FUNCTION coord.set_cedar_policies(p_policy_text text, p_reason text,
    OUT ok boolean, OUT reason text, OUT version bigint, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_errors text[];
    v_previous bigint;
BEGIN
    IF p_policy_text IS NULL OR p_reason IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'policy text and reason must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'the current text: SELECT policy_text FROM coord.cedar_policies WHERE is_current';
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 OR pg_catalog.length(p_reason) > 1000
       OR pg_catalog.length(p_policy_text) > 1000000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'reason must be 1 to 1000 characters, the policies at most 1000000',
            DETAIL = 'a policy change is audited with its reason; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.set_cedar_policies';
    END IF;
    IF NOT coord_private.cedar_available() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC011', MESSAGE = 'the Cedar policy engine is not available in this database',
            DETAIL = pg_catalog.format('Cedar policies cannot be validated: %s; nothing was changed',
                                       coord_private.cedar_probe()->>'reason'),
            HINT = 'install PL/Python and cedarpy (scripts/bootstrap.sh), then deploy the cedar_engine change again as a superuser';
    END IF;
    v_errors := coord_private.cedar_validate(p_policy_text);
    IF pg_catalog.cardinality(v_errors) > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC012',
            MESSAGE = pg_catalog.format('the Cedar policies are invalid (%s error%s)', pg_catalog.cardinality(v_errors),
                                        CASE WHEN pg_catalog.cardinality(v_errors) > 1 THEN 's' ELSE '' END),
            DETAIL = pg_catalog.left(pg_catalog.array_to_string(v_errors, E'\n'), 4000),
            HINT = 'validate against the schema of coord.cedar_engine(); every forbid needs @id("<reason code>"); nothing was changed';
    END IF;
    SELECT pg_catalog.max(c.version) INTO v_previous FROM coord_private.cedar_policies c;
    v := coord_private.authorize('set_cedar_policies', 'cedar_policies', pg_catalog.jsonb_build_object(
        'previous_version', v_previous, 'why', p_reason, 'characters', pg_catalog.length(p_policy_text),
        'sha256', pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_policy_text, 'UTF8')), 'hex')));
    IF v.proceed THEN
        INSERT INTO coord_private.cedar_policies (policy_text, reason, created_by)
        VALUES (p_policy_text, p_reason, session_user)
        RETURNING cedar_policies.version INTO set_cedar_policies.version;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_cedar_policies(text, text) IS
    'coord_admin: store a new version of the Cedar policies (in force at the next decision), after validating them against the schema (PC012 with the errors in DETAIL, nothing stored); audited with its reason and digest. Errors PC001, PC002, PC011, PC012';

CREATE FUNCTION coord.cedar_engine(OUT available boolean, OUT in_force boolean, OUT policy_version bigint,
    OUT detail jsonb, OUT schema text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT coord_private.cedar_available(),
           (SELECT s.policy_engine = 'cedar' FROM coord_private.settings s),
           (SELECT pg_catalog.max(c.version) FROM coord_private.cedar_policies c),
           coord_private.cedar_probe(),
           coord_private.cedar_schema()
$$;
COMMENT ON FUNCTION coord.cedar_engine() IS
    'the Cedar engine: whether it can run here (detail says why not, or the cedarpy version), whether it is in force, the policy version in force, and the Cedar schema policies are validated against';

CREATE VIEW coord.cedar_policies AS
    SELECT c.version, c.version = (SELECT pg_catalog.max(x.version) FROM coord_private.cedar_policies x) AS is_current,
           c.policy_text, c.reason, c.created_by, c.created_at
      FROM coord_private.cedar_policies c;
COMMENT ON VIEW coord.cedar_policies IS 'every version of the Cedar policies; is_current marks the one in force';

REVOKE ALL ON FUNCTION coord.set_policy_engine(text, text), coord.set_cedar_policies(text, text),
    coord.cedar_engine() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.set_policy_engine(text, text), coord.set_cedar_policies(text, text) TO coord_admin;
GRANT EXECUTE ON FUNCTION coord.cedar_engine() TO coord_admin, coord_auditor;
GRANT SELECT ON coord.cedar_policies TO coord_admin, coord_auditor;
