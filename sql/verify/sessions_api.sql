-- Verify pgcoord:sessions_api
BEGIN;
DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('coord_agent', 'coord.register_session(text, jsonb)', 'EXECUTE') THEN
        RAISE EXCEPTION 'verify sessions_api: coord_agent must be able to register a session';
    END IF;
END
$$;
SELECT session_id, label, client_info, started_at, ended_at FROM coord.my_sessions WHERE false;
ROLLBACK;
