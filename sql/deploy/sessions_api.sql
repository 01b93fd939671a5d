-- Deploy pgcoord:sessions_api
-- The first agent mutation end to end: open and close a session of the calling agent.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE FUNCTION coord.register_session(p_label text DEFAULT '', p_client_info jsonb DEFAULT '{}',
    OUT ok boolean, OUT reason text, OUT session_id uuid, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    IF p_label IS NULL OR p_client_info IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'label and client_info must not be NULL',
            HINT = 'omit them to use the defaults ('''' and {})',
            DETAIL = 'a required argument was NULL; nothing was changed';
    END IF;
    IF pg_catalog.length(p_label) > 200 OR p_label ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'invalid session label',
            DETAIL = pg_catalog.format('the label has %s characters or a control character', pg_catalog.length(p_label)),
            HINT = 'a label is at most 200 printable characters';
    END IF;
    IF pg_catalog.jsonb_typeof(p_client_info) <> 'object' OR pg_catalog.length(p_client_info::text) > 8192 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'client_info must be a JSON object of at most 8 KiB',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.register_session';
    END IF;

    v := coord_private.authorize('register_session', p_label, pg_catalog.jsonb_build_object('label', p_label));
    IF v.proceed THEN
        INSERT INTO coord_private.sessions (agent, label, client_info)
        VALUES (session_user, p_label, p_client_info)
        RETURNING sessions.session_id INTO session_id;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.register_session(text, jsonb) IS
    'agent: open a session of the calling agent (identity = session_user); returns ok, reason code, session id, audit event. Errors PC001, PC002';

CREATE FUNCTION coord.end_session(p_session_id uuid,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_owner text;
BEGIN
    IF p_session_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'session id must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.end_session';
    END IF;
    SELECT s.agent INTO v_owner FROM coord_private.sessions s WHERE s.session_id = p_session_id AND s.ended_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PC013', MESSAGE = pg_catalog.format('unknown or ended session %s', p_session_id),
            HINT = 'list open sessions with SELECT * FROM coord.my_sessions',
            DETAIL = 'nothing was changed';
    END IF;
    v := coord_private.authorize('end_session', p_session_id::text, '{}'::jsonb,
        CASE WHEN v_owner <> session_user THEN 'session_not_owned' END);
    IF v.proceed THEN
        UPDATE coord_private.sessions SET ended_at = pg_catalog.now() WHERE sessions.session_id = p_session_id;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.end_session(uuid) IS
    'agent: close one of the calling agent''s sessions; another agent''s session is refused (session_not_owned). Errors PC001, PC013';

CREATE VIEW coord.my_sessions WITH (security_barrier) AS
    SELECT s.session_id, s.label, s.client_info, s.started_at, s.ended_at
      FROM coord_private.sessions s
     WHERE s.agent = (session_user::text COLLATE "default");
COMMENT ON VIEW coord.my_sessions IS 'the calling agent''s sessions (INV-RLS: only its own)';

REVOKE ALL ON FUNCTION coord.register_session(text, jsonb), coord.end_session(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.register_session(text, jsonb), coord.end_session(uuid) TO coord_agent;
GRANT SELECT ON coord.my_sessions TO coord_agent;

COMMIT;
