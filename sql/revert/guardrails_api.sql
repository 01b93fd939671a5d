-- Revert pgcoord:guardrails_api
BEGIN;
SET LOCAL ROLE coord_owner;
DROP VIEW coord.guardrail_patterns;
DROP FUNCTION coord.check_guardrails(text, text[]);
DROP FUNCTION coord.remove_guardrail_pattern(text, text);
DROP FUNCTION coord.add_guardrail_pattern(text, text, text, text, integer, boolean, text, text);
DROP FUNCTION coord_private.require_guardrail_name(text);
DELETE FROM coord_private.guardrail_patterns WHERE created_by = 'pgcoord baseline';
DROP FUNCTION coord_private.guardrail_prefilter(text[]);
DROP FUNCTION coord_private.guardrail_regex_problem(text, boolean);

-- guardrail_registry's scan, exactly as that change deployed it
CREATE OR REPLACE FUNCTION coord_private.guardrail_matches(p_text text, p_paths text[] DEFAULT '{}')
RETURNS jsonb LANGUAGE sql STABLE
AS $$
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'name', g.name, 'category', g.category, 'severity', g.severity,
               'exempt_trust', g.exempt_trust, 'always', g.always_applies) ORDER BY g.name), '[]')
      FROM coord_private.guardrail_patterns g
     WHERE (g.applies_to IN ('text', 'both') AND p_text ~* g.regex)
        OR (g.applies_to IN ('path', 'both')
            AND EXISTS (SELECT 1 FROM pg_catalog.unnest(p_paths) p WHERE p ~* g.regex))
$$;
COMMENT ON FUNCTION coord_private.guardrail_matches(text, text[]) IS
    'the guardrail patterns matching a text or any of some paths (jsonb for the policy engine)';

DROP FUNCTION coord_private.guardrail_normalize(text);
DROP FUNCTION coord_private.guardrail_is_word(text);
DROP FUNCTION coord_private.guardrail_scan_limit();
DELETE FROM coord_private.operations
 WHERE name IN ('add_guardrail_pattern', 'remove_guardrail_pattern', 'check_guardrails');
COMMIT;
