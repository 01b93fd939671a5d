-- Deploy pgcoord:shell_guardrails
-- Guardrails that understand the shell (issue 16): coord.check_guardrails analyses the
-- command it is given the way a POSIX shell would read it, in plain PL/pgSQL, and
-- judges the analysed commands by built-in rules (coord.shell_rules). Prose (task
-- descriptions, inputs, results, handoffs, memory) keeps the regex patterns.
-- In parts, under sql/parts/shell_guardrails/:
--   tokenizer.sql    coord_private.shell_lex: words (single and double quotes,
--                    backslashes, $'...'), separators ; && || | & newline, redirections
--                    (> >> < 2> &> >& <<< and heredocs <<EOF <<-EOF <<'EOF', bodies cut
--                    out by position), $(...) `...` <(...) >(...) collected; the bounds
--   analyser.sql     coord_private.shell_commands: assignments, keywords ({ if then do !)
--                    and wrappers (sudo doas env [-i] [-S] command builtin exec time nice
--                    nohup timeout stdbuf ionice xargs chroot flock watch su -c runuser
--                    setsid strace docker exec kubectl exec ...) removed; sh/bash/zsh -c,
--                    eval, ssh host CMD, $(...), heredocs and here-strings given to shells,
--                    interpreters and database clients analysed recursively (depth + 1);
--                    positional parameters (sh -c CODE _ A, sh -s -- A <<EOF, set -- A),
--                    read VAR bound from the loop's input (while read d; ... done <<< X),
--                    su / runuser -c, ssh host SHELL with a heredoc, printf / echo -e
--                    escapes decoded where a shell reads the output;
--                    inline code (python -c, perl -e, ruby -e, node -e, php -r) read for
--                    recursive deletes (rmtree, rm_rf, rmSync recursive -> rm -rf TARGET),
--                    file deletes and shell-outs (os.system, subprocess, system, execSync)
--   rules_table.sql  coord_private.shell_rules: name, category, severity, exempt trust,
--                    always, rationale of each rule
--   path_classes.sql where a path points from the workspace (coord_private.shell_path_class;
--                    with the workspace and directory known: shell_path_class(p, ws, dir),
--                    shell_abspath, shell_workspace), secrets and key material
--   sql_rules.sql    SQL text judged without literals and comments (shell_sql_hits)
--   code_rules.sql   inline interpreter code beyond the analyser's rows (shell_code_hits)
--   rules.sql        the rules' logic (coord_private.shell_rule_hits, one block per rule)
--   integration.sql  coord_private.guardrail_command_matches, coord.check_guardrails on it
--                    (text, paths, workspace, cwd; the two-argument call is it with NULLs),
--                    the view coord.shell_rules
--
-- Policy per category (severity, exempt trust; "always" = every trust level):
--   filesystem   block: recursive or forced deletion (rm, shred, unlink, find -delete /
--                -exec rm, interpreters' rmtree / rm_rf / rmSync) of /, system paths, home
--                (~, $HOME, /home/*, /root), the workspace root (. ./ * ..), a parent
--                directory or .git. Relative paths are inside the workspace and pass:
--                rm -rf ./build, node_modules, dist/*, ../x/build; so do /tmp/<name> and
--                /tmp/*, ~/.cache/..., absolute paths two levels deep elsewhere.
--                find . -delete passes only with a filter to build artifacts (*.pyc,
--                __pycache__, *.o, *.log, node_modules, -empty ...). Overwriting files
--                under /etc /boot /usr /bin /lib and chmod/chown -R of system or home:
--                block. chmod 777: warn.
--   git          block below trust 3 (an orchestrator may): reset --hard, checkout -f / .,
--                restore ., switch --discard-changes, read-tree --reset -u, clean -f,
--                branch -D, stash drop / clear, worktree remove -f, rm -r . ;
--                block at every trust below 5: forced push to main/master, --all, or with
--                no refspec, filter-branch / filter-repo, reflog expire now, gc
--                --prune=now, update-ref -d; push --delete / :ref / --mirror: block below
--                4; a forced push of another named branch: warn.
--   sql          block: DROP DATABASE/SCHEMA/TABLE, TRUNCATE, DELETE without WHERE,
--                ALTER TABLE DROP COLUMN in SQL given to a client (psql -c, mysql -e,
--                heredoc, here-string, echo | psql) or as the text; dropdb; FLUSHALL.
--                String literals and comments are not SQL. UPDATE without WHERE: warn.
--   secrets      block, always: a secret read into a network sink (pipe, @file, upload
--                option, substitution); private keys and credential stores printed or
--                copied.
--   persistence  block: authorized_keys, shell rc files, cron, sudoers, systemd units.
--   disk         block: dd / > / cp onto a block device, mkfs, wipefs, partitioning.
--   cloud, container  block: resource deletion (aws ... delete-*, s3 rm --recursive,
--                gcloud/az ... delete, terraform destroy, kubectl delete namespace / all,
--                helm uninstall, docker system prune -a, docker rm -f $(docker ps -aq));
--                other kubectl delete: warn.
--   publishing   block below trust 4 (--dry-run passes). Severity approve would fit, but
--                check_guardrails is not an approvable operation (approvals), so an
--                approve match there would be refused as not_approvable; a DBA may switch
--                once it is.
--   shell        block: downloaded or decoded code run by a shell (curl | sh, sh <(curl),
--                eval "$(curl)", base64 -d | sh), fork bombs.
--   limits       block, always (shell_analysis_limit): past 1 MiB, nesting depth 6,
--                50 000 tokens (divided by (depth + 1)^2 in nested code), 5 000 commands
--                or 16 heredocs the text is not analysed and is refused (fail closed).
-- The shell rules replace the built-in regex patterns for commands (see integration.sql);
-- admin-added patterns keep applying beside them.
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/shell_guardrails/tokenizer.sql
\ir ../parts/shell_guardrails/analyser.sql
\ir ../parts/shell_guardrails/rules_table.sql
\ir ../parts/shell_guardrails/path_classes.sql
\ir ../parts/shell_guardrails/sql_rules.sql
\ir ../parts/shell_guardrails/code_rules.sql
\ir ../parts/shell_guardrails/rules.sql
\ir ../parts/shell_guardrails/integration.sql

COMMIT;
