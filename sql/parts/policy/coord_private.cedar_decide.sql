-- The Cedar engine is not part of the spine: until the cedar_engine change replaces
-- this function with its PL/Python evaluator, asking for Cedar is an error (and
-- coord.set_policy_engine, which comes with that change, is the only way to ask).
CREATE OR REPLACE FUNCTION coord_private.cedar_decide(p_actor text, p_operation text, p_resource text, p_context jsonb)
RETURNS coord_private.decision
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PC011', MESSAGE = 'the Cedar policy engine is not installed in this database',
        DETAIL = pg_catalog.format('cannot decide %s by %s', p_operation, p_actor),
        HINT = 'deploy the cedar_engine change (PL/Python and cedarpy), or set the engine back to native';
END
$$;
COMMENT ON FUNCTION coord_private.cedar_decide(text, text, text, jsonb) IS
    'the Cedar engine: unavailable until the cedar_engine change installs the PL/Python evaluator (PC011)';
