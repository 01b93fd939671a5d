-- The shell rules' matching logic over the analysed commands (one block per rule), with
-- the helpers of path_classes.sql, sql_rules.sql and code_rules.sql.

-- The names of the shell rules the commands of a text match.
CREATE FUNCTION coord_private.shell_rule_hits(p_text text, p_workspace text DEFAULT NULL, p_dir text DEFAULT NULL)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    c record;
    v_hits text[] := '{}';
    v_cmds coord_private.shell_command[];
    a text[];                 -- argv
    n integer;
    p text;                   -- program
    w text;
    v_class text;
    v_rec boolean; v_force boolean;
    v_sub text;               -- git subcommand / cloud verb
    v_rest text[];
    v_i integer;
    v_sql text;
    v_all text;
    v_up record;
    v_secret_src boolean;
    v_secretish boolean;      -- whether any word of the text could name a secret (computed when first needed)
    v_cmd_secretish boolean;  -- whether a word of this command could
    v_sink boolean;
    v_cwd text;
    v_cdword text;            -- the directory the last cd went to, as written (or absolute when followed)
    v_forvar text;
    v_forvals text[];
    v_scripts text[] := '{}';  -- pairs: a script file written by a heredoc in this text, its body
    v_code text;
    v_kind text;
    v_targets text[];
    v_j integer;
    v_gitalias text := '';     -- alias.x=value lines set by git config in this text
    m text[];
    -- the workspace as context (NULL: not known): the workspace root and the directory the
    -- next command runs in (check_guardrails passes the workspace when no directory was
    -- given), followed through cd; per command the pair its paths are judged with (none
    -- for a command run on another host)
    v_ws text := p_workspace;
    v_dir text := p_dir;
    v_pws text;
    v_pdir text;
