-- Verify pgcoord:compiled_policy
BEGIN;
DO $$
BEGIN
    IF EXISTS ((SELECT * FROM coord_private.agent_operation_policy
                EXCEPT SELECT * FROM coord_private.agent_operation_policy_source)
               UNION ALL
               (SELECT * FROM coord_private.agent_operation_policy_source
                EXCEPT SELECT * FROM coord_private.agent_operation_policy)) THEN
        RAISE EXCEPTION 'verify compiled_policy: the compiled policy differs from its source view';
    END IF;
END
$$;
ROLLBACK;
