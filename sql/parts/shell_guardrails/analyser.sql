-- The shell analyser, part 2: assignments, keywords and wrappers removed, nested code
-- (sh -c, eval, $(...), heredocs and here-strings given to shells and interpreters,
-- inline interpreter code, SQL given to database clients) analysed recursively.

-- Shells, interpreters and database clients by program name.
CREATE FUNCTION coord_private.shell_kind(p_program text)
RETURNS text LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN p_program IN ('sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'busybox', 'fish', 'rbash', 'tcsh', 'csh') THEN 'shell'
        WHEN (pg_catalog.left(p_program, 6) = 'python' AND pg_catalog.ltrim(pg_catalog.substr(p_program, 7), '0123456789.') = '')
          OR (pg_catalog.left(p_program, 4) = 'pypy' AND pg_catalog.ltrim(pg_catalog.substr(p_program, 5), '0123456789.') = '') THEN 'python'
        WHEN pg_catalog.left(p_program, 4) = 'perl' AND pg_catalog.ltrim(pg_catalog.substr(p_program, 5), '0123456789.') = '' THEN 'perl'
        WHEN p_program IN ('ruby', 'jruby', 'irb') THEN 'ruby'
        WHEN p_program IN ('node', 'nodejs', 'bun', 'deno') THEN 'node'
        WHEN pg_catalog.left(p_program, 3) = 'php' AND pg_catalog.ltrim(pg_catalog.substr(p_program, 4), '0123456789.') = '' THEN 'php'
        WHEN p_program IN ('psql', 'mysql', 'mariadb', 'sqlite3', 'sqlite', 'duckdb', 'cockroach', 'clickhouse-client',
                           'sqlcmd', 'snowsql', 'bq', 'pgcli', 'mycli', 'usql', 'cqlsh') THEN 'sql'
        ELSE NULL END
$$;
COMMENT ON FUNCTION coord_private.shell_kind(text) IS 'shell, python, perl, ruby, node, php or sql for a program that runs code it is given; NULL otherwise';

-- Destructive calls in inline interpreter code, as synthetic commands: a recursive
-- delete becomes rm -rf TARGET, a file delete rm -f TARGET, a shell-out (os.system,
-- subprocess, system, exec, execSync, backticks) the commands of its string.
-- TARGET is the call's first argument when it is a string literal, ~ for the home
-- directory however spelled (expanduser, Path.home(), os.homedir(), ENV['HOME']),
-- otherwise <expr> (a variable: not judged).
CREATE FUNCTION coord_private.shell_inline_targets(p_code text)
RETURNS TABLE (kind text, target text)
LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    m text[];
    v_arg text;
    v_start integer; v_s integer; v_e integer;
    c_calls constant text := '(shutil\.rmtree|rmtree|remove_tree|rm_rf|rm_r|FileUtils\.rm_rf|FileUtils\.remove_dir|fs\.rmSync|rmSync|fs\.rmdirSync|rmdirSync|fs\.rm|fs\.promises\.rm|fsPromises\.rm|remove_dir_all|'
        || 'os\.remove|os\.unlink|os\.rmdir|os\.removedirs|unlink|unlinkSync|File\.delete|FileUtils\.rm|\.unlink|Path\([^()]*\)\.rmdir)\s*\(?\s*';
BEGIN
    -- every name the first scan looks for contains one of these words
    IF p_code ~ 'rmtree|remove_tree|rm_r|rmSync|rmdirSync|fs\.rm|romises\.rm|remove_dir|os\.remove|os\.unlink|os\.rmdir|unlink|File\.delete|FileUtils\.rm|\.rmdir' THEN
    -- (the calls one by one with regexp_instr: the pattern with its argument as
    -- [^;\n]{0,200} took milliseconds to compile, each time the cache had lost it;
    -- a match still ends where that one did: name, blanks, (, blanks, argument)
    v_start := 1;
    LOOP
        v_s := pg_catalog.regexp_instr(p_code, c_calls, v_start);
        EXIT WHEN v_s = 0;
        v_e := pg_catalog.regexp_instr(p_code, c_calls, v_s, 1, 1);
        m := ARRAY[pg_catalog.regexp_substr(p_code, c_calls, v_s, 1, '', 1)];
        v_arg := pg_catalog.substring(pg_catalog.substr(p_code, v_e, 200), '^[^;\n]*');
        v_start := v_e + pg_catalog.length(v_arg);
        target := CASE
            WHEN v_arg ~* '^\s*(os\.path\.expanduser\(\s*[''"]~[''"]\s*\)|(pathlib\.)?Path\.home\(\s*\)|os\.homedir\(\s*\)|Dir\.home|ENV\[[''"]HOME[''"]\]|os\.environ\[[''"]HOME[''"]\]|os\.getenv\([''"]HOME[''"]\)|\$ENV\{HOME\}|process\.env\.HOME)'
                THEN '~'
            WHEN v_arg ~ '^\s*(os\.path\.expanduser\(\s*)?(r|b|f)?''[^'']*''' THEN pg_catalog.substring(v_arg, '''([^'']*)''')
            WHEN v_arg ~ '^\s*(os\.path\.expanduser\(\s*)?(r|b|f)?"[^"]*"' THEN pg_catalog.substring(v_arg, '"([^"]*)"')
            WHEN v_arg ~ '^\s*(os\.path\.expanduser\(\s*)?`[^`]*`' THEN pg_catalog.substring(v_arg, '`([^`]*)`')
            ELSE '<expr>' END;
        -- Path('x').unlink(), Path('x').rmdir(): the path is in the call before
        IF m[1] = '.unlink' OR m[1] ~ '^Path' THEN
            CONTINUE;
        END IF;
        kind := CASE WHEN m[1] ~* 'rmtree|remove_tree|rm_rf|rm_r$|remove_dir|rmsync|rmdirsync|^fs\.rm$|promises\.rm|fsPromises|remove_dir_all|removedirs'
                          AND (m[1] !~* 'rmsync|rmdirsync|^fs\.rm$|promises\.rm|fsPromises' OR v_arg ~* 'recursive\s*:\s*true|force\s*:\s*true')
                     THEN 'rm -rf' ELSE 'rm -f' END;
        RETURN NEXT;
    END LOOP;
    END IF;
    -- Path('~/x').rmtree style: pathlib objects
    IF pg_catalog.strpos(p_code, 'Path(') > 0 THEN
    FOR m IN SELECT pg_catalog.regexp_matches(p_code, '(?:Path|pathlib\.Path)\(\s*[''"]([^''"]*)[''"]\s*\)(?:\.expanduser\(\))?\.(unlink|rmdir)\(', 'g') LOOP
        kind := 'rm -f'; target := m[1];
        RETURN NEXT;
    END LOOP;
    END IF;
    -- shell-outs: their string is shell code (every name contains one of these words)
    IF p_code ~ 'system|exec|spawn|popen|subprocess\.|getoutput|passthru|Open3\.|%x' THEN
    FOR m IN SELECT pg_catalog.regexp_matches(p_code,
        '(?:os\.system|os\.popen|subprocess\.\w+|commands\.getoutput|system|exec|execSync|spawnSync|spawn|execFileSync|shell_exec|passthru|popen|Open3\.\w+|IO\.popen|%x)\s*\(?\s*(\[[^\]]*\]|"(?:[^"\\]|\\.)*"|''(?:[^''\\]|\\.)*''|`[^`]*`|\{[^}]*\})', 'g') LOOP
        v_arg := m[1];
        IF v_arg ~ '^\[' THEN                 -- an argv list: ['rm', '-rf', '/home/x'] -> rm -rf /home/x
            SELECT pg_catalog.string_agg(coalesce(x[1], x[2]), ' ')
              INTO v_arg
              FROM pg_catalog.regexp_matches(v_arg, '''([^'']*)''|"([^"]*)"', 'g') x;
            kind := 'argv';
        ELSE
            v_arg := pg_catalog.substr(v_arg, 2, pg_catalog.length(v_arg) - 2);
            kind := 'shell';
        END IF;
        target := coalesce(v_arg, '');
        RETURN NEXT;
    END LOOP;
    END IF;
    -- backticks in ruby / perl, `...` in node template literals used with exec
    IF pg_catalog.strpos(p_code, '`') > 0 THEN
    FOR m IN SELECT pg_catalog.regexp_matches(p_code, '(?:^|[=(;\s])`([^`]+)`', 'g') LOOP
        kind := 'shell'; target := m[1];
        RETURN NEXT;
    END LOOP;
    END IF;
END
$$;
COMMENT ON FUNCTION coord_private.shell_inline_targets(text) IS
    'destructive calls (recursive delete, file delete) and shell-outs found in inline interpreter code';

CREATE FUNCTION coord_private.shell_quote(p text)
RETURNS text LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT '''' || pg_catalog.replace(p, '''', '''\''''') || '''' $$;
COMMENT ON FUNCTION coord_private.shell_quote(text) IS 'a word quoted for the shell (single quotes)';

-- A word with the variables a text set before it expanded ($X, ${X}; pairs name, value),
-- ~ for $HOME, a blank for ${IFS}, and $(echo X) / `printf X` as X.
CREATE FUNCTION coord_private.shell_expand(p_word text, p_vars text[])
RETURNS text LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v text := p_word;
    i integer;
    m text[];
BEGIN
    IF pg_catalog.strpos(v, '$IFS') > 0 OR pg_catalog.strpos(v, '${IFS') > 0 THEN
        v := pg_catalog.regexp_replace(v, '\$\{IFS[^}]{0,10}\}|\$IFS(?![A-Za-z0-9_])', ' ', 'g');
    END IF;
    -- $(printf '\x72\x6d'), $(echo -e '\x72\x6d'): what they print, escapes decoded
    IF pg_catalog.strpos(v, E'\\') > 0 AND (pg_catalog.strpos(v, 'printf') > 0 OR pg_catalog.strpos(v, 'echo') > 0) THEN
        FOR m IN SELECT pg_catalog.regexp_matches(v, '(\$\(\s*(?:printf|echo\s+-[a-zA-Z]*e[a-zA-Z]*)\s+[''"]?([^''"()`$;|&]*?)[''"]?\s*\)'
                                                    || '|`\s*(?:printf|echo\s+-[a-zA-Z]*e[a-zA-Z]*)\s+[''"]?([^''"()`$;|&]*?)[''"]?\s*`)', 'g') LOOP
            v := pg_catalog.replace(v, m[1], coord_private.shell_ansi_c(coalesce(m[2], m[3])));
        END LOOP;
    END IF;
    IF pg_catalog.strpos(v, '$(') > 0 THEN
    v := pg_catalog.regexp_replace(v, '\$\(\s*(echo|printf)\s+(-[a-z]+\s+)?[''"]?([^''"()`$;|&]*?)[''"]?\s*\)', '\3', 'g');
    END IF;
    IF pg_catalog.strpos(v, '`') > 0 THEN
    v := pg_catalog.regexp_replace(v, '`\s*(echo|printf)\s+(-[a-z]+\s+)?[''"]?([^''"()`$;|&]*?)[''"]?\s*`', '\3', 'g');
    END IF;
    IF p_vars IS NOT NULL AND pg_catalog.strpos(v, '$') > 0 THEN
        FOR i IN REVERSE pg_catalog.cardinality(p_vars) - 1 .. 1 BY 2 LOOP
            EXIT WHEN pg_catalog.strpos(v, '$') = 0;
            v := pg_catalog.replace(v, '${' || p_vars[i] || '}', p_vars[i + 1]);
            v := pg_catalog.regexp_replace(v, '\$' || p_vars[i] || '(?![A-Za-z0-9_])', pg_catalog.replace(p_vars[i + 1], '\', '\\'), 'g');
        END LOOP;
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION coord_private.shell_expand(text, text[]) IS
    'a word with known variables, ${IFS} and $(echo X) expanded';

-- The analysis: one row per simple command, nested code analysed with depth + 1.
CREATE FUNCTION coord_private.shell_commands(p_text text, p_depth integer DEFAULT 0, p_context text DEFAULT 'shell',
                                             p_scope text DEFAULT '')
RETURNS SETOF coord_private.shell_command
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    c_lim record;
    r record;
    o coord_private.shell_command;
    v_words text[];
    v_wrappers text[];
    v_prog text;
    v_kind text;
    v_i integer;
    v_n integer;
    v_j integer;
    v_round integer;
    v_vars text[] := '{}';
    v_code text;
    v_changed boolean;
    v_seq integer := 0;
    v_prev record;                 -- the previous command of the same pipeline
    v_prev_pipe integer := -1;
    v_prev_words text[];
    v_prev_input text;
    v_prev_prog text;
    n record;
    t record;
    v_sub text;
    v_uopt boolean;
    v_feed text;                   -- what the previous command of the pipeline writes (echo, printf, cat <<EOF)
    v_args text[];
    v_esc boolean;
    v_lines text[];
    v_delim text;
    v_loops integer[];             -- the loops whose done has a here-string or heredoc (lexed once, when first needed)
    v_loop_input text[];
    v_stack integer[];
    v_stdin boolean;
    v_ifs boolean;
    v_mod text; v_name text; v_alias text;
    m text[];
BEGIN
    SELECT * INTO c_lim FROM coord_private.shell_limits();
    IF p_text IS NULL THEN
        RETURN;
    END IF;
    IF pg_catalog.octet_length(p_text) > c_lim.max_bytes OR p_depth > c_lim.max_depth THEN
        o := ROW(0, p_depth, 'limit', p_scope, 0,
                 CASE WHEN p_depth > c_lim.max_depth THEN 'nesting_depth' ELSE 'input_size' END, '{}', '{}', NULL, '{}');
        RETURN NEXT o;
        RETURN;
    END IF;
    -- SQL given as the text itself (a statement rather than a command)
    IF p_depth = 0
       AND (pg_catalog.left(pg_catalog.ltrim(p_text, E' \t\n\r\f\x0b'), 2) = '--'
            -- a character beyond ASCII might be a blank to \s
            OR pg_catalog.octet_length(pg_catalog.left(pg_catalog.ltrim(p_text, E' \t\n\r\f\x0b'), 12)) <> pg_catalog.length(pg_catalog.left(pg_catalog.ltrim(p_text, E' \t\n\r\f\x0b'), 12))
            -- (the first word ends at a blank or at a comment: TRUNCATE/**/users is SQL too)
            OR pg_catalog.split_part(pg_catalog.split_part(pg_catalog.translate(pg_catalog.lower(pg_catalog.left(pg_catalog.ltrim(p_text, E' \t\n\r\f\x0b'), 12)), E'\t\n\r\f\x0b', '     '), ' ', 1), '/*', 1)
               IN ('select', 'with', 'insert', 'update', 'delete', 'drop', 'truncate', 'alter', 'create', 'grant', 'revoke', 'merge', 'copy',
                   'vacuum', 'begin', 'commit', 'explain', 'do', 'comment', 'set'))
       AND p_text ~* '^\s*(--[^\n]*\n\s*)*(select|with|insert|update|delete|drop|truncate|alter|create|grant|revoke|merge|copy|vacuum|begin|commit|explain|do|comment|set)(\s+|\s*/\*)(?![-.]|[^;\n]*(\s-[a-z]|[<>|&]))' THEN
        o := ROW(0, 0, 'sql', p_scope || 'q', 0, 'sql', ARRAY[p_text], '{}', NULL, '{}');
        RETURN NEXT o;
    END IF;
    FOR r IN SELECT * FROM coord_private.shell_lex(p_text, p_depth) ORDER BY ord LOOP
        IF r.ord = 0 THEN
            o := ROW(0, p_depth, 'limit', p_scope, 0, r.words[1], '{}', '{}', NULL, '{}');
            RETURN NEXT o;
            RETURN;
        END IF;
        IF r.subst THEN
            RETURN QUERY SELECT * FROM coord_private.shell_commands(r.input, p_depth + 1, 'subst', p_scope || r.ord || '/');
            CONTINUE;
        END IF;
        v_words := r.words;
        v_wrappers := '{}';
        -- variables set earlier in this text, $(echo X), ${IFS}: their values (a rule sees rm -rf "$d" as rm -rf /home/user)
        IF pg_catalog.cardinality(v_words) > 0 AND (pg_catalog.strpos(pg_catalog.array_to_string(v_words, ' '), '$') > 0 OR pg_catalog.strpos(pg_catalog.array_to_string(v_words, ' '), '`') > 0) THEN
            v_words := ARRAY(SELECT coord_private.shell_expand(x, v_vars) FROM pg_catalog.unnest(v_words) x);
            -- a value that is a list (a variable read from several lines, "$@"): one word per item
            IF pg_catalog.strpos(pg_catalog.array_to_string(v_words, ' '), E'\x1e') > 0 THEN
                v_words := ARRAY(SELECT s.y FROM pg_catalog.unnest(v_words) WITH ORDINALITY u(x, k),
                                               pg_catalog.unnest(pg_catalog.string_to_array(u.x, E'\x1e')) WITH ORDINALITY s(y, k2)
                                  ORDER BY u.k, s.k2);
            END IF;
            IF pg_catalog.strpos(r.words[1], 'IFS') > 0 AND r.words[1] ~ '\$\{?IFS' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(v_words) x WHERE x ~ '\s' AND x ~ '^\S') THEN
                v_words := ARRAY(SELECT y FROM pg_catalog.unnest(v_words) x, pg_catalog.regexp_split_to_table(x, '\s+') y WHERE y <> '');
            END IF;
        END IF;
        IF pg_catalog.cardinality(v_words) > 0 AND pg_catalog.strpos(v_words[1], '=') > 0 AND v_words[1] ~ '^[A-Za-z_][A-Za-z0-9_]*=' AND pg_catalog.cardinality(v_vars) < 200 THEN
            FOR v_j IN 1 .. pg_catalog.cardinality(v_words) LOOP
                EXIT WHEN v_words[v_j] !~ '^[A-Za-z_][A-Za-z0-9_]*=';
                v_vars := v_vars || ARRAY[pg_catalog.split_part(v_words[v_j], '=', 1),
                                          pg_catalog.substr(v_words[v_j], pg_catalog.strpos(v_words[v_j], '=') + 1)];
            END LOOP;
        END IF;
        -- keywords, assignments and wrappers, until nothing changes (bounded)
        FOR v_round IN 1 .. 12 LOOP
            v_changed := false;
            WHILE pg_catalog.cardinality(v_words) > 0
                  AND (v_words[1] IN ('{', '}', '!', 'if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'esac', 'coproc', '((', 'in')
                       OR (pg_catalog.strpos(v_words[1], '=') > 0 AND v_words[1] ~ '^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=')) LOOP
                v_words := v_words[2:];
            END LOOP;
            EXIT WHEN pg_catalog.cardinality(v_words) = 0;
            v_prog := pg_catalog.lower(pg_catalog.split_part(v_words[1], '/', -1));
            v_i := 2;
            IF v_prog IN ('sudo', 'doas', 'run0', 'pkexec') THEN
                WHILE v_i <= pg_catalog.cardinality(v_words) AND pg_catalog.left(v_words[v_i], 1) = '-' LOOP
                    IF v_words[v_i] = '--' THEN
                        v_i := v_i + 1;
                        EXIT;
                    END IF;
                    IF v_words[v_i] ~ '^-[A-Za-z]*[ugCDhprtTU]$' OR v_words[v_i] IN ('--user', '--group', '--chdir', '--prompt', '--role', '--type', '--host', '--close-from', '--other-user', '--command-timeout') THEN
                        v_i := v_i + 2;
                    ELSE
                        v_i := v_i + 1;
                    END IF;
                END LOOP;
            ELSIF v_prog = 'env' THEN
                WHILE v_i <= pg_catalog.cardinality(v_words) AND (pg_catalog.left(v_words[v_i], 1) = '-' OR (pg_catalog.strpos(v_words[v_i], '=') > 0 AND v_words[v_i] ~ '^[A-Za-z_][A-Za-z0-9_]*=')) LOOP
                    IF v_words[v_i] = '--' THEN
                        v_i := v_i + 1;
                        EXIT;
                    END IF;
                    IF v_words[v_i] IN ('-S', '--split-string') OR ((pg_catalog.left(v_words[v_i], 2) = '-S' AND pg_catalog.length(v_words[v_i]) > 2) OR pg_catalog.left(v_words[v_i], 15) = '--split-string=') THEN
                        -- env -S 'cmd args': the string is split into words
                        v_code := CASE WHEN v_words[v_i] IN ('-S', '--split-string') THEN v_words[v_i + 1]
                                       ELSE pg_catalog.regexp_replace(v_words[v_i], '^(-S|--split-string=)', '') END;
                        v_words := ARRAY['env'] || coalesce((SELECT pg_catalog.array_agg(x) FROM pg_catalog.regexp_split_to_table(pg_catalog.btrim(coalesce(v_code, '')), '\s+') x), '{}')
                                   || v_words[(v_i + CASE WHEN v_words[v_i] IN ('-S', '--split-string') THEN 2 ELSE 1 END):];
                        v_i := 2;
                        CONTINUE;
                    END IF;
                    IF v_words[v_i] IN ('-u', '--unset', '-C', '--chdir') THEN
                        v_i := v_i + 2;
                    ELSE
                        v_i := v_i + 1;
                    END IF;
                END LOOP;
                IF v_i > pg_catalog.cardinality(v_words) THEN
                    EXIT;                              -- bare env (rules issue 16): it prints the environment, it is the program
                END IF;
            ELSIF v_prog IN ('command', 'builtin', 'exec', 'nohup', 'time', 'stdbuf', 'ionice', 'nice', 'chrt', 'taskset',
                             'setsid', 'unbuffer', 'caffeinate', 'torsocks', 'proxychains', 'proxychains4', 'flock', 'chroot',
                             'timeout', 'gtimeout', 'xargs', 'watch', 'strace', 'ltrace', 'faketime', 'firejail', 'catchsegv',
                             'sg', 'nsenter', 'unshare', 'systemd-run', 'script', 'parallel', 'with-contenv', 'dbus-launch') THEN
                IF v_prog = 'command' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(v_words[2:]) x WHERE x IN ('-v', '-V')) THEN
                    EXIT;                              -- command -v name: a lookup
                END IF;
                WHILE v_i <= pg_catalog.cardinality(v_words) AND pg_catalog.left(v_words[v_i], 1) = '-' LOOP
                    IF v_words[v_i] = '--' THEN
                        v_i := v_i + 1;
                        EXIT;
                    END IF;
                    IF (v_prog IN ('nice') AND v_words[v_i] IN ('-n', '--adjustment'))
                       OR (v_prog IN ('ionice') AND v_words[v_i] IN ('-c', '-n', '-p', '-P', '-u', '--class', '--classdata'))
                       OR (v_prog IN ('stdbuf') AND v_words[v_i] IN ('-i', '-o', '-e'))
                       OR (v_prog IN ('timeout', 'gtimeout') AND v_words[v_i] IN ('-s', '-k', '--signal', '--kill-after'))
                       OR (v_prog = 'xargs' AND v_words[v_i] ~ '^-[IdEnLPsaxe]$' AND v_words[v_i] NOT IN ('-x'))
                       OR (v_prog = 'watch' AND v_words[v_i] IN ('-n', '--interval', '-d'))
                       OR (v_prog = 'exec' AND v_words[v_i] = '-a')
                       OR (v_prog = 'sg' AND v_words[v_i] IN ('-u', '-g', '-G', '--user', '--group'))
                       OR (v_prog = 'flock' AND v_words[v_i] IN ('-w', '-E', '--timeout', '--conflict-exit-code'))
                       OR (v_prog IN ('strace', 'ltrace') AND v_words[v_i] ~ '^-[eopsuaESIPb]$')
                       OR (v_prog = 'taskset' AND v_words[v_i] IN ('-c', '--cpu-list') AND false)
                       OR (v_prog = 'systemd-run' AND v_words[v_i] IN ('-p', '--property', '-u', '--unit', '-E', '--setenv', '--uid', '--gid'))
                       OR (v_prog = 'chrt' AND v_words[v_i] IN ('-p')) THEN
                        v_i := v_i + 2;
                    ELSE
                        v_i := v_i + 1;
                    END IF;
                END LOOP;
                -- operands that are not the command: timeout's duration, nice's old -N,
                -- chroot's and flock's directory or file, taskset's mask, chrt's priority
                IF v_prog IN ('timeout', 'gtimeout', 'chroot', 'flock', 'taskset', 'chrt', 'sg') AND v_i <= pg_catalog.cardinality(v_words) THEN
                    v_i := v_i + 1;
                END IF;
                IF v_prog = 'watch' AND v_i <= pg_catalog.cardinality(v_words) THEN
                    -- watch CMD ARGS: run by sh -c as one string
                    v_code := pg_catalog.array_to_string(v_words[v_i:], ' ');
                    v_wrappers := v_wrappers || v_prog;
                    v_words := ARRAY['sh', '-c', v_code];
                    v_changed := true;
                    CONTINUE;
                END IF;
            ELSIF v_prog IN ('docker', 'podman', 'nerdctl') AND pg_catalog.cardinality(v_words) >= 3
                  AND (v_words[2] = 'exec' OR (v_words[2] = 'compose' AND v_words[3] = 'exec') OR (v_words[2] = 'container' AND v_words[3] = 'exec')) THEN
                v_i := CASE WHEN v_words[2] = 'exec' THEN 3 ELSE 4 END;
                WHILE v_i <= pg_catalog.cardinality(v_words) AND pg_catalog.left(v_words[v_i], 1) = '-' LOOP
                    IF v_words[v_i] IN ('-e', '--env', '-u', '--user', '-w', '--workdir', '--env-file', '--detach-keys', '--index') THEN
                        v_i := v_i + 2;
                    ELSE
                        v_i := v_i + 1;
                    END IF;
                END LOOP;
                v_i := v_i + 1;                          -- the container or service
            ELSIF v_prog IN ('kubectl', 'oc') AND 'exec' = ANY (v_words) AND '--' = ANY (v_words) THEN
                v_i := pg_catalog.array_position(v_words, '--') + 1;
            ELSIF v_prog IN ('su', 'runuser') THEN
                -- su [options] [-] [USER [ARGS]], and runuser in the same form: -c CMD is run by
                -- the user's shell wherever it stands (options are permuted, so it may follow
                -- USER: runuser -l postgres -c CMD); runuser -u USER [--] CMD ARGS runs CMD
                -- itself; without either the user's shell reads stdin (su - app <<EOF)
                v_code := NULL; v_uopt := false;
                v_j := 2;
                WHILE v_j <= pg_catalog.cardinality(v_words) LOOP
                    IF v_words[v_j] = '--' THEN
                        v_j := v_j + 1;
                        EXIT WHEN v_uopt;
                    ELSIF v_words[v_j] IN ('-c', '--command', '--session-command') OR v_words[v_j] ~ '^-[a-zA-Z]*c$' THEN
                        v_code := coalesce(v_words[v_j + 1], '');
                        EXIT;
                    ELSIF pg_catalog.left(v_words[v_j], 10) = '--command=' THEN
                        v_code := pg_catalog.substr(v_words[v_j], 11);
                        EXIT;
                    ELSIF v_words[v_j] IN ('-u', '--user') THEN
                        v_uopt := true;
                        v_j := v_j + 2;
                    ELSIF v_words[v_j] IN ('-g', '-G', '-s', '-w', '--group', '--supp-group', '--shell', '--whitelist-environment') THEN
                        v_j := v_j + 2;
                    ELSIF pg_catalog.left(v_words[v_j], 1) = '-' OR NOT v_uopt THEN
                        v_j := v_j + 1;                  -- an option, -, the user or an argument for its shell
                    ELSE
                        EXIT;                            -- runuser -u USER CMD: the command
                    END IF;
                END LOOP;
                IF v_code IS NOT NULL THEN
                    v_wrappers := v_wrappers || v_prog;
                    v_words := ARRAY['sh', '-c', v_code];
                    CONTINUE;
                ELSIF v_uopt AND v_j <= pg_catalog.cardinality(v_words) THEN
                    v_i := v_j;
                ELSIF r.input IS NOT NULL OR r.pipe_pos > 0 THEN
                    v_wrappers := v_wrappers || v_prog;
                    v_words := ARRAY['sh'];
                    CONTINUE;
                ELSE
                    EXIT;
                END IF;
            ELSE
                EXIT;
            END IF;
            v_wrappers := v_wrappers || v_prog;
            v_words := v_words[v_i:];
        END LOOP;
        IF pg_catalog.cardinality(v_words) = 0 AND pg_catalog.cardinality(r.redirects) = 0 THEN
            CONTINUE;
        END IF;
        v_prog := coalesce(pg_catalog.lower(pg_catalog.split_part(v_words[1], '/', -1)), '');
        v_seq := v_seq + 1;
        o := ROW(v_seq, p_depth, p_context, p_scope || r.pipeline, r.pipe_pos, v_prog, v_words, r.redirects, r.input, v_wrappers);
        RETURN NEXT o;

        -- the previous command of this pipeline (its output is this command's input)
        IF r.pipe_pos = 0 OR r.pipeline <> v_prev_pipe THEN
            v_prev_words := NULL; v_prev_input := NULL; v_prev_prog := NULL;
        END IF;

        -- nested code ----------------------------------------------------------------
        v_kind := coord_private.shell_kind(v_prog);
        v_code := NULL;
        -- what the previous command of the pipeline writes, for a command that reads it as
        -- code or values: echo's words (-e: escapes decoded), printf's format filled in with
        -- its arguments and its escapes decoded (printf '\x72\x6d -rf /x' | sh), cat's heredoc
        v_feed := NULL;
        IF v_prev_prog IN ('echo', 'printf', 'print', 'cat') AND (v_kind IS NOT NULL OR v_prog IN ('ssh', 'read', 'manage.py')) THEN
            IF v_prev_prog = 'cat' THEN
                v_feed := v_prev_input;
            ELSIF v_prev_prog = 'printf' THEN
                v_args := v_prev_words[2:];
                IF v_args[1] = '--' THEN
                    v_args := v_args[2:];
                END IF;
                IF v_args[1] IS NULL OR v_args[1] = '-v' THEN
                    v_feed := NULL;                    -- printf -v VAR: into a variable
                ELSIF pg_catalog.strpos(v_args[1], '%') = 0 THEN
                    v_feed := coord_private.shell_ansi_c(v_args[1]);
                ELSE
                    -- the format is used again while arguments remain (bounded)
                    v_feed := ''; v_n := 2;
                    FOR v_j IN 1 .. 50 LOOP
                        v_i := v_n;
                        FOR m IN SELECT pg_catalog.regexp_matches(v_args[1], '(%[-+ #0]*[0-9]*(?:\.[0-9]*)?[a-zA-Z%])|([^%]+)|(%)', 'g') LOOP
                            IF m[2] IS NOT NULL THEN
                                v_feed := v_feed || coord_private.shell_ansi_c(m[2]);
                            ELSIF m[1] = '%%' OR m[1] IS NULL THEN
                                v_feed := v_feed || '%';
                            ELSE
                                v_feed := v_feed || CASE WHEN pg_catalog.right(m[1], 1) = 'b' THEN coord_private.shell_ansi_c(coalesce(v_args[v_n], ''))
                                                         ELSE coalesce(v_args[v_n], '') END;
                                v_n := v_n + 1;
                            END IF;
                        END LOOP;
                        EXIT WHEN v_n > pg_catalog.cardinality(v_args) OR v_n = v_i OR pg_catalog.length(v_feed) > 100000;
                    END LOOP;
                END IF;
            ELSE
                v_j := 2; v_esc := false;
                WHILE v_j <= pg_catalog.cardinality(v_prev_words) AND pg_catalog.left(v_prev_words[v_j], 1) = '-' AND v_prev_words[v_j] ~ '^-[neE]+$' LOOP
                    v_esc := pg_catalog.strpos(v_prev_words[v_j], 'e') > 0 OR (v_esc AND pg_catalog.strpos(v_prev_words[v_j], 'E') = 0);
                    v_j := v_j + 1;
                END LOOP;
                v_feed := pg_catalog.array_to_string(v_prev_words[v_j:], ' ');
                IF v_esc THEN
                    v_feed := coord_private.shell_ansi_c(v_feed);
                END IF;
            END IF;
        END IF;
        IF v_prog = 'eval' AND pg_catalog.cardinality(v_words) > 1 THEN
            RETURN QUERY SELECT * FROM coord_private.shell_commands(pg_catalog.array_to_string(v_words[2:], ' '), p_depth + 1, 'eval', p_scope || r.ord || '/');
        ELSIF v_prog = 'set' AND pg_catalog.cardinality(v_words) > 1 AND pg_catalog.cardinality(v_vars) < 200 THEN
            -- set -- A B (set A B): the positional parameters $1 $2 ... and "$@" of the commands after it
            v_i := 2;
            WHILE v_i <= pg_catalog.cardinality(v_words) AND pg_catalog.left(v_words[v_i], 1) IN ('-', '+') AND v_words[v_i] NOT IN ('--', '-') LOOP
                v_i := v_i + CASE WHEN v_words[v_i] IN ('-o', '+o') THEN 2 ELSE 1 END;
            END LOOP;
            IF v_words[v_i] IN ('--', '-') THEN
                v_i := v_i + 1;
            END IF;
            -- (an empty parameter is no word: "$@" of none, or "$1" set to '', is left unknown)
            IF EXISTS (SELECT 1 FROM pg_catalog.unnest(v_words[v_i:]) x WHERE x <> '') THEN
                v_vars := v_vars || ARRAY['@', pg_catalog.array_to_string(pg_catalog.array_remove(v_words[v_i:], ''), E'\x1e')];
            END IF;
            FOR v_j IN 1 .. least(pg_catalog.cardinality(v_words) - v_i + 1, 9) LOOP
                CONTINUE WHEN v_words[v_i + v_j - 1] = '';
                v_vars := v_vars || ARRAY[v_j::text, v_words[v_i + v_j - 1]];
            END LOOP;
        ELSIF v_prog = 'read' AND pg_catalog.cardinality(v_vars) < 200
              AND (r.words[1] IN ('while', 'until') OR (r.words[1] IN ('do', 'then', 'else', '{', '!') AND r.words[2] IN ('while', 'until'))) THEN
            -- while read -r d; do ...; done <<< VALUES (<<EOF, or echo VALUES | while read d): the
            -- loop's variables take the words of each line (of several lines: a list of them);
            -- the input is the producer's output or the here-string / heredoc of the loop's done
            v_i := 2;
            WHILE v_i <= pg_catalog.cardinality(v_words) AND pg_catalog.left(v_words[v_i], 1) = '-' LOOP
                EXIT WHEN v_words[v_i] ~ '^-[a-zA-Z]*a$';    -- read -a: an array
                v_i := v_i + CASE WHEN v_words[v_i] ~ '^-[a-zA-Z]*[dnNptui]$' THEN 2 ELSE 1 END;
            END LOOP;
            v_code := v_feed;
            IF v_code IS NULL AND r.pipe_pos = 0 AND (v_i > pg_catalog.cardinality(v_words) OR pg_catalog.left(v_words[v_i], 1) <> '-') THEN
                IF v_loops IS NULL THEN
                    -- each loop with the input of its done, in one pass (a stack of open loops)
                    v_loops := '{}'; v_loop_input := '{}'; v_stack := '{}';
                    FOR n IN SELECT l.ord, l.words, l.input FROM coord_private.shell_lex(p_text, p_depth) l
                              WHERE l.ord > 0 AND NOT l.subst ORDER BY l.ord LOOP
                        IF n.words[1] IN ('while', 'until', 'for', 'select')
                           OR (n.words[1] IN ('do', 'then', 'else', '{', '!') AND n.words[2] IN ('while', 'until', 'for', 'select')) THEN
                            v_stack := v_stack || n.ord;
                        ELSIF n.words[1] = 'done' AND pg_catalog.cardinality(v_stack) > 0 THEN
                            IF n.input IS NOT NULL THEN
                                v_loops := v_loops || v_stack[pg_catalog.cardinality(v_stack)];
                                v_loop_input := v_loop_input || n.input;
                            END IF;
                            v_stack := v_stack[1:pg_catalog.cardinality(v_stack) - 1];
                        END IF;
                    END LOOP;
                END IF;
                v_code := v_loop_input[pg_catalog.array_position(v_loops, r.ord)];
            END IF;
            IF v_code IS NOT NULL AND pg_catalog.strpos(v_code, '$(') = 0 AND pg_catalog.strpos(v_code, '`') = 0
               AND (v_i > pg_catalog.cardinality(v_words) OR pg_catalog.left(v_words[v_i], 1) <> '-') THEN
                IF pg_catalog.strpos(v_code, '$') > 0 THEN
                    v_code := coord_private.shell_expand(v_code, v_vars);
                END IF;
                v_lines := ARRAY(SELECT u.x FROM pg_catalog.unnest(pg_catalog.string_to_array(v_code, E'\n')) WITH ORDINALITY u(x, k)
                                  WHERE pg_catalog.btrim(u.x, E' \t\r') <> '' ORDER BY u.k LIMIT 100);
                v_args := ARRAY(SELECT x FROM pg_catalog.unnest(v_words[v_i:]) x WHERE x ~ '^[A-Za-z_][A-Za-z0-9_]*$');
                IF pg_catalog.cardinality(v_args) = 0 THEN
                    v_args := ARRAY['REPLY'];
                END IF;
                v_ifs := 'IFS=' = ANY (r.words);           -- IFS= read: the line is not split
                -- (an empty value is no word: a variable no line fills is left unknown)
                FOR v_j IN 1 .. pg_catalog.cardinality(v_args) LOOP
                    SELECT pg_catalog.string_agg(s.v, E'\x1e' ORDER BY s.k) FILTER (WHERE s.v <> '')
                      INTO v_name
                      FROM (SELECT u.k, CASE WHEN v_j = pg_catalog.cardinality(v_args) THEN pg_catalog.array_to_string(f[v_j:], ' ') ELSE f[v_j] END AS v
                              FROM pg_catalog.unnest(v_lines) WITH ORDINALITY u(x, k),
                                   LATERAL (SELECT CASE WHEN v_ifs THEN ARRAY[u.x] ELSE pg_catalog.regexp_split_to_array(pg_catalog.btrim(u.x, E' \t\r'), E'[ \t]+') END AS f) w) s;
                    IF v_name IS NOT NULL THEN
                        v_vars := v_vars || ARRAY[v_args[v_j], v_name];
                    END IF;
                END LOOP;
            END IF;
        ELSIF v_prog IN ('source', '.') AND pg_catalog.cardinality(v_words) > 1 AND pg_catalog.left(v_words[2], 2) = '<(' THEN
            NULL;                                      -- source <(...): the substitution is analysed; the rule sees its text
        ELSIF v_prog = 'ssh' THEN
            -- ssh [options] host [command ...]: the command runs in the remote shell
            v_i := 2;
            WHILE v_i <= pg_catalog.cardinality(v_words) AND pg_catalog.left(v_words[v_i], 1) = '-' LOOP
                IF v_words[v_i] ~ '^-[46AaCfGgKkMNnqsTtVvXxYy]*[BbcDEeFIiJLlmOopQRSWw]$' THEN
                    v_i := v_i + 2;
                ELSE
                    v_i := v_i + 1;
                END IF;
            END LOOP;
            v_code := coalesce(r.input, v_feed);
            IF v_i + 1 <= pg_catalog.cardinality(v_words) THEN
                v_sub := pg_catalog.array_to_string(v_words[v_i + 1:], ' ');
                IF v_code IS NOT NULL THEN
                    -- ssh host bash <<EOF, ssh host 'sh -s' <<< CODE, echo CODE | ssh host psql:
                    -- the remote command reads ssh's stdin, given to its last command as a
                    -- heredoc (to its first when a # might make the end of the line a comment)
                    v_delim := 'PGCOORD_SSH_STDIN';
                    WHILE pg_catalog.strpos(v_code, v_delim) > 0 LOOP
                        v_delim := v_delim || '_';
                    END LOOP;
                    v_sub := CASE WHEN pg_catalog.strpos(v_sub, '#') = 0 THEN v_sub || ' <<''' || v_delim || ''''
                                  ELSE '<<''' || v_delim || ''' ' || v_sub END
                             || E'\n' || v_code || E'\n' || v_delim || E'\n';
                END IF;
                RETURN QUERY SELECT * FROM coord_private.shell_commands(v_sub, p_depth + 1, 'ssh', p_scope || r.ord || '/');
            ELSIF v_code IS NOT NULL THEN
                RETURN QUERY SELECT * FROM coord_private.shell_commands(v_code, p_depth + 1, 'heredoc-code', p_scope || r.ord || '/');
            END IF;
        ELSIF v_kind = 'shell' THEN
            -- sh -c STRING, sh -xec STRING; else stdin (heredoc, here-string, echo ... |) is code
            v_i := 2;
            v_code := NULL;
            v_stdin := false;
            WHILE v_i <= pg_catalog.cardinality(v_words) LOOP
                IF v_words[v_i] ~ '^-[a-zA-Z]*c[a-zA-Z]*$' OR v_words[v_i] = '--command' THEN
                    -- the first operand after the options is the command string
                    v_n := v_i + 1;
                    WHILE v_n <= pg_catalog.cardinality(v_words) AND v_words[v_n] ~ '^[-+][a-zA-Z]+$' AND v_words[v_n] <> '-' LOOP
                        v_n := v_n + CASE WHEN v_words[v_n] IN ('-o', '+o') THEN 2 ELSE 1 END;
                    END LOOP;
                    v_code := coalesce(v_words[v_n], '');
                    EXIT;
                ELSIF v_words[v_i] = '--' AND v_stdin THEN
                    v_i := v_i + 1;
                    EXIT;
                ELSIF pg_catalog.left(v_words[v_i], 1) IN ('-', '+') THEN
                    IF v_words[v_i] ~ '^-[a-zA-Z]*s[a-zA-Z]*$' THEN
                        v_stdin := true;                 -- sh -s: the script is stdin, operands are its parameters
                    END IF;
                    v_i := v_i + CASE WHEN v_words[v_i] IN ('-o', '+o') OR v_words[v_i] IN ('--rcfile', '--init-file') THEN 2 ELSE 1 END;
                ELSE
                    EXIT;
                END IF;
            END LOOP;
            IF v_code IS NOT NULL THEN
                RETURN QUERY SELECT * FROM coord_private.shell_commands(v_code, p_depth + 1, 'sh-c', p_scope || r.ord || '/');
            ELSIF v_stdin OR v_i > pg_catalog.cardinality(v_words) OR v_words[v_i] = '-' OR v_words[v_i] = '/dev/stdin' THEN
                v_code := coalesce(r.input, v_feed);
                -- bash -s -- prod <<'EOF' ... "$1": the operands are $1 $2 ... and "$@" (values
                -- without quotes or expansions of their own, put in as they are)
                IF v_stdin AND v_code IS NOT NULL AND v_i <= pg_catalog.cardinality(v_words) AND pg_catalog.strpos(v_code, '$') > 0 THEN
                    v_args := v_words[v_i:];
                    IF NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(v_args) x WHERE x ~ '[''"`$\\]') THEN
                        v_code := pg_catalog.regexp_replace(v_code, '\$(\{[@*]\}|[@*])', pg_catalog.array_to_string(v_args, ' '), 'g');
                        FOR v_j IN REVERSE least(pg_catalog.cardinality(v_args), 9) .. 1 LOOP
                            v_code := pg_catalog.regexp_replace(v_code, '\$(\{' || v_j || '\}|' || v_j || '(?![0-9]))', v_args[v_j], 'g');
                        END LOOP;
                    END IF;
                END IF;
                IF v_code IS NOT NULL THEN
                    RETURN QUERY SELECT * FROM coord_private.shell_commands(v_code, p_depth + 1, 'heredoc-code', p_scope || r.ord || '/');
                END IF;
            END IF;
        ELSIF v_kind IN ('python', 'perl', 'ruby', 'node', 'php') THEN
            v_code := NULL;
            FOR v_i IN 2 .. pg_catalog.cardinality(v_words) LOOP
                IF (v_kind = 'python' AND v_words[v_i] ~ '^-[a-zA-Z]*c$')
                   OR (v_kind IN ('perl', 'ruby') AND v_words[v_i] ~ '^-[a-zA-Z]*[eE]$')
                   OR (v_kind = 'node' AND v_words[v_i] IN ('-e', '--eval', '-p', '--print', 'eval', '-pe'))
                   OR (v_kind = 'php' AND v_words[v_i] = '-r') THEN
                    v_code := v_words[v_i + 1];
                    EXIT;
                END IF;
                EXIT WHEN pg_catalog.left(v_words[v_i], 1) <> '-';
            END LOOP;
            IF v_code IS NULL AND (pg_catalog.cardinality(v_words) = 1 OR v_words[2] = '-') THEN
                v_code := coalesce(r.input, v_feed);
            END IF;
            -- the code as the calls it makes: python's module aliases resolved (import subprocess
            -- as s; s.run(...) is subprocess.run(...); from os import system as run; run(...) is
            -- os.system(...)), joins of string literals evaluated (''.join(['rm', ' -rf /x']),
            -- ['rm', '-rf', '/x'].join(' ')); the row carries it so, for the rules too
            IF v_kind = 'python' AND pg_catalog.strpos(v_code, 'import') > 0 AND (pg_catalog.strpos(v_code, ' as ') > 0 OR pg_catalog.strpos(v_code, 'from') > 0) THEN
                FOR v_mod, v_alias IN
                    SELECT pg_catalog.substring(x, '^\s*([\w.]+)\s'), pg_catalog.substring(x, '\sas\s+(\w+)\s*$')
                      FROM pg_catalog.regexp_matches(v_code, '(?:^|[;\n])\s*import\s+([^;\n#]+)', 'g') mm,
                           pg_catalog.regexp_split_to_table(mm[1], ',') x
                     WHERE x ~ '^\s*[\w.]+\s+as\s+\w+\s*$' LOOP
                    v_code := pg_catalog.regexp_replace(v_code, '(?<![\w.])' || v_alias || '\.', v_mod || '.', 'g');
                END LOOP;
                FOR v_mod, v_name, v_alias IN
                    SELECT mm[1], pg_catalog.substring(x, '^\s*(\w+)'), coalesce(pg_catalog.substring(x, '\sas\s+(\w+)\s*$'), pg_catalog.substring(x, '^\s*(\w+)'))
                      FROM pg_catalog.regexp_matches(v_code, '(?:^|[;\n])\s*from\s+([\w.]+)\s+import\s+\(?([^;\n#)]+)', 'g') mm,
                           pg_catalog.regexp_split_to_table(mm[2], ',') x
                     WHERE x ~ '^\s*\w+(\s+as\s+\w+)?\s*$' LOOP
                    v_code := pg_catalog.regexp_replace(v_code, '(?<![\w.])' || v_alias || '(\s*\()', v_mod || '.' || v_name || '\1', 'g');
                END LOOP;
            END IF;
            IF pg_catalog.strpos(v_code, '.join(') > 0 THEN
                FOR m IN SELECT pg_catalog.regexp_matches(v_code,
                        '((?:''([^''\\]*)''|"([^"\\]*)")\.join\(\s*[\[(]((?:\s*(?:''[^''\\]*''|"[^"\\]*")\s*,?)*)\s*[\])]\s*\)'
                        || '|\[((?:\s*(?:''[^''\\]*''|"[^"\\]*")\s*,?)*)\s*\]\.join\(\s*(?:''([^''\\]*)''|"([^"\\]*)")?\s*\))', 'g') LOOP
                    SELECT pg_catalog.string_agg(coalesce(u.x[1], u.x[2]),
                                                 CASE WHEN m[4] IS NOT NULL THEN coalesce(m[2], m[3]) ELSE coalesce(m[6], m[7], CASE WHEN v_kind = 'ruby' THEN '' ELSE ',' END) END
                                                 ORDER BY u.k)
                      INTO v_name
                      FROM pg_catalog.regexp_matches(coalesce(m[4], m[5]), '''([^'']*)''|"([^"]*)"', 'g') WITH ORDINALITY u(x, k);
                    v_name := CASE WHEN pg_catalog.strpos(v_name, '''') = 0 THEN '''' || v_name || ''''
                                   WHEN pg_catalog.strpos(v_name, '"') = 0 THEN '"' || v_name || '"' END;
                    IF v_name IS NOT NULL THEN
                        v_code := pg_catalog.replace(v_code, m[1], v_name);
                    END IF;
                END LOOP;
            END IF;
            IF v_code IS NOT NULL THEN
                IF p_depth + 1 > c_lim.max_depth THEN
                    o := ROW(0, p_depth + 1, 'limit', p_scope, 0, 'nesting_depth', '{}', '{}', NULL, '{}');
                    RETURN NEXT o;
                    RETURN;
                END IF;
                v_seq := v_seq + 1;
                o := ROW(v_seq, p_depth + 1, 'inline-' || v_kind, p_scope || r.ord || '/i', 0, v_kind, ARRAY[v_prog, v_code], '{}', NULL, '{}');
                RETURN NEXT o;
                FOR t IN SELECT * FROM coord_private.shell_inline_targets(v_code) LOOP
                    IF t.kind IN ('rm -rf', 'rm -f') THEN
                        v_seq := v_seq + 1;
                        o := ROW(v_seq, p_depth + 1, 'inline-' || v_kind, p_scope || r.ord || '/i' || v_seq, 0, 'rm',
                                 pg_catalog.string_to_array(t.kind, ' ') || t.target, '{}', NULL, '{}');
                        RETURN NEXT o;
                    ELSE
                        RETURN QUERY SELECT * FROM coord_private.shell_commands(t.target, p_depth + 2, 'inline-shell', p_scope || r.ord || '/s' || v_seq);
                    END IF;
                END LOOP;
            END IF;
        ELSIF v_kind = 'sql' OR (v_prog IN ('manage.py', 'python') AND 'dbshell' = ANY (v_words)) THEN
            -- psql -c SQL / --command=SQL, mysql -e / --execute=, sqlite3 DB SQL; stdin
            FOR v_i IN 2 .. pg_catalog.cardinality(v_words) LOOP
                IF v_words[v_i] IN ('-c', '--command', '-e', '--execute', '-q', '--query', '-Q') AND v_i < pg_catalog.cardinality(v_words) THEN
                    v_code := coalesce(v_code || ';', '') || v_words[v_i + 1];
                ELSIF v_prog IN ('psql', 'mysql', 'mariadb', 'clickhouse-client') AND v_words[v_i] ~ '^(--command=|--execute=|--query=|-c.|-e.)' THEN
                    v_code := coalesce(v_code || ';', '') || pg_catalog.regexp_replace(v_words[v_i], '^(--command=|--execute=|--query=|-c|-e)', '');
                END IF;
            END LOOP;
            IF v_prog IN ('sqlite3', 'sqlite', 'duckdb') AND pg_catalog.cardinality(v_words) >= 3 THEN
                v_code := coalesce(v_code || ';', '') || (SELECT pg_catalog.string_agg(x, ';') FROM pg_catalog.unnest(v_words[3:]) x WHERE pg_catalog.left(x, 1) <> '-');
            END IF;
            v_code := coalesce(v_code || ';', '') || coalesce(r.input || ';', '') || coalesce(v_feed, '');
            IF v_code <> '' THEN
                v_seq := v_seq + 1;
                o := ROW(v_seq, p_depth + 1, 'sql', p_scope || r.ord || '/q', 0, 'sql', ARRAY[v_code], '{}', NULL, '{}');
                RETURN NEXT o;
            END IF;
        END IF;
        -- a here-string given to a shell or an interpreter is handled above through input
        v_prev_pipe := r.pipeline; v_prev_words := v_words; v_prev_input := r.input; v_prev_prog := v_prog;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord_private.shell_commands(text, integer, text, text) IS
    'the shell analysis of a command text: one row per simple command (program, argv, redirections, heredoc input), '
    'wrappers unwrapped, sh -c / eval / $(...) / heredoc code / inline interpreter code / SQL for clients analysed recursively; '
    'a context limit row when a bound was hit (fail closed)';
