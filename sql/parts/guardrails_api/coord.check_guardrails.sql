-- coord.check_guardrails as guardrails_api made it (the scan of coord_private.guardrail_matches);
-- shell_guardrails replaces it, and its revert brings this one back.
CREATE OR REPLACE FUNCTION coord.check_guardrails(p_text text, p_paths text[] DEFAULT '{}',
    OUT ok boolean, OUT reason text, OUT blocked boolean, OUT guardrails jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_matches jsonb;
BEGIN
    IF p_text IS NULL OR p_paths IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'check_guardrails: text and paths must not be NULL',
            DETAIL = 'nothing was checked or recorded', HINT = 'pass '''' for no text and ''{}'' for no paths';
    END IF;
    IF pg_catalog.octet_length(p_text) > 1048576 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'check_guardrails: text larger than 1 MiB',
            DETAIL = pg_catalog.format('%s bytes; nothing was checked or recorded', pg_catalog.octet_length(p_text)),
            HINT = 'check a long text in parts of at most 1 MiB that overlap by a line';
    END IF;
    IF pg_catalog.cardinality(p_paths) > 1000 OR pg_catalog.array_position(p_paths, NULL) IS NOT NULL
       OR EXISTS (SELECT 1 FROM pg_catalog.unnest(p_paths) x WHERE pg_catalog.length(x) NOT BETWEEN 1 AND 4096) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'check_guardrails: invalid paths',
            DETAIL = 'at most 1000 paths, none NULL, each 1 to 4096 characters; nothing was checked or recorded',
            HINT = 'pass the paths a command would touch, e.g. ARRAY[''config/.env'']';
    END IF;
    v_matches := coord_private.guardrail_matches(p_text, p_paths);
    v := coord_private.authorize('check_guardrails',
        'sha256:' || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_text, 'UTF8')), 'hex'),
        pg_catalog.jsonb_build_object('guardrail_matches', v_matches, 'text_length', pg_catalog.length(p_text),
                                      'excerpt', pg_catalog.left(p_text, 200),
                                      'paths', (SELECT pg_catalog.array_agg(pg_catalog.left(x, 200))
                                                  FROM (SELECT x FROM pg_catalog.unnest(p_paths) x LIMIT 20) s)));
    PERFORM coord_private.record_guardrail_hits(v.event_id, v_matches, 'check');
    ok := v.proceed; reason := v.reason; event_id := v.event_id; guardrails := v_matches;
    blocked := v.reason = 'guardrail_blocked';
END
$$;
COMMENT ON FUNCTION coord.check_guardrails(text, text[]) IS
    'agent (trust >= 1): scan a text (normalised; at most 1 MiB) and paths against the guardrail patterns and let the policy engine '
    'decide with the caller''s effective trust: ok false / blocked true with reason guardrail_blocked when a block pattern applies '
    '(in shadow mode ok is true and blocked says what enforce would do); guardrails lists every match (name, category, severity, '
    'exempt_trust, always); audited, matches recorded. Errors PC001, PC002';
