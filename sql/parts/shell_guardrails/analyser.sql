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
BEGIN
    IF pg_catalog.strpos(v, '$IFS') > 0 OR pg_catalog.strpos(v, '${IFS') > 0 THEN
        v := pg_catalog.regexp_replace(v, '\$\{IFS[^}]{0,10}\}|\$IFS(?![A-Za-z0-9_])', ' ', 'g');
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
            OR pg_catalog.split_part(pg_catalog.translate(pg_catalog.lower(pg_catalog.left(pg_catalog.ltrim(p_text, E' \t\n\r\f\x0b'), 12)), E'\t\n\r\f\x0b', '     '), ' ', 1)
               IN ('select', 'with', 'insert', 'update', 'delete', 'drop', 'truncate', 'alter', 'create', 'grant', 'revoke', 'merge', 'copy',
                   'vacuum', 'begin', 'commit', 'explain', 'do', 'comment', 'set'))
       AND p_text ~* '^\s*(--[^\n]*\n\s*)*(select|with|insert|update|delete|drop|truncate|alter|create|grant|revoke|merge|copy|vacuum|begin|commit|explain|do|comment|set)\s+(?![-.]|[^;\n]*(\s-[a-z]|[<>|&]))' THEN
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
                             'runuser', 'sg', 'nsenter', 'unshare', 'systemd-run', 'script', 'parallel', 'with-contenv', 'dbus-launch') THEN
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
                       OR (v_prog IN ('runuser', 'sg') AND v_words[v_i] IN ('-u', '-g', '-G', '--user', '--group'))
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
                IF v_prog IN ('watch', 'runuser', 'su') AND v_i <= pg_catalog.cardinality(v_words) THEN
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
            ELSIF v_prog = 'su' THEN
                v_i := NULL;
                FOR v_j IN 2 .. pg_catalog.cardinality(v_words) - 1 LOOP
                    IF v_words[v_j] IN ('-c', '--command') THEN
                        v_i := v_j;
                    END IF;
                END LOOP;
                IF v_i IS NULL THEN
                    EXIT;
                END IF;
                v_wrappers := v_wrappers || 'su'::text;
                v_words := ARRAY['sh', '-c', v_words[v_i + 1]];
                CONTINUE;
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
        IF v_prog = 'eval' AND pg_catalog.cardinality(v_words) > 1 THEN
            RETURN QUERY SELECT * FROM coord_private.shell_commands(pg_catalog.array_to_string(v_words[2:], ' '), p_depth + 1, 'eval', p_scope || r.ord || '/');
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
            IF v_i + 1 <= pg_catalog.cardinality(v_words) THEN
                RETURN QUERY SELECT * FROM coord_private.shell_commands(pg_catalog.array_to_string(v_words[v_i + 1:], ' '), p_depth + 1, 'ssh', p_scope || r.ord || '/');
            ELSIF r.input IS NOT NULL THEN
                RETURN QUERY SELECT * FROM coord_private.shell_commands(r.input, p_depth + 1, 'heredoc-code', p_scope || r.ord || '/');
            END IF;
        ELSIF v_kind = 'shell' THEN
            -- sh -c STRING, sh -xec STRING; else stdin (heredoc, here-string, echo ... |) is code
            v_i := 2;
            v_code := NULL;
            WHILE v_i <= pg_catalog.cardinality(v_words) LOOP
                IF v_words[v_i] ~ '^-[a-zA-Z]*c[a-zA-Z]*$' OR v_words[v_i] = '--command' THEN
                    -- the first operand after the options is the command string
                    v_n := v_i + 1;
                    WHILE v_n <= pg_catalog.cardinality(v_words) AND v_words[v_n] ~ '^[-+][a-zA-Z]+$' AND v_words[v_n] <> '-' LOOP
                        v_n := v_n + CASE WHEN v_words[v_n] IN ('-o', '+o') THEN 2 ELSE 1 END;
                    END LOOP;
                    v_code := coalesce(v_words[v_n], '');
                    EXIT;
                ELSIF pg_catalog.left(v_words[v_i], 1) IN ('-', '+') THEN
                    v_i := v_i + CASE WHEN v_words[v_i] IN ('-o', '+o') OR v_words[v_i] IN ('--rcfile', '--init-file') THEN 2 ELSE 1 END;
                ELSE
                    EXIT;
                END IF;
            END LOOP;
            IF v_code IS NOT NULL THEN
                RETURN QUERY SELECT * FROM coord_private.shell_commands(v_code, p_depth + 1, 'sh-c', p_scope || r.ord || '/');
            ELSIF v_i > pg_catalog.cardinality(v_words) OR v_words[v_i] = '-' OR v_words[v_i] = '/dev/stdin' THEN
                v_code := coalesce(r.input, CASE WHEN v_prev_prog IN ('echo', 'printf', 'print') THEN pg_catalog.array_to_string(v_prev_words[2:], ' ')
                                                 WHEN v_prev_prog = 'cat' THEN v_prev_input END);
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
                v_code := coalesce(r.input, CASE WHEN v_prev_prog IN ('echo', 'printf') THEN pg_catalog.array_to_string(v_prev_words[2:], ' ')
                                                 WHEN v_prev_prog = 'cat' THEN v_prev_input END);
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
            v_code := coalesce(v_code || ';', '') || coalesce(r.input || ';', '')
                      || coalesce(CASE WHEN v_prev_prog IN ('echo', 'printf') THEN pg_catalog.array_to_string(v_prev_words[2:], ' ')
                                       WHEN v_prev_prog = 'cat' THEN v_prev_input END, '');
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
