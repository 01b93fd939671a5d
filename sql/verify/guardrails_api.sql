-- Verify pgcoord:guardrails_api
BEGIN;
DO $$
DECLARE
    v_bad text;
BEGIN
    IF NOT pg_catalog.has_function_privilege('coord_admin',
               'coord.add_guardrail_pattern(text, text, text, text, integer, boolean, text, text)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('coord_agent',
               'coord.add_guardrail_pattern(text, text, text, text, integer, boolean, text, text)', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('coord_agent', 'coord.check_guardrails(text, text[])', 'EXECUTE') THEN
        RAISE EXCEPTION 'verify guardrails_api: only coord_admin manages patterns; agents check';
    END IF;
    PERFORM 'coord.remove_guardrail_pattern(text, text)'::regprocedure;
    SELECT pg_catalog.string_agg(g.name, ', ') INTO v_bad FROM coord_private.guardrail_patterns g
     WHERE coord_private.guardrail_regex_problem(g.regex, false) IS NOT NULL;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'verify guardrails_api: unsafe patterns: %', v_bad;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(coord_private.guardrail_matches('sudo rm -rf /', '{}')) m
                    WHERE m->>'severity' = 'block')
       OR coord_private.guardrail_matches('rm -rf ./build', '{}') <> '[]'::jsonb THEN
        RAISE EXCEPTION 'verify guardrails_api: the baseline does not block rm -rf / or blocks rm -rf ./build';
    END IF;
END
$$;
ROLLBACK;
