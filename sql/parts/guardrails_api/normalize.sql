-- Normalisation: what text patterns see (coord_private.guardrail_normalize).
CREATE FUNCTION coord_private.guardrail_scan_limit()
RETURNS integer LANGUAGE sql IMMUTABLE
AS $$ SELECT 1114112 $$;
COMMENT ON FUNCTION coord_private.guardrail_scan_limit() IS
    'the most characters of a text the guardrail scan reads (1 MiB + 64 KiB); longer texts also match scan_limit_exceeded';

-- 1 to 100 characters and no blank: one word of an argv (inlined into guardrail_normalize)
CREATE FUNCTION coord_private.guardrail_is_word(p text)
RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$
    SELECT pg_catalog.length(p) BETWEEN 1 AND 100
       AND pg_catalog.strpos(p, ' ') = 0 AND pg_catalog.strpos(p, E'\n') = 0 AND pg_catalog.strpos(p, E'\t') = 0
$$;
COMMENT ON FUNCTION coord_private.guardrail_is_word(text) IS 'whether a JSON element is a single word (1-100 characters, no blank)';

CREATE FUNCTION coord_private.guardrail_normalize(p_text text)
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    v text := p_text;
BEGIN
    -- Linear in the text: plain replace() where possible, and no regular expression here
    -- needs captures or lookarounds (regexp_replace has to find exact match extents, for
    -- which such constructs are slow). Each step runs only when its trigger occurs.
    IF pg_catalog.strpos(v, '", "') > 0 THEN
        -- jsonb::text separates array elements and object members with '", "': between two
        -- single words it is an argv (["rm", "-rf", "/"] -> rm -rf /), otherwise it separates
        -- commands (["rm -rf build", "ls /"] -> rm -rf build ; ls /)
        SELECT pg_catalog.string_agg(
                   CASE WHEN s.o = 1 THEN s.p
                        WHEN coord_private.guardrail_is_word(pg_catalog.split_part(s.prev, '"', -1))
                         AND coord_private.guardrail_is_word(pg_catalog.split_part(s.p, '"', 1)) THEN ' ' || s.p
                        ELSE '" ; "' || s.p END, '' ORDER BY s.o)
          INTO v
          FROM (SELECT u.p, u.o, pg_catalog.lag(u.p) OVER (ORDER BY u.o) AS prev
                  FROM pg_catalog.unnest(pg_catalog.string_to_array(v, '", "')) WITH ORDINALITY AS u(p, o)) s;
    END IF;
    IF pg_catalog.strpos(v, E'\\') > 0 THEN
        v := pg_catalog.replace(v, E'\\\\', E'\x01');                        -- JSON-escaped backslash, kept aside
        v := pg_catalog.replace(v, E'\\n', E'\n');                           -- JSON \n
        v := pg_catalog.replace(v, E'\\t', ' ');                             -- JSON \t (\r \b \f: see below, \rm is rm)
        v := pg_catalog.replace(v, E'\\"', '"');                             -- JSON \"
        v := pg_catalog.replace(v, E'\\/', '/');                             -- JSON \/
        IF pg_catalog.strpos(v, E'\\u00') > 0 THEN
            v := pg_catalog.regexp_replace(v, '\\u00[0-1][0-9a-fA-F]', ' ', 'g');  -- JSON control escapes
        END IF;
        v := pg_catalog.replace(v, E'\x01', E'\\');                          -- the escaped backslash, back as one
        v := pg_catalog.replace(pg_catalog.replace(v, E'\\\r\n', ''), E'\\\n', '');  -- line continuations
    END IF;
    IF pg_catalog.strpos(v, '$') > 0 THEN
        v := pg_catalog.replace(pg_catalog.replace(v, '$''', ''''), '$"', '"');     -- $'...' and $"..."
        v := pg_catalog.regexp_replace(v, '\$\{IFS[^}]{0,10}\}|\$IFS', ' ', 'gi');    -- ${IFS} as a blank
        v := pg_catalog.regexp_replace(v, '\$\{?[@*]\}?', '', 'g');          -- empty expansions: r$@m -> rm
    END IF;
    IF pg_catalog.strpos(v, '"') > 0 OR pg_catalog.strpos(v, '''') > 0 THEN
        v := pg_catalog.regexp_replace(v, '[''"]', '', 'g');                 -- shell quoting: "r""m" -> rm
    END IF;
    IF pg_catalog.strpos(v, E'\\') > 0 THEN
        v := pg_catalog.replace(v, E'\\', '');                               -- \rm -> rm
    END IF;
    IF v ~ E'[\t\f\x0b\r\u00a0\u2000-\u200b\u3000]' THEN
        v := pg_catalog.regexp_replace(v, E'[\t\f\x0b\r\u00a0\u2000-\u200b\u3000]', ' ', 'g');
    END IF;
    IF pg_catalog.strpos(v, '  ') > 0 THEN
        v := pg_catalog.regexp_replace(v, ' {2,}', ' ', 'g');                -- runs of blanks -> one
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION coord_private.guardrail_normalize(text) IS
    'the text guardrail text patterns see: JSON escapes decoded, quotes, line continuations, ${IFS} and backslashes undone, blanks collapsed';

