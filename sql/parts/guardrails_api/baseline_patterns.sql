-- Templates with macros, expanded here once (the stored regex is the expanded one):
--   {CMD}   start of a command word: the beginning, or a character that is not a word
--           character, '-' or '.' (so --rm, rm_helper, farm, x.rm are not rm)
--           (rm has its own start that also excludes 'git rm': spelled out without a
--           lookbehind, which PostgreSQL evaluates ten times slower)
--   {TC}    a character of a shell word: not blank and not ; & | ) `
--   {END}   the word ends here: a blank, separator or closing bracket (consumed, so {END}
--           only ends a template or an alternative, or sits inside a lookahead), or the end
--   {ARGS}  any further words of the same command
--   {GIT}   git with its global options (-C dir, -c k=v, --no-pager, --git-dir=...)
--   {T_RM}  a catastrophic rm/find target: / /* // /. a top-level directory (/usr, /etc/)
--           ~ ~/ ~user $HOME ${HOME} ${HOME:?} (and /* after them), * . ./ ./* .* .. ../ ../..
--           (and /*), .git (the repository's history)
--   {T_ROOT} the same without the working-directory forms (. .. *)
--   {FORCE} a force flag of git push; {MAIN} a refspec naming main/master; {ALL} a pathspec of everything
-- Benign by design (documented in tests/guardrail_corpus/README.md): rm of a path
-- below the working directory (rm -rf ./build, build/, node_modules, dist/*), of an
-- absolute path at least two levels deep (/tmp/x), git reset --soft, git push of a
-- branch without force, SQL with WHERE, package installs, docker ps, kubectl get,
-- terraform plan, prose that mentions 'drop' or 'delete' without SQL syntax.
WITH b AS (
    SELECT $r$(?:^|[^-\w.])$r$ AS cmd,
           $r$[^\s;&|)`]$r$ AS tc,
           $r$(?:$|[\s;&|)}\]`])$r$ AS endw
), m AS (
    SELECT b.cmd, b.tc, b.endw,
           '(?:\s+' || b.tc || '+)*' AS args,
           b.cmd || '[Gg][Ii][Tt](?:\s+(?:-[Cc]\s+' || b.tc || '+|--?[\w-]+(?:=' || b.tc || '+)?))*\s+' AS git,
           $r$(?:(?:/+|~[\w.-]*/*|\$\{?home(?::?[-?=+][^}\s]*)?\}?/*|\.{1,2}(?:/+\.{1,2})*/*|/+[\w.-]+/*)(?:\*|\.{1,2})?|\*|\.git/*)$r$ AS t_rm,
           $r$(?:(?:/+|~[\w.-]*/*|\$\{?home(?::?[-?=+][^}\s]*)?\}?/*|/+[\w.-]+/*)\*?)$r$ AS t_root,
           '(?:-[a-z]*f[a-z]*|--force(?:-with-lease(?:=' || b.tc || '*)?|-if-includes)?)' AS force,
           '(?:[^\s;&|)`:]*:)?(?:refs/heads/)?(?:main|master)' AS main,
           $r$(?:\.|\./|\*|:/|:/\*|\./\*|\.\*)$r$ AS alls
      FROM b
), p (name, category, applies_to, severity, exempt_trust, always_applies, description, tmpl, keywords) AS (VALUES
    -- shell and disks ---------------------------------------------------------
    ('shell_rm_catastrophic', 'shell', 'text', 'block', 5, false,
     'rm of /, a top-level directory, ~ / $HOME, *, ., .., .git (any flags, any order, quoted, --no-preserve-root); '
     'ls | xargs rm (everything in a directory)',
     $t$(?:^|[^-\w.\s]|(?:^|[^t])\s|(?:^|[^i])t\s|(?:^|[^g])it\s|[\w.-]git\s)rm(?:\)|`)?{ARGS}\s+{T_RM}{END}|{CMD}ls(?:\s+-{TC}+)*(?:\s+(?:\.|~|/))?\s*\|\s*xargs(?:\s+-{TC}+)*\s+(?:sudo\s+)?rm\M$t$,
     ARRAY['rm']),
    ('shell_delete_tree', 'shell', 'text', 'block', 5, false,
     'find / -delete, find . -delete; chmod/chown/chgrp of / or home; rmtree / rmSync / remove_dir_all / FileUtils.rm_rf of / '
     'or home from code; Windows: rd /s, del /s, Remove-Item -Recurse of a drive root or the profile, format C:',
     $t${CMD}(?:chmod|chown|chgrp){ARGS}\s+{T_ROOT}{END}|{CMD}find(?:\s+-[HLPO]\w*)*\s+(?:{T_ROOT}(?:\s[^;&|\n`)]*)?\s(?:-delete|-exec(?:dir)?\s+(?:\S*/)?(?:rm|shred)\M)|\.{1,2}/*(?:\s+-(?:depth|xdev|mount|mindepth\s+\d+|maxdepth\s+\d+))*\s+-delete{END})|\m(?:shutil\.rmtree|rmtree|fs\.rm|fs\.rmsync|rmsync|rmdirsync|remove_dir_all|fileutils\.rm_rf?)\s*\(?\s*(?:{T_ROOT}|\.|os\.path\.expanduser\(\s*~\s*\)|(?:pathlib\.)?path\.home\(\s*\)|os\.homedir\(\s*\)|dir\.home)\s*(?:[,;)]|$)|{CMD}(?:rd|rmdir|del|erase|remove-item|ri)(?:\s+{TC}+)*\s+(?:[a-z]:[/*]*|\$env:userprofile|\$home|~)/*\*?{END}|{CMD}format(?:\.com)?\s+[a-z]:$t$,
     ARRAY['ch', 'find', 'rm', 'remove', 'rd', 'del', 'erase', 'ri', 'format']),
    ('disk_format_wipe', 'disk', 'text', 'block', 5, false,
     'mkfs, wipefs, blkdiscard, sgdisk --zap-all; dd of=/dev/..., > /dev/sdX, shred/tee/cp onto a block device',
     $t${CMD}(?:mkfs(?:\.\w+)?|mke2fs|mkswap|wipefs|blkdiscard)\s|{CMD}sgdisk\s[^;&|\n`)]*--zap-all|(?:\mof=|>\s*|\mshred(?:\s+{TC}+)*\s+|\mtee(?:\s+-{TC}+)*\s+|\mcp(?:\s+{TC}+)+\s+)/dev/(?:[shv]d[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d|rdisk\d|mapper/|md\d|dm-\d|root\M|loop\d|sr\d)$t$,
     ARRAY['mk', 'wipefs', 'blkdiscard', 'sgdisk', '/dev/']),
    ('shell_exec_abuse', 'shell', 'text', 'block', 5, false,
     'download-and-execute (curl/wget ... | sh, interpreters reading stdin, sh <(curl), sh -c $(curl), eval, iex(iwr)), '
     'decoded payloads run by a shell (base64 -d | sh, eval $(... base64 -d)), fork bombs',
     $t${CMD}(?:curl|wget|fetch|iwr|irm|invoke-webrequest|invoke-restmethod)\M(?:[^;&|\n`)]|\|(?!\|))*\|\s*(?:sudo(?:\s+-{TC}+)*\s+)?(?:env(?:\s+\w+=\S*)*\s+)?(?:\S*/)?(?:(?:(?:ba|z|k|da|fi|tc|c|a)?sh|iex|invoke-expression)\M|(?:python[\d.]*|perl|ruby|node|php)(?:\s+-)?(?=\s{0,20}(?:$|[;&|)}\]`])))|{CMD}(?:(?:ba|z|k|da)?sh|source|\.|python[\d.]*|perl|ruby|node)(?:\s+-{TC}+)*\s+<\(\s*(?:curl|wget)\M|{CMD}(?:(?:ba|z|k|da)?sh\s+-c|eval)\s+(?:\$\(|`)\s*(?:curl|wget)\M|\miex\s*\(\s*(?:iwr|irm|invoke-webrequest|invoke-restmethod|new-object)\M|(?:\mbase64\s+(?:-\w*\s+)*(?:-d|--decode|-D)|\mxxd\s+-r\w*|\mopenssl\s+(?:base64|enc)\s+[^;&|\n`)]*-d)[^;&|\n`)]*\|\s*(?:sudo\s+)?(?:\S*/)?(?:ba|z|k|da)?sh\M|{CMD}eval\s+(?:\$\(|`)[^;&\n`)]*\mbase64\s+(?:-d|--decode|-D)|[\w:.]+\s*\(\s*\)\s*\{\s*[\w:.]+\s*\|\s*[\w:.]+\s*&\s*;?\s*\}|\mfork\s+while\s+fork\M|while\s*\(?\s*(?:true|1)\s*\)?\s*:?\s*os\.fork\s*\(|%0\s*\|\s*%0$t$,
     ARRAY['curl', 'wget', 'fetch', 'iwr', 'irm', 'invoke-', 'iex', 'base64', 'xxd', 'openssl', '&', 'fork', '%0']),
    ('shell_chmod_world_writable', 'shell', 'text', 'warn', 5, false,
     'chmod 777 / a+rwx / o+w (world-writable; recorded)',
     $t${CMD}chmod(?:\s+-{TC}+)*\s+(?:0?777|a\+rwx|a=rwx|o\+w)\M$t$,
     ARRAY['chmod']),
    -- git (options are case-sensitive in git: -D is not -d) -----------------------
    ('git_rewrite_shared_history', 'git', 'text', 'block', 5, false,
     'git push --force / -f / --force-with-lease / +refspec to main or master; filter-branch, filter-repo, '
     'reflog expire --expire=now, gc --prune=now, update-ref -d, bfg',
     $t$(?c){GIT}(?:push\M{ARGS}\s+(?:{FORCE}{ARGS}\s+\+?{MAIN}|\+?{MAIN}{ARGS}\s+{FORCE}|\+{MAIN}){END}|(?:filter-branch|filter-repo)\M|reflog\s+expire\M{ARGS}\s+--expire(?:-unreachable)?=(?:now|all|0)\M|gc\M{ARGS}\s+--prune=(?:now|all)\M|update-ref\M{ARGS}\s+-d{END})|{CMD}bfg(?:\.jar)?\s+(?:--\w+\s+\S+\s+)*--(?:delete-files|delete-folders|strip-blobs-bigger-than|replace-text)\M$t$,
     ARRAY['git', 'bfg']),
    ('git_discard_worktree', 'git', 'text', 'block', 3, false,
     'git reset --hard, checkout -f / checkout [ref] [--] ., restore . (not --staged only), switch --discard-changes '
     '(an orchestrator, trust 3, is exempt)',
     $t$(?c){GIT}(?:reset\M{ARGS}\s+--hard|checkout\M{ARGS}\s+(?:-f|--force|{ALL})|restore\M(?:\s+(?!--staged{END}){TC}+)*\s+{ALL}|restore\M{ARGS}\s+(?:--worktree|-W){ARGS}\s+{ALL}|switch\M{ARGS}\s+(?:-f|--force|--discard-changes)){END}$t$,
     ARRAY['git']),
    ('git_delete_local', 'git', 'text', 'block', 3, false,
     'git clean -f / -fdx / --force (dry runs -n pass), git branch -D / --delete --force (-d is the safe delete), '
     'git rm -r of the whole tree without --cached (an orchestrator, trust 3, is exempt)',
     $t$(?c){GIT}(?:clean\M{ARGS}\s+(?:-[a-zA-Z]*f[a-zA-Z]*|--force)|branch\M{ARGS}\s+(?:-[a-zA-Z]*D[a-zA-Z]*|--delete\s+--force|--force\s+--delete|-d\s+-f|-f\s+-d|-df|-fd)|rm\M(?:\s+(?!--cached{END}){TC}+)*\s+-[a-zA-Z]*r[a-zA-Z]*(?:\s+(?!--cached{END}){TC}+)*\s+{ALL}){END}$t$,
     ARRAY['git']),
    ('git_push_delete', 'git', 'text', 'block', 4, false,
     'git push --delete / -d / :branch / --mirror / --prune (remote refs removed; trust 4 is exempt)',
     $t$(?c){GIT}push\M{ARGS}\s+(?:--delete|-d|--mirror|--prune|:[^\s;&|)`:]+){END}$t$,
     ARRAY['git']),
    ('git_lossy_operation', 'git', 'text', 'warn', 5, false,
     'any forced git push (to main/master it is blocked by git_rewrite_shared_history), git stash drop / clear (recorded)',
     $t$(?c){GIT}(?:push\M{ARGS}\s+(?:{FORCE}|\+{TC}+){END}|stash\s+(?:drop|clear)\M)$t$,
     ARRAY['git']),
    -- SQL -------------------------------------------------------------------------
    ('sql_drop', 'sql', 'text', 'block', 5, false,
     'DROP DATABASE / SCHEMA / TABLE / OWNED BY, dropdb, db.dropDatabase(), ALTER TABLE ... DROP [COLUMN] '
     '(not DROP CONSTRAINT / DEFAULT / NOT NULL / IDENTITY / EXPRESSION)',
     $t$\mdrop\s+(?:database|schema|table|owned\s+by)(?:\s+if\s+exists)?\s+[\w$.]|{CMD}dropdb\s|\.dropdatabase\s*\(|\malter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?[\w$.]+\*?\s+(?:[^;]*,\s*)?drop\s+(?:column\s+)?(?:if\s+exists\s+)?(?!constraint\M|default\M|not\M|identity\M|expression\M)[\w$]+$t$,
     ARRAY['drop']),
    ('sql_delete_rows', 'sql', 'text', 'block', 5, false,
     'TRUNCATE [TABLE] name[, ...] as a statement; DELETE FROM name [alias] with no WHERE (statement end, RETURNING) or WHERE true / 1=1; '
     'ORM and store wipes: Model.objects.all().delete(), Model.delete_all/destroy_all, query(Model).delete(), deleteMany({}), '
     'db.coll.drop(), FLUSHALL / FLUSHDB',
     $t$\mtruncate\s+table\s+[\w$.]|\mtruncate\s+(?:only\s+)?[\w$.]+\*?(?:\s*,\s*[\w$.]+)*\s*(?:[;)}\]]|$|\m(?:cascade|restrict|restart|continue)\M)|\mdelete\s+from\s+(?:only\s+)?[\w$.]+\*?(?:(?:\s+(?:as\s+)?(?!where\M|using\M|returning\M)[\w$]+)?\s*(?:[;)}\]]|$|\mreturning\M)|(?:\s+(?:as\s+)?[\w$]+)?\s+where\s+(?:1\s*=\s*1|true|1|0\s*=\s*0)\s*(?:[;)}\]]|$))|\.objects\.all\(\s*\)\.delete\(|\m\w+\.(?:delete_all|destroy_all)\M|\.query\(\s*[\w.]+\s*\)\.delete\(|\.(?:deletemany|remove)\(\s*\{\s*\}\s*\)|\mdb\.\w+\.drop\(\s*\)|\mflush(?:all|db)\M$t$,
     ARRAY['truncate', 'delete', 'destroy', 'remove', 'drop', 'flush']),
    ('sql_update_without_where', 'sql', 'text', 'warn', 5, false,
     'UPDATE name SET ... with no WHERE before the statement end (recorded)',
     $t$\mupdate\s+(?:only\s+)?[\w$.]+(?:\s+(?:as\s+)?(?!set\M)[\w$]+)?\s+set\s+(?:[^;w]|w(?!here\M))*(?:;|$)$t$,
     ARRAY['update']),
    -- publishing ------------------------------------------------------------------
    ('publish_artifact', 'publish', 'text', 'block', 4, false,
     'npm/pnpm/yarn/bun publish, twine upload, setup.py upload, cargo/poetry/flit/hatch/uv publish, gem push, mvn deploy, '
     'gradle publish, nuget push, lerna/vsce/ovsx publish, dart pub publish, mix hex.publish, pod trunk push, anaconda upload, helm push, '
     'docker/podman/buildah/nerdctl push, buildx --push, skopeo copy, crane push '
     '(--dry-run passes; trust 4 is exempt)',
     $t$(?:{CMD}(?:npm|pnpm|yarn|bun|lerna|vsce|ovsx)(?:\s+(?:-{TC}+|npm|exec|lerna))*\s+publish\M|{CMD}(?:dart|flutter)\s+pub\s+publish\M|{CMD}mix\s+hex\.publish\M|{CMD}pod\s+trunk\s+push\M|{CMD}(?:anaconda|conda)\s+upload\M|{CMD}helm\s+push\M|{CMD}twine\s+upload\M|\msetup\.py{ARGS}\s+upload\M|{CMD}(?:cargo|poetry|flit|hatch|uv)(?:\s+-{TC}+)*\s+publish\M|{CMD}gem\s+push\M|{CMD}(?:mvn|mvnw|\./mvnw){ARGS}\s+deploy\M|{CMD}(?:gradle|gradlew|\./gradlew){ARGS}\s+publish\w*\M|{CMD}(?:dotnet\s+)?nuget\s+push\M|{CMD}(?:docker|podman|buildah|nerdctl)(?:\s+-{TC}+)*\s+(?:image\s+|manifest\s+)?push\M|{CMD}docker(?:\s+buildx)?\s+build\M[^;&|\n`)]*\s--push{END}|{CMD}(?:skopeo\s+copy|crane\s+push)\M)(?![^;&|\n`)]{0,60}--dry-run)$t$,
     ARRAY['publish', 'push', 'upload', 'deploy', 'skopeo']),
    -- cloud, infrastructure, containers -------------------------------------------
    ('cloud_resource_delete', 'cloud', 'text', 'block', 5, false,
     'aws s3 rb / s3 rm --recursive / <service> delete-*|terminate-*|deregister-*|purge-*; gcloud ... delete, gsutil rb / rm -r, '
     'az ... delete, doctl/hcloud/oci ... delete; terraform/tofu/terragrunt/pulumi/cdk destroy, apply -destroy, serverless remove, '
     'eksctl/kind delete cluster, terraform workspace delete, pulumi stack rm, heroku apps:destroy / pg:reset, fly destroy, vercel remove',
     $t${CMD}aws(?:\s+--?[\w-]+(?:[= ](?!-){TC}+)?)*\s+(?:s3\s+rb\M|s3\s+rm\M[^;&|\n`)]*\s--recursive\M|[\w-]+\s+(?:delete|terminate|deregister|purge)-[\w-]+)|{CMD}(?:gcloud|az|doctl|hcloud|oci|linode-cli|ibmcloud){ARGS}\s+(?:delete|destroy|terminate)\M|{CMD}gcloud\s+storage\s+rm\M[^;&|\n`)]*\s(?:--recursive|-r)\M|{CMD}gsutil(?:\s+-{TC}+)*\s+(?:rb|rm(?:\s+-{TC}+)*\s+-[a-z]*r[a-z]*)\M|{CMD}(?:terraform|tofu|terragrunt|pulumi|cdk|cdktf){ARGS}\s+(?:destroy\M|apply\M{ARGS}\s+-destroy\M)|{CMD}(?:serverless|sls)\s+remove\M|{CMD}(?:eksctl|kind)\s+delete\s+clusters?\M|{CMD}(?:terraform|tofu)\s+workspace\s+delete\M|{CMD}pulumi\s+stack\s+rm\M|{CMD}heroku\s+(?:apps:destroy|pg:reset|destroy)\M|{CMD}(?:fly|flyctl)\s+(?:apps\s+)?destroy\M|{CMD}vercel\s+(?:remove|rm)\M$t$,
     ARRAY['aws', 'delete', 'destroy', 'terminate', 'gcloud', 'gsutil', 'remove', 'pulumi', 'heroku', 'vercel']),
    ('container_k8s_destroy', 'container', 'text', 'block', 5, false,
     'kubectl/oc delete of namespaces, nodes, volumes, CRDs or --all / all; helm uninstall / delete; docker/podman system|image '
     'prune -a / --volumes, volume prune / rm, rm -f $(docker ps -aq), docker compose down -v',
     $t${CMD}(?:kubectl|oc){ARGS}\s+delete\M{ARGS}\s+(?:ns|namespaces?|nodes?|pv|persistentvolumes?|crds?|customresourcedefinitions?|--all(?:-namespaces)?|all|project)(?:/|{END})|{CMD}helm{ARGS}\s+(?:uninstall|delete|del|un)\M|{CMD}docker(?:-|\s+)compose{ARGS}\s+down\M{ARGS}\s+(?:--volumes|-[a-z]*v[a-z]*){END}|{CMD}(?:docker|podman)(?:\s+-{TC}+)*\s+(?:(?:system|image|container|builder|buildx)\s+prune\M{ARGS}\s+(?:-[a-z]*a[a-z]*|--all|--volumes){END}|volume\s+(?:prune|rm)\M|(?:rm|rmi|container\s+rm|image\s+rm)(?:\s+-{TC}+)*\s+(?:\$\(|`)\s*(?:docker|podman)\s+(?:ps|images|container\s+ls|image\s+ls)\M|(?:ps|images)\M[^;&|\n`)]*-[a-z]*q[^;&\n`)]*\|\s*xargs(?:\s+-{TC}+)*\s+(?:docker|podman)\s+(?:rm|rmi)\M)$t$,
     ARRAY['delete', 'helm', 'compose', 'docker', 'podman']),
    ('k8s_delete_resource', 'container', 'text', 'warn', 5, false,
     'any kubectl/oc delete (recorded)',
     $t${CMD}(?:kubectl|oc){ARGS}\s+delete\M$t$,
     ARRAY['delete']),
    -- credentials and keys (always apply: no trust level is exempt) ------------------
    ('cred_key_files', 'credentials', 'both', 'block', 5, true,
     'SSH private keys (id_rsa, id_dsa, id_ecdsa, id_ed25519; not .pub), PEM private key blocks, .aws/credentials, .netrc, '
     '.pgpass, .git-credentials, .vault-token, .docker/config.json, .kube/config, gcloud and azure token stores, .gnupg, '
     '/etc/shadow, gpg --export-secret-keys',
     $t$(?:^|[^\w.-])id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?(?![\w.-])|-----begin (?:rsa |ec |dsa |openssh |encrypted )?private key-----|\.aws/(?:credentials|config)(?![\w.-])|(?:^|[^\w.-])\.(?:netrc|pgpass|git-credentials|vault-token)(?![\w.-])|\.docker/config\.json|\.kube/config(?![\w.-])|gcloud/(?:credentials\.db|legacy_credentials|application_default_credentials\.json|access_tokens\.db)|\.azure/(?:accesstokens\.json|msal_token_cache)|\.gnupg/|(?:^|[^\w.-])/etc/g?shadow(?![\w.-])|--export-secret-(?:keys|subkeys)\M$t$,
     ARRAY['id_', 'private key', '.aws/', 'netrc', 'pgpass', 'git-credentials', 'vault-token', '.docker/', '.kube/', 'gcloud/', '.azure/', '.gnupg/', 'shadow', 'export-secret']),
    ('cred_secret_paths', 'credentials', 'path', 'block', 5, true,
     'paths of secrets: .env files (.env, .env.local, .envrc; not .env.example/.sample/.template/.dist/.defaults/.schema), '
     'secret(s)/credential(s)/private key directories or config files, *.pem, *.key, *.ppk, *.p12, *.pfx, *.jks, *.keystore, *.kdbx',
     $t$(?:^|/)\.env(?:\.(?!example$|sample$|template$|dist$|defaults?$|schema$)[\w.-]+)?$|(?:^|/)\.envrc$|(?:^|/)\.?(?:secrets?|credentials?|private[-_]?keys?)(?:/|$|\.(?:ya?ml|json|toml|ini|txt|env|cfg|conf|xml)$)|\.(?:pem|key|ppk|p12|pfx|jks|keystore|kdbx)$$t$,
     NULL::text[])
)
INSERT INTO coord_private.guardrail_patterns
    (name, category, regex, applies_to, severity, exempt_trust, always_applies, description, created_by, prefilter)
