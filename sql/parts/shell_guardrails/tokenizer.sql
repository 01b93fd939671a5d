-- The shell analyser, part 1: lexing a command text into simple commands.
--
-- One simple command of an analysed text (coord_private.shell_commands returns a set):
--   seq        order of output (a nested command comes after the one that contains it)
--   depth      0 for the text itself; +1 inside sh -c / eval / $(...) / heredoc code / inline code
--   context    shell, sh-c, eval, subst, heredoc-code, ssh, exec, inline-python, inline-perl,
--              inline-ruby, inline-node, inline-php, sql, limit (the analysis stopped: fail closed)
--   pipeline   an id unique within the analysis; the commands of one pipeline share it
--   pipe_pos   0 for the first command of a pipeline, 1 for the one reading its output, ...
--   program    the basename of the command word after assignments, keywords and wrappers
--              (lower case); for context limit: the bound that was hit
--   argv       the words from the program's word on, quotes removed, escapes decoded
--   redirects  'op target' for each redirection (>, >>, 2>, &>, <, <<<, >&, ...)
--   input      the body of a heredoc or the word of a here-string given to the command
--   wrappers   the wrappers that were unwrapped (sudo, env, timeout, xargs, ...)
CREATE TYPE coord_private.shell_command AS (
    seq       integer,
    depth     integer,
    context   text,
    pipeline  text,
    pipe_pos  integer,
    program   text,
    argv      text[],
    redirects text[],
    input     text,
    wrappers  text[]
);
COMMENT ON TYPE coord_private.shell_command IS
    'one simple command of an analysed shell text (coord_private.shell_commands)';

-- The bounds of the analysis (past any of them the analysis emits a context limit row,
-- which the rules turn into the block match shell_analysis_limit).
CREATE FUNCTION coord_private.shell_limits()
RETURNS TABLE (max_bytes integer, max_depth integer, max_tokens integer, max_commands integer, max_heredocs integer)
LANGUAGE sql IMMUTABLE
AS $$ SELECT 1048576, 6, 50000, 5000, 16 $$;
COMMENT ON FUNCTION coord_private.shell_limits() IS
    'bounds of the shell analysis: 1 MiB of text, nesting depth 6, 50 000 tokens (divided by (depth + 1)^2 in nested code) and 5 000 commands per text, 16 heredocs';

-- $'...' (ANSI-C quoting): the escapes bash decodes.
CREATE FUNCTION coord_private.shell_ansi_c(p text)
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    v text := '';
    m text[];
BEGIN
    IF pg_catalog.strpos(p, E'\\') = 0 THEN
        RETURN p;
    END IF;
    v := '';
    FOR m IN SELECT pg_catalog.regexp_matches(p, E'(\\\\(?:x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|[0-7]{1,3}|c.|.))|([^\\\\]+)|(\\\\$)', 'g') LOOP
        IF m[2] IS NOT NULL THEN
            v := v || m[2];
        ELSIF m[1] IS NOT NULL THEN
            m[1] := pg_catalog.substr(m[1], 2);
            v := v || CASE
                WHEN m[1] ~ '^x.' THEN pg_catalog.chr(greatest(1, ('x' || pg_catalog.lpad(pg_catalog.substr(m[1], 2), 8, '0'))::bit(32)::integer))
                WHEN m[1] ~ '^u.' THEN pg_catalog.chr(greatest(1, ('x' || pg_catalog.lpad(pg_catalog.substr(m[1], 2), 8, '0'))::bit(32)::integer))
                WHEN m[1] ~ '^[0-7]' THEN pg_catalog.chr(greatest(1, (SELECT sum((pg_catalog.substr(m[1], i, 1))::integer * (8 ^ (pg_catalog.length(m[1]) - i)))::integer
                                                                        FROM pg_catalog.generate_series(1, pg_catalog.length(m[1])) i) % 256))
                WHEN m[1] = 'n' THEN E'\n' WHEN m[1] = 't' THEN E'\t' WHEN m[1] = 'r' THEN E'\r'
                WHEN m[1] IN ('a', 'b', 'e', 'E', 'f', 'v') OR m[1] ~ '^c' THEN ' '
                ELSE m[1] END;
        END IF;
    END LOOP;
    RETURN v;