BEGIN
    SELECT pg_catalog.array_agg(ROW(x.seq, x.depth, x.context, x.pipeline, x.pipe_pos, x.program, x.argv, x.redirects, x.input, x.wrappers)::coord_private.shell_command ORDER BY x.o)
      INTO v_cmds FROM coord_private.shell_commands(p_text) WITH ORDINALITY AS x(seq, depth, context, pipeline, pipe_pos, program, argv, redirects, input, wrappers, o);
    IF v_cmds IS NULL THEN
        RETURN v_hits;
    END IF;
    -- fork bombs have no simple command worth the name: read off the text
    IF (pg_catalog.strpos(p_text, '{') > 0 AND pg_catalog.strpos(p_text, '&') > 0 AND p_text ~ '[\w:.]+\s*\(\s*\)\s*\{\s*[\w:.]+\s*\|\s*[\w:.]+\s*&\s*;?\s*\}')
       OR ((pg_catalog.strpos(p_text, 'fork') > 0 OR pg_catalog.strpos(pg_catalog.lower(p_text), 'iex') > 0) AND p_text ~* '\mfork\s+while\s+fork\M|while\s*\(?\s*(true|1)\s*\)?\s*:?\s*os\.fork\s*\(|\miex\s*\(\s*(iwr|irm|invoke-webrequest|invoke-restmethod|new-object)\M') THEN
        v_hits := v_hits || 'shell_remote_code'::text;
    END IF;
    IF pg_catalog.strpos(p_text, '-----') > 0 AND p_text ~* '-----begin (rsa |ec |dsa |openssh |encrypted )?private key-----' THEN
        v_hits := v_hits || 'secrets_private_key_read'::text;
    END IF;
    -- a DO block as the text itself (its body is code: EXECUTE 'DROP TABLE ' || ...)
    IF pg_catalog.lower(pg_catalog.ltrim(p_text)) LIKE 'do $%' THEN
        v_hits := v_hits || coord_private.shell_sql_hits(p_text);
    END IF;
    FOR c IN SELECT * FROM pg_catalog.unnest(v_cmds) LOOP
        IF c.context = 'limit' THEN
            v_hits := v_hits || 'shell_analysis_limit'::text;
            CONTINUE;
        END IF;
        a := c.argv; p := c.program; n := coalesce(pg_catalog.cardinality(a), 0);
        IF c.context = 'ssh' THEN
            v_pws := NULL; v_pdir := NULL;
        ELSE
            v_pws := v_ws; v_pdir := v_dir;
        END IF;
        -- runners of a package's program (npx X, pnpm dlx X, bunx X) and quiet wrappers (chronic X, busybox X)
        -- (and yarn X / pnpm X for an X that is not one of their commands: they run the package's program X)
        IF p IN ('npx', 'pnpx', 'bunx', 'chronic', 'busybox') OR (p IN ('pnpm', 'yarn') AND a[2] IN ('dlx', 'exec'))
           OR (p IN ('pnpm', 'yarn') AND n > 1 AND pg_catalog.left(a[2], 1) <> '-'
               AND a[2] NOT IN ('add', 'audit', 'autoclean', 'bin', 'cache', 'check', 'config', 'create', 'dedupe', 'dlx', 'exec', 'explain', 'generate-lock-entry',
                                'global', 'help', 'import', 'info', 'init', 'install', 'i', 'licenses', 'link', 'list', 'ls', 'login', 'logout', 'node', 'outdated',
                                'owner', 'pack', 'patch', 'patch-commit', 'plugin', 'policies', 'publish', 'rebuild', 'remove', 'rm', 'run', 'search', 'set', 'tag',
                                'team', 'test', 't', 'unlink', 'unplug', 'up', 'upgrade', 'update', 'upgrade-interactive', 'version', 'versions', 'why', 'workspace',
                                'workspaces', 'store', 'prune', 'fetch', 'env', 'setup', 'server', 'root', 'doctor', 'deploy', 'approve-builds', 'ci', 'start',
                                'restart', 'stop', 'uninstall', 'un', 'x', 'sbom', 'recursive', '-r', 'outdated', 'import', 'npm', 'stage', 'constraints',
                                'dist-tag', 'dist-tags', 'unpublish', 'deprecate')) THEN
            v_i := CASE WHEN p IN ('pnpm', 'yarn') AND a[2] IN ('dlx', 'exec') THEN 3 ELSE 2 END;
            WHILE v_i <= n AND a[v_i] LIKE '-%' LOOP
                v_i := v_i + CASE WHEN a[v_i] IN ('-p', '--package', '-c', '--call') THEN 2 ELSE 1 END;
            END LOOP;
            IF v_i <= n THEN
                a := a[v_i:]; n := n - v_i + 1;
                p := pg_catalog.lower(pg_catalog.reverse(pg_catalog.split_part(pg_catalog.reverse(a[1]), '/', 1)));
            END IF;
        END IF;
        -- runners of a program in an environment (red team, issue 16): uv run X, poetry run X, npm exec -- X,
        -- bundle exec X, conda run -n env X ... are judged as X (its code analysed too)
        IF (p IN ('uv', 'poetry', 'pipenv', 'pdm', 'hatch', 'rye', 'conda', 'mamba', 'micromamba', 'pixi', 'bundle', 'npm', 'pnpm', 'yarn', 'bun')
            AND a[2] IN ('run', 'exec') AND n > 2 AND c.context <> 'sql' AND c.context NOT LIKE 'inline-%')
           OR (n = 0 AND c.input IS NOT NULL AND c.wrappers && ARRAY['sudo', 'doas', 'su', 'run0']) THEN
            IF n = 0 THEN
                w := c.input;                                   -- sudo -s <<< CODE: a shell reads it
            ELSE
                v_i := 3;
                WHILE v_i <= n AND a[v_i] LIKE '-%' LOOP
                    v_i := v_i + CASE WHEN a[v_i] IN ('-n', '-p', '--name', '--prefix', '--with', '--python', '-e', '--env', '--directory', '--project', '-w', '--workspace') THEN 2
                                      WHEN a[v_i] = '--' THEN 1 ELSE 1 END;
                    EXIT WHEN a[v_i - 1] = '--';
                END LOOP;
                w := pg_catalog.array_to_string(ARRAY(SELECT CASE WHEN x ~ '^[A-Za-z0-9_./=:@%+,-]+$' THEN x ELSE coord_private.shell_quote(x) END
                                                        FROM pg_catalog.unnest(a[v_i:]) x), ' ');
            END IF;
            IF w <> '' AND pg_catalog.length(w) < pg_catalog.length(p_text) THEN
                v_hits := v_hits || coord_private.shell_rule_hits(w, v_pws, v_pdir);
            END IF;
            IF n = 0 THEN
                CONTINUE;
            END IF;
        END IF;
        -- make with a makefile on stdin: its recipe lines run
        IF p IN ('make', 'gmake') AND c.input IS NOT NULL THEN
            SELECT pg_catalog.string_agg(pg_catalog.ltrim(x, E'\t@-+'), E'\n') INTO w
              FROM pg_catalog.regexp_split_to_table(c.input, E'\n') x WHERE pg_catalog.left(x, 1) = E'\t';
            IF w IS NOT NULL AND pg_catalog.length(w) < pg_catalog.length(p_text) THEN
                v_hits := v_hits || coord_private.shell_rule_hits(w, v_pws, v_pdir);
            END IF;
        END IF;
        -- busybox sh -c CODE: the analyser saw busybox, not the shell (red team, issue 16)
        IF c.program = 'busybox' AND p IN ('sh', 'ash', 'hush', 'bash') AND n > 2 THEN
            v_i := (SELECT min(i) FROM pg_catalog.generate_series(2, n - 1) i WHERE a[i] ~ '^-[a-zA-Z]*c[a-zA-Z]*$');
            IF v_i IS NOT NULL AND pg_catalog.length(a[v_i + 1]) < pg_catalog.length(p_text) THEN
                v_hits := v_hits || coord_private.shell_rule_hits(a[v_i + 1], v_pws, v_pdir);
            END IF;
        END IF;
        -- a program word the analyser could not resolve (red team, issue 16): ${x:-rm} is its default,
        -- {rm,-rf,/x} is brace expansion into words, x='rm -rf /x'; $x splits into words, an
        -- unknown $prog given -r / -f is judged as rm (the worst it may be)
        IF n > 0 AND c.context <> 'sql' AND (c.context NOT LIKE 'inline-%' OR c.context = 'inline-shell')
           AND (pg_catalog.strpos(a[1], '$') > 0 OR pg_catalog.strpos(a[1], '{') > 0 OR pg_catalog.strpos(a[1], ' ') > 0) THEN
            IF pg_catalog.left(a[1], 2) = '${' AND a[1] ~ '^\$\{[A-Za-z_]\w*:?[-=]([^{}$]+)\}$' THEN
                a[1] := pg_catalog.substring(a[1], '^\$\{[A-Za-z_]\w*:?[-=]([^{}$]+)\}$');
            ELSIF pg_catalog.left(a[1], 1) = '{' AND a[1] ~ '^\{[^{}]*,[^{}]*\}$' THEN
                a := pg_catalog.string_to_array(pg_catalog.substr(a[1], 2, pg_catalog.length(a[1]) - 2), ',') || a[2:];
            ELSIF a[1] ~ '^\S+\s+\S'                            -- a value the analyser substituted, not a quoted word
                  AND ('script' = ANY (c.wrappers) OR pg_catalog.strpos(p_text, '=''' || a[1]) > 0 OR pg_catalog.strpos(p_text, '="' || a[1]) > 0
                       OR pg_catalog.strpos(p_text, '$(echo') > 0 OR pg_catalog.strpos(p_text, '$(printf') > 0
                       OR pg_catalog.strpos(p_text, '`echo') > 0 OR pg_catalog.strpos(p_text, '`printf') > 0) THEN
                a := pg_catalog.regexp_split_to_array(pg_catalog.btrim(a[1]), '\s+') || a[2:];
            ELSIF pg_catalog.strpos(a[1], '$') > 0 AND a[1] !~ '\s'
                  AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^-[a-zA-Z]{0,3}[rR][a-zA-Z]{0,3}$' OR x = '--recursive') THEN
                a[1] := 'rm';
            END IF;
            n := pg_catalog.cardinality(a);
            p := pg_catalog.lower(pg_catalog.reverse(pg_catalog.split_part(pg_catalog.reverse(coalesce(a[1], '')), '/', 1)));
        END IF;
        IF p IN ('rimraf', 'del-cli', 'trash', 'trash-put') THEN
            a := ARRAY['rm', '-rf'] || a[2:]; n := n + 1; p := 'rm';
        END IF;
        v_all := pg_catalog.array_to_string(a, ' ');
        v_kind := CASE WHEN p LIKE 'py%' OR p LIKE 'perl%' OR p LIKE 'php%'
                            OR p IN ('sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'busybox', 'fish', 'rbash', 'tcsh', 'csh', 'ruby', 'jruby', 'irb',
                                     'node', 'nodejs', 'bun', 'deno', 'psql', 'mysql', 'mariadb', 'sqlite3', 'sqlite', 'duckdb', 'cockroach', 'clickhouse-client',
                                     'sqlcmd', 'snowsql', 'bq', 'pgcli', 'mycli', 'usql', 'cqlsh')
                       THEN coord_private.shell_kind(p) END;
        -- (speed) A command no block below can match ends here: no rule names its program
        -- (the array holds every program the blocks compare p with, and the LIKE tests every
        -- prefix they test: tests/test_shell_rules_programs.py holds the two against this
        -- function's source), and it has no redirection, no input, no xargs, no program word
        -- the analyser could not resolve, and no script was written earlier in the text.
        IF n > 0 AND c.context <> 'sql' AND c.context NOT LIKE 'inline-%' AND v_kind IS NULL
           AND pg_catalog.cardinality(c.redirects) = 0 AND c.input IS NULL AND pg_catalog.cardinality(v_scripts) = 0
           AND NOT (coalesce(c.wrappers, '{}') && ARRAY['xargs', 'parallel'])
           AND pg_catalog.strpos(a[1], '$') = 0 AND pg_catalog.strpos(a[1], '{') = 0 AND pg_catalog.strpos(a[1], ' ') = 0
           AND NOT (p LIKE 'py%' OR p LIKE 'perl%' OR p LIKE 'php%' OR p LIKE 'mkfs%' OR p LIKE 'newfs%')
           AND NOT (p = ANY ('{".",7z,adduser,alembic,anaconda,argocd,artisan,ash,awk,aws,az,base64,bash,bat,bfg,"bfg.jar",blkdiscard,bq,bsdtar,btrfs,buildah,bun,
                             bundle,bunx,busybox,cargo,cat,cd,cdk,cdktf,cfdisk,cgdisk,changeset,chattr,chgrp,chmod,chown,chronic,civo,"clickhouse-client",
                             cockroach,conda,cp,cqlsh,crane,crictl,crontab,cryptsetup,csh,curl,curlie,dart,dash,dd,del,"del-cli",deno,diskutil,docker,
                             "docker-compose",doctl,dotnet,dropdb,dropuser,duckdb,eksctl,etcdctl,eval,ex,exo,expect,fdisk,find,firebase,fish,flit,flutter,flux,
                             fly,flyctl,for,format,ftp,gawk,gcloud,gdisk,gem,gh,git,gmake,goreleaser,gpasswd,gpg,gradle,gradlew,groovy,groupadd,gsutil,gtar,
                             gvim,hatch,hcloud,hdparm,head,helm,heroku,hexdump,http,"http-server",httpd,httpie,https,hush,ibmcloud,iex,install,
                             "invoke-expression",irb,java,jruby,jsr,julia,k,k3d,"keydb-cli",kind,knex,kotlin,ksh,kubectl,launchctl,lerna,less,lftp,"linode-cli",
                             ln,lua,luajit,lvremove,mail,mailx,make,mamba,"manage.py",mariadb,mawk,mc,mdadm,micromamba,minikube,mix,mke2fs,mkfs,mksh,mkswap,
                             mongo,mongosh,more,mutt,mv,mvn,mvnw,mycli,mysql,mysqladmin,nawk,nc,ncat,nerdctl,netcat,netlify,nl,node,nodejs,npm,npx,nuget,nvim,
                             oc,oci,od,openssl,opentofu,osascript,ovsx,parted,pastebinit,pdm,perl,pgcli,pipenv,pixi,pnpm,pnpx,pod,podman,"podman-compose",
                             poetry,powershell,prisma,psql,pulumi,pushd,pvremove,pwsh,r,rails,rake,rbash,rclone,"redis-cli",rimraf,rm,rmdir,rscript,rsync,ruby,
                             rye,s3cmd,scala,scp,scrub,scw,sed,sendmail,sequelize,"sequelize-cli",serve,serverless,setfacl,"setup.py",sfdisk,sftp,sgdisk,sh,
                             shred,skopeo,sls,smbclient,snowsql,socat,source,sponge,sqlcmd,sqlite,sqlite3,srm,ssh,strings,systemctl,tac,tail,tar,tclsh,tcsh,tee,
                             telnet,terraform,terragrunt,tftp,tofu,trash,"trash-empty","trash-put",truncate,twine,typeorm,unlink,upcloud,useradd,usermod,usql,
                             uv,"valkey-cli",velero,vercel,vgremove,vi,view,vim,visudo,vsce,"vultr-cli",wget,wipe,wipefs,wish,xh,xxd,yarn,zfs,zip,zpool,zsh}'::text[])) THEN
            CONTINUE;
        END IF;
        IF p = 'for' AND a[3] = 'in' THEN
            v_forvar := a[2]; v_forvals := a[4:];   -- for d in A B; do rm -rf "$d": the values of $d
            CONTINUE;
        END IF;
        -- cd: where relative paths of the next commands of this context point
        IF p IN ('cd', 'pushd') THEN
            -- with the directory known it is followed exactly; a cd it cannot follow (cd, cd ~,
            -- cd -, cd "$X") leaves it unknown and the judgement below takes over
            v_cdword := CASE WHEN n = 1 THEN '~' ELSE a[n] END;
            IF v_dir IS NOT NULL AND c.context <> 'ssh' THEN
                v_dir := CASE WHEN n > 1 AND a[n] <> '-' THEN coord_private.shell_abspath(a[n], v_dir) END;
                IF v_dir IS NOT NULL THEN
                    v_cwd := NULL; v_cdword := v_dir;
                    CONTINUE;
                END IF;
            END IF;
            v_cwd := CASE WHEN n = 1 THEN 'home'
                          WHEN pg_catalog.rtrim(a[n], '/') IN ('/tmp', '/var/tmp', '/private/tmp', '/dev/shm', '$TMPDIR', '${TMPDIR}') THEN 'tmp'
                          ELSE coord_private.shell_path_class(a[n]) END;
            v_cwd := CASE WHEN v_cwd IN ('root', 'system', 'home', 'home_sub', 'parent', 'outside', 'git') THEN 'danger'
                          WHEN v_cwd IN ('tmp', 'build', 'home_cache') THEN 'scratch' ELSE NULL END;
            CONTINUE;
        END IF;
        -- asking for help or a dry run changes nothing (a program that knows the option)
        -- (speed: a condition with a query is never a simple expression, so each block that
        -- has one sits behind a simple test that every match passes: here a substring of an option)
        IF n > 1 AND (pg_catalog.strpos(v_all, ' --help') > 0 OR pg_catalog.strpos(v_all, ' -help') > 0 OR pg_catalog.strpos(v_all, ' --dry') > 0
                      OR pg_catalog.strpos(v_all, ' --what-if') > 0 OR (p IN ('terraform', 'helm') AND pg_catalog.strpos(v_all, ' -') > 0)
                      OR (p = 'git' AND (pg_catalog.strpos(v_all, ' -n') > 0 OR pg_catalog.strpos(v_all, ' -h') > 0))) THEN
        IF p NOT IN ('rm', 'shred', 'srm', 'unlink', 'dd', 'find', 'chmod', 'chown', 'chgrp', 'mkfs', 'wipefs', 'cat', 'curl', 'wget', 'tee', 'cp', 'mv')
           AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x IN ('--help', '-help', '--dry-run', '--dryrun', '--dry_run', '--what-if') OR x IN ('--dry-run=client', '--dry-run=server', '--dry-run=true') OR (p IN ('terraform', 'helm') AND x ~ '^-[a-zA-Z]*h$'))
           OR (p = 'git' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x IN ('-n', '--dry-run', '--help', '-h')) AND NOT a[2:] && ARRAY['clean', 'branch', 'rm']) THEN
            CONTINUE;
        END IF;
        END IF;

        -- ---------------------------------------------------------------- SQL
        IF c.context = 'sql' THEN
            v_hits := v_hits || coord_private.shell_sql_hits(a[1]);
            CONTINUE;
        END IF;
        IF c.context LIKE 'inline-%' AND c.context <> 'inline-shell' AND p <> 'rm' THEN
            -- the code itself: the analyser's findings are rows of their own, the rest is here
            v_hits := v_hits || coord_private.shell_code_hits(a[1], a[2]);
            CONTINUE;
        END IF;

        -- ---------------------------------------------------------------- deletion
        IF p IN ('rm', 'shred', 'srm', 'unlink', 'rmdir', 'del', 'trash-empty') AND (n > 1 OR coalesce(c.wrappers, '{}') && ARRAY['xargs', 'parallel']) THEN
            v_rec := false; v_force := p IN ('shred', 'srm');
            FOR v_i IN 2 .. n LOOP
                EXIT WHEN a[v_i] = '--';
                IF pg_catalog.left(a[v_i], 1) = '-' THEN   -- the letters after -: ~ '^-[a-zA-Z]*[rR]', '^-[a-zA-Z]*f' without a regular expression
                    w := pg_catalog.substr(a[v_i], 2);
                    w := pg_catalog.left(w, pg_catalog.length(w) - pg_catalog.length(pg_catalog.ltrim(w, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')));
                    IF pg_catalog.strpos(w, 'r') > 0 OR pg_catalog.strpos(w, 'R') > 0 THEN v_rec := true; END IF;
                    IF pg_catalog.strpos(w, 'f') > 0 THEN v_force := true; END IF;
                END IF;
                IF a[v_i] IN ('--recursive', '--dir') THEN v_rec := true; END IF;
                IF a[v_i] IN ('--force', '--no-preserve-root') THEN v_force := true; END IF;
                IF a[v_i] = '--no-preserve-root' THEN v_hits := v_hits || 'fs_delete_catastrophic'::text; END IF;
            END LOOP;
            v_targets := '{}';
            FOR v_i IN 2 .. n LOOP
                w := a[v_i];
                CONTINUE WHEN w LIKE '-%' AND NOT (v_i > 2 AND a[v_i - 1] = '--');
                IF v_forvar IS NOT NULL AND w IN ('$' || v_forvar, '${' || v_forvar || '}') THEN
                    v_targets := v_targets || v_forvals;
                ELSE
                    v_targets := v_targets || w;
                END IF;
            END LOOP;
            -- xargs rm fed by a here-string: its words are targets too
            IF 'xargs' = ANY (c.wrappers) AND c.input IS NOT NULL THEN
                v_targets := v_targets || pg_catalog.regexp_split_to_array(pg_catalog.btrim(c.input), '\s+');
            END IF;
            FOREACH w IN ARRAY v_targets LOOP
                v_class := coord_private.shell_path_class(w, v_pws, v_pdir);
                IF v_class IN ('root', 'home')
                   OR (v_class = 'system' AND (v_rec OR v_force OR pg_catalog.strpos(w, '*') > 0 OR p <> 'rmdir'))
                   OR (v_class IN ('home_sub', 'absolute') AND (v_rec OR v_force))
                   OR (v_class = 'home_sub' AND pg_catalog.strpos(w, '/.') > 0               -- a dotfile of home itself: its configuration
                       AND w ~ '^(~[^/]*|\$HOME|\$\{HOME\}|/home/[^/]+|/Users/[^/]+|/root)/\.[^/]+/?$')
                   OR (v_class = 'git' AND (v_rec OR v_force OR w ~ '(^|/)\.git/?$'))
                   OR (v_class = 'workspace_root' AND (v_rec OR pg_catalog.strpos(w, '*') > 0) AND coalesce(v_cwd, '') <> 'scratch')
                   OR (v_class = 'parent' AND (v_rec OR v_force OR pg_catalog.strpos(w, '*') > 0))
                   OR (v_class = 'outside' AND v_rec)
                   OR (v_cwd = 'danger' AND v_class IN ('relative', 'build', 'workspace_root') AND (v_rec OR v_force) AND pg_catalog.left(w, 1) NOT IN ('/', '~')) THEN
                    IF NOT (p = 'rmdir' AND v_class NOT IN ('root', 'system', 'home')) THEN
                        v_hits := v_hits || 'fs_delete_catastrophic'::text;
                    END IF;
                END IF;
            END LOOP;
            -- ls | xargs rm, echo / | xargs rm: targets from the pipeline
            IF c.pipe_pos > 0 AND (c.wrappers && ARRAY['xargs', 'parallel']) THEN
                SELECT * INTO v_up FROM pg_catalog.unnest(v_cmds) u WHERE u.pipeline = c.pipeline AND u.pipe_pos = c.pipe_pos - 1 AND u.context = c.context LIMIT 1;
                IF (v_up.program IN ('ls', 'echo', 'printf') AND (NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(v_up.argv[2:]) x WHERE x NOT LIKE '-%')
                       OR EXISTS (SELECT 1 FROM pg_catalog.unnest(v_up.argv[2:]) x
                                   WHERE x NOT LIKE '-%' AND coord_private.shell_path_class(x, v_pws, v_pdir) IN ('root', 'system', 'home', 'home_sub', 'workspace_root', 'parent', 'git'))))
                   OR (v_up.program = 'git' AND 'ls-files' = ANY (v_up.argv)
                       AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(v_up.argv[pg_catalog.array_position(v_up.argv, 'ls-files') + 1:]) x WHERE x NOT LIKE '-%'))
                   OR (v_up.program = 'find' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(v_up.argv[2:]) x
                                   WHERE x NOT LIKE '-%' AND coord_private.shell_path_class(x, v_pws, v_pdir) IN ('root', 'system', 'home', 'home_sub', 'home_cache', 'parent', 'outside', 'git', 'absolute'))) THEN
                    v_hits := v_hits || 'fs_delete_catastrophic'::text;
                END IF;
            END IF;
        END IF;
        IF p = 'find' THEN   -- (speed: a simple test before a query)
        IF p = 'find' AND ('-delete' = ANY (a)
                           OR (a && ARRAY['-exec', '-execdir', '-ok', '-okdir']
                               AND EXISTS (SELECT 1 FROM pg_catalog.generate_series(2, n - 1) i
                                            WHERE a[i] IN ('-exec', '-execdir', '-ok', '-okdir')
                                              AND pg_catalog.reverse(pg_catalog.split_part(pg_catalog.reverse(a[i + 1]), '/', 1)) IN ('rm', 'shred', 'unlink', 'rmdir')))) THEN
            v_rest := '{}';
            FOR v_i IN 2 .. n LOOP
                EXIT WHEN pg_catalog.left(a[v_i], 1) IN ('-', '(', '!') AND a[v_i] NOT IN ('-H', '-L', '-P') ;
                CONTINUE WHEN a[v_i] IN ('-H', '-L', '-P');
                v_rest := v_rest || coord_private.shell_path_class(a[v_i], v_pws, v_pdir);
            END LOOP;
            IF pg_catalog.cardinality(v_rest) = 0 THEN
                v_rest := ARRAY['workspace_root'];
            END IF;
            IF v_rest && ARRAY['root', 'system', 'home', 'home_sub', 'parent', 'outside', 'git'] THEN
                v_hits := v_hits || 'fs_find_delete'::text;
            ELSIF v_rest && ARRAY['workspace_root', 'relative'] THEN
                -- the workspace: only a filter to build artifacts, empty files or old scratch passes
                IF NOT ('-empty' = ANY (a)
                        OR EXISTS (SELECT 1 FROM pg_catalog.generate_series(2, n - 1) i, pg_catalog.lower(a[i + 1]) x
                                    WHERE a[i] IN ('-name', '-iname', '-path', '-ipath', '-regex')
                                      AND (x IN ('*.pyc', '*.pyo', '.pyc', '.pyo', '__pycache__', '*~', '.ds_store', 'thumbs.db', 'node_modules', '.pytest_cache', '.mypy_cache',
                                                 '.ruff_cache', 'dist', 'build', 'target', 'coverage', '.coverage', '.cache', '*.egg-info', '.ipynb_checkpoints', '.tox')
                                           OR (pg_catalog.left(x, 2) = '*.' AND pg_catalog.substr(x, 3) IN ('o', 'obj', 'a', 'so', 'class', 'log', 'tmp', 'temp', 'bak', 'orig', 'rej',
                                               'swp', 'swo', 'pyd', 'gcda', 'gcno', 'dsym', 'egg-info', 'cache', 'retry', 'coverage', 'tsbuildinfo', 'map'))
                                           OR (pg_catalog.strpos(x, '/') > 0 AND a[i + 1] ~* '^(\*?\.py[co]|__pycache__|\*\.(o|obj|a|so|class|log|tmp|temp|bak|orig|rej|swp|swo|pyd|gcda|gcno|dSYM|egg-info|cache|retry|coverage|tsbuildinfo|map)|\*~|\.DS_Store|Thumbs\.db|node_modules|\.pytest_cache|\.mypy_cache|\.ruff_cache|dist|build|target|coverage|\.coverage|\.cache|\*\.egg-info|\.ipynb_checkpoints|\.tox|[^/]*/(build|dist|__pycache__|node_modules)/\*|\*/(build|dist|__pycache__|node_modules|\.cache)(/\*)?)$')))) THEN
                    v_hits := v_hits || 'fs_find_delete'::text;
                END IF;
            END IF;
        END IF;
        END IF;

        -- ---------------------------------------------------------------- system files, chmod
        IF p IN ('chmod', 'chown', 'chgrp', 'chattr', 'setfacl') THEN
            v_rec := EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE (pg_catalog.left(x, 1) = '-' AND pg_catalog.strpos(pg_catalog.left(pg_catalog.substr(x, 2), pg_catalog.length(x) - 1 - pg_catalog.length(pg_catalog.ltrim(pg_catalog.substr(x, 2), 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'))), 'R') > 0) OR x = '--recursive');
            IF EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x
                        WHERE x NOT LIKE '-%' AND (coord_private.shell_path_class(x, v_pws, v_pdir) IN ('root', 'home')
                                             OR (v_rec AND coord_private.shell_path_class(x, v_pws, v_pdir) IN ('system', 'home_sub', 'workspace_root', 'parent', 'git')))) THEN
                v_hits := v_hits || 'fs_system_overwrite'::text;
            END IF;
            IF p = 'chmod' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x IN ('777', '0777', 'a+rwx', 'a=rwx', 'o+w', 'ugo+rwx', 'o+rwx', '666', '0666')) THEN
                v_hits := v_hits || 'fs_chmod_world_writable'::text;
            END IF;
        END IF;
        -- writes: redirections, tee, cp/mv/install/ln, truncate, sed -i
        IF pg_catalog.cardinality(c.redirects) > 0 OR p IN ('tee', 'truncate', 'sponge', 'cp', 'mv', 'install', 'ln', 'rsync', 'dd', 'sed', 'perl') THEN
        FOR w IN SELECT pg_catalog.regexp_replace(x, '^[0-9]*(>>|>\||>|&>>|&>|<>) ', '') FROM pg_catalog.unnest(c.redirects) x WHERE x ~ '^[0-9]*(>>|>\||>|&>>|&>|<>) '
                 UNION ALL
                 SELECT x FROM pg_catalog.unnest(a[2:]) x WHERE p IN ('tee', 'truncate', 'sponge') AND x NOT LIKE '-%'
                 UNION ALL
                 SELECT a[n] WHERE p IN ('cp', 'mv', 'install', 'ln', 'rsync', 'dd') AND n > 2 AND a[n] NOT LIKE '-%'
                 UNION ALL
                 SELECT pg_catalog.substr(x, 4) FROM pg_catalog.unnest(a[2:]) x WHERE p = 'dd' AND x LIKE 'of=%'
                 UNION ALL
                 SELECT a[n] WHERE p IN ('sed', 'perl') AND n > 2 AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE pg_catalog.left(x, 1) = '-' AND pg_catalog.strpos(pg_catalog.left(pg_catalog.substr(x, 2), pg_catalog.length(x) - 1 - pg_catalog.length(pg_catalog.ltrim(pg_catalog.substr(x, 2), 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'))), 'i') > 0) LOOP
            w := pg_catalog.replace(w, '/./', '/');
            IF v_pdir IS NOT NULL AND pg_catalog.left(w, 1) NOT IN ('/', '~', '$') THEN
                w := coalesce(coord_private.shell_abspath(w, v_pdir), w);     -- > passwd run in /etc
            END IF;
            -- (speed: every pattern below is anchored at / or ~, /dev/null and the like match none)
            CONTINUE WHEN pg_catalog.left(w, 1) NOT IN ('/', '~', '$') OR w IN ('/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty');
            IF pg_catalog.left(w, 1) = '$' OR w LIKE '/root/%' OR w LIKE '/home/%' OR w LIKE '/Users/%' THEN
                w := pg_catalog.regexp_replace(w, '^(\$HOME|\$\{HOME\}|/root|/home/[^/]+|/Users/[^/]+)(?=/)', '~');
            END IF;
            -- persistence
            -- persistence (one regular expression: the alternatives of eight)
            IF w ~ '(?:^~[^/]*/\.ssh/(authorized_keys2?|config|rc|environment)$)|(?:^~[^/]*/\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|zlogin|kshrc|cshrc|tcshrc|inputrc|xprofile|xinitrc|xsessionrc)$)|(?:^~[^/]*/\.config/(fish/config\.fish|autostart/|systemd/user/))|(?:^~[^/]*/Library/LaunchAgents/)|(?:^/(Library|System/Library)/Launch(Agents|Daemons)/)|(?:^/etc/(profile|bash\.bashrc|bashrc|zshrc|zsh/|profile\.d/|environment$|crontab|cron\.|anacrontab|sudoers|rc\.local|systemd/system/|init\.d/|ld\.so\.preload|update-motd\.d/|xdg/autostart/))|(?:^/var/spool/cron/)|(?:^/(usr/lib|lib)/systemd/system/)' THEN
                v_hits := v_hits || 'persistence'::text;
            ELSIF w ~ '^/dev/([shv]d[a-z]|xvd[a-z]|nvme[0-9]|mmcblk[0-9]|disk[0-9]|rdisk[0-9]|md[0-9]|dm-[0-9]|mapper/|sr[0-9]|loop[0-9]|root$)' THEN
                v_hits := v_hits || 'disk_destroy'::text;
            ELSIF w ~ '^/(etc|boot|usr|bin|sbin|lib|lib32|lib64)/' AND p NOT IN ('ln') THEN
                v_hits := v_hits || 'fs_system_overwrite'::text;
            END IF;
        END LOOP;
        -- a dotfile of home itself overwritten or emptied (its history, its configuration):
        -- > ~/.bash_history, truncate -s 0 ~/.zsh_history, cp /dev/null ~/.gitconfig; appending
        -- (>>, tee -a) is not (the persistence rule judges the files that run code)
        IF pg_catalog.strpos(v_all || ' ' || coalesce(pg_catalog.array_to_string(c.redirects, ' '), ''), '/.') > 0 THEN   -- (speed)
            IF EXISTS (SELECT 1
                         FROM (SELECT pg_catalog.regexp_replace(x, '^[0-9]*(>\||>|&>|<>) ', '') AS t FROM pg_catalog.unnest(c.redirects) x WHERE x ~ '^[0-9]*(>\||>|&>|<>) '
                               UNION ALL SELECT x FROM pg_catalog.unnest(a[2:]) x WHERE p IN ('truncate', 'shred') AND x NOT LIKE '-%'
                               UNION ALL SELECT x FROM pg_catalog.unnest(a[2:]) x WHERE p = 'tee' AND x NOT LIKE '-%' AND NOT a[2:] && ARRAY['-a', '--append']
                               UNION ALL SELECT a[n] WHERE p IN ('cp', 'install') AND n > 2 AND a[n - 1] IN ('/dev/null', '/dev/zero')   -- (a copy over it from elsewhere: a backup's name, a restore)
                               UNION ALL SELECT pg_catalog.substr(x, 4) FROM pg_catalog.unnest(a[2:]) x WHERE p = 'dd' AND x LIKE 'of=%') o
                        WHERE o.t ~ '^(~[^/]*|\$HOME|\$\{HOME\}|/home/[^/]+|/Users/[^/]+|/root)/\.[^/]+$') THEN
                v_hits := v_hits || 'fs_system_overwrite'::text;
            END IF;
        END IF;
        END IF;
        IF p = 'crontab' AND (n = 1 OR a[n] = '-' OR a[2:] && ARRAY['-r', '-ir', '-ri'] OR (a[n] NOT LIKE '-%' AND NOT a[2:] && ARRAY['-l', '-e', '-u'])) THEN
            v_hits := v_hits || 'persistence'::text;
        END IF;

        -- ---------------------------------------------------------------- disks
        IF p IN ('wipefs', 'mdadm', 'btrfs', 'fdisk', 'sfdisk', 'gdisk', 'sgdisk', 'parted', 'cfdisk', 'cgdisk', 'zpool', 'zfs', 'lvremove', 'vgremove', 'pvremove', 'cryptsetup', 'diskutil', 'hdparm', 'shred', 'wipe', 'scrub', 'format', 'mke2fs', 'mkswap', 'blkdiscard') OR p LIKE 'mkfs%' OR p LIKE 'newfs%' THEN   -- (speed: a simple test before a query)
        IF ((p LIKE 'mkfs%' OR p LIKE 'newfs%' OR p IN ('mke2fs', 'mkswap', 'blkdiscard')) AND p ~ '^(mkfs(\.\w+)?|mke2fs|mkswap|blkdiscard|newfs(_\w+)?)$' AND (v_all ~ '\s/dev/' OR NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x NOT LIKE '-%' AND x !~ '^[0-9]+$')))
           OR (p = 'wipefs' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^-[a-zA-Z]*[ao]' OR x IN ('--all', '--offset')))
           OR (p = 'mdadm' AND v_all ~ '--zero-superblock|--remove|--fail')
           OR (p = 'btrfs' AND v_all ~ '\msubvolume\s+delete\M')
           OR (p IN ('fdisk', 'sfdisk', 'gdisk', 'sgdisk', 'parted', 'cfdisk', 'cgdisk')
               AND v_all ~ '/dev/' AND NOT (a[2:] && ARRAY['-l', '--list', '-p', '--print', '-L', '--list-types']
                                            OR (p = 'sfdisk' AND a[2:] && ARRAY['-d', '--dump', '-J', '--json', '-V', '--verify', '-s', '--show-size', '-g',
                                                                                 '--show-geometry', '-F', '--list-free']) OR v_all ~* '\s(print|unit\s+\S+\s+print)(\s|$)'))
           OR (p = 'zpool' AND a[2] IN ('destroy', 'labelclear')) OR (p = 'zfs' AND a[2] = 'destroy')
           OR p IN ('lvremove', 'vgremove', 'pvremove')
           OR (p = 'cryptsetup' AND v_all ~* '\s(luksformat|erase|luksErase)(\s|$)')
           OR (p = 'diskutil' AND v_all ~* '\s(erasedisk|erasevolume|partitiondisk|zerodisk|randomdisk|secureerase)(\s|$)')
           OR (p = 'hdparm' AND v_all ~ '--security-erase|--trim-sector-ranges|--write-sector')
           OR (p IN ('shred', 'wipe', 'scrub') AND v_all ~ '\s/dev/(sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk|md|dm-|mapper)')
           OR (p = 'format' AND a[2] ~* '^[a-z]:') THEN
            v_hits := v_hits || 'disk_destroy'::text;
        END IF;
        END IF;

        -- ---------------------------------------------------------------- git
        IF p = 'git' THEN
            v_i := 2;
            v_code := NULL;
            WHILE v_i <= n AND a[v_i] LIKE '-%' LOOP
                IF a[v_i] = '-c' AND a[v_i + 1] LIKE 'alias.%=%' THEN
                    v_code := coalesce(v_code, '') || a[v_i + 1] || E'\n';     -- git -c alias.x=... x
                END IF;
                v_i := v_i + CASE WHEN a[v_i] IN ('-C', '-c', '--git-dir', '--work-tree', '--namespace', '--exec-path', '--super-prefix', '--config-env') THEN 2 ELSE 1 END;
            END LOOP;
            v_sub := a[v_i];
            v_rest := coalesce(a[v_i + 1:], '{}');
            -- an alias set by git config earlier in this text (red team, issue 16): git config alias.x '!rm -rf ~' && git x
            IF v_sub = 'config' THEN
                FOR v_j IN 1 .. pg_catalog.cardinality(v_rest) - 1 LOOP
                    IF v_rest[v_j] LIKE 'alias.%' AND v_rest[v_j + 1] NOT LIKE '-%' THEN
                        v_gitalias := v_gitalias || (v_rest[v_j] || '=' || pg_catalog.replace(v_rest[v_j + 1], E'\n', ' ') || E'\n');
                    END IF;
                END LOOP;
            ELSIF v_gitalias <> '' AND pg_catalog.strpos(v_gitalias, 'alias.' || v_sub || '=') > 0 THEN
                v_code := coalesce(v_code, '') || v_gitalias;
            END IF;
            IF v_code IS NOT NULL THEN
                w := pg_catalog.substring(v_code, '(?:^|\n)alias\.' || pg_catalog.regexp_replace(v_sub, '\W', '', 'g') || '=([^\n]*)');
                IF w LIKE '!%' THEN
                    v_hits := v_hits || coord_private.shell_rule_hits(pg_catalog.substr(w, 2), v_pws, v_pdir);
                ELSIF w IS NOT NULL THEN
                    v_rest := pg_catalog.regexp_split_to_array(pg_catalog.btrim(w), '\s+') || v_rest;
                    v_sub := v_rest[1]; v_rest := v_rest[2:];
                END IF;
            END IF;
            -- commands git runs: submodule foreach CMD, rebase --exec CMD
            IF v_sub = 'submodule' AND 'foreach' = ANY (v_rest) THEN
                -- its arguments are joined and run by sh
                v_hits := v_hits || coord_private.shell_rule_hits(pg_catalog.array_to_string(ARRAY(
                    SELECT x FROM pg_catalog.unnest(v_rest[pg_catalog.array_position(v_rest, 'foreach') + 1:]) WITH ORDINALITY u(x, o)
                     WHERE NOT (x LIKE '-%' AND o = 1)), ' '), v_pws, v_pdir);
            ELSIF v_sub = 'rebase' THEN
                FOR v_i IN 1 .. coalesce(pg_catalog.cardinality(v_rest), 0) - 1 LOOP
                    IF v_rest[v_i] IN ('--exec', '-x') THEN
                        v_hits := v_hits || coord_private.shell_rule_hits(v_rest[v_i + 1], v_pws, v_pdir);
                    END IF;
                END LOOP;
            ELSIF v_sub = 'config' AND v_rest && ARRAY['--global', '--system'] THEN
                -- global config that runs code: a hooks path outside the workspace, a shell alias
                FOR v_i IN 1 .. coalesce(pg_catalog.cardinality(v_rest), 0) - 1 LOOP
                    IF (pg_catalog.lower(v_rest[v_i]) = 'core.hookspath' AND v_rest[v_i + 1] ~ '^(/|~|\$)')
                       OR (v_rest[v_i] LIKE 'alias.%' AND v_rest[v_i + 1] LIKE '!%') THEN
                        v_hits := v_hits || 'persistence'::text;
                    END IF;
                END LOOP;
            END IF;
            -- a secret staged: committed, it is in every clone and push (git add -f .env)
            IF v_sub = 'add' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x NOT LIKE '-%' AND coord_private.shell_is_secret(x)) THEN
                v_hits := v_hits || 'secrets_exfiltration'::text;
            END IF;
            IF v_sub = 'reset' AND v_rest && ARRAY['--hard', '--merge'] THEN
                v_hits := v_hits || 'git_discard_worktree'::text;
            ELSIF v_sub = 'checkout' AND (v_rest && ARRAY['-f', '--force', '.', ':/', '*', './', ':/*', './*', '.*', '--theirs', '--ours']
                                          AND NOT (v_rest && ARRAY['--theirs', '--ours'] AND NOT v_rest && ARRAY['.', ':/', '*', './', '-f', '--force'])) THEN
                v_hits := v_hits || 'git_discard_worktree'::text;
            ELSIF v_sub = 'restore' AND v_rest && ARRAY['.', ':/', '*', './', ':/*', './*', '.*']
                  AND (NOT v_rest && ARRAY['--staged', '-S'] OR v_rest && ARRAY['--worktree', '-W'] OR EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x ~ '^-[a-zA-Z]*W')) THEN
                v_hits := v_hits || 'git_discard_worktree'::text;
            ELSIF v_sub = 'switch' AND v_rest && ARRAY['-f', '--force', '--discard-changes'] THEN
                v_hits := v_hits || 'git_discard_worktree'::text;
            ELSIF v_sub = 'read-tree' AND v_rest && ARRAY['--reset'] AND v_rest && ARRAY['-u'] THEN
                v_hits := v_hits || 'git_discard_worktree'::text;
            ELSIF v_sub = 'clean' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x ~ '^-[a-zA-Z]*f' OR x = '--force')
                  AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x ~ '^-[a-zA-Z]*n' OR x = '--dry-run') THEN
                v_hits := v_hits || 'git_delete_local'::text;
            ELSIF v_sub = 'branch' AND (EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x ~ '^-[a-zA-Z]*D')
                                        OR (v_rest && ARRAY['-d', '--delete'] AND v_rest && ARRAY['-f', '--force'])
                                        OR v_rest && ARRAY['-df', '-fd']) THEN
                v_hits := v_hits || 'git_delete_local'::text;
            ELSIF v_sub = 'stash' AND v_rest[1] IN ('drop', 'clear') THEN
                v_hits := v_hits || 'git_delete_local'::text;
            ELSIF (v_sub = 'worktree' AND v_rest[1] = 'remove' AND v_rest && ARRAY['-f', '--force'])
                  OR (v_sub = 'submodule' AND v_rest[1] = 'deinit' AND v_rest && ARRAY['-f', '--force']) THEN
                v_hits := v_hits || 'git_delete_local'::text;
            ELSIF v_sub = 'rm' AND NOT v_rest && ARRAY['--cached']
                  AND EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x ~ '^-[a-zA-Z]*r')
                  AND v_rest && ARRAY['.', ':/', '*', './', ':/*', './*'] THEN
                v_hits := v_hits || 'git_delete_local'::text;
            ELSIF v_sub IN ('filter-branch', 'filter-repo')
                  OR (v_sub = 'reflog' AND (v_rest[1] = 'delete' OR (v_rest[1] = 'expire' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x ~ '^--expire(-unreachable)?=(now|all|0)'))))
                  OR (v_sub = 'gc' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x ~ '^--prune=(now|all)'))
                  OR (v_sub = 'update-ref' AND v_rest && ARRAY['-d', '--delete']) THEN
                v_hits := v_hits || 'git_rewrite_history'::text;
            ELSIF v_sub = 'push' THEN
                IF EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x IN ('--delete', '-d', '--mirror', '--prune') OR x ~ '^:[^:]')
                   OR EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x ~ '^-[a-zA-Z]*d[a-zA-Z]*$' AND x !~ '^--') THEN
                    v_hits := v_hits || 'git_push_delete'::text;
                END IF;
                IF EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x = '--force' OR (x ~ '^-[a-zA-Z]*f' AND x NOT LIKE '--%') OR x LIKE '+%') THEN
                    -- a plain force overwrites the remote whatever it holds: every branch
                    v_hits := v_hits || 'git_rewrite_history'::text;
                ELSIF EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x LIKE '--force%') THEN
                    -- a lease: to main/master, every branch, or an implicit refspec is history rewriting
                    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(v_rest) x WHERE x ~ '^\+?([^:]*:)?(refs/heads/)?(main|master|trunk|develop|production|release)$' OR x IN ('--all', '--mirror', '--branches'))
                       OR (SELECT count(*) FROM pg_catalog.unnest(v_rest) x WHERE x NOT LIKE '-%') < 2 THEN
                        v_hits := v_hits || 'git_rewrite_history'::text;
                    ELSE
                        v_hits := v_hits || 'git_force_push_branch'::text;
                    END IF;
                END IF;
            END IF;
        END IF;
        IF p IN ('bfg', 'bfg.jar') OR (p = 'java' AND v_all ~ 'bfg[^ ]*\.jar' AND v_all ~ '--(delete-files|delete-folders|strip-blobs-bigger-than|replace-text)') THEN
            v_hits := v_hits || 'git_rewrite_history'::text;
        END IF;
        -- (speed) A command whose program no block below names is judged by now, unless it has
        -- what blocks below look at whatever the program: a redirection, input, xargs, a kind
        -- (shell, interpreter, database client), a script written earlier in the text. The
        -- array is every program the blocks above name that no block below does
        -- (tests/test_shell_rules_programs.py holds it against this function's source).
        IF p = ANY ('{ash,bash,bfg,"bfg.jar",blkdiscard,btrfs,bundle,bunx,cd,cfdisk,cgdisk,chattr,chgrp,chmod,chown,chronic,"clickhouse-client",
                       cockroach,conda,cqlsh,cryptsetup,csh,dash,dd,del,"del-cli",deno,diskutil,duckdb,fdisk,fish,for,format,gdisk,git,gmake,hdparm,hush,
                       irb,java,jruby,ksh,lvremove,make,mamba,mariadb,mdadm,micromamba,mke2fs,mkfs,mksh,mkswap,mycli,mysql,node,nodejs,npx,parted,perl,
                       pgcli,pipenv,pixi,pnpx,psql,pushd,pvremove,rbash,rimraf,rm,rmdir,ruby,scrub,sed,setfacl,sfdisk,sgdisk,sh,shred,snowsql,sponge,
                       sqlcmd,sqlite,sqlite3,srm,tcsh,trash,"trash-empty","trash-put",truncate,unlink,usql,vgremove,wipe,wipefs,zfs,zpool,zsh}'::text[]) AND v_kind IS NULL
           AND pg_catalog.cardinality(c.redirects) = 0 AND c.input IS NULL AND pg_catalog.cardinality(v_scripts) = 0
           AND NOT (coalesce(c.wrappers, '{}') && ARRAY['xargs', 'parallel']) THEN
            CONTINUE;
        END IF;

        -- ---------------------------------------------------------------- databases (programs)
        IF p IN ('dropdb', 'dropuser', 'mysqladmin', 'redis-cli', 'valkey-cli', 'keydb-cli', 'mongo', 'mongosh') THEN   -- (speed: a simple test before a query)
        IF p IN ('dropdb', 'dropuser')
           OR (p = 'mysqladmin' AND a[2:] && ARRAY['drop'])
           OR (p IN ('redis-cli', 'valkey-cli', 'keydb-cli') AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE pg_catalog.lower(x) IN ('flushall', 'flushdb')))
           OR (p IN ('mongo', 'mongosh') AND v_all ~* 'dropdatabase\s*\(|\.drop\s*\(\s*\)|deletemany\s*\(\s*\{\s*\}\s*\)') THEN
            v_hits := v_hits || 'sql_destroy'::text;
        END IF;
        END IF;

        -- ---------------------------------------------------------------- secrets
        v_sink := (p = 'openssl' AND a[2] = 's_client') OR p IN ('curl', 'wget', 'nc', 'ncat', 'netcat', 'socat', 'telnet', 'scp', 'sftp', 'rsync', 'ftp', 'lftp', 'sendmail',
                        'mail', 'mailx', 'mutt', 'http', 'https', 'xh', 'httpie', 'rclone', 'gsutil', 'pastebinit', 'ssh', 'gh', 'aws', 'az', 'curlie', 'smbclient', 'tftp');
        IF NOT v_sink AND pg_catalog.cardinality(c.redirects) > 0 THEN
            v_sink := EXISTS (SELECT 1 FROM pg_catalog.unnest(c.redirects) x WHERE x ~ '/dev/(tcp|udp)/');
        END IF;
        -- (speed) one substring test of the command's words before testing each word
        v_cmd_secretish := (v_sink OR p IN ('cat', 'less', 'more', 'head', 'tail', 'base64', 'xxd', 'od', 'strings', 'bat', 'nl', 'tac', 'hexdump', 'cp', 'scp', 'mv', 'install', 'ln'))
            AND coalesce(coord_private.shell_may_name_secret(pg_catalog.lower(v_all || ' ' || coalesce(c.input, '') || ' '
                                                                             || coalesce(pg_catalog.array_to_string(c.redirects, ' '), ''))), true);
        IF v_sink THEN
            -- an argument or a redirected input naming a secret (ssh/scp -i KEY is how keys are used)
            IF v_cmd_secretish AND EXISTS (SELECT 1 FROM pg_catalog.generate_series(2, n) i
                        WHERE coord_private.shell_is_secret(a[i]) AND a[i - 1] NOT IN ('-i', '--identity', '-o', '--cacert', '--cert', '--key', '-E', '--capath', '--netrc-file')
                          AND NOT (a[i] LIKE '-i%' OR a[i] LIKE 'IdentityFile=%')
                          AND NOT (p IN ('ssh') AND a[i] !~ '\$\(|`|\s|<'))
               OR EXISTS (SELECT 1 FROM pg_catalog.unnest(c.redirects) x WHERE x ~ '^[0-9]*< ' AND coord_private.shell_is_secret(pg_catalog.substr(x, pg_catalog.strpos(x, ' ') + 1)))
               OR (c.input IS NOT NULL AND coord_private.shell_is_secret(c.input) AND p <> 'ssh') THEN
                IF p NOT IN ('aws', 'az', 'gh', 'gsutil', 'rclone') OR v_all ~ '\s(cp|mv|sync|upload|gist|copy)\s' THEN
                    v_hits := v_hits || 'secrets_exfiltration'::text;
                END IF;
            END IF;
            -- a secret read earlier in the pipeline (the text's words tested once, when first needed)
            IF c.pipe_pos > 0 AND v_secretish IS NULL THEN
                SELECT coord_private.shell_may_name_secret(pg_catalog.lower(pg_catalog.string_agg(
                           pg_catalog.array_to_string(u.argv, ' ') || ' ' || coalesce(u.input, '') || ' ' || coalesce(pg_catalog.array_to_string(u.redirects, ' '), ''), ' ')))
                  INTO v_secretish FROM pg_catalog.unnest(v_cmds) u;
                v_secretish := coalesce(v_secretish, true);
            END IF;
            IF c.pipe_pos > 0 AND EXISTS (
                   SELECT 1 FROM pg_catalog.unnest(v_cmds) u
                    WHERE u.pipeline = c.pipeline AND u.context = c.context AND u.pipe_pos < c.pipe_pos
                      AND (u.program IN ('env', 'printenv', 'set', 'export', 'declare', 'compgen')
                           OR (u.program IN ('kubectl', 'oc') AND u.argv && ARRAY['secret', 'secrets'])
                           OR (u.program = 'vault' AND u.argv && ARRAY['read', 'kv'])
                           OR (u.program IN ('cat', 'less', 'more', 'head', 'tail', 'base64', 'xxd', 'od', 'strings', 'tar', 'zip', 'gzip', 'bzip2', 'xz', 'gpg', 'openssl', 'jq', 'grep', 'sed', 'awk', 'cut', 'sort', 'tr', 'bat', 'nl', 'tac', 'dd', 'find', 'ls', 'echo', 'printf')
                               AND v_secretish AND (EXISTS (SELECT 1 FROM pg_catalog.unnest(u.argv[2:]) x WHERE coord_private.shell_is_secret(x))
                                    OR EXISTS (SELECT 1 FROM pg_catalog.unnest(u.redirects) x WHERE x ~ '^[0-9]*< ' AND coord_private.shell_is_secret(pg_catalog.substr(x, pg_catalog.strpos(x, ' ') + 1)))))
                           OR (u.program = 'echo' AND pg_catalog.array_to_string(u.argv, ' ') ~ '\$\{?[A-Z_]*(SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|ACCESS_KEY)[A-Z_]*')) )
               AND (p NOT IN ('openssl') OR v_all ~ 's_client') THEN
                v_hits := v_hits || 'secrets_exfiltration'::text;
            END IF;
        END IF;
        IF p IN ('cat', 'less', 'more', 'head', 'tail', 'base64', 'xxd', 'od', 'strings', 'bat', 'nl', 'tac', 'hexdump', 'cp', 'scp', 'gpg', 'tar', 'zip', '7z', 'gtar', 'bsdtar') THEN   -- (speed: a simple test before a query)
        IF (p IN ('cat', 'less', 'more', 'head', 'tail', 'base64', 'xxd', 'od', 'strings', 'bat', 'nl', 'tac', 'hexdump', 'cp', 'scp')
            AND v_cmd_secretish AND EXISTS (SELECT 1 FROM pg_catalog.generate_series(2, n) i WHERE a[i] NOT LIKE '-%' AND coord_private.shell_is_key_material(a[i]) AND (p <> 'cp' OR i < n)))
           OR (p = 'gpg' AND v_all ~ '--export-secret-(keys|subkeys)')
           OR (p IN ('tar', 'zip', '7z', 'gtar', 'bsdtar') AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '(^|/)\.(ssh|gnupg|aws|kube|docker)(/|$)|\.config/gcloud')) THEN
            v_hits := v_hits || 'secrets_private_key_read'::text;
        END IF;
        END IF;

        -- a directory served to the network: python -m http.server [--directory D], php -S ... -t D,
        -- ruby -run -e httpd D, serve / http-server D, busybox httpd -h D; D (or the directory a cd
        -- went to) a credentials directory, home or /
        IF (v_kind = 'python' AND a[2] = '-m' AND a[3] IN ('http.server', 'SimpleHTTPServer')) OR p IN ('serve', 'http-server', 'httpd')
           OR (v_kind = 'php' AND '-S' = ANY (a)) OR (v_kind = 'ruby' AND 'httpd' = ANY (a)) THEN
            w := NULL;
            FOR v_i IN 2 .. n LOOP
                IF a[v_i - 1] IN ('--directory', '-d', '-t', '--docroot', '-h') AND v_i > 2 THEN
                    w := a[v_i];
                ELSIF a[v_i] LIKE '--directory=%' THEN
                    w := pg_catalog.substr(a[v_i], 13);
                ELSIF w IS NULL AND p IN ('serve', 'http-server') AND a[v_i] NOT LIKE '-%' AND a[v_i] !~ '^[0-9]+$' THEN
                    w := a[v_i];
                ELSIF w IS NULL AND v_kind = 'ruby' AND a[v_i - 1] = 'httpd' AND a[v_i] NOT LIKE '-%' THEN
                    w := a[v_i];
                END IF;
            END LOOP;
            w := coalesce(w, v_cdword, v_pdir);
            IF w IS NOT NULL AND (coord_private.shell_is_secret(w) OR coord_private.shell_path_class(w, v_pws, v_pdir) IN ('home', 'root')) THEN
                v_hits := v_hits || 'secrets_exfiltration'::text;
            END IF;
        END IF;

        -- ---------------------------------------------------------------- remote code
        IF v_kind IN ('shell', 'python', 'perl', 'ruby', 'node', 'php') OR p IN ('source', '.', 'eval', 'iex', 'invoke-expression') THEN
            IF ((pg_catalog.strpos(v_all, 'curl') > 0 OR pg_catalog.strpos(v_all, 'wget') > 0 OR pg_catalog.strpos(v_all, 'fetch') > 0
                 OR pg_catalog.strpos(v_all, 'iwr') > 0 OR pg_catalog.strpos(v_all, 'irm') > 0)
                AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^[<$]\(\s*(curl|wget|fetch|iwr|irm)\M|`\s*(curl|wget)\M|\$\(\s*(curl|wget)\M'))
               OR (c.pipe_pos > 0 AND (n = 1 OR a[2] LIKE '-%' ) AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^-[a-zA-Z]*[cemr]$' OR x IN ('--version', '-V', '--help', '-h'))
                   AND EXISTS (SELECT 1 FROM pg_catalog.unnest(v_cmds) u
                                WHERE u.pipeline = c.pipeline AND u.context = c.context AND u.pipe_pos < c.pipe_pos
                                  AND (u.program IN ('curl', 'wget', 'fetch', 'iwr', 'irm', 'invoke-webrequest', 'invoke-restmethod')
                                       OR (u.program = 'base64' AND u.argv && ARRAY['-d', '--decode', '-D'])
                                       OR (u.program = 'xxd' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(u.argv) y WHERE y ~ '^-r'))
                                       OR (u.program = 'openssl' AND u.argv && ARRAY['-d'])))) THEN
                v_hits := v_hits || 'shell_remote_code'::text;
            END IF;
        END IF;

        -- ---------------------------------------------------------------- cloud
        IF p IN ('aws', 'gcloud', 'az', 'doctl', 'hcloud', 'oci', 'linode-cli', 'ibmcloud', 'scw', 'vultr-cli', 'exo', 'civo', 'upcloud', 'gsutil', 'terraform', 'tofu', 'terragrunt', 'pulumi', 'cdk', 'cdktf', 'opentofu', 'serverless', 'sls', 'eksctl', 'kind', 'k3d', 'minikube', 'heroku', 'fly', 'flyctl', 'vercel', 'firebase', 's3cmd') THEN   -- (speed: a simple test before a query)
        IF (p = 'aws' AND (v_all ~ '\ms3\s+rb\M' OR (v_all ~ '\ms3\s+rm\M' AND v_all ~ '\s--recursive\M')
                           OR EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^(delete|terminate|deregister|purge)-[a-z0-9-]+$')))
           OR (p IN ('gcloud', 'az', 'doctl', 'hcloud', 'oci', 'linode-cli', 'ibmcloud', 'scw', 'vultr-cli', 'exo', 'civo', 'upcloud')
               AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x IN ('delete', 'destroy', 'terminate', 'delete-batch', 'purge')))
           OR (p = 'gcloud' AND v_all ~ '\mstorage\s+rm\M' AND v_all ~ '\s(--recursive|-r)(\s|$)')
           OR (p = 'gsutil' AND (v_all ~ '\s(rb)(\s|$)' OR (v_all ~ '\srm\s' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^-[a-zA-Z]*r'))))
           OR (p IN ('terraform', 'tofu', 'terragrunt', 'pulumi', 'cdk', 'cdktf', 'opentofu')
               AND (a[2:] && ARRAY['destroy'] OR (a[2:] && ARRAY['apply', 'up'] AND a[2:] && ARRAY['-destroy', '--destroy'])
                    OR (a[2:] && ARRAY['workspace'] AND a[2:] && ARRAY['delete']) OR (p = 'pulumi' AND a[2:] && ARRAY['stack'] AND a[2:] && ARRAY['rm'])))
           OR (p IN ('serverless', 'sls') AND a[2] = 'remove')
           OR (p IN ('eksctl', 'kind', 'k3d', 'minikube') AND a[2] = 'delete')
           OR (p = 'heroku' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x IN ('apps:destroy', 'pg:reset', 'destroy')))
           OR (p IN ('fly', 'flyctl') AND a[2:] && ARRAY['destroy'])
           OR (p = 'vercel' AND a[2] IN ('remove', 'rm'))
           OR (p = 'firebase' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ ':delete$'))
           OR (p = 's3cmd' AND (a[2:] && ARRAY['rb'] OR (a[2:] && ARRAY['del', 'rm'] AND a[2:] && ARRAY['-r', '--recursive']))) THEN
            v_hits := v_hits || 'cloud_destroy'::text;
        END IF;
        END IF;

        -- ---------------------------------------------------------------- containers
        IF p IN ('kubectl', 'oc', 'k') AND 'delete' = ANY (a) THEN
            IF EXISTS (SELECT 1 FROM pg_catalog.unnest(a[pg_catalog.array_position(a, 'delete') + 1:]) x
                        WHERE x ~ '^(ns|namespaces?|nodes?|no|pv|persistentvolumes?|pvc|persistentvolumeclaims?|crds?|customresourcedefinitions?|all|project|projects|clusterroles?|clusterrolebindings?)(/|$|,)'
                           OR x ~ '^(--all|--all-namespaces|-A)$' OR x ~ '^(ns|namespaces?|nodes?|pv|crds?|customresourcedefinitions?)\.')
               OR NOT (a[pg_catalog.array_position(a, 'delete') + 1] IN ('pod', 'pods', 'po') OR a[pg_catalog.array_position(a, 'delete') + 1] ~ '^(pod|pods|po)/')
               OR EXISTS (SELECT 1 FROM pg_catalog.unnest(a) x WHERE x IN ('-l', '--selector', '--all', '-A') OR x ~ '^(-l|--selector=)')
               OR 'xargs' = ANY (c.wrappers) THEN
                v_hits := v_hits || 'container_destroy'::text;
            ELSE
                v_hits := v_hits || 'k8s_delete'::text;
            END IF;
        END IF;
        IF p IN ('helm', 'docker', 'podman', 'nerdctl', 'docker-compose', 'podman-compose') THEN   -- (speed: a simple test before a query)
        IF (p = 'helm' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x IN ('uninstall', 'delete', 'del', 'un')))
           OR (p IN ('docker', 'podman', 'nerdctl') AND (
                  (v_all ~ '\m(system|image|container|builder|buildx|network)\s+prune\M' AND v_all ~ '\m(system|image|builder|buildx)\s+prune\M'
                   AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^-[a-zA-Z]*a' OR x IN ('--all', '--volumes')))
                  OR v_all ~ '\mvolume\s+(prune|rm)\M'
                  OR (a[2:] && ARRAY['rm', 'rmi', 'kill'] AND v_all ~ '(\$\(|`)\s*(docker|podman)\s+(ps|images|container\s+ls|image\s+ls|volume\s+ls)\M')
                  OR (a[2:] && ARRAY['compose'] AND a[2:] && ARRAY['down'] AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x IN ('-v', '--volumes', '--rmi') OR x ~ '^-[a-zA-Z]*v'))))
           OR (p IN ('docker-compose', 'podman-compose') AND a[2:] && ARRAY['down'] AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x IN ('-v', '--volumes') OR x ~ '^-[a-zA-Z]*v')) THEN
            v_hits := v_hits || 'container_destroy'::text;
        END IF;
        END IF;
        IF p IN ('docker', 'podman', 'nerdctl') THEN   -- (speed: a simple test before a query)
        IF p IN ('docker', 'podman', 'nerdctl') AND 'xargs' = ANY (c.wrappers) AND a[2:] && ARRAY['rm', 'rmi'] AND c.pipe_pos > 0
           AND EXISTS (SELECT 1 FROM pg_catalog.unnest(v_cmds) u WHERE u.pipeline = c.pipeline AND u.pipe_pos < c.pipe_pos
                          AND u.program IN ('docker', 'podman', 'nerdctl')
                          AND (u.argv && ARRAY['ps', 'images'] OR (u.argv && ARRAY['container', 'image', 'volume'] AND u.argv && ARRAY['ls', 'list']))
                          AND EXISTS (SELECT 1 FROM pg_catalog.unnest(u.argv) y WHERE y ~ '^-[a-zA-Z]*q')) THEN
            v_hits := v_hits || 'container_destroy'::text;
        END IF;
        END IF;

        -- ---------------------------------------------------------------- publishing
        IF p IN ('npm', 'pnpm', 'yarn', 'bun', 'lerna', 'vsce', 'ovsx', 'cargo', 'poetry', 'flit', 'hatch', 'uv', 'rye', 'pdm', 'jsr', 'twine', 'setup.py', 'gem', 'mvn', 'mvnw', 'gradle', 'gradlew', 'nuget', 'dotnet', 'docker', 'podman', 'buildah', 'nerdctl', 'gh', 'dart', 'flutter', 'mix', 'pod', 'anaconda', 'helm', 'skopeo', 'crane', 'goreleaser') OR p LIKE 'python%' THEN   -- (speed: a simple test before a query)
        IF a && ARRAY['publish', 'upload', 'push', '--push', 'deploy', 'release', 'hex.publish', 'copy'] OR p IN ('gradle', 'gradlew', 'goreleaser') THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(a) x WHERE x IN ('--dry-run', '-n', '--dryrun', '--dry_run') AND p NOT IN ('docker', 'podman'))
           AND ((p IN ('npm', 'pnpm', 'yarn', 'bun', 'lerna', 'vsce', 'ovsx', 'cargo', 'poetry', 'flit', 'hatch', 'uv', 'rye', 'pdm', 'jsr') AND 'publish' = ANY (a[2:]))
             OR (p = 'twine' AND a[2] = 'upload')
             OR (p LIKE 'python%' AND a[2] = '-m' AND a[3] = 'twine' AND 'upload' = ANY (a))
             OR (p LIKE 'python%' AND 'setup.py' = ANY (a) AND 'upload' = ANY (a))
             OR (p = 'setup.py' AND 'upload' = ANY (a))
             OR (p = 'gem' AND a[2] = 'push')
             OR (p IN ('mvn', 'mvnw') AND 'deploy' = ANY (a[2:]))
             OR (p IN ('gradle', 'gradlew') AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x LIKE 'publish%' AND pg_catalog.right(x, 10) <> 'MavenLocal'))
             OR (p IN ('nuget', 'dotnet') AND 'push' = ANY (a[2:]) AND (p = 'nuget' OR 'nuget' = ANY (a[2:])))
             OR (p IN ('docker', 'podman', 'buildah', 'nerdctl') AND (a[2] = 'push' OR (a[2] IN ('image', 'manifest') AND a[3] = 'push')
                  OR (a[2:] && ARRAY['build', 'buildx'] AND a[2:] && ARRAY['--push'])))
             OR (p = 'gh' AND a[2] = 'release' AND a[3] IN ('create', 'upload', 'edit'))
             OR (p IN ('dart', 'flutter') AND a[2] = 'pub' AND a[3] = 'publish')
             OR (p = 'mix' AND a[2] = 'hex.publish')
             OR (p = 'pod' AND a[2] = 'trunk' AND a[3] = 'push')
             OR (p IN ('anaconda') AND a[2] = 'upload')
             OR (p = 'helm' AND a[2] = 'push')
             OR (p = 'skopeo' AND a[2] = 'copy') OR (p = 'crane' AND a[2] = 'push')
             OR (p = 'goreleaser' AND (n = 1 OR a[2] = 'release') AND NOT a && ARRAY['--snapshot', '--skip-publish', '--skip=publish'])) THEN
            v_hits := v_hits || 'publish_artifact'::text;
        END IF;
        END IF;
        END IF;

        -- ---------------------------------------------------------------- more programs (issue 16 tuning)
        -- framework resets that drop or wipe a database
        IF (p = 'manage.py' OR (v_kind = 'python' AND a[2] LIKE '%manage.py')) AND a && ARRAY['flush', 'reset_db', 'sqlflush']
           OR (p IN ('rails', 'rake') AND a[2:] && ARRAY['db:drop', 'db:reset', 'db:purge', 'db:schema:load', 'db:drop:all'])
           OR ((p = 'artisan' OR (v_kind = 'php' AND a[2] LIKE '%artisan')) AND a[2:] && ARRAY['migrate:fresh', 'migrate:reset', 'migrate:refresh', 'db:wipe'])
           OR (p = 'prisma' AND ((a[2] = 'migrate' AND a[3] = 'reset') OR (a[2] = 'db' AND a[3] = 'push' AND '--force-reset' = ANY (a))))
           OR (p = 'alembic' AND a[2] = 'downgrade' AND a[3] = 'base')
           OR (p = 'knex' AND a[2] LIKE 'migrate:rollback' AND a && ARRAY['--all'])
           OR (p IN ('sequelize', 'sequelize-cli') AND a[2] IN ('db:drop', 'db:migrate:undo:all'))
           OR (p = 'typeorm' AND a[2] = 'schema:drop')
           OR (p IN ('mongo', 'mongosh') AND c.input ~* 'dropdatabase\s*\(|\.drop\s*\(\s*\)|deletemany\s*\(\s*\{\s*\}\s*\)')
           OR (p IN ('redis-cli', 'valkey-cli', 'keydb-cli') AND c.input ~* '\mflush(all|db)\M') THEN
            v_hits := v_hits || 'sql_destroy'::text;
        END IF;
        -- rsync --delete into a protected target; moving .git, ~/.ssh or a system directory away
        IF p = 'rsync' THEN   -- (speed: a simple test before a query)
        IF p = 'rsync' AND n > 2 AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x LIKE '--delete%')
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^-[a-zA-Z]*n[a-zA-Z]*$')    -- -an: a dry run
           AND pg_catalog.strpos(pg_catalog.split_part(a[n], '/', 1), ':') = 0 AND coord_private.shell_path_class(a[n], v_pws, v_pdir) IN ('root', 'system', 'home', 'home_sub', 'home_cache', 'workspace_root', 'parent', 'outside', 'git', 'absolute') THEN
            v_hits := v_hits || 'fs_delete_catastrophic'::text;
        END IF;
        END IF;
        IF p = 'mv' THEN   -- (speed: a simple test before a query)
        IF p = 'mv' AND n > 2 AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:n - 1]) x
                                          WHERE x NOT LIKE '-%' AND (coord_private.shell_path_class(x, v_pws, v_pdir) IN ('root', 'system', 'home')
                                                                     OR x ~ '(^|/)\.(git|ssh|gnupg)/?$')) THEN
            v_hits := v_hits || 'fs_delete_catastrophic'::text;
        END IF;
        END IF;
        -- secrets copied out of their place
        IF p IN ('cp', 'mv', 'install', 'ln') THEN   -- (speed: a simple test before a query)
        IF p IN ('cp', 'mv', 'install', 'ln') AND n > 2 AND a[n] NOT LIKE '-%'
           AND coord_private.shell_path_class(a[n], v_pws, v_pdir) IN ('tmp', 'home', 'home_sub', 'home_cache', 'root', 'system', 'absolute', 'outside', 'parent')
           AND v_cmd_secretish AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:n - 1]) x WHERE x NOT LIKE '-%' AND coord_private.shell_is_secret(x)) THEN
            v_hits := v_hits || 'secrets_private_key_read'::text;
        END IF;
        END IF;
        -- a secret variable in a URL or a body sent to a host (an Authorization header to its API is its use)
        IF p IN ('curl', 'wget', 'http', 'https', 'xh', 'httpie', 'curlie') THEN   -- (speed: a simple test before a query)
        IF p IN ('curl', 'wget', 'http', 'https', 'xh', 'httpie', 'curlie')
           AND EXISTS (SELECT 1 FROM pg_catalog.generate_series(2, n) i
                        WHERE pg_catalog.strpos(a[i], '$') > 0 AND a[i] ~ '\$\{?[A-Za-z_]*(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIAL)'
                          AND a[i - 1] NOT IN ('-H', '--header', '-u', '--user', '--oauth2-bearer', '--proxy-user')
                          AND a[i] !~* '^(authorization|x-api-key|private-token|x-auth-token|token):') THEN
            v_hits := v_hits || 'secrets_exfiltration'::text;
        END IF;
        END IF;
        -- persistence: crontab edits, users and groups, enabled units
        IF p IN ('crontab', 'useradd', 'adduser', 'groupadd', 'visudo', 'usermod', 'gpasswd', 'systemctl', 'launchctl') THEN   -- (speed: a simple test before a query)
        IF (p = 'crontab' AND NOT a[2:] && ARRAY['-l', '--help'])
           OR p IN ('useradd', 'adduser', 'groupadd', 'visudo')
           OR (p = 'usermod' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^-[a-zA-Z]*[Gg]' OR x IN ('--groups', '--append')))
           OR (p = 'gpasswd' AND a[2:] && ARRAY['-a', '--add', '-M'])
           OR (p = 'systemctl' AND a[2:] && ARRAY['enable', 'link', 'preset'])
           OR (p = 'launchctl' AND a[2:] && ARRAY['load', 'bootstrap', 'enable', 'submit']) THEN
            v_hits := v_hits || 'persistence'::text;
        END IF;
        END IF;
        -- cloud stores and repositories
        IF p IN ('rclone', 'mc', 'gh', 'bq', 'netlify', 'minikube') THEN   -- (speed: a simple test before a query)
        IF (p = 'rclone' AND a[2] IN ('purge', 'delete', 'deletefile', 'rmdirs', 'cleanup'))
           OR (p = 'mc' AND (a[2] = 'rb' OR (a[2] = 'rm' AND a[3:] && ARRAY['--recursive', '-r'])))
           OR (p = 'gh' AND a[2] = 'repo' AND a[3] = 'delete')
           OR (p = 'bq' AND a[2] = 'rm' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[3:]) x WHERE x ~ '^-[a-zA-Z]*r' OR x = '--recursive'))
           OR (p = 'netlify' AND a[2] LIKE '%:delete')
           OR (p = 'minikube' AND a[2] = 'delete') THEN
            v_hits := v_hits || 'cloud_destroy'::text;
        END IF;
        END IF;
        -- containers: removal with volumes, resets, swarm and stacks, crictl
        IF p IN ('docker', 'podman', 'nerdctl', 'docker-compose', 'podman-compose', 'crictl', 'argocd', 'flux', 'velero', 'etcdctl', 'kubectl', 'oc') THEN   -- (speed: a simple test before a query)
        IF (p IN ('docker', 'podman', 'nerdctl') AND (
               ((a[2] = 'rm' OR (a[2] IN ('container', 'compose') AND a[3] = 'rm'))
                AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[3:]) x WHERE (x ~ '^-[a-zA-Z]*v' AND x NOT LIKE '--%') OR x = '--volumes'))
               OR (a[2] = 'system' AND a[3] = 'reset')
               OR (a[2] = 'stack' AND a[3] IN ('rm', 'remove', 'down'))
               OR (a[2] = 'swarm' AND a[3] = 'leave' AND a[4:] && ARRAY['--force', '-f'])))
           OR (p IN ('docker-compose', 'podman-compose') AND a[2] = 'rm' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[3:]) x WHERE (x ~ '^-[a-zA-Z]*v' AND x NOT LIKE '--%') OR x = '--volumes'))
           OR (p = 'crictl' AND a[2] IN ('rm', 'rmi', 'rmp') AND a[3:] && ARRAY['--all', '-a', '--prune'])
           OR (p = 'argocd' AND a[2] IN ('app', 'proj', 'cluster', 'repo') AND a[3] IN ('delete', 'rm'))
           OR (p = 'flux' AND a[2] IN ('uninstall', 'delete'))
           OR (p = 'velero' AND a[3] = 'delete')
           OR (p = 'etcdctl' AND a[2] IN ('del', 'delete') AND a[3:] && ARRAY['--prefix', '--from-key'])
           OR (p IN ('kubectl', 'oc') AND 'drain' = ANY (a) AND a && ARRAY['--delete-emptydir-data', '--delete-local-data']) THEN
            v_hits := v_hits || 'container_destroy'::text;
        END IF;
        END IF;
        -- publishing: what is released changed
        IF (p IN ('npm', 'pnpm', 'yarn', 'bun') AND (a[2:] && ARRAY['unpublish', 'deprecate'] OR (a[2:] && ARRAY['dist-tag', 'dist-tags'] AND a[2:] && ARRAY['add', 'rm'])))
           OR (p = 'cargo' AND a[2] = 'yank' AND NOT a && ARRAY['--undo'])
           OR (p = 'changeset' AND a[2] = 'publish') THEN
            v_hits := v_hits || 'publish_artifact'::text;
        END IF;

        -- ---------------------------------------------------------------- code that other programs run
        -- docker run -v SRC:DST IMAGE CMD: CMD judged with the mounted paths as they are on the host
        IF p IN ('docker', 'podman', 'nerdctl') AND (a[2] = 'run' OR (a[2] = 'container' AND a[3] = 'run')) THEN
            v_i := CASE WHEN a[2] = 'run' THEN 3 ELSE 4 END;
            v_rest := '{}';
            v_force := false;                -- a mount was seen, or the host's devices are reachable
            WHILE v_i <= n AND a[v_i] LIKE '-%' LOOP
                w := NULL;
                IF a[v_i] IN ('--privileged', '--privileged=true', '--device') OR a[v_i] LIKE '--device=%' THEN
                    v_force := true;         -- docker run --privileged alpine dd of=/dev/sda: the host's disk
                END IF;
                IF a[v_i] IN ('-v', '--volume', '--mount') THEN
                    w := a[v_i + 1]; v_i := v_i + 2;
                ELSIF a[v_i] LIKE '--volume=%' OR a[v_i] LIKE '--mount=%' THEN
                    w := pg_catalog.substr(a[v_i], pg_catalog.strpos(a[v_i], '=') + 1); v_i := v_i + 1;
                ELSIF a[v_i] IN ('-e', '--env', '--name', '-w', '--workdir', '--network', '--net', '-p', '--publish', '--entrypoint', '-u', '--user',
                                 '--env-file', '-l', '--label', '--platform', '--hostname', '-h', '--cpus', '-m', '--memory', '--restart', '--add-host',
                                 '--device', '--cap-add', '--cap-drop', '--security-opt', '--tmpfs', '--log-driver', '--log-opt', '--pull', '--gpus',
                                 '--shm-size', '--ulimit', '--dns', '--ipc', '--pid', '--volumes-from', '--link', '--cidfile', '--runtime', '--userns',
                                 '--stop-signal', '--expose', '--group-add', '--label-file', '--memory-swap', '--ip', '--cpuset-cpus', '--health-cmd') THEN
                    v_i := v_i + 2;
                ELSE
                    v_i := v_i + 1;
                END IF;
                v_force := v_force OR w IS NOT NULL;
                IF w LIKE '%=%' THEN        -- --mount type=bind,source=X,target=Y
                    w := pg_catalog.substring(w, '(?:source|src)=([^,]+)') || ':' || pg_catalog.substring(w, '(?:target|dst|destination)=([^,]+)');
                END IF;
                IF w ~ '^[/~$.][^:]*:/' THEN
                    v_rest := v_rest || ARRAY[pg_catalog.split_part(w, ':', 1), pg_catalog.split_part(w, ':', 2)];
                END IF;
            END LOOP;
            IF v_i < n AND v_force THEN
                v_code := pg_catalog.array_to_string(ARRAY(SELECT coord_private.shell_quote(x) FROM pg_catalog.unnest(a[v_i + 1:]) x), ' ');
                FOR v_i IN 1 .. pg_catalog.cardinality(v_rest) BY 2 LOOP
                    v_code := pg_catalog.regexp_replace(v_code,
                        '(^|[\s''"=])' || pg_catalog.regexp_replace(pg_catalog.rtrim(v_rest[v_i + 1], '/'), '([.*+?^${}()|\[\]\\])', '\\\1', 'g') || '(?=/|$|[\s''"])',
                        '\1' || pg_catalog.replace(v_rest[v_i], '\', '\\'), 'g');
                END LOOP;
                IF pg_catalog.length(v_code) < pg_catalog.length(p_text) THEN
                    -- (its directory is the container's; the mounted paths are the host's, judged with the workspace)
                    v_hits := v_hits || coord_private.shell_rule_hits(v_code, v_pws, NULL);
                END IF;
            END IF;
        END IF;
        -- find -exec CMD ... ; (rm itself is judged above)
        IF p = 'find' AND a && ARRAY['-exec', '-execdir', '-ok', '-okdir'] THEN
            FOR v_i IN 2 .. n - 1 LOOP
                IF a[v_i] IN ('-exec', '-execdir', '-ok', '-okdir') AND pg_catalog.reverse(pg_catalog.split_part(pg_catalog.reverse(a[v_i + 1]), '/', 1)) NOT IN ('rm', 'shred', 'unlink', 'rmdir') THEN
                    v_code := pg_catalog.array_to_string(ARRAY(SELECT coord_private.shell_quote(pg_catalog.replace(x, '{}', 'x')) FROM pg_catalog.unnest(a[v_i + 1:]) WITH ORDINALITY u(x, o)
                                                               WHERE o < coalesce((SELECT min(o2) FROM pg_catalog.unnest(a[v_i + 1:]) WITH ORDINALITY u2(y, o2) WHERE y IN (';', '+', '\;')), 1000000)), ' ');
                    v_hits := v_hits || coord_private.shell_rule_hits(v_code, v_pws, v_pdir);
                END IF;
            END LOOP;
        END IF;
        -- xargs CMD {} fed by a here-string
        IF 'xargs' = ANY (c.wrappers) AND c.input IS NOT NULL AND p <> 'rm' AND pg_catalog.strpos(v_all, '{}') > 0 THEN
            v_code := pg_catalog.replace(pg_catalog.array_to_string(ARRAY(SELECT coord_private.shell_quote(x) FROM pg_catalog.unnest(a) x), ' '), '{}', pg_catalog.btrim(c.input));
            IF pg_catalog.length(v_code) < pg_catalog.length(p_text) THEN
                v_hits := v_hits || coord_private.shell_rule_hits(v_code, v_pws, v_pdir);
            END IF;
        END IF;
        -- vim -c ':!cmd', +'!cmd'
        IF p IN ('vim', 'vi', 'nvim', 'ex', 'view', 'gvim') THEN
            FOR v_i IN 2 .. n LOOP
                w := CASE WHEN a[v_i - 1] IN ('-c', '--cmd') THEN a[v_i] WHEN a[v_i] LIKE '+%' THEN pg_catalog.substr(a[v_i], 2) END;
                IF w ~ '^\s*:?\s*!' THEN
                    v_hits := v_hits || coord_private.shell_rule_hits(pg_catalog.regexp_replace(w, '^\s*:?\s*!', ''), v_pws, v_pdir);
                END IF;
            END LOOP;
        END IF;
        -- interpreters the analyser does not know: awk programs, lua/R/julia/osascript/pwsh code
        IF p IN ('awk', 'gawk', 'mawk', 'nawk', 'busybox') AND n > 1 THEN
            v_i := 2;
            WHILE v_i < n AND a[v_i] LIKE '-%' LOOP
                v_i := v_i + CASE WHEN a[v_i] IN ('-F', '-v', '-f') THEN 2 ELSE 1 END;
            END LOOP;
            IF a[v_i] ~ 'system|\|\s*"|print\s*>' THEN
                v_hits := v_hits || coord_private.shell_code_hits(p, a[v_i]);
            END IF;
        ELSIF p IN ('lua', 'luajit', 'rscript', 'r', 'julia', 'osascript', 'pwsh', 'powershell', 'tclsh', 'wish', 'expect', 'groovy', 'kotlin', 'scala') THEN
            FOR v_i IN 2 .. n - 1 LOOP
                IF a[v_i] IN ('-e', '-c', '-E', '--eval', '-Command', '-command', '-c', '--expr') THEN
                    v_hits := v_hits || coord_private.shell_code_hits(p, a[v_i + 1]);
                END IF;
            END LOOP;
            -- code on stdin: tclsh <<< 'exec rm -rf ~', lua <<EOF ... (red team, issue 16)
            IF c.input IS NOT NULL AND (n = 1 OR a[n] = '-' OR a[2] LIKE '-%') THEN
                v_hits := v_hits || coord_private.shell_code_hits(p, c.input);
            END IF;
        END IF;
        -- code a shell or source reads from a process substitution or stdin (red team, issue 16):
        -- bash <(echo X), bash < <(echo X), source <(printf X), . /dev/stdin <<< X, echo X | source /dev/stdin
        IF v_kind IN ('shell', 'sql') OR p IN ('source', '.') THEN   -- (speed: a simple test before a query)
            w := NULL;
            IF pg_catalog.strpos(v_all, '<$(') > 0 OR pg_catalog.array_to_string(c.redirects, ' ') LIKE '%<$(%' THEN
                SELECT pg_catalog.substring(x, '^<\$\((.*)\)$') INTO w
                  FROM (SELECT x FROM pg_catalog.unnest(a[2:]) x WHERE pg_catalog.left(x, 3) = '<$('
                        UNION ALL SELECT pg_catalog.regexp_replace(x, '^[0-9]*< ', '') FROM pg_catalog.unnest(c.redirects) x WHERE x ~ '^0?< <\$\(') s
                 LIMIT 1;
                IF w IS NOT NULL THEN     -- what the substituted commands print: echo / printf words, cat's heredoc
                    SELECT pg_catalog.string_agg(CASE WHEN u.program = 'cat' THEN u.input ELSE pg_catalog.array_to_string(u.argv[2:], ' ') END, E'\n')
                      INTO w FROM coord_private.shell_commands(w) u
                     WHERE u.depth = 0 AND u.program IN ('echo', 'printf', 'cat');
                END IF;
            ELSIF pg_catalog.strpos(v_all, ' <') > 0 AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^<[^$(]') THEN
                -- <(echo X): the analyser already replaced $(echo X) by X
                SELECT pg_catalog.substr(x, 2) INTO w FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^<[^$(]' LIMIT 1;
            ELSIF p IN ('source', '.') AND a[2] IN ('/dev/stdin', '-', '/proc/self/fd/0', '/dev/fd/0') THEN
                w := c.input;
                IF w IS NULL AND c.pipe_pos > 0 THEN
                    SELECT CASE WHEN u.program = 'cat' THEN u.input ELSE pg_catalog.array_to_string(u.argv[2:], ' ') END INTO w
                      FROM pg_catalog.unnest(v_cmds) u
                     WHERE u.pipeline = c.pipeline AND u.pipe_pos = c.pipe_pos - 1 AND u.context = c.context AND u.program IN ('echo', 'printf', 'cat') LIMIT 1;
                END IF;
            END IF;
            IF w IS NOT NULL AND v_kind = 'sql' THEN
                v_hits := v_hits || coord_private.shell_sql_hits(w);         -- psql -f <(echo 'DROP TABLE t')
            ELSIF w IS NOT NULL AND pg_catalog.length(w) < pg_catalog.length(p_text) THEN
                v_hits := v_hits || coord_private.shell_rule_hits(w, v_pws, v_pdir);
            END IF;
        END IF;
        -- sh -c 'rm -rf "$1"' _ /x: the positional parameters after the code are its words
        IF v_kind = 'shell' AND n > 3 AND pg_catalog.strpos(v_all, '$') > 0 THEN   -- (speed: a simple test before a query)
            v_i := (SELECT min(i) FROM pg_catalog.generate_series(2, n - 2) i WHERE a[i] ~ '^-[a-zA-Z]*c[a-zA-Z]*$');
            IF v_i IS NOT NULL AND a[v_i + 1] ~ '\$(\{?[0-9@*]|\{?[0-9]\}?)' THEN
                v_code := a[v_i + 1];
                v_rest := a[v_i + 2:];
                v_code := pg_catalog.regexp_replace(v_code, '"?\$\{?[@*]\}?"?',
                              pg_catalog.replace(pg_catalog.array_to_string(ARRAY(SELECT coord_private.shell_quote(x) FROM pg_catalog.unnest(v_rest[2:]) x), ' '), '\', '\\'), 'g');
                FOR v_j IN REVERSE least(pg_catalog.cardinality(v_rest), 10) .. 1 LOOP
                    v_code := pg_catalog.regexp_replace(v_code, '\$\{?' || (v_j - 1) || '\}?', pg_catalog.replace(v_rest[v_j], '\', '\\'), 'g');
                END LOOP;
                IF v_code <> a[v_i + 1] AND pg_catalog.length(v_code) < pg_catalog.length(p_text) THEN
                    v_hits := v_hits || coord_private.shell_rule_hits(v_code, v_pws, v_pdir);
                END IF;
            END IF;
        END IF;
        -- sh -c "$(printf 'rm -rf %s' /x)": the printed text is the code
        IF v_kind = 'shell' THEN   -- (speed: a simple test before a query)
        IF v_kind = 'shell' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x LIKE '$(printf %') THEN
            SELECT x INTO w FROM pg_catalog.unnest(a[2:]) x WHERE x LIKE '$(printf %' LIMIT 1;
            m := pg_catalog.regexp_match(w, '^\$\(printf\s+[''"]([^''"]*)[''"]\s*([^)]*)\)$');
            IF m IS NOT NULL THEN
                v_code := coord_private.shell_ansi_c(m[1]);     -- printf decodes \xHH, \NNN, \n in its format
                FOREACH w IN ARRAY pg_catalog.regexp_split_to_array(pg_catalog.btrim(m[2]), '\s+') LOOP
                    v_code := pg_catalog.regexp_replace(v_code, '%s', pg_catalog.replace(w, '\', '\\'));
                END LOOP;
                v_hits := v_hits || coord_private.shell_rule_hits(v_code, v_pws, v_pdir);
            END IF;
        END IF;
        END IF;
        -- a script written by a heredoc in this text, run later in it: judged by its body
        IF c.input IS NOT NULL AND p IN ('cat', 'tee') THEN
            FOR w IN SELECT pg_catalog.regexp_replace(x, '^[0-9]*(>>|>\||>) ', '') FROM pg_catalog.unnest(c.redirects) x WHERE x ~ '^[0-9]*(>>|>\||>) ' AND p = 'cat'
                     UNION ALL SELECT x FROM pg_catalog.unnest(a[2:]) x WHERE p = 'tee' AND x NOT LIKE '-%' LOOP
                v_scripts := v_scripts || ARRAY[pg_catalog.regexp_replace(w, '^(\./)+', ''), c.input];
            END LOOP;
        END IF;
        IF pg_catalog.cardinality(v_scripts) > 0 THEN
            w := CASE WHEN v_kind = 'shell' THEN (SELECT x FROM pg_catalog.unnest(a[2:]) x WHERE x NOT LIKE '-%' LIMIT 1) ELSE a[1] END;
            w := pg_catalog.regexp_replace(coalesce(w, ''), '^(\./)+', '');
            FOR v_i IN 1 .. pg_catalog.cardinality(v_scripts) BY 2 LOOP
                IF v_scripts[v_i] = w AND pg_catalog.length(v_scripts[v_i + 1]) < pg_catalog.length(p_text) THEN
                    v_hits := v_hits || coord_private.shell_rule_hits(v_scripts[v_i + 1], v_pws, v_pdir);
                END IF;
            END LOOP;
        END IF;
        -- an unquoted heredoc's $(...) and `...` run (the analyser keeps the body as data)
        IF c.input IS NOT NULL AND c.input ~ '\$\(|`' AND v_kind IS NULL AND p_text ~ '<<-?\s*[A-Za-z_]' THEN
            FOR m IN SELECT pg_catalog.regexp_matches(c.input, '\$\(([^()]*)\)|`([^`]*)`', 'g') LOOP
                v_hits := v_hits || coord_private.shell_rule_hits(coalesce(m[1], m[2]), v_pws, v_pdir);
            END LOOP;
        END IF;
        -- decoders piped into a shell or a database client: echo X | base64 -d | sh, rev <<< X | sh, tr rot13 <<< X | sh
        IF c.pipe_pos > 0 AND v_kind IN ('sql', 'shell') THEN   -- (speed: a simple test before a query)
        IF c.pipe_pos > 0 AND (v_kind = 'sql' OR (v_kind = 'shell' AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(a[2:]) x WHERE x ~ '^-[a-zA-Z]*c'))) THEN
            SELECT * INTO v_up FROM pg_catalog.unnest(v_cmds) u WHERE u.pipeline = c.pipeline AND u.pipe_pos = c.pipe_pos - 1 AND u.context = c.context LIMIT 1;
            IF v_up.program IN ('base64', 'rev', 'tr') THEN
                v_code := coalesce(v_up.input, (SELECT pg_catalog.array_to_string(u.argv[2:], ' ') FROM pg_catalog.unnest(v_cmds) u
                                                 WHERE u.pipeline = c.pipeline AND u.pipe_pos = c.pipe_pos - 2 AND u.context = c.context AND u.program IN ('echo', 'printf') LIMIT 1));
                w := NULL;
                IF v_code IS NOT NULL THEN
                    IF v_up.program = 'base64' AND v_up.argv && ARRAY['-d', '--decode', '-D'] THEN
                        BEGIN
                            w := pg_catalog.convert_from(pg_catalog.decode(pg_catalog.regexp_replace(v_code, '(^-n\s+|\s)', '', 'g'), 'base64'), 'UTF8');
                        EXCEPTION WHEN OTHERS THEN
                            w := NULL;
                        END;
                    ELSIF v_up.program = 'rev' THEN
                        w := pg_catalog.reverse(v_code);
                    ELSIF v_up.program = 'tr' AND v_up.argv[2] IN ('a-z', 'A-Za-z', 'a-zA-Z') AND v_up.argv[3] IN ('n-za-m', 'N-ZA-Mn-za-m', 'n-za-mN-ZA-M') THEN
                        w := pg_catalog.translate(v_code, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 'nopqrstuvwxyzabcdefghijklmNOPQRSTUVWXYZABCDEFGHIJKLM');
                    END IF;
                END IF;
                IF w IS NOT NULL AND pg_catalog.length(w) < pg_catalog.length(p_text) THEN
                    v_hits := v_hits || coord_private.shell_rule_hits(w, v_pws, v_pdir);
                END IF;
            END IF;
        END IF;
        END IF;
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT x FROM pg_catalog.unnest(v_hits) x ORDER BY 1);
END
$$;
COMMENT ON FUNCTION coord_private.shell_rule_hits(text, text, text) IS
    'the names of the shell rules (coord_private.shell_rules) that the analysed commands of a text match, with the workspace and current directory as context when known';

-- The matches of the shell rules, in the shape of coord_private.guardrail_matches.
CREATE FUNCTION coord_private.shell_rule_matches(p_text text, p_workspace text DEFAULT NULL, p_dir text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_hits text[] := coord_private.shell_rule_hits(p_text, p_workspace, p_dir);
    v jsonb;
BEGIN
    IF pg_catalog.cardinality(v_hits) = 0 THEN
        RETURN '[]'::jsonb;
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'name', r.name, 'category', r.category, 'severity', r.severity,
               'exempt_trust', r.exempt_trust, 'always', r.always_applies) ORDER BY r.name), '[]')
      INTO v
      FROM coord_private.shell_rules r
     WHERE r.name = ANY (v_hits);
    RETURN v;
END
$$;
COMMENT ON FUNCTION coord_private.shell_rule_matches(text, text, text) IS
    'the shell rules matching a command text (with the workspace and current directory as context when known), as guardrail matches (name, category, severity, exempt_trust, always)';
