-- A regex execution has a fixed cost whatever the text (PostgreSQL sets up the DFA
-- work areas of a large pattern on every execution): about 70,000 instructions for
-- each baseline pattern, so a scan of even an empty text ran 18 of them. A pattern
-- may carry a prefilter: literals, one of which every text the pattern matches
-- contains (lowercased). The scan evaluates the regex only when the lowercased text
-- contains one of them. The baseline's literals are read off each regex (every
-- alternative contains one; see the keywords beside each pattern below) and checked
-- against the whole corpus by tests/test_guardrails_corpus.py. A pattern an admin
-- adds or replaces has none: it is always evaluated. (The column,
-- guardrail_patterns.prefilter, comes with the registry.)
-- (Sound as long as case-insensitive regex matching and lower() agree on ASCII
-- letters, as they do under every collation but Turkish-style special casing.)
-- Keywords as the LIKE patterns of the prefilter column ('%kw%', with % _ \ literal).
CREATE FUNCTION coord_private.guardrail_prefilter(p_keywords text[])
RETURNS text[] LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN p_keywords IS NOT NULL THEN ARRAY(
        SELECT '%' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.lower(k), E'\\', E'\\\\'),
                                                            '%', E'\\%'), '_', E'\\_') || '%'
          FROM pg_catalog.unnest(p_keywords) k) END
$$;
COMMENT ON FUNCTION coord_private.guardrail_prefilter(text[]) IS
    'the prefilter (LIKE patterns) of a list of keywords: containment of any of them, case-folded';

-- The scan (replaces guardrail_registry's version: same signature and result, plus
-- normalisation and the bounded input; the revert restores the original).
CREATE OR REPLACE FUNCTION coord_private.guardrail_matches(p_text text, p_paths text[] DEFAULT '{}')
RETURNS jsonb LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_limit integer := coord_private.guardrail_scan_limit();
    v_text text := coord_private.guardrail_normalize(pg_catalog.left(coalesce(p_text, ''), v_limit));
    v_oversized boolean := pg_catalog.length(coalesce(p_text, '')) > v_limit;
    v_lower text := pg_catalog.lower(v_text);
    v_matches jsonb;
BEGIN
    -- PL/pgSQL, not SQL: this scan runs on every submit and completion, and an SQL
    -- function body is planned afresh on every call, a PL/pgSQL statement once per session.
    SELECT coalesce(pg_catalog.jsonb_agg(m.j ORDER BY m.name), '[]') INTO v_matches
      FROM (SELECT g.name, pg_catalog.jsonb_build_object(
                       'name', g.name, 'category', g.category, 'severity', g.severity,
                       'exempt_trust', g.exempt_trust, 'always', g.always_applies) AS j
              FROM coord_private.guardrail_patterns g
             -- CASE, not AND: the prefilter must run first (the planner may reorder AND).
             WHERE (g.applies_to IN ('text', 'both')
                    AND CASE WHEN g.prefilter IS NULL OR v_lower LIKE ANY (g.prefilter) THEN v_text ~* g.regex END)
                OR (g.applies_to IN ('path', 'both')
                    AND EXISTS (SELECT 1 FROM pg_catalog.unnest(coalesce(p_paths, '{}'::text[])) p WHERE p ~* g.regex))
            UNION ALL
            SELECT 'scan_limit_exceeded', pg_catalog.jsonb_build_object(
                       'name', 'scan_limit_exceeded', 'category', 'scan_limit', 'severity', 'block',
                       'exempt_trust', 5, 'always', true)
             WHERE v_oversized) m;
    RETURN v_matches;
END
$$;
COMMENT ON FUNCTION coord_private.guardrail_matches(text, text[]) IS
    'the guardrail patterns matching a text (normalised, at most guardrail_scan_limit characters; longer: scan_limit_exceeded) or any of some paths (jsonb for the policy engine)';

