-- Revert pgcoord:admin_api
BEGIN;
DROP FUNCTION coord.set_enforcement_mode(text, text);
DROP FUNCTION coord.set_agent_status(text, text);
DROP FUNCTION coord.set_agent_profile(text, text);
DROP FUNCTION coord.register_agent(text, text);
DROP FUNCTION coord_private.require_agent(text);
DROP FUNCTION coord_private.require_profile(text);
COMMIT;
