-- Verify pgcoord:cedar_engine
BEGIN;
DO $$
BEGIN
    PERFORM 'coord.set_policy_engine(text, text)'::regprocedure;
    PERFORM 'coord.set_cedar_policies(text, text)'::regprocedure;
    PERFORM 'coord.cedar_engine()'::regprocedure;
    PERFORM 'coord_private.cedar_decide(text, text, text, jsonb)'::regprocedure;
    IF pg_catalog.has_function_privilege('coord_agent', 'coord.set_policy_engine(text, text)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('coord_agent', 'coord.set_cedar_policies(text, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'verify cedar_engine: agents must not change the policy engine or the Cedar policies';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coord_private.cedar_policies) THEN
        RAISE EXCEPTION 'verify cedar_engine: no Cedar policy version (the baseline is version 1)';
    END IF;
    IF (SELECT count(*) FROM coord_private.operations
         WHERE name IN ('set_policy_engine', 'set_cedar_policies') AND category = 'admin') <> 2 THEN
        RAISE EXCEPTION 'verify cedar_engine: the admin operations are missing from the catalog';
    END IF;
    -- Where the evaluator is installed, the policies in force validate against the schema.
    IF coord_private.cedar_available() AND pg_catalog.cardinality(coord_private.cedar_validate(
           (SELECT c.policy_text FROM coord_private.cedar_policies c ORDER BY c.version DESC LIMIT 1))) > 0 THEN
        RAISE EXCEPTION 'verify cedar_engine: the Cedar policies in force do not validate against the schema';
    END IF;
END
$$;
ROLLBACK;
