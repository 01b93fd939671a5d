-- The SQL rules: SQL text (given to a client, or as the text itself) judged without its
-- string literals and comments.

-- SQL text without its string literals and comments, lower case.
CREATE FUNCTION coord_private.shell_sql_code(p text)
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    v text := p;
BEGIN
    -- (speed: each regular expression only when its first character occurs)
    IF pg_catalog.strpos(v, '$') > 0 THEN
        v := pg_catalog.regexp_replace(v, '\$([A-Za-z_]*)\$.*?\$\1\$', ' ''x'' ', 'g');
    END IF;
    IF pg_catalog.strpos(v, '--') > 0 OR pg_catalog.strpos(v, '/*') > 0 THEN
        v := pg_catalog.regexp_replace(v, '--[^\n]*|/\*.*?\*/', ' ', 'g');
    END IF;
    IF pg_catalog.strpos(v, '''') > 0 OR pg_catalog.strpos(v, '"') > 0 THEN
        v := pg_catalog.regexp_replace(v, '[Ee]?''(?:[^'']|'''')*''?|"(?:[^"]|"")*"?', ' ''x'' ', 'g');
    END IF;
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
       OR (pg_catalog.strpos(v_sql, 'truncate') > 0 AND v_sql ~ '(^|[;(]|\mthen|\mbegin)\s*truncate\s+(table\s+)?(only\s+)?[\w$."]+\*?\s*(,\s*[\w$."]+\s*)*($|;|\)|\m(cascade|restrict|restart|continue)\M)')
       OR (pg_catalog.strpos(v_sql, 'truncate') > 0 AND v_sql ~ '(^|[;(]|\mthen|\mbegin)\s*truncate\s+table\M')
       OR (pg_catalog.strpos(v_sql, 'delete') > 0 AND v_sql ~ '\mdelete\s+from\s+(only\s+)?[\w$."]+\*?(\s+(as\s+)?(?!where\M|using\M|returning\M)[\w$]+)?\s*($|;|\)|\mreturning\M)')
       OR (pg_catalog.strpos(v_sql, 'delete') > 0 AND v_sql ~ '\mdelete\s+from\s+[\w$."]+(\s+(as\s+)?[\w$]+)?\s+where\s+(1\s*=\s*1|true|1|0\s*=\s*0|''x''\s*=\s*''x'')\s*($|;|\))')
       OR (pg_catalog.strpos(v_sql, 'alter') > 0 AND v_sql ~ '\malter\s+table\s+(if\s+exists\s+)?(only\s+)?[\w$."]+\*?\s+([^;]*,\s*)?drop\s+(column\s+)?(if\s+exists\s+)?(?!constraint\M|default\M|not\M|identity\M|expression\M)[\w$"]+')
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

