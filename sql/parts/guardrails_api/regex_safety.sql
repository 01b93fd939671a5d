-- Why p_regex may not be a guardrail pattern (NULL: it may). The structural checks
-- read the pattern once, tracking bracket expressions, groups and lookarounds; with
-- p_measure the pattern is also timed on hostile inputs.
CREATE FUNCTION coord_private.guardrail_regex_problem(p_regex text, p_measure boolean DEFAULT true)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c text[];
    n integer;
    i integer := 1;
    ch text;
    nx text;
    kinds text[] := '{}';        -- open groups: 'L' lookaround, 'G' other
    counted boolean[] := '{}';   -- whether the open group holds a counted repetition
    last_group_counted boolean := false;
    last_was_group boolean := false;
    v_lo integer;
    v_hi integer;
    m text[];
    v_t0 timestamptz;
    v_word text;
    v_hostile text[];
    h text;
    v_dummy boolean;
BEGIN
    IF p_regex IS NULL OR pg_catalog.length(p_regex) = 0 THEN
        RETURN 'the pattern is empty';
    END IF;
    IF pg_catalog.length(p_regex) > 1000 THEN
        RETURN pg_catalog.format('the pattern has %s characters (at most 1000)', pg_catalog.length(p_regex));
    END IF;
    BEGIN
        v_dummy := '' ~* p_regex;
    EXCEPTION WHEN invalid_regular_expression OR program_limit_exceeded THEN
        RETURN 'the pattern does not compile: ' || SQLERRM;
    END;
    IF v_dummy THEN
        RETURN 'the pattern matches the empty string, so it would match every text';
    END IF;

    c := pg_catalog.string_to_array(p_regex, NULL);
    n := pg_catalog.cardinality(c);
    -- ***= makes the rest a literal string: nothing below applies
    IF pg_catalog.left(p_regex, 4) = '***=' THEN
        n := 0;
    ELSIF pg_catalog.left(p_regex, 4) = '***:' THEN
        i := 5;
    END IF;
    -- leading embedded options (?xyz)
    IF i + 1 <= n AND c[i] = '(' AND c[i + 1] = '?' AND i + 2 <= n AND c[i + 2] ~ '[a-z]' THEN
        WHILE i <= n AND c[i] <> ')' LOOP i := i + 1; END LOOP;
        i := i + 1;
    END IF;

    WHILE i <= n LOOP
        ch := c[i];
        nx := CASE WHEN i < n THEN c[i + 1] END;
        IF ch = E'\\' THEN
            IF nx ~ '^[1-9]$' THEN
                RETURN pg_catalog.format('back-reference \%s at position %s (back-references are not allowed)', nx, i);
            END IF;
            last_was_group := false;
            i := i + 2;
            CONTINUE;
        ELSIF ch = '[' THEN
            -- a bracket expression: ] first (or after ^) is literal; [: :] [. .] [= =] nest
            i := i + 1;
            IF i <= n AND c[i] = '^' THEN i := i + 1; END IF;
            IF i <= n AND c[i] = ']' THEN i := i + 1; END IF;
            WHILE i <= n AND c[i] <> ']' LOOP
                IF c[i] = '[' AND i < n AND c[i + 1] IN (':', '.', '=') THEN
                    nx := c[i + 1];
                    i := i + 2;
                    WHILE i < n AND NOT (c[i] = nx AND c[i + 1] = ']') LOOP i := i + 1; END LOOP;
                    i := i + 2;
                ELSIF c[i] = E'\\' THEN
                    IF i < n AND c[i + 1] ~ '^[1-9]$' THEN
                        RETURN pg_catalog.format('back-reference \%s at position %s (back-references are not allowed)', c[i + 1], i);
                    END IF;
                    i := i + 2;
                ELSE
                    i := i + 1;
                END IF;
            END LOOP;
            last_was_group := false;
            i := i + 1;
            CONTINUE;
        ELSIF ch = '(' THEN
            IF nx = '?' AND i + 2 <= n AND (c[i + 2] IN ('=', '!')
                   OR (c[i + 2] = '<' AND i + 3 <= n AND c[i + 3] IN ('=', '!'))) THEN
                kinds := kinds || 'L'::text;
            ELSE
                kinds := kinds || 'G'::text;
            END IF;
            counted := counted || false;
            last_was_group := false;
            i := i + 1;
            CONTINUE;
        ELSIF ch = ')' THEN
            IF pg_catalog.cardinality(kinds) > 0 THEN
                last_group_counted := counted[pg_catalog.cardinality(counted)];
                kinds := kinds[1:pg_catalog.cardinality(kinds) - 1];
                counted := counted[1:pg_catalog.cardinality(counted) - 1];
                IF last_group_counted AND pg_catalog.cardinality(counted) > 0 THEN
                    counted[pg_catalog.cardinality(counted)] := true;
                END IF;
            END IF;
            last_was_group := true;
            i := i + 1;
            CONTINUE;
        ELSIF ch IN ('*', '+') THEN
            IF 'L' = ANY (kinds) THEN
                RETURN pg_catalog.format('unbounded quantifier %s at position %s inside a lookaround constraint (re-run at every position: quadratic)', ch, i);
            END IF;
        ELSIF ch = '{' THEN
            m := pg_catalog.regexp_match(pg_catalog.substr(p_regex, i), '^\{([0-9]+)(,([0-9]*))?\}');
            IF m IS NOT NULL THEN
                IF pg_catalog.length(m[1]) > 4 OR pg_catalog.length(coalesce(m[3], '')) > 4 THEN
                    RETURN pg_catalog.format('counted repetition {%s%s} at position %s: bounds are at most 100', m[1], coalesce(m[2], ''), i);
                END IF;
                v_lo := m[1]::integer;
                v_hi := CASE WHEN m[2] IS NULL THEN v_lo WHEN m[3] = '' THEN NULL ELSE m[3]::integer END;
                IF v_lo > 100 OR v_hi > 100 THEN
                    RETURN pg_catalog.format('counted repetition {%s%s} at position %s: bounds are at most 100',
                                             m[1], coalesce(m[2], ''), i);
                END IF;
                IF v_hi IS NULL AND 'L' = ANY (kinds) THEN
                    RETURN pg_catalog.format('unbounded quantifier {%s,} at position %s inside a lookaround constraint', m[1], i);
                END IF;
                IF last_was_group AND last_group_counted THEN
                    RETURN pg_catalog.format('counted repetition at position %s applies to a group holding another counted repetition (nested counts multiply)', i);
                END IF;
                IF pg_catalog.cardinality(counted) > 0 THEN
                    counted[pg_catalog.cardinality(counted)] := true;
                END IF;
                i := i + pg_catalog.length(pg_catalog.concat(m[1], m[2])) + 2;
                last_was_group := false;
                CONTINUE;
            END IF;
        END IF;
        last_was_group := false;
        i := i + 1;
    END LOOP;

    IF p_measure THEN
        v_word := coalesce((pg_catalog.regexp_match(p_regex, '([A-Za-z][A-Za-z_-]{1,20})'))[1], 'rm');
        v_hostile := ARRAY[pg_catalog.repeat('a', 65536), pg_catalog.repeat(' ', 65536),
                           pg_catalog.repeat('a ', 32768), pg_catalog.repeat('-', 65536),
                           pg_catalog.left(pg_catalog.repeat(v_word || ' ', 65536 / (pg_catalog.length(v_word) + 1) + 1), 65536),
                           pg_catalog.left(pg_catalog.repeat(v_word || ' -' || v_word || ' /', 16384), 65536)];
        v_t0 := pg_catalog.clock_timestamp();
        FOREACH h IN ARRAY v_hostile LOOP
            BEGIN
                v_dummy := h ~* p_regex;
            EXCEPTION WHEN invalid_regular_expression OR program_limit_exceeded OR out_of_memory THEN
                RETURN 'the pattern fails on hostile input: ' || SQLERRM;
            END;
            IF pg_catalog.clock_timestamp() - v_t0 > interval '500 milliseconds' THEN
                RETURN pg_catalog.format('the pattern took over 500 ms on hostile inputs of 64 KiB (%s so far)',
                                         pg_catalog.clock_timestamp() - v_t0);
            END IF;
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.guardrail_regex_problem(text, boolean) IS
    'why a regular expression may not be a guardrail pattern (compile, length, back-references, counted bounds, lookaround quantifiers, empty match, time on hostile input), or NULL';