SELECT p.name, p.category,
       replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(p.tmpl,
           '{GIT}', m.git), '{ARGS}', m.args), '{T_RM}', m.t_rm), '{T_ROOT}', m.t_root),
           '{FORCE}', m.force), '{MAIN}', m.main), '{ALL}', m.alls), '{CMD}', m.cmd),
           '{TC}', m.tc), '{END}', m.endw), '{ARGS}', m.args),
       p.applies_to, p.severity, p.exempt_trust, p.always_applies, p.description, 'pgcoord baseline',
       coord_private.guardrail_prefilter(p.keywords)
  FROM p, m;

-- The baseline passes the same checks an admin's pattern must pass (timing is
-- measured by tests/test_guardrails_corpus.py, not at every deploy).
DO $$
DECLARE
    r record;
    v_problem text;
BEGIN
    FOR r IN SELECT g.name, g.regex FROM coord_private.guardrail_patterns g ORDER BY g.name LOOP
        v_problem := coord_private.guardrail_regex_problem(r.regex, false);
        IF v_problem IS NOT NULL OR r.regex ~ '\{[A-Z_]+\}' THEN
            RAISE EXCEPTION 'baseline guardrail pattern % is unsafe: %', r.name, coalesce(v_problem, 'unexpanded macro');
        END IF;
    END LOOP;
END
$$;

