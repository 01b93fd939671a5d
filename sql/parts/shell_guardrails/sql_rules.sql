-- The SQL rules: SQL text (given to a client, or as the text itself) judged without its
-- string literals and comments.

-- SQL text without its string literals and comments, lower case.
-- One scan from left to right (red team, issue 16): whatever opens first wins, as in the
-- SQL lexer. Separate passes let one kind of quote hide another: SELECT '$$'; DROP TABLE t;
-- SELECT '$$' (a dollar pass swallowed the DROP), SELECT E'\''; DROP TABLE t; --' (an
-- E-string's \' read as the end). A double-quoted name stays a name ("q"), so
-- delete from "users" is still a delete of a table. Past 20 000 000 characters scanned
-- (a huge text with many literals) the text is judged as it is (fail closed).
CREATE FUNCTION coord_private.shell_sql_code(p text)
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    v text := '';
    i integer := 1;
    j integer;
    k integer;
    c text;
    t text;
    v_len integer := pg_catalog.length(p);
    v_work bigint := 0;
BEGIN
    -- (speed: nothing to strip, no scan)
    IF pg_catalog.strpos(p, '''') = 0 AND pg_catalog.strpos(p, '"') = 0 AND pg_catalog.strpos(p, '$') = 0
       AND pg_catalog.strpos(p, '--') = 0 AND pg_catalog.strpos(p, '/*') = 0 THEN
        RETURN pg_catalog.lower(pg_catalog.regexp_replace(p, '\s+', ' ', 'g'));
    END IF;
    LOOP
        j := pg_catalog.regexp_instr(p, '--|/\*|''|"|\$([A-Za-z_][A-Za-z0-9_]*)?\$', i);
        IF j = 0 THEN
            v := v || pg_catalog.substr(p, i);
            EXIT;
        END IF;
        v_work := v_work + v_len - j;
        IF v_work > 20000000 THEN
            RETURN pg_catalog.lower(pg_catalog.regexp_replace(p, '\s+', ' ', 'g'));
        END IF;
        v := v || pg_catalog.substr(p, i, j - i);
        c := pg_catalog.substr(p, j, 1);
        IF c = '-' THEN                                  -- -- comment, to the end of the line
            k := pg_catalog.strpos(pg_catalog.substr(p, j), E'\n');
            EXIT WHEN k = 0;
            v := v || ' ';
            i := j + k;
        ELSIF c = '/' THEN                               -- /* comment */
            k := pg_catalog.strpos(pg_catalog.substr(p, j + 2), '*/');
            EXIT WHEN k = 0;
            v := v || ' ';
            i := j + 2 + k + 1;
        ELSIF c = '''' THEN                              -- 'literal', E'literal with \' escapes'
            IF j > 1 AND pg_catalog.substr(p, j - 1, 1) IN ('E', 'e') AND (j = 2 OR pg_catalog.substr(p, j - 2, 1) !~ '[A-Za-z0-9_$]') THEN
                t := pg_catalog.substring(pg_catalog.substr(p, j), '^''(?:[^''\\]|\\.|'''')*''?');
            ELSE
                t := pg_catalog.substring(pg_catalog.substr(p, j), '^''(?:[^'']|'''')*''?');
            END IF;
            v := v || ' ''x'' ';
            i := j + pg_catalog.length(t);
        ELSIF c = '"' THEN                               -- "identifier": a name
            t := pg_catalog.substring(pg_catalog.substr(p, j), '^"(?:[^"]|"")*"?');
            v := v || '"q"';
            i := j + pg_catalog.length(t);
        ELSE                                             -- $tag$ ... $tag$
            t := pg_catalog.substring(pg_catalog.substr(p, j), '^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$');
            k := pg_catalog.strpos(pg_catalog.substr(p, j + pg_catalog.length(t)), t);
            v := v || ' ''x'' ';
            EXIT WHEN k = 0;
            i := j + pg_catalog.length(t) + k - 1 + pg_catalog.length(t);
        END IF;
    END LOOP;
    RETURN pg_catalog.lower(pg_catalog.regexp_replace(v, '\s+', ' ', 'g'));
END
$$;
COMMENT ON FUNCTION coord_private.shell_sql_code(text) IS 'SQL with string literals replaced by ''x'' and comments removed, lower case, blanks collapsed';

-- The SQL rules over a SQL text (bare, given to a client, or executed by a driver):
-- sql_destroy and sql_update_without_where.
CREATE FUNCTION coord_private.shell_sql_hits(p_sql text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    v_sql text := coord_private.shell_sql_code(p_sql);
    v_hits text[] := '{}';
BEGIN
    -- (speed: the regular expressions only when their keyword occurs)
    IF (pg_catalog.strpos(v_sql, 'drop') > 0 AND v_sql ~ '\mdrop\s+(database|schema|table|owned\s+by|tablespace|keyspace)\M')
       OR (pg_catalog.strpos(v_sql, 'truncate') > 0 AND v_sql ~ '(^|[;(]|\mthen|\mbegin)\s*truncate\s+(table\s+)?(only\s+)?[\w$."'']+\*?\s*(,\s*[\w$."'']+\s*)*($|;|\)|\m(cascade|restrict|restart|continue)\M)')
       OR (pg_catalog.strpos(v_sql, 'truncate') > 0 AND v_sql ~ '(^|[;(]|\mthen|\mbegin)\s*truncate\s+table\M')
       OR (pg_catalog.strpos(v_sql, 'delete') > 0 AND v_sql ~ '\mdelete\s+from\s+(only\s+)?[\w$."'']+\*?(\s+(as\s+)?(?!where\M|using\M|returning\M)[\w$]+)?\s*($|;|\)|\mreturning\M)')
       OR (pg_catalog.strpos(v_sql, 'delete') > 0 AND v_sql ~ '\mdelete\s+from\s+[\w$."]+(\s+(as\s+)?[\w$]+)?\s+where\s+(1\s*=\s*1|true|1|0\s*=\s*0|''x''\s*=\s*''x'')\s*($|;|\))')
       OR (pg_catalog.strpos(v_sql, 'delete') > 0 AND v_sql ~ '\mdelete\s+from\s+[^;]*\swhere\s[^;]*\mor\s+(1\s*=\s*1|true|0\s*=\s*0|''x''\s*=\s*''x'')\s*($|;|\))')
       OR (pg_catalog.strpos(v_sql, 'alter') > 0 AND v_sql ~ '\malter\s+table\s+(if\s+exists\s+)?(only\s+)?[\w$."'']+\*?\s+([^;]*,\s*)?drop\s+(column\s+)?(if\s+exists\s+)?(?!constraint\M|default\M|not\M|identity\M|expression\M)[\w$"]+')
       OR ((pg_catalog.strpos(v_sql, 'drop') > 0 OR pg_catalog.strpos(v_sql, 'flush') > 0) AND v_sql ~ '\mdropdatabase\s*\(|\mflushall\M|\mflushdb\M') THEN
        v_hits := v_hits || 'sql_destroy'::text;
    ELSIF pg_catalog.strpos(v_sql, ' where ') > 0 AND pg_catalog.strpos(v_sql, 'delete') > 0
          AND v_sql ~ '\mdelete\s+from\s+[\w$."]+(\s+(as\s+)?[\w$]+)?\s+where\s+([\w.]+)\s*=\s*\3\s*($|;|\))' THEN
        v_hits := v_hits || 'sql_destroy'::text;     -- WHERE id = id
    ELSIF pg_catalog.strpos(pg_catalog.lower(p_sql), 'execute') > 0 THEN
        -- dynamic SQL that runs: EXECUTE 'DROP TABLE ' || ..., EXECUTE format('TRUNCATE %I', ...)
        IF pg_catalog.lower(p_sql) ~ '\mexecute\s+(format\s*\(\s*)?e?''\s*(drop\s+(database|schema|table|owned)|truncate|delete\s+from\s+\S+\s*''\s*(\|\||,|\)|;))' THEN
            v_hits := v_hits || 'sql_destroy'::text;
        END IF;
    END IF;
    IF pg_catalog.strpos(v_sql, 'update') > 0 AND v_sql ~ '\mupdate\s+(only\s+)?[\w$."]+(\s+(as\s+)?(?!set\M)[\w$]+)?\s+set\s+([^;w]|w(?!here\M))*(;|$)' THEN
        v_hits := v_hits || 'sql_update_without_where'::text;
    END IF;
    RETURN v_hits;
END
$$;
COMMENT ON FUNCTION coord_private.shell_sql_hits(text) IS 'the SQL rules (sql_destroy, sql_update_without_where) a SQL text matches';

