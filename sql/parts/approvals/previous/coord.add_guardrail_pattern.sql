-- coord.add_guardrail_pattern as guardrails_api made it, with the settings
-- definer_search_path and definer_settings gave it.
CREATE OR REPLACE FUNCTION coord.add_guardrail_pattern(p_name text, p_category text, p_regex text, p_severity text,
    p_exempt_trust integer DEFAULT 5, p_always_applies boolean DEFAULT false, p_applies_to text DEFAULT 'text',
    p_description text DEFAULT '',
    OUT ok boolean, OUT reason text, OUT replaced boolean, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    v_problem text;
BEGIN
    PERFORM coord_private.require_guardrail_name(p_name);
    IF p_category IS NULL OR p_regex IS NULL OR p_severity IS NULL OR p_exempt_trust IS NULL
       OR p_always_applies IS NULL OR p_applies_to IS NULL OR p_description IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'add_guardrail_pattern: no argument may be NULL',
            DETAIL = 'nothing was changed',
            HINT = 'defaults: exempt_trust 5, always_applies false, applies_to text, description empty';
    END IF;
    IF p_category !~ '^[a-z][a-z0-9_]{0,30}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('invalid guardrail category %L', pg_catalog.left(p_category, 80)),
            DETAIL = 'nothing was changed',
            HINT = 'lower case letters, digits and _, starting with a letter, at most 31 characters';
    END IF;
    IF p_severity NOT IN ('block', 'warn') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('invalid guardrail severity %L', pg_catalog.left(p_severity, 80)),
            DETAIL = 'nothing was changed', HINT = 'block refuses (below the exempt trust); warn proceeds and is recorded';
    END IF;
    IF p_exempt_trust NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('exempt trust %s out of range', p_exempt_trust),
            DETAIL = 'nothing was changed',
            HINT = 'the trust level from which the pattern no longer applies: 1 .. 4, or 5 for none';
    END IF;
    IF p_applies_to NOT IN ('text', 'path', 'both') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('invalid applies_to %L', pg_catalog.left(p_applies_to, 80)),
            DETAIL = 'nothing was changed', HINT = 'text (normalised text), path (each path as given) or both';
    END IF;
    IF pg_catalog.length(p_description) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'guardrail description longer than 1000 characters',
            DETAIL = 'nothing was changed', HINT = 'describe what the pattern catches in a sentence';
    END IF;
    v_problem := coord_private.guardrail_regex_problem(p_regex, true);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC012',
            MESSAGE = pg_catalog.format('unsafe or invalid guardrail pattern %L', p_name),
            DETAIL = v_problem || '; nothing was changed',
            HINT = 'at most 1000 characters, no back-references, counted repetitions {n,m} up to 100 and not nested, '
                   'only bounded quantifiers inside lookarounds, must not match the empty string';
    END IF;
    replaced := EXISTS (SELECT 1 FROM coord_private.guardrail_patterns g WHERE g.name = p_name);
    v := coord_private.authorize('add_guardrail_pattern', p_name, pg_catalog.jsonb_build_object(
        'category', p_category, 'regex', p_regex, 'severity', p_severity, 'exempt_trust', p_exempt_trust,
        'always_applies', p_always_applies, 'applies_to', p_applies_to, 'replaced', replaced));
    IF v.proceed THEN
        INSERT INTO coord_private.guardrail_patterns AS g
            (name, category, regex, applies_to, severity, exempt_trust, always_applies, description, created_by, created_at)
        VALUES (p_name, p_category, p_regex, p_applies_to, p_severity, p_exempt_trust, p_always_applies,
                p_description, session_user, pg_catalog.now())
        ON CONFLICT (name) DO UPDATE SET
            category = EXCLUDED.category, regex = EXCLUDED.regex, applies_to = EXCLUDED.applies_to,
            severity = EXCLUDED.severity, exempt_trust = EXCLUDED.exempt_trust,
            always_applies = EXCLUDED.always_applies, description = EXCLUDED.description,
            created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at,
            prefilter = NULL;   -- a replaced regex has no curated keywords: always evaluated
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.add_guardrail_pattern(text, text, text, text, integer, boolean, text, text) IS
    'coord_admin: add or replace (same name) a guardrail pattern: a case-insensitive regular expression, severity block or warn, '
    'exempt_trust (the trust level from which it no longer applies; 5 none), always_applies (every trust level, e.g. credentials), '
    'applies_to text (matched on the normalised text) / path / both; validated before it is stored (PC012); audited. Errors PC001, PC002, PC012';
