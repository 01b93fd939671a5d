-- The shell rules: what each one catches and how severe it is (the matching logic is
-- coord_private.shell_rule_hits, one block per rule). Owned by coord_owner; agents
-- have no privilege on it (RLS on, no policy), admins and auditors read it through
-- coord.shell_rules. A rule's severity and exempt trust may be changed by the DBA
-- (UPDATE as coord_owner); its matching logic only by a change.
CREATE TABLE coord_private.shell_rules (
    name           text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    category       text NOT NULL CHECK (category ~ '^[a-z][a-z0-9_]{0,30}$'),
    severity       text NOT NULL CHECK (severity IN ('block', 'warn', 'approve')),
    exempt_trust   integer NOT NULL DEFAULT 5 CHECK (exempt_trust BETWEEN 1 AND 5),
    always_applies boolean NOT NULL DEFAULT false,
    rationale      text NOT NULL CHECK (pg_catalog.length(rationale) BETWEEN 1 AND 1000)
);
COMMENT ON TABLE coord_private.shell_rules IS
    'the built-in rules over analysed shell commands (coord_private.shell_rule_hits): name, category, severity, exempt trust, always, rationale';
ALTER TABLE coord_private.shell_rules ENABLE ROW LEVEL SECURITY;

INSERT INTO coord_private.shell_rules (name, category, severity, exempt_trust, always_applies, rationale) VALUES
    ('shell_analysis_limit', 'shell', 'block', 5, true,
     'the command is past a bound of the analysis (1 MiB, nesting depth 6, 50 000 tokens, 5 000 commands, 16 heredocs): not analysed, so refused (fail closed)'),
    ('fs_delete_catastrophic', 'filesystem', 'block', 5, false,
     'rm / shred / unlink (or an interpreter''s rmtree, rm_rf, rmSync, remove) of /, a system path (/etc /usr /var /opt /bin /lib /boot /srv ...), '
     'home (~, $HOME, /home/*, /root), the workspace root (., ./, *, ..), a parent directory, or .git: recursively or forcibly; '
     'also an absolute path two levels deep, rsync --delete into such a target, mv of .git, ~/.ssh or a system directory, xargs rm fed by ls, git ls-files or find of them; '
     '/tmp/<name> scratch, ~/.cache and build outputs in the workspace (build, dist, node_modules, target, .cache, __pycache__, coverage, out) are not'),
    ('fs_find_delete', 'filesystem', 'block', 5, false,
     'find ... -delete / -exec rm of a system path, home or parent, or of the workspace without a filter to build artifacts (find . -name ''*.py'' -delete destroys sources)'),
    ('fs_system_overwrite', 'filesystem', 'block', 5, false,
     'a redirection, tee, cp, mv or truncate that overwrites a file under /etc, /boot, /usr, /bin, /sbin, /lib; chmod / chown -R of /, a system path or home'),
    ('fs_chmod_world_writable', 'filesystem', 'warn', 5, false,
     'chmod 777 / a+rwx / o+w: world-writable (recorded)'),
    ('git_discard_worktree', 'git', 'block', 3, false,
     'git reset --hard, checkout -f / checkout [ref] [--] . , restore of everything (not --staged only), switch --discard-changes, read-tree --reset -u: '
     'uncommitted work is lost (an orchestrator, trust 3, is exempt)'),
    ('git_delete_local', 'git', 'block', 3, false,
     'git clean -f (not -n), branch -D, stash drop / clear, worktree remove --force, submodule deinit -f, rm -r of the whole tree without --cached (trust 3 is exempt)'),
    ('git_rewrite_history', 'git', 'block', 5, false,
     'forced push: -f, --force or +refspec to any branch; --force-with-lease to main/master, of every branch, or without a refspec; filter-branch, filter-repo, '
     'reflog expire --expire=now / reflog delete, gc --prune=now, update-ref -d, bfg'),
    ('git_force_push_branch', 'git', 'warn', 5, false,
     'a --force-with-lease push of a named branch other than main/master (recorded)'),
    ('git_push_delete', 'git', 'block', 4, false,
     'git push --delete / -d / :branch / --mirror / --prune: remote refs removed (trust 4 is exempt)'),
    ('sql_destroy', 'sql', 'block', 5, false,
     'SQL given to psql/mysql/sqlite3/... (-c, -e, heredoc, here-string, echo | psql) or as the text itself: DROP DATABASE/SCHEMA/TABLE/OWNED, TRUNCATE, '
     'DELETE without WHERE (or WHERE true, id = id), ALTER TABLE ... DROP COLUMN, DROP KEYSPACE, EXECUTE of such SQL in a DO block or by a driver; dropdb; redis-cli FLUSHALL/FLUSHDB; mongo dropDatabase; '
     'framework resets (manage.py flush, rails db:drop/db:reset, prisma migrate reset, db push --force-reset, alembic downgrade base, knex migrate:rollback --all). '
     'String literals and comments are not SQL: select ''DROP TABLE x'' passes'),
    ('sql_update_without_where', 'sql', 'warn', 5, false,
     'UPDATE ... SET without WHERE in SQL given to a client (recorded)'),
    ('secrets_exfiltration', 'secrets', 'block', 5, true,
     'a secret (.env, ~/.ssh, .aws/credentials, .netrc, .pgpass, .git-credentials, kube/docker configs, *.pem/*.key, /etc/shadow, the environment) '
     'read into a network sink (curl, wget, nc, scp, rsync, ssh, mail, ...) by a pipe, an @file argument, an upload option or a substitution; every trust level'),
    ('secrets_private_key_read', 'secrets', 'block', 5, true,
     'private key material or credential stores printed or copied (cat/less/head/base64/xxd/cp of id_rsa, .aws/credentials, .netrc, .pgpass, /etc/shadow, gh hosts.yml; '
     'a secret such as .env copied out of the workspace; '
     'gpg --export-secret-keys); every trust level'),
    ('persistence', 'persistence', 'block', 5, false,
     'writing to ~/.ssh/authorized_keys, shell rc files (.bashrc .zshrc .profile .bash_profile ...), cron (crontab -, crontab FILE, crontab -r, /etc/cron*), '
     'crontab -e, sudoers, systemd units and systemctl enable, launch agents, /etc/ld.so.preload, new users and group grants, '
     'global git config that runs code (core.hooksPath outside the workspace, alias.x=!cmd); also from inline interpreter code'),
    ('shell_remote_code', 'shell', 'block', 5, false,
     'downloaded or decoded code run by a shell or interpreter: curl|wget ... | sh, sh <(curl ...), sh -c "$(curl ...)", eval "$(curl ...)", base64 -d | sh; fork bombs'),
    ('disk_destroy', 'disk', 'block', 5, false,
     'dd of=/dev/<disk>, > /dev/<disk>, cp/tee/shred onto a block device; mkfs*, mkswap, wipefs, blkdiscard; fdisk/sfdisk/gdisk/sgdisk/parted/cfdisk '
     'of a device (not a listing); zpool destroy, lvremove/vgremove/pvremove, cryptsetup luksFormat/erase, diskutil erase*'),
    ('cloud_destroy', 'cloud', 'block', 5, false,
     'aws s3 rb / s3 rm --recursive / delete-*|terminate-*|deregister-*|purge-*; gcloud ... delete, gsutil rm -r / rb; az ... delete; '
     'terraform/tofu/terragrunt/pulumi/cdk destroy, apply -destroy; doctl/hcloud/oci/linode-cli ... delete; heroku apps:destroy; eksctl/kind/k3d/minikube delete; '
     'rclone purge/delete, mc rb, gh repo delete, bq rm -r'),
    ('container_destroy', 'container', 'block', 5, false,
     'kubectl/oc delete of anything but a named pod (namespaces, deployments, secrets, -f, -k, -l, all / --all ...); helm uninstall/delete; docker/podman system|image prune -a / --volumes, '
     'volume prune/rm, rm -f $(docker ps -aq) or docker ps -q | xargs docker rm; rm -v, compose rm -v, docker compose down -v, system reset, stack rm, swarm leave --force, '
     'crictl rm/rmi --all; argocd app delete, flux uninstall, velero ... delete, etcdctl del --prefix, kubectl drain --delete-emptydir-data'),
    ('k8s_delete', 'container', 'warn', 5, false,
     'kubectl/oc delete of a named pod (recorded): the controller recreates it'),
    ('publish_artifact', 'publish', 'block', 4, false,
     'publishing: npm/pnpm/yarn publish, twine upload, cargo/poetry/uv publish, gem push, mvn deploy, gradle publish, docker/podman push, '
     'buildx --push, gh release create, vsce publish, changeset publish, npm unpublish / deprecate / dist-tag add, cargo yank, ... (--dry-run passes): refused below trust 4 (check_guardrails is not an approvable operation, so approve would be not_approvable)');
