-- coord_private.compile_agent_operation_policy as coordination_locks made it.
CREATE OR REPLACE FUNCTION coord_private.compile_agent_operation_policy(p_roles text[], p_profiles text[], p_operations text[])
RETURNS void LANGUAGE plpgsql
AS $$
DECLARE
    v_roles text[];
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC015',
            MESSAGE = pg_catalog.format('changing agents, profiles or operations needs READ COMMITTED, not %s',
                                        pg_catalog.current_setting('transaction_isolation')),
            DETAIL = 'the compiled policy is recomputed with a snapshot taken after its lock; an older snapshot could compile a stale row',
            HINT = 'make this change in autocommit or in a READ COMMITTED transaction';
    END IF;
    -- One lock for every recompilation: the row lock this UPDATE takes on the one
    -- generation row (a row no other role can lock; an advisory key could be held
    -- by any session). Everything below, the agents of a profile included, is read
    -- by later statements, with snapshots taken after it: while it is held no other
    -- change to these tables can commit (its own recompilation waits here first).
    UPDATE coord_private.policy_generation SET generation = pg_catalog.nextval('coord_private.policy_generations');
    v_roles := coalesce(p_roles, '{}')
            || ARRAY(SELECT a.role_name FROM coord_private.agents a WHERE a.profile = ANY (coalesce(p_profiles, '{}')));
    DELETE FROM coord_private.agent_operation_policy p
     WHERE p.role_name = ANY (v_roles) OR p.operation = ANY (coalesce(p_operations, '{}'));
    INSERT INTO coord_private.agent_operation_policy
    SELECT s.role_name, s.operation, s.reason, s.context, s.trust_level, s.max_locks, s.max_claimed_tasks,
           s.max_lease_seconds, s.max_file_modifications
      FROM coord_private.agent_operation_policy_source s
     WHERE s.role_name = ANY (v_roles) OR s.operation = ANY (coalesce(p_operations, '{}'));
END
$$;
COMMENT ON FUNCTION coord_private.compile_agent_operation_policy(text[], text[], text[]) IS
    'recomputes the compiled policy rows of agents, of the agents of profiles, and of operations (serialised, READ COMMITTED only)';
