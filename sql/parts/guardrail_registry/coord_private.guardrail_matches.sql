-- Every pattern matching p_text (text patterns) or one of p_paths (path patterns),
-- as the jsonb array the policy engine reads from context.guardrail_matches.
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