END
$$;
COMMENT ON FUNCTION coord_private.shell_ansi_c(text) IS 'the value of the body of a $''...'' word (\n \t \xHH \uHHHH \NNN \\ \'' decoded)';

-- The words and commands of one shell text, without unwrapping (shell_commands does that).
-- Lexing is one regular expression (. matches a newline too, so \\. covers a line
-- continuation; the operators are written as few alternatives: it compiles faster, and it
-- is compiled again after the rules' many expressions pushed it out of the cache):
-- every token starts with a distinct character class,
-- so PostgreSQL's leftmost-longest matching cannot confuse them; whatever no
-- alternative covers is a single-character token of its own (nothing is skipped).
-- Heredoc bodies are cut out by position and lexing starts afresh after the terminator, so a
-- quote inside a body cannot swallow the commands after it.
-- Returns one row per simple command: ordinal, pipeline number, position in it, words,
-- redirections, input (heredoc or here-string), plus the texts of $(...), `...`,
-- <(...) and >(...) in rows with words NULL and input = the substituted text.
CREATE FUNCTION coord_private.shell_lex(p_text text, p_depth integer DEFAULT 0)
RETURNS TABLE (ord integer, pipeline integer, pipe_pos integer, words text[], redirects text[], input text, subst boolean)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    c_tokens constant text := '\n|[ \t\r\f\v]+|#[^\n]*|\$''(?:[^''\\]|\\.)*''?|\$\(\(?|\$\{[^}\n]*\}?|\$[A-Za-z0-9_@*#?!$-]?|''[^'']*''?|"(?:[^"\\]|\\.)*"?|\\.|\\$|`|&[&>]?|&>>|\|[|&]?|;[;&]?|<(?:<[<-]?|[&>(])?|>[>&|(]?|[()]|[^ \t\r\f\v\n''"\\`&|;<>()$#][^ \t\r\f\v\n''"\\`&|;<>()$]*[ \t\r\f\v]*';
    l record;
    v_len integer := pg_catalog.length(p_text);
    v_base integer := 0;          -- characters of p_text before the current window
    v_win text;                   -- the window being lexed
    v_wsize integer := 8192;      -- its size (doubled while a single token does not fit)
    v_trunc boolean;              -- the window ends before the text
    v_toks text[];                -- the tokens of the window that are certainly whole
    v_acc integer;                -- their characters
    v_k integer;                  -- the current token's index in v_toks
    v_lim_hit boolean;
    v_restart boolean;
    t text;
    v_ntok integer := 0;
    v_prev_blank boolean := true;
    -- current word
    w text := ''; w_active boolean := false; w_digits boolean := true;
    -- current command
    v_words text[] := '{}'; v_redirs text[] := '{}'; v_pending text;
    v_cmds_words text[][] := NULL;
    -- output buffer
    o_pipe integer[] := '{}'; o_pos integer[] := '{}'; o_words text[] := '{}'; o_redirs text[] := '{}';
    o_input text[] := '{}'; o_subst boolean[] := '{}';
    v_pipeline integer := 1; v_pipe_pos integer := 0;
    -- substitutions being collected
    v_sub_depth integer := 0; v_sub text; v_bt boolean := false;
    -- heredocs waiting for the next newline
    hd_delim text[] := '{}'; hd_dash boolean[] := '{}'; hd_cmd integer[] := '{}';
    v_rest text; v_p integer; v_body text; v_line text; v_i integer;
    m text[];
    c_lim record;
    v_nheredocs integer := 0;
    -- a word's raw text (for $(...) display and substitution scanning)
    v_inner text;
    v_max_tokens integer;
    v_parts text[];
    v_herestr text;
    c text;                       -- the first character of the token
BEGIN
    SELECT * INTO c_lim FROM coord_private.shell_limits();
    v_max_tokens := c_lim.max_tokens / ((coalesce(p_depth, 0) + 1) * (coalesce(p_depth, 0) + 1));
    -- The text is lexed in windows of v_wsize characters (one regexp_matches call each,
    -- its tokens taken into an array by one statement): a window that ends before the text
    -- keeps only the tokens that end at least two characters before its end (a token the
    -- window's end could have cut short: a quoted word cut at a backslash ends one
    -- character early, any other one at the end); the next window starts after them.
    -- After a heredoc's terminator the next window starts there, so the rest of the text
    -- is never lexed more than once per heredoc beyond one window.
    <<segments>>
    LOOP
        v_restart := false;
        v_win := pg_catalog.substr(p_text, v_base + 1, v_wsize);
        v_trunc := v_base + v_wsize < coalesce(v_len, 0);
        IF v_trunc THEN
            v_acc := pg_catalog.length(v_win) - 2;     -- a variable: not evaluated per row in a generic plan
            SELECT pg_catalog.array_agg(s.tok ORDER BY s.o), coalesce(sum(pg_catalog.length(s.tok)), 0)::integer
              INTO v_toks, v_acc
              FROM (SELECT x.m[1] AS tok, x.o, sum(pg_catalog.length(x.m[1])) OVER (ORDER BY x.o) AS e
                      FROM pg_catalog.regexp_matches(v_win, c_tokens, 'g') WITH ORDINALITY AS x(m, o)) s
             WHERE s.e <= v_acc;
            IF v_toks IS NULL THEN
                v_wsize := v_wsize * 2;                -- one token longer than the window
                CONTINUE segments;
            END IF;
        ELSE
            v_toks := ARRAY(SELECT x[1] FROM pg_catalog.regexp_matches(v_win, c_tokens, 'g') x);
        END IF;
        -- the token bound: only the tokens up to it are processed, then the limit row
        v_lim_hit := v_ntok + pg_catalog.cardinality(v_toks) > v_max_tokens;
        IF v_lim_hit THEN
            v_toks := v_toks[1:v_max_tokens - v_ntok];
        END IF;
        v_k := 0;
        <<tokens>>
        FOREACH t IN ARRAY v_toks LOOP
            v_k := v_k + 1;
            c := pg_catalog.left(t, 1);
            IF v_sub_depth > 0 OR v_bt THEN
                -- inside $( ... ): collect until the matching parenthesis
                IF v_sub_depth > 0 THEN
                    IF t IN ('$(', '<(', '>(', '(') THEN
                        v_sub_depth := v_sub_depth + 1;
                    ELSIF t = '$((' THEN
                        v_sub_depth := v_sub_depth + 2;
                    ELSIF t = ')' THEN
                        v_sub_depth := v_sub_depth - 1;
                    END IF;
                    IF v_sub_depth = 0 THEN
                        v_sub := pg_catalog.array_to_string(v_parts, '');
                        o_pipe := o_pipe || 0; o_pos := o_pos || 0; o_words := o_words || NULL::text; o_redirs := o_redirs || NULL::text;
                        o_input := o_input || v_sub; o_subst := o_subst || true;
                        w := w || '$(' || v_sub || ')'; w_active := true; w_digits := false;
                    ELSE
                        v_parts := v_parts || t;
                    END IF;
                    v_prev_blank := false;
                    CONTINUE;
                END IF;
                IF v_bt THEN
                    IF t = '`' THEN
                        v_bt := false;
                        v_sub := pg_catalog.array_to_string(v_parts, '');
                        o_pipe := o_pipe || 0; o_pos := o_pos || 0; o_words := o_words || NULL::text; o_redirs := o_redirs || NULL::text;
                        o_input := o_input || v_sub; o_subst := o_subst || true;
                        w := w || '`' || v_sub || '`'; w_active := true; w_digits := false;
                    ELSE
                        v_parts := v_parts || t;
                    END IF;
                    v_prev_blank := false;
                    CONTINUE;
                END IF;
            END IF;

            -- a plain part of a word (the usual case). (speed) The blanks after it are in its
            -- token, so a word and the blank that ends it take one turn of this loop: the part
            -- is added, then the blanks are handled below as a blank token would be.
            IF pg_catalog.strpos(E' \t\r\f\x0b\n;&|<>()''"$`\\#', c) = 0 THEN
                v_prev_blank := false;
                v_inner := pg_catalog.rtrim(t, E' \t\r\f\x0b');
                w := w || v_inner;
                w_active := true;
                IF w_digits AND pg_catalog.ltrim(v_inner, '0123456789') <> '' THEN
                    w_digits := false;
                END IF;
                CONTINUE WHEN pg_catalog.length(v_inner) = pg_catalog.length(t);
                t := ' '; c := ' ';
            END IF;
            -- a word ends: at a blank, a newline, an operator, a comment
            IF pg_catalog.strpos(E' \t\r\f\x0b\n;&|<>()', c) > 0 AND t NOT IN ('<(', '>(')
               OR (c = '#' AND NOT w_active) THEN
                IF w_active THEN
                    IF (c IN ('<', '>') OR pg_catalog.left(t, 2) = '&>') AND w_digits AND NOT v_prev_blank AND v_pending IS NULL THEN
                        t := w || t;                      -- 2>, 1>>, 0<: the word was a file descriptor
                    ELSIF v_pending IS NOT NULL THEN
                        -- (a heredoc, not a here-string: <<< WORD ends on its line, what follows is commands)
                        IF (pg_catalog.right(v_pending, 2) = '<<' AND pg_catalog.right(v_pending, 3) <> '<<<') OR pg_catalog.right(v_pending, 3) = '<<-' THEN
                            hd_delim := hd_delim || w; hd_dash := hd_dash || (pg_catalog.right(v_pending, 1) = '-');
                            hd_cmd := hd_cmd || (pg_catalog.cardinality(o_pipe) + 1);
                            v_nheredocs := v_nheredocs + 1;
                        END IF;
                        IF pg_catalog.right(v_pending, 3) = '<<<' THEN
                            v_herestr := coalesce(v_herestr || E'\n', '') || w;
                        END IF;
                        v_redirs := v_redirs || (v_pending || ' ' || w);
                        v_pending := NULL;
                    ELSE
                        v_words := v_words || w;
                    END IF;
                    w := ''; w_active := false; w_digits := true;
                END IF;
                IF pg_catalog.strpos(E' \t\r\f\x0b', c) > 0 THEN
                    v_prev_blank := true;
                    CONTINUE;
                END IF;
                IF c = '#' THEN
                    CONTINUE;                              -- a comment, to the end of the line
                END IF;
                IF pg_catalog.ltrim(t, '0123456789') IN ('<<<', '<<-', '<<', '<&', '<>', '<', '>>', '>&', '>|', '>', '&>>', '&>') THEN
                    v_pending := t;
                    v_prev_blank := false;
                    CONTINUE;
                END IF;
                -- a separator: the command ends
                IF pg_catalog.cardinality(v_words) > 0 OR pg_catalog.cardinality(v_redirs) > 0 THEN
                    IF pg_catalog.cardinality(o_pipe) >= c_lim.max_commands THEN
                        ord := 0; pipeline := 0; pipe_pos := 0; words := ARRAY['command_count']; redirects := NULL; input := NULL; subst := NULL;
                        RETURN NEXT;
                        RETURN;
                    END IF;
                    o_pipe := o_pipe || v_pipeline; o_pos := o_pos || v_pipe_pos;
                    o_words := o_words || pg_catalog.array_to_string(v_words, E'\x1f', '');
                    o_redirs := o_redirs || pg_catalog.array_to_string(v_redirs, E'\x1f', '');
                    o_input := o_input || v_herestr; o_subst := o_subst || false;
                    v_herestr := NULL;
                    -- an empty word list still is one element: remember it by a marker
                    IF pg_catalog.cardinality(v_words) = 0 THEN
                        o_words[pg_catalog.cardinality(o_words)] := NULL;
                    END IF;
                END IF;
                v_words := '{}'; v_redirs := '{}'; v_pending := NULL;
                IF t IN ('|', '|&') THEN
                    v_pipe_pos := v_pipe_pos + 1;
                ELSE
                    v_pipeline := v_pipeline + 1; v_pipe_pos := 0;
                END IF;
                v_prev_blank := true;
                IF t = E'\n' AND pg_catalog.cardinality(hd_delim) > 0 THEN
                    IF v_nheredocs > c_lim.max_heredocs THEN
                        ord := 0; pipeline := 0; pipe_pos := 0; words := ARRAY['heredoc_count']; redirects := NULL; input := NULL; subst := NULL;
                        RETURN NEXT;
                        RETURN;
                    END IF;
                    -- the bodies, in order, then lex what follows the last terminator afresh
                    v_rest := pg_catalog.substr(p_text, v_base + (SELECT sum(pg_catalog.length(x))::integer FROM pg_catalog.unnest(v_toks[1:v_k]) x) + 1);
                    FOR v_i IN 1 .. pg_catalog.cardinality(hd_delim) LOOP
                        IF hd_dash[v_i] THEN
                            v_body := NULL;
                            v_p := 0;
                            FOR v_line IN SELECT x FROM pg_catalog.unnest(pg_catalog.string_to_array(v_rest, E'\n')) x LOOP
                                IF pg_catalog.rtrim(pg_catalog.ltrim(v_line, E'\t'), E'\r') = hd_delim[v_i] THEN
                                    v_body := coalesce(v_body, '');
                                    v_p := v_p + pg_catalog.length(v_line) + 1;
                                    EXIT;
                                END IF;
                                v_body := coalesce(v_body || E'\n', '') || v_line;
                                v_p := v_p + pg_catalog.length(v_line) + 1;
                            END LOOP;
                            v_rest := pg_catalog.substr(v_rest, v_p + 1);
                        ELSE
                            v_p := pg_catalog.strpos(E'\n' || v_rest || E'\n', E'\n' || hd_delim[v_i] || E'\n');
                            IF v_p = 0 THEN
                                v_p := pg_catalog.strpos(E'\n' || v_rest || E'\n', E'\n' || hd_delim[v_i] || E'\r\n');
                            END IF;
                            IF v_p = 0 THEN
                                v_body := v_rest; v_rest := '';
                            ELSE
                                v_body := pg_catalog.left(v_rest, greatest(v_p - 2, 0));
                                v_rest := pg_catalog.substr(v_rest, v_p + pg_catalog.length(hd_delim[v_i]) + 1);
                            END IF;
                        END IF;
                        IF hd_cmd[v_i] <= pg_catalog.cardinality(o_input) THEN
                            o_input[hd_cmd[v_i]] := coalesce(o_input[hd_cmd[v_i]] || E'\n', '') || v_body;
                        END IF;
                    END LOOP;
                    hd_delim := '{}'; hd_dash := '{}'; hd_cmd := '{}';
                    v_ntok := v_ntok + v_k;
                    v_base := v_len - pg_catalog.length(v_rest);
                    v_restart := true;
                    EXIT tokens;
                END IF;
                CONTINUE;
            END IF;

            -- parts of a word
            v_prev_blank := false;
            IF pg_catalog.strpos(E'''"$`\\<>', c) = 0 THEN
                w := w || t;                              -- a plain part the branch above left: '#...' inside a word
                w_active := true;
                IF w_digits AND pg_catalog.ltrim(t, '0123456789') <> '' THEN
                    w_digits := false;
                END IF;
                CONTINUE;
            END IF;
            IF t = '$(' OR t = '$((' OR t = '<(' OR t = '>(' THEN
                v_sub_depth := CASE WHEN t = '$((' THEN 2 ELSE 1 END;
                v_parts := CASE WHEN t = '$((' THEN ARRAY['('] ELSE '{}'::text[] END;
                IF t IN ('<(', '>(') THEN
                    w := w || pg_catalog.left(t, 1);
                END IF;
                w_active := true; w_digits := false;
                CONTINUE;
            END IF;
            IF t = '`' THEN
                v_bt := true; v_parts := '{}';
                w_active := true; w_digits := false;
                CONTINUE;
            END IF;
            w_active := true;
            IF c = '''' THEN
                w := w || pg_catalog.substr(t, 2, pg_catalog.length(t) - CASE WHEN pg_catalog.right(t, 1) = '''' AND pg_catalog.length(t) > 1 THEN 2 ELSE 1 END);
                w_digits := false;
            ELSIF pg_catalog.left(t, 2) = '$''' THEN
                w := w || coord_private.shell_ansi_c(pg_catalog.substr(t, 3, pg_catalog.length(t) - CASE WHEN pg_catalog.right(t, 1) = '''' AND pg_catalog.length(t) > 2 THEN 3 ELSE 2 END));
                w_digits := false;
            ELSIF c = '"' THEN
                v_inner := pg_catalog.substr(t, 2, pg_catalog.length(t) - CASE WHEN pg_catalog.right(t, 1) = '"' AND pg_catalog.length(t) > 1
                    AND (pg_catalog.length(t) - 1 - pg_catalog.length(pg_catalog.rtrim(pg_catalog.left(t, -1), E'\\'))) % 2 = 0 THEN 2 ELSE 1 END);
                -- substitutions inside double quotes are analysed too
                IF pg_catalog.strpos(v_inner, '$(') > 0 OR pg_catalog.strpos(v_inner, '`') > 0 THEN
                    FOR l IN SELECT coalesce(x[1], x[2]) AS s
                               FROM pg_catalog.regexp_matches(v_inner, '\$\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)?|`((?:[^`\\]|\\.)*)`?', 'g') x LOOP
                        o_pipe := o_pipe || 0; o_pos := o_pos || 0; o_words := o_words || NULL::text; o_redirs := o_redirs || NULL::text;
                        o_input := o_input || pg_catalog.replace(pg_catalog.replace(l.s, E'\\"', '"'), E'\\\\', E'\\'); o_subst := o_subst || true;
                    END LOOP;
                END IF;
                IF pg_catalog.strpos(v_inner, E'\\') > 0 THEN
                    v_inner := pg_catalog.replace(v_inner, E'\\\n', '');
                    v_inner := pg_catalog.regexp_replace(v_inner, E'\\\\([$`"\\\\])', E'\\1', 'g');
                END IF;
                w := w || v_inner;
                w_digits := false;
            ELSIF c = E'\\' THEN
                IF t <> E'\\\n' THEN
                    w := w || pg_catalog.substr(t, 2);
                    w_digits := false;
                ELSIF w = '' THEN
                    w_active := false;                    -- a line continuation between words
                END IF;
            ELSE
                w := w || t;
                IF pg_catalog.ltrim(t, '0123456789') <> '' THEN
                    w_digits := false;
                END IF;
            END IF;
        END LOOP tokens;
        CONTINUE segments WHEN v_restart;
        v_ntok := v_ntok + pg_catalog.cardinality(v_toks);
        IF v_lim_hit THEN
            ord := 0; pipeline := 0; pipe_pos := 0; words := ARRAY['token_count']; redirects := NULL; input := NULL; subst := NULL;
            RETURN NEXT;
            RETURN;
        END IF;
        EXIT segments WHEN NOT v_trunc;
        v_base := v_base + v_acc;
    END LOOP segments;

    -- the end of the text ends the last word and command
    IF v_sub_depth > 0 OR v_bt THEN                       -- unterminated: analyse what there is
        v_sub := pg_catalog.array_to_string(v_parts, '');
        o_pipe := o_pipe || 0; o_pos := o_pos || 0; o_words := o_words || NULL::text; o_redirs := o_redirs || NULL::text;
        o_input := o_input || v_sub; o_subst := o_subst || true;
        w := w || '$(' || v_sub; w_active := true;
    END IF;
    IF w_active THEN
        IF v_pending IS NOT NULL THEN
            IF pg_catalog.right(v_pending, 3) = '<<<' THEN
                v_herestr := coalesce(v_herestr || E'\n', '') || w;
            END IF;
            v_redirs := v_redirs || (v_pending || ' ' || w);
        ELSE
            v_words := v_words || w;
        END IF;
    END IF;
    IF pg_catalog.cardinality(v_words) > 0 OR pg_catalog.cardinality(v_redirs) > 0 THEN
        o_pipe := o_pipe || v_pipeline; o_pos := o_pos || v_pipe_pos;
        o_words := o_words || CASE WHEN pg_catalog.cardinality(v_words) > 0 THEN pg_catalog.array_to_string(v_words, E'\x1f', '') END;
        o_redirs := o_redirs || pg_catalog.array_to_string(v_redirs, E'\x1f', '');
        o_input := o_input || v_herestr; o_subst := o_subst || false;
    END IF;
    -- heredocs never terminated by a newline: their body is empty
    FOR v_i IN 1 .. coalesce(pg_catalog.cardinality(o_pipe), 0) LOOP
        ord := v_i; pipeline := o_pipe[v_i]; pipe_pos := o_pos[v_i]; subst := o_subst[v_i]; input := o_input[v_i];
        words := CASE WHEN o_subst[v_i] THEN NULL WHEN o_words[v_i] IS NULL THEN '{}'::text[]
                      ELSE pg_catalog.string_to_array(o_words[v_i], E'\x1f') END;
        redirects := CASE WHEN o_redirs[v_i] IS NULL OR o_redirs[v_i] = '' THEN '{}'::text[]
                          ELSE pg_catalog.string_to_array(o_redirs[v_i], E'\x1f') END;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord_private.shell_lex(text, integer) IS
    'the simple commands of a shell text as words (quotes removed, escapes decoded), redirections and heredoc input, '
    'plus the texts of its command substitutions; a row with ord 0 names a bound that was hit';
