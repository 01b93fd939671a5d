-- Inline interpreter code (python -c, node -e, awk, lua -e, Rscript -e, osascript -e, ...):
-- what the analyser's synthetic rows do not show. A secret sent by a network call, a
-- write to authorized_keys or an rc file, SQL run by a driver, a delete of every file of
-- the workspace, recursive deletes and shell-outs of interpreters the analyser does not
-- know, and code spelled in pieces ('r'+'m', getattr(__import__('os'), 'system'), x['rm'+'Sync'])
-- judged again once joined.
CREATE FUNCTION coord_private.shell_code_hits(p_prog text, p_code text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    v_hits text[] := '{}';
    v_kind text := coord_private.shell_kind(p_prog);
    v_norm text;
    m text[];
    v_target text;
    v_low text := pg_catalog.lower(p_code);
BEGIN
    -- (speed: every regular expression behind substring tests)
    IF (pg_catalog.strpos(v_low, 'http') > 0 OR pg_catalog.strpos(v_low, 'fetch') > 0 OR pg_catalog.strpos(v_low, 'url') > 0 OR pg_catalog.strpos(v_low, 'socket') > 0
        OR pg_catalog.strpos(v_low, 'post') > 0 OR pg_catalog.strpos(v_low, 'put') > 0 OR pg_catalog.strpos(v_low, 'ftp') > 0 OR pg_catalog.strpos(v_low, 'smtp') > 0
        OR pg_catalog.strpos(v_low, 'axios') > 0 OR pg_catalog.strpos(v_low, 'invoke-') > 0)
       AND coord_private.shell_is_secret(p_code)
       AND p_code ~* '(requests|httpx|session|client)\.(post|put|patch)|urlopen|urllib\.request|\mfetch\s*\(|https?\.request|axios|net::http|\mcurl\M|socket|smtplib|ftplib|invoke-(webrequest|restmethod)'
 THEN
        v_hits := v_hits || 'secrets_exfiltration'::text;
    END IF;
    IF (pg_catalog.strpos(p_code, 'authorized_keys') > 0 OR pg_catalog.strpos(p_code, '/.') > 0 OR pg_catalog.strpos(p_code, '/etc/') > 0)
       AND p_code ~ 'authorized_keys|/\.(bashrc|zshrc|profile|bash_profile|zprofile|zshenv)\M|/etc/(cron|sudoers|profile\.d|ld\.so\.preload)'
       AND p_code ~* 'open\s*\([^)]*[''"](a|w)b?\+?[''"]|append|writefile|\.write|>>|file_put_contents|out-file|add-content|set-content' THEN
        v_hits := v_hits || 'persistence'::text;
    END IF;
    IF pg_catalog.strpos(v_low, '.exec') > 0 OR pg_catalog.strpos(v_low, '.query') > 0 OR pg_catalog.strpos(v_low, '.run') > 0 OR pg_catalog.strpos(v_low, '.raw') > 0 THEN
        FOR m IN SELECT pg_catalog.regexp_matches(p_code, '\.(?:execute|executescript|exec|query|run|raw)\s*\(\s*[rbf]?(?:''([^'']*)''|"([^"]*)")', 'gi') LOOP
            v_hits := v_hits || coord_private.shell_sql_hits(coalesce(m[1], m[2]));
        END LOOP;
    END IF;
    IF (pg_catalog.strpos(p_code, 'remove') > 0 OR pg_catalog.strpos(p_code, 'unlink') > 0)
       AND (pg_catalog.strpos(p_code, 'listdir') > 0 OR pg_catalog.strpos(p_code, 'scandir') > 0 OR pg_catalog.strpos(p_code, 'glob') > 0 OR pg_catalog.strpos(p_code, 'readdir') > 0)
       AND p_code ~ '(os\.remove|os\.unlink|unlink)\s*\(' AND p_code ~ '(listdir|scandir|glob\.glob|Dir\.glob|readdirSync)\s*\(\s*(''(\.|\./|\*|\./\*)?''|"(\.|\./|\*|\./\*)?"|)\s*\)' THEN
        v_hits := v_hits || 'fs_delete_catastrophic'::text;
    END IF;
    -- spelled in pieces: join, then judge again as the same interpreter's code
    IF v_kind IS NOT NULL AND v_kind <> 'sql'
       AND ((pg_catalog.strpos(p_code, '+') > 0 AND p_code ~ '[''"]\s*\+\s*\S') OR pg_catalog.strpos(p_code, 'getattr') > 0 OR pg_catalog.strpos(p_code, '__import__') > 0 OR pg_catalog.strpos(p_code, '[') > 0)
       AND p_code ~ '[''"]\s*\+\s*([''"]|os\.path\.expanduser|str\(|os\.environ|os\.getenv|require|os\.homedir|process\.env|Dir\.home|ENV|\$ENV)|getattr\s*\(|__import__|\[\s*[''"]\w+[''"]\s*\]' THEN
        -- 'rm -rf ' + os.path.expanduser('~'): the home directory spelled in a concatenation is ~
        v_norm := pg_catalog.regexp_replace(p_code, '([''"])\s*\+\s*(os\.path\.expanduser\(\s*[''"]~[''"]\s*\)|str\(\s*(pathlib\.)?Path\.home\(\s*\)\s*\)|os\.environ\[\s*[''"]HOME[''"]\s*\]|os\.getenv\(\s*[''"]HOME[''"]\s*\)|(require\(\s*[''"]os[''"]\s*\)\.|os\.)homedir\(\s*\)|process\.env\.HOME|Dir\.home|ENV\[\s*[''"]HOME[''"]\s*\]|\$ENV\{HOME\})', '~\1', 'g');
        v_norm := pg_catalog.regexp_replace(v_norm, '[''"]\s*\+\s*[''"]', '', 'g');
        v_norm := pg_catalog.regexp_replace(v_norm, 'getattr\(\s*__import__\(\s*[''"](\w+)[''"]\s*\)\s*,\s*[''"](\w+)[''"]\s*\)', '\1.\2', 'g');
        v_norm := pg_catalog.regexp_replace(v_norm, '__import__\(\s*[''"](\w+)[''"]\s*\)', '\1', 'g');
        v_norm := pg_catalog.regexp_replace(v_norm, '\[\s*[''"](\w+)[''"]\s*\]', '.\1', 'g');
        IF v_norm <> p_code AND pg_catalog.length(v_norm) < pg_catalog.length(p_code) THEN
            v_hits := v_hits || coord_private.shell_rule_hits(coord_private.shell_quote(p_prog) || ' '
                      || CASE v_kind WHEN 'python' THEN '-c' WHEN 'php' THEN '-r' ELSE '-e' END || ' ' || coord_private.shell_quote(v_norm));
        END IF;
    ELSE
        v_norm := p_code;
    END IF;
    -- recursive deletes the analyser does not know: rm(homedir(), recursive=true), unlink("/x", recursive = TRUE),
    -- Deno.removeSync('/x', {recursive: true}), rmSync(require('os').homedir(), ...), unlink glob("/etc/*")
    -- (the analyser judges the usual calls of the interpreters it knows)
    IF (v_kind IS NULL OR pg_catalog.strpos(v_low, 'homedir') > 0 OR pg_catalog.strpos(v_low, 'removesync') > 0 OR pg_catalog.strpos(v_low, 'glob') > 0
        OR (v_kind = 'node' AND pg_catalog.strpos(v_low, 'recursive') > 0))
       AND (pg_catalog.strpos(v_low, 'rm') > 0 OR pg_catalog.strpos(v_low, 'remove') > 0 OR pg_catalog.strpos(v_low, 'unlink') > 0)
       AND v_norm ~* '(removesync|remove|unlink|rmsync|rm|rmtree|remove-item|delete)\s*[( ]' THEN
        FOR m IN SELECT pg_catalog.regexp_matches(v_norm,
                 '(?:removeSync|remove|unlink|rmSync|\mrm|rmtree|Remove-Item|unlink\s+glob|unlink\s*\(\s*glob)\s*\(?\s*((?:require\(\s*[''"]os[''"]\s*\)\.|os\.)?homedir\(\s*\)|Sys\.getenv\(\s*"HOME"\s*\)|''[^'']*''|"[^"]*")([^)]*)', 'gi') LOOP
            v_target := CASE WHEN m[1] ~* 'homedir|HOME' THEN '~' ELSE pg_catalog.substr(m[1], 2, pg_catalog.length(m[1]) - 2) END;
            CONTINUE WHEN v_target = '' OR v_target ~ '^(https?|s3|gs)://';
            v_hits := v_hits || coord_private.shell_rule_hits(CASE WHEN m[2] ~* 'recursive|-recurse|force' THEN 'rm -rf ' ELSE 'rm -f ' END
                                                              || coord_private.shell_quote(v_target));
        END LOOP;
    END IF;
    -- shell-outs of interpreters the analyser does not know (awk, lua, R, julia, osascript, pwsh)
    IF v_kind IS NULL THEN
        FOR m IN SELECT pg_catalog.regexp_matches(v_norm, '(?:os\.execute|system2?|do shell script|exec|shell_exec|run|popen|Start-Process|Invoke-Expression|iex)\s*\(?\s*(?:"((?:[^"\\]|\\.)*)"|''([^'']*)''|`([^`]*)`)', 'gi') LOOP
            v_hits := v_hits || coord_private.shell_rule_hits(coalesce(m[1], m[2], m[3]));
        END LOOP;
    END IF;
    -- red team (issue 16): what the analyser's rows miss ----------------------------------
    -- decoded base64 literals run as code: exec(base64.b64decode('...')), eval(decode_base64('...')), Buffer.from('...', 'base64')
    IF v_kind IS NOT NULL AND v_kind <> 'sql' AND (pg_catalog.strpos(v_low, 'base64') > 0 OR pg_catalog.strpos(v_low, 'decode64') > 0 OR pg_catalog.strpos(v_low, 'atob') > 0)
       AND pg_catalog.length(p_code) < 100000 THEN
        FOR m IN SELECT pg_catalog.regexp_matches(p_code, '(?:b64decode|decode_base64|decode64|Buffer\.from|atob|base64_decode)\s*\(\s*b?[''"]([A-Za-z0-9+/=\s]{8,})[''"]', 'g') LOOP
            BEGIN
                v_target := pg_catalog.convert_from(pg_catalog.decode(pg_catalog.regexp_replace(m[1], '\s', '', 'g'), 'base64'), 'UTF8');
            EXCEPTION WHEN OTHERS THEN
                v_target := NULL;
            END;
            IF v_target IS NOT NULL AND pg_catalog.length(v_target) < pg_catalog.length(p_code) THEN
                -- as the interpreter's own code, and as shell code (it may be handed to os.system)
                v_hits := v_hits || coord_private.shell_rule_hits(coord_private.shell_quote(p_prog) || ' '
                          || CASE v_kind WHEN 'python' THEN '-c' WHEN 'php' THEN '-r' WHEN 'shell' THEN '-c' ELSE '-e' END || ' ' || coord_private.shell_quote(v_target))
                          || coord_private.shell_rule_hits(v_target);
            END IF;
        END LOOP;
    END IF;
    -- shell-outs given a list of words: exec "rm", "-rf", "/x"; system('rm', '-rf', ...); spawnSync("rm", ["-rf", "/x"])
    IF (pg_catalog.strpos(v_low, 'system') > 0 OR pg_catalog.strpos(v_low, 'exec') > 0 OR pg_catalog.strpos(v_low, 'spawn') > 0)
       AND p_code ~ '(system|exec|spawnSync|spawn|execFileSync|execFile|execvp?)\s*\(?\s*(''[^'']*''|"[^"]*")\s*,' THEN
        FOR m IN SELECT pg_catalog.regexp_matches(p_code, '(?:system|exec|spawnSync|spawn|execFileSync|execFile|execvp?)\s*\(?\s*((?:''[^'']*''|"[^"]*")(?:\s*,\s*\[?\s*(?:''[^'']*''|"[^"]*"))+)', 'g') LOOP
            SELECT pg_catalog.string_agg(coord_private.shell_quote(coalesce(x[1], x[2])), ' ') INTO v_target
              FROM pg_catalog.regexp_matches(m[1], '''([^'']*)''|"([^"]*)"', 'g') x;
            IF pg_catalog.length(v_target) < pg_catalog.length(p_code) THEN
                v_hits := v_hits || coord_private.shell_rule_hits(v_target);
            END IF;
        END LOOP;
    END IF;
    -- a shell-out given a variable: c = 'rm -rf /x'; os.system(c)  (awk: cmd = "..."; system(cmd))
    IF (pg_catalog.strpos(v_low, 'system') > 0 OR pg_catalog.strpos(v_low, 'exec') > 0 OR pg_catalog.strpos(v_low, 'popen') > 0
        OR pg_catalog.strpos(v_low, 'run') > 0 OR pg_catalog.strpos(v_low, 'call') > 0 OR pg_catalog.strpos(v_low, 'spawn') > 0 OR pg_catalog.strpos(v_low, 'passthru') > 0)
       AND p_code ~ '(system|exec|execSync|popen|run|call|check_call|check_output|Popen|spawn|shell_exec|passthru|getoutput)\s*\(\s*\$?[A-Za-z_]\w*\s*[,)]' THEN
        FOR m IN SELECT pg_catalog.regexp_matches(p_code, '(?:system|exec|execSync|popen|run|call|check_call|check_output|Popen|spawn|shell_exec|passthru|getoutput)\s*\(\s*\$?([A-Za-z_]\w*)\s*[,)]', 'g') LOOP
            FOR v_target IN SELECT coalesce(x[1], x[2]) FROM pg_catalog.regexp_matches(p_code,
                    '(?:^|[^\w.])\$?' || m[1] || '\s*=\s*(?:''([^'']*)''|"((?:[^"\\]|\\.)*)")', 'g') x LOOP
                v_hits := v_hits || coord_private.shell_rule_hits(v_target);
            END LOOP;
        END LOOP;
    END IF;
    -- Tcl / expect: exec rm -rf /x (unquoted words)
    IF p_prog IN ('tclsh', 'wish', 'expect') AND pg_catalog.strpos(p_code, 'exec') > 0 THEN
        FOR m IN SELECT pg_catalog.regexp_matches(p_code, '\mexec\s+([^\]\n;"{}]+)', 'g') LOOP
            v_hits := v_hits || coord_private.shell_rule_hits(m[1]);
        END LOOP;
    END IF;
    -- perl qx(...) / qx{...}
    IF v_kind = 'perl' AND pg_catalog.strpos(p_code, 'qx') > 0 THEN
        FOR m IN SELECT pg_catalog.regexp_matches(p_code, '\mqx\s*(?:\(([^)]*)\)|\{([^}]*)\}|\[([^\]]*)\]|/([^/]*)/|\|([^|]*)\||!([^!]*)!)', 'g') LOOP
            v_hits := v_hits || coord_private.shell_rule_hits(coalesce(m[1], m[2], m[3], m[4], m[5], m[6]));
        END LOOP;
    END IF;
    -- ruby FileUtils: rm_r(Dir.home), remove_entry('/x'), rmtree(...)
    IF pg_catalog.strpos(p_code, 'FileUtils') > 0 THEN
        FOR m IN SELECT pg_catalog.regexp_matches(p_code, 'FileUtils\.(rm_rf|rm_r|rmtree|remove_dir|remove_entry_secure|remove_entry|rm_f|rm|remove)\s*\(?\s*(Dir\.home|ENV\[\s*[''"]HOME[''"]\s*\]|File\.expand_path\(\s*[''"]~[''"]\s*\)|''[^'']*''|"[^"]*")', 'g') LOOP
            v_target := CASE WHEN m[2] ~ '^[''"]' THEN pg_catalog.substr(m[2], 2, pg_catalog.length(m[2]) - 2) ELSE '~' END;
            v_hits := v_hits || coord_private.shell_rule_hits(CASE WHEN m[1] IN ('rm_f', 'rm', 'remove') THEN 'rm -f ' ELSE 'rm -rf ' END || coord_private.shell_quote(v_target));
        END LOOP;
    END IF;
    -- PowerShell: Remove-Item -Recurse -Force PATH (its aliases ri, rm, del, rd, rmdir, erase)
    IF p_prog IN ('pwsh', 'powershell', 'pwsh.exe', 'powershell.exe') AND v_low ~ '\m(remove-item|ri|rm|del|rd|rmdir|erase)\s' THEN
        FOR m IN SELECT pg_catalog.regexp_matches(p_code, '(?:^|[;|{(]\s*|\s)(?:remove-item|ri|rm|del|rd|rmdir|erase)\s+([^;|}\n]*)', 'gi') LOOP
            v_target := (SELECT x FROM pg_catalog.regexp_split_to_table(pg_catalog.btrim(m[1]), '\s+') WITH ORDINALITY u(x, o)
                          WHERE x NOT LIKE '-%' ORDER BY o LIMIT 1);
            CONTINUE WHEN v_target IS NULL;
            v_target := pg_catalog.regexp_replace(pg_catalog.btrim(v_target, '''"'), '^(\$HOME|\$env:USERPROFILE|\$env:HOME)', '~', 'i');
            v_hits := v_hits || coord_private.shell_rule_hits(CASE WHEN m[1] ~* '(^|\s)-(r|rec|recurse|force|fo)\M' THEN 'rm -rf ' ELSE 'rm -f ' END || coord_private.shell_quote(v_target));
        END LOOP;
    END IF;
    RETURN v_hits;
END
$$;
COMMENT ON FUNCTION coord_private.shell_code_hits(text, text) IS 'the shell rules inline interpreter code matches beyond the analyser''s synthetic commands';

