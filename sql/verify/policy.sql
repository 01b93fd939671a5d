-- Verify pgcoord:policy
BEGIN;
DO $$
DECLARE
    d coord_private.decision;
BEGIN
    d := coord_private.native_decide('no such role', 'no_such_operation', NULL, '{}');
    IF d.allowed OR d.reason <> 'unknown_operation' THEN
        RAISE EXCEPTION 'verify policy: an unknown operation must be denied (fail closed)';
    END IF;
    PERFORM 'coord_private.authorize(text, text, jsonb, text)'::regprocedure;
    IF (SELECT pg_catalog.count(*) FROM coord_private.policy_generation) <> 1 THEN
        RAISE EXCEPTION 'verify policy: coord_private.policy_generation must hold exactly one row';
    END IF;
END
$$;
DO $$
BEGIN
    IF EXISTS ((SELECT * FROM coord_private.agent_operation_policy
                EXCEPT SELECT * FROM coord_private.agent_operation_policy_source)
               UNION ALL
               (SELECT * FROM coord_private.agent_operation_policy_source
                EXCEPT SELECT * FROM coord_private.agent_operation_policy)) THEN
        RAISE EXCEPTION 'verify policy: the compiled policy differs from its source view';
    END IF;
END
$$;
ROLLBACK;
