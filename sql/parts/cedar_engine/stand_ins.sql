-- Where PL/Python or cedarpy is missing these stand in (the evaluator's installer,
-- sql/plpython/install_cedar_evaluator.sql, replaces them with the PL/Python
-- versions when it can). coord_private.cedar_decide keeps the PC011 body of the
-- policy change until then.
CREATE FUNCTION coord_private.cedar_probe()
RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT '{"available": false, "reason": "the Cedar engine is not installed"}'::jsonb $$;
COMMENT ON FUNCTION coord_private.cedar_probe() IS
    'whether this database can run the Cedar engine: {"available": bool, "reason" or "cedarpy" version}';

CREATE FUNCTION coord_private.cedar_validate(p_policy_text text)
RETURNS text[]
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PC011', MESSAGE = 'the Cedar policy engine is not available in this database',
        DETAIL = pg_catalog.format('cannot validate %s characters of Cedar policies: %s',
                                   pg_catalog.length(p_policy_text), coord_private.cedar_probe()->>'reason'),
        HINT = 'install PL/Python and cedarpy (scripts/bootstrap.sh), then deploy the cedar_engine change again as a superuser';
END
$$;
COMMENT ON FUNCTION coord_private.cedar_validate(text) IS
    'the errors of a Cedar policy set against the schema and the engine''s conventions (empty array: valid)';

CREATE FUNCTION coord_private.cedar_available()
RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT coalesce((coord_private.cedar_probe()->>'available')::boolean, false) $$;
COMMENT ON FUNCTION coord_private.cedar_available() IS
    'true when the Cedar engine can run here (PL/Python and cedarpy installed, evaluator deployed)';
