-- Revert pgcoord:sessions_api
BEGIN;
DROP VIEW coord.my_sessions;
DROP FUNCTION coord.end_session(uuid);
DROP FUNCTION coord.register_session(text, jsonb);
COMMIT;
