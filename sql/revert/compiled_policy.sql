-- Revert pgcoord:compiled_policy
BEGIN;
DROP TRIGGER agents_recompile_policy ON coord_private.agents;
DROP TRIGGER profiles_recompile_policy ON coord_private.profiles;
DROP TRIGGER operations_recompile_policy ON coord_private.operations;
DROP TRIGGER agents_truncate_recompile_policy ON coord_private.agents;
DROP TRIGGER profiles_truncate_recompile_policy ON coord_private.profiles;
DROP TRIGGER operations_truncate_recompile_policy ON coord_private.operations;
DROP FUNCTION coord_private.recompile_all();
DROP FUNCTION coord_private.recompile_policy_rows();
DROP FUNCTION coord_private.compile_agent_operation_policy(text[], text[], text[]);
DROP TABLE coord_private.agent_operation_policy;
DROP VIEW coord_private.agent_operation_policy_source;
COMMIT;
