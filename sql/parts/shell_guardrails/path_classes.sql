-- What the shell rules know about words: where a path points (seen from the workspace),
-- and whether a word names a secret or key material.

-- Where a path points, seen from the workspace (the working directory of the command):
--   root            /  /*  /.
--   system          a top-level directory (/etc, /usr, /data, /tmp itself) or anything under
--                   /etc /usr /var /opt /bin /sbin /lib* /boot /srv /sys /proc /dev /run /snap /mnt /media
--                   /System /Library /Applications /private /nix
--   home            ~  ~/  ~/*  ~user  $HOME  ${HOME}  /home  /home/<user>  /Users/<user>  /root
--   home_sub        something in a home directory
--   home_cache      a cache in a home directory (~/.cache, ~/.npm, ~/Library/Caches, ...)
--   tmp             /tmp/<x>  /var/tmp/<x>  $TMPDIR/<x>  /dev/shm/<x>  (also /tmp/*)
--   git             .git, something in it (not a *.lock file)
--   workspace_root  .  ./  *  ./*  .*  */
--   parent          ..  ../..  ../*  (and deeper chains of ..)
--   outside         ../<x>: another directory beside the workspace
--   build           a build output, wherever (build dist node_modules target .cache __pycache__ coverage out ...)
--   absolute        an absolute path at least two levels deep elsewhere (/srv excepted above)
--   relative        anything else: inside the workspace
CREATE FUNCTION coord_private.shell_path_class(p_path text)
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    v text := p_path;
    i integer;
    v_parts text[];
    v_rest text;              -- after a home directory (~user, /home/<user>, /Users/<user>, /root): '' or /...
BEGIN
    -- (speed: regular expressions only behind cheap prefix tests; PostgreSQL caches 32 compiled ones)
    IF pg_catalog.left(v, 1) = '$' THEN
        IF pg_catalog.left(v, 5) = '$HOME' OR pg_catalog.left(v, 6) = '${HOME' THEN
        v := pg_catalog.regexp_replace(v, '^(\$HOME|\$\{HOME\}|\$\{HOME:?[-?=+][^}]*\})(?=/|$)', '~');
        END IF;
        IF pg_catalog.strpos(v, 'PWD') > 0 OR pg_catalog.left(v, 2) = '$(' THEN
        v := pg_catalog.regexp_replace(v, '^(\$\{?PWD\}?|\$\(pwd\)|`pwd`|\$\(\s*git\s+rev-parse\s+--show-toplevel\s*\))(?=/|$)', '.');
        END IF;
        IF pg_catalog.left(v, 2) = '$(' THEN
        v := pg_catalog.regexp_replace(v, '^\$\(\s*dirname\s+"?(\$\{?PWD\}?|\$\(pwd\)|`pwd`|\.)"?\s*\)(?=/|$)', '..');
        END IF;
        IF pg_catalog.strpos(v, 'TMPDIR') > 0 THEN
        v := pg_catalog.regexp_replace(v, '^(\$\{?TMPDIR\}?|\$\{TMPDIR:-[^}]*\})(?=/|$)', '/tmp');
        END IF;
    ELSIF pg_catalog.left(v, 1) = '`' THEN
        v := pg_catalog.regexp_replace(v, '^(\$\{?PWD\}?|\$\(pwd\)|`pwd`)(?=/|$)', '.');
    END IF;
    -- C:/Windows, C:\Users\me: a Windows drive is the root (Git Bash, WSL paths given to rm)
    IF pg_catalog.substr(v, 2, 1) = ':' AND pg_catalog.length(v) > 3 AND v ~ '^[A-Za-z]:[/\\]' THEN
        v := '/' || pg_catalog.translate(pg_catalog.substr(v, 4), '\', '/');
    END IF;
    -- a/../.. is .. : relative chains of .. resolved (red team, issue 16)
    IF pg_catalog.strpos(v, '/..') > 0 AND pg_catalog.left(v, 1) NOT IN ('/', '~', '$') AND v ~ '/\.\.(/|$)' THEN
        v_parts := '{}';
        FOREACH p_path IN ARRAY pg_catalog.string_to_array(v, '/') LOOP
            CONTINUE WHEN p_path IN ('', '.');
            IF p_path = '..' AND pg_catalog.cardinality(v_parts) > 0 AND v_parts[pg_catalog.cardinality(v_parts)] <> '..' THEN
                v_parts := v_parts[1:pg_catalog.cardinality(v_parts) - 1];
            ELSE
                v_parts := v_parts || p_path;
            END IF;
        END LOOP;
        v := coalesce(pg_catalog.array_to_string(v_parts, '/'), '');
        IF v = '' THEN v := '.'; END IF;
    END IF;
    IF pg_catalog.left(v, 2) = '~+' AND (pg_catalog.length(v) = 2 OR pg_catalog.substr(v, 3, 1) = '/') THEN
        v := '.' || pg_catalog.substr(v, 3);          -- ~+ is $PWD (red team, issue 16)
    END IF;
    WHILE pg_catalog.strpos(v, '//') > 0 LOOP
        v := pg_catalog.replace(v, '//', '/');
    END LOOP;
    -- a/b/../c is a/c (~ counts as two levels, /home/<user>)
    IF pg_catalog.strpos(v, '/..') > 0 AND pg_catalog.left(v, 1) IN ('/', '~') AND v ~ '/\.\.(/|$)' THEN
        v := pg_catalog.regexp_replace(v, '^~(?=/|$)', '/home/~');
        FOR i IN 1 .. 64 LOOP
            EXIT WHEN v !~ '(^|/)[^/]+/\.\.(/|$)' OR v ~ '^/\.\.(/|$)';
            v := pg_catalog.regexp_replace(v, '(^|/)(?!\.\./)[^/]+/\.\.(/|$)', '\1', '');
            IF v = '' THEN v := '/'; END IF;
        END LOOP;
        v := pg_catalog.regexp_replace(v, '^/(\.\./?)+', '/');
        v := pg_catalog.regexp_replace(v, '^/home/~(?=/|$)', '~');
    END IF;
    WHILE pg_catalog.right(v, 2) = '/.' LOOP
        v := pg_catalog.left(v, -2);
    END LOOP;
    IF pg_catalog.length(v) > 1 AND pg_catalog.right(v, 1) = '/' THEN
        v := pg_catalog.rtrim(v, '/');
        IF v = '' THEN v := '/'; END IF;
    END IF;
    WHILE pg_catalog.left(v, 2) = './' LOOP
        v := pg_catalog.substr(v, 3);
    END LOOP;
    WHILE pg_catalog.strpos(v, '/./') > 0 LOOP
        v := pg_catalog.replace(v, '/./', '/');
    END LOOP;
    IF v = '' THEN
        v := '.';
    END IF;
    IF v IN ('/', '/*', '/.', '/..', '/.*', '/*/', '/{*,.*}') THEN
        RETURN 'root';
    END IF;
    IF v IN ('.', '*', '.*', '*/', '*.*', '{*,.*}', '.[!.]*', '..?*', '.??*', '.[^.]*', '.[!.]*/', '.[^.]*/', '.?*', '[!.]*', '[^.]*', '?*') THEN
        RETURN 'workspace_root';
    END IF;
    IF pg_catalog.left(v, 1) = '~' OR v LIKE '/home%' OR v LIKE '/Users%' OR v LIKE '/root%' THEN
        -- (speed: the home directory split off by prefix tests, not regular expressions)
        IF pg_catalog.left(v, 1) = '~' THEN
            v_rest := pg_catalog.ltrim(pg_catalog.substr(v, 2), 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-');
        ELSIF v LIKE '/home/%' OR v LIKE '/Users/%' THEN
            v_rest := pg_catalog.substr(v, CASE WHEN v LIKE '/home/%' THEN 7 ELSE 8 END);
            i := pg_catalog.strpos(v_rest, '/');
            v_rest := CASE WHEN v_rest = '' OR i = 1 THEN NULL WHEN i = 0 THEN '' ELSE pg_catalog.substr(v_rest, i) END;
        ELSIF v = '/root' OR v LIKE '/root/%' THEN
            v_rest := pg_catalog.substr(v, 6);
        END IF;
        IF v_rest IS NOT NULL AND pg_catalog.left(v_rest, 1) NOT IN ('', '/') THEN
            v_rest := NULL;             -- ~$x, ~user@host: no home directory form
        END IF;
        IF v IN ('/home', '/Users', '/home/*', '/Users/*')
           OR v_rest IN ('', '/*', '/.*') OR (v_rest = '/.' AND pg_catalog.left(v, 1) = '~') THEN
            RETURN 'home';
        END IF;
        IF pg_catalog.left(v_rest, 1) = '/' THEN
            IF pg_catalog.strpos(v, '.git') > 0 AND v ~ '(^|/)\.git(/|$)' AND pg_catalog.right(v, 5) <> '.lock' THEN
                RETURN 'git';
            END IF;
            v_rest := pg_catalog.substr(v_rest, 2);
            IF pg_catalog.split_part(v_rest, '/', 1) IN ('.cache', '.npm', '.yarn', '.pnpm-store', '.ccache', '.node-gyp')
               OR pg_catalog.split_part(v_rest, '/', 1) || '/' || pg_catalog.split_part(v_rest, '/', 2)
                  IN ('.cargo/registry', '.cargo/git', '.gradle/caches', '.m2/repository', 'Library/Caches', '.rustup/tmp', '.pyenv/cache', '.conda/pkgs')
               OR pg_catalog.split_part(v_rest, '/', 1) || '/' || pg_catalog.split_part(v_rest, '/', 2) || '/' || pg_catalog.split_part(v_rest, '/', 3)
                  IN ('.local/share/Trash', '.bun/install/cache', 'go/pkg/mod') THEN
                RETURN 'home_cache';
            END IF;
            -- a build output below it: .+/(build|dist|...)(/[^/]*)?$
            v_parts := pg_catalog.string_to_array(v_rest, '/');
            i := pg_catalog.cardinality(v_parts);
            IF (i >= 2 AND v_parts[i] IN ('build', 'dist', 'node_modules', 'target', '__pycache__', 'coverage', 'out', '.next', '.pytest_cache', '.mypy_cache', '.tox')
                AND pg_catalog.array_to_string(v_parts[1:i - 1], '/') <> '')
               OR (i >= 3 AND v_parts[i - 1] IN ('build', 'dist', 'node_modules', 'target', '__pycache__', 'coverage', 'out', '.next', '.pytest_cache', '.mypy_cache', '.tox')
                   AND pg_catalog.array_to_string(v_parts[1:i - 2], '/') <> '') THEN
                RETURN 'build';
            END IF;
            RETURN 'home_sub';
        END IF;
    END IF;
    IF pg_catalog.left(v, 1) = '/' THEN
        IF v LIKE '/tmp/%' OR v LIKE '/var/tmp/%' OR v LIKE '/private/tmp/%' OR v LIKE '/dev/shm/%' THEN
            RETURN 'tmp';
        END IF;
        IF pg_catalog.strpos(v, '.git') > 0 AND v ~ '(^|/)\.git(/|$)' AND pg_catalog.right(v, 5) <> '.lock' THEN
            RETURN 'git';
        END IF;
        IF v ~ '^/(etc|usr|var|opt|bin|sbin|lib|lib32|lib64|libx32|boot|srv|sys|proc|dev|run|snap|mnt|media|System|Library|Applications|private|cores|nix|tmp)(/|$)'
           OR v ~ '^/[^/]+(/\*|/\.\*)?$' THEN
            RETURN 'system';
        END IF;
        RETURN 'absolute';
    END IF;
    IF pg_catalog.substr(v, 2, 1) = ':' AND v ~ '^[A-Za-z]:[/\\]*\*?$' THEN
        RETURN 'system';
    END IF;
    IF pg_catalog.strpos(v, '.git') > 0 AND v ~ '(^|/)\.git(/|$)' AND pg_catalog.right(v, 5) <> '.lock' THEN
        RETURN 'git';
    END IF;
    IF pg_catalog.left(v, 2) = '..' AND v ~ '^\.\.(/\.\.)*(/\*|/\.\*)?$' THEN
        RETURN 'parent';
    END IF;
    -- a build output: the last or the one-but-last part of the path is one (split, not a regular expression)
    v_parts := pg_catalog.string_to_array(v, '/');
    i := pg_catalog.cardinality(v_parts);
    IF v_parts[i] IN ('build', 'dist', 'node_modules', 'target', '.cache', '__pycache__', 'coverage', 'htmlcov', 'out', '.next', '.nuxt', '.turbo', '.parcel-cache',
                      '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', '.nox', '.eggs', '.gradle', 'obj', 'bin', 'tmp', '.tmp', 'temp', '.svelte-kit', '.angular',
                      '.vite', '.expo', 'storybook-static', '_site', '.docusaurus', '.terraform')
       OR v_parts[i] LIKE '%.egg-info' OR v_parts[i] LIKE 'cmake-build-%'
       OR (i >= 2 AND (v_parts[i - 1] IN ('build', 'dist', 'node_modules', 'target', '.cache', '__pycache__', 'coverage', 'htmlcov', 'out', '.next', '.nuxt', '.turbo',
                      '.parcel-cache', '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', '.nox', '.eggs', '.gradle', 'obj', 'bin', 'tmp', '.tmp', 'temp', '.svelte-kit',
                      '.angular', '.vite', '.expo', 'storybook-static', '_site', '.docusaurus', '.terraform')
                      OR v_parts[i - 1] LIKE '%.egg-info' OR v_parts[i - 1] LIKE 'cmake-build-%'
                      OR (v_parts[i - 1] = 'vendor' AND v_parts[i] = 'bundle')))
       OR (i >= 3 AND v_parts[i - 2] = 'vendor' AND v_parts[i - 1] = 'bundle') THEN
        RETURN 'build';
    END IF;
    IF pg_catalog.left(v, 3) = '../' THEN
        RETURN 'outside';
    END IF;
    RETURN 'relative';
END
$$;
COMMENT ON FUNCTION coord_private.shell_path_class(text) IS
    'where a path points from the workspace: root, system, home, home_sub, home_cache, tmp, git, workspace_root, parent, outside, build, absolute, relative';

-- A secret file (by name): what must not reach a network sink or be printed.
CREATE FUNCTION coord_private.shell_is_secret(p text)
RETURNS boolean LANGUAGE sql IMMUTABLE STRICT
AS $$
    -- (speed: each regular expression behind a substring test)
    SELECT (pg_catalog.strpos(p, '.env') > 0 AND p ~ '(^|[/@=:<\s''"])\.env(\.(?!example|sample|template|dist|defaults?|schema)[\w.-]+)?($|[\s''")])'
)
        OR (pg_catalog.strpos(p, '.envrc') > 0 AND p ~ '(^|[/@=:<\s''"])\.envrc($|[\s''")])')
        OR (pg_catalog.strpos(p, '.ssh') > 0 AND p ~ '(^|[/@=:<\s''"~])\.ssh(/(?!known_hosts|config\M|[^/\s]*\.pub($|[\s''")]))|$|[\s''")])')
        OR (pg_catalog.strpos(p, 'id_') > 0 AND p ~ '(^|[/@=:<\s''"])id_(rsa|dsa|ecdsa|ed25519)(_sk)?($|[\s''")])')
        -- a credentials directory itself (rsync -a ~/.aws/ host:, serving ~/.kube)
        OR ((pg_catalog.strpos(p, '.aws') > 0 OR pg_catalog.strpos(p, '.kube') > 0 OR pg_catalog.strpos(p, '.gnupg') > 0 OR pg_catalog.strpos(p, '.docker') > 0
             OR pg_catalog.strpos(p, 'gcloud') > 0 OR pg_catalog.strpos(p, '.azure') > 0)
            AND p ~ '(^|[/@=:<\s''"~])(\.aws|\.kube|\.gnupg|\.docker|\.azure|\.config/gcloud)/?($|[\s''")])')
        OR ((pg_catalog.strpos(p, '.aws/') > 0 OR pg_catalog.strpos(p, '.netrc') > 0 OR pg_catalog.strpos(p, '.pgpass') > 0 OR pg_catalog.strpos(p, '.git-credentials') > 0
             OR pg_catalog.strpos(p, '.docker/') > 0 OR pg_catalog.strpos(p, '.kube/') > 0 OR pg_catalog.strpos(p, '.vault-token') > 0 OR pg_catalog.strpos(p, '.pypirc') > 0
             OR pg_catalog.strpos(p, '.npmrc') > 0 OR pg_catalog.strpos(p, '.gnupg') > 0 OR pg_catalog.strpos(p, 'shadow') > 0 OR pg_catalog.strpos(p, '/environ') > 0
             OR pg_catalog.strpos(p, 'application_default_credentials') > 0 OR pg_catalog.strpos(p, 'gcloud/') > 0 OR pg_catalog.strpos(p, '.azure/') > 0)
            AND p ~ '\.aws/(credentials|config)|\.netrc|\.pgpass|\.git-credentials|\.docker/config\.json|\.kube/config|\.vault-token|\.pypirc|\.npmrc|\.gnupg|/etc/g?shadow|/proc/(self|[0-9]+)/environ|application_default_credentials\.json|gcloud/(credentials|legacy_credentials|access_tokens)|\.azure/(accessTokens|msal_token_cache)')
        OR ((pg_catalog.strpos(pg_catalog.lower(p), '.pem') > 0 OR pg_catalog.strpos(pg_catalog.lower(p), '.key') > 0 OR pg_catalog.strpos(pg_catalog.lower(p), '.p12') > 0
             OR pg_catalog.strpos(pg_catalog.lower(p), '.pfx') > 0 OR pg_catalog.strpos(pg_catalog.lower(p), '.ppk') > 0 OR pg_catalog.strpos(pg_catalog.lower(p), '.jks') > 0
             OR pg_catalog.strpos(pg_catalog.lower(p), '.kdbx') > 0)
            AND p ~* '(^|[/@=:<\s''"])[\w.-]*\.(pem|key|p12|pfx|ppk|jks|keystore|kdbx)($|[\s''")])')
        OR ((pg_catalog.strpos(pg_catalog.lower(p), 'secret') > 0 OR pg_catalog.strpos(pg_catalog.lower(p), 'credential') > 0 OR pg_catalog.strpos(pg_catalog.lower(p), 'account') > 0)
            AND p ~* '(^|[/@=:<\s''"])(secrets?|credentials?|service[-_]?account[\w-]*)\.(json|ya?ml|toml|env|txt|ini)($|[\s''")])')
$$;
COMMENT ON FUNCTION coord_private.shell_is_secret(text) IS 'whether a word names a secret file (.env, ~/.ssh, cloud and registry credentials, keys)';

-- Private key material and credential stores (printing them is refused, at every trust).
CREATE FUNCTION coord_private.shell_is_key_material(p text)
RETURNS boolean LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT (pg_catalog.strpos(p, 'id_') > 0 AND p ~ '(^|/)id_(rsa|dsa|ecdsa|ed25519)(_sk)?$')
        OR ((pg_catalog.strpos(p, '.aws/') > 0 OR pg_catalog.strpos(p, '.netrc') > 0 OR pg_catalog.strpos(p, '.pgpass') > 0 OR pg_catalog.strpos(p, '.git-credentials') > 0
             OR pg_catalog.strpos(p, '.docker/') > 0 OR pg_catalog.strpos(p, '.kube/') > 0 OR pg_catalog.strpos(p, '.vault-token') > 0 OR pg_catalog.strpos(p, 'shadow') > 0
             OR pg_catalog.strpos(p, '.gnupg/') > 0 OR pg_catalog.strpos(p, 'application_default_credentials') > 0 OR pg_catalog.strpos(p, 'gh/hosts') > 0)
            AND p ~ '\.aws/credentials$|(^|/)\.netrc$|(^|/)\.pgpass$|(^|/)\.git-credentials$|\.docker/config\.json$|\.kube/config$|(^|/)\.vault-token$|^/etc/g?shadow$|\.gnupg/|application_default_credentials\.json$|\.config/gh/hosts\.yml$')
        OR ((pg_catalog.strpos(pg_catalog.lower(p), '.pem') > 0 OR pg_catalog.strpos(pg_catalog.lower(p), '.key') > 0 OR pg_catalog.strpos(pg_catalog.lower(p), '.ppk') > 0
             OR pg_catalog.strpos(pg_catalog.lower(p), '.p12') > 0 OR pg_catalog.strpos(pg_catalog.lower(p), '.pfx') > 0 OR pg_catalog.strpos(pg_catalog.lower(p), '.kdbx') > 0)
            AND (p ~* '(^|/)[\w.-]*(private|priv)[\w.-]*\.(pem|key)$' OR p ~* '\.(ppk|p12|pfx|kdbx)$'))
$$;
COMMENT ON FUNCTION coord_private.shell_is_key_material(text) IS 'whether a path is private key material or a credential store';


-- Whether a text could name a secret or key material at all: a substring that every word
-- shell_is_secret or shell_is_key_material accepts contains (of the text in lower case).
-- (speed) The secrets rules call it once per text, on the words of all its analysed
-- commands, and test each word only when it is true; the two functions are called per
-- word and cost far more. tests/test_shell_rules_programs.py holds it against them.
CREATE FUNCTION coord_private.shell_may_name_secret(p text)
RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$
    SELECT pg_catalog.strpos(p, '.env') > 0 OR pg_catalog.strpos(p, '.ssh') > 0 OR pg_catalog.strpos(p, 'id_') > 0 OR pg_catalog.strpos(p, '.aws') > 0
        OR pg_catalog.strpos(p, '.netrc') > 0 OR pg_catalog.strpos(p, '.pgpass') > 0 OR pg_catalog.strpos(p, '.git-credentials') > 0
        OR pg_catalog.strpos(p, '.docker') > 0 OR pg_catalog.strpos(p, '.kube') > 0 OR pg_catalog.strpos(p, '.vault-token') > 0
        OR pg_catalog.strpos(p, '.pypirc') > 0 OR pg_catalog.strpos(p, '.npmrc') > 0 OR pg_catalog.strpos(p, '.gnupg') > 0
        OR pg_catalog.strpos(p, 'shadow') > 0 OR pg_catalog.strpos(p, '/environ') > 0 OR pg_catalog.strpos(p, 'application_default_credentials') > 0
        OR pg_catalog.strpos(p, 'gcloud') > 0 OR pg_catalog.strpos(p, '.azure/') > 0 OR pg_catalog.strpos(p, '.pem') > 0
        OR pg_catalog.strpos(p, '.key') > 0 OR pg_catalog.strpos(p, '.p12') > 0 OR pg_catalog.strpos(p, '.pfx') > 0 OR pg_catalog.strpos(p, '.ppk') > 0
        OR pg_catalog.strpos(p, '.jks') > 0 OR pg_catalog.strpos(p, '.kdbx') > 0 OR pg_catalog.strpos(p, 'secret') > 0
        OR pg_catalog.strpos(p, 'credential') > 0 OR pg_catalog.strpos(p, 'account') > 0 OR pg_catalog.strpos(p, 'gh/hosts') > 0
$$;
COMMENT ON FUNCTION coord_private.shell_may_name_secret(text) IS
    'whether a lower-case text contains a substring every secret or key-material word contains (a quick test before shell_is_secret)';

-- The workspace as context (coord.check_guardrails(text, text[], workspace, cwd)).
-- A path made absolute against a directory and normalised lexically: '//' and '/./'
-- collapsed, '..' taken off (never above /), a trailing '/' or '/.' dropped; globs are
-- kept as written. NULL when that is not possible: a path that starts with ~, $ or `
-- (home, variables, substitutions: shell_path_class judges those), or a relative path
-- with no directory known. The database cannot see the disk: symbolic links are not
-- resolved (a link inside the workspace that points outside it is judged as inside).
CREATE FUNCTION coord_private.shell_abspath(p_path text, p_dir text)
RETURNS text LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_parts text[] := '{}';
    x text;
BEGIN
    IF p_path IS NULL OR p_path = '' OR pg_catalog.left(p_path, 1) IN ('~', '$', '`') THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.left(p_path, 1) <> '/' THEN
        IF p_dir IS NULL OR pg_catalog.left(p_dir, 1) <> '/' THEN
            RETURN NULL;
        END IF;
        p_path := p_dir || '/' || p_path;
    END IF;
    FOREACH x IN ARRAY pg_catalog.string_to_array(p_path, '/') LOOP
        CONTINUE WHEN x IN ('', '.');
        IF x = '..' THEN
            v_parts := v_parts[1:pg_catalog.cardinality(v_parts) - 1];
        ELSE
            v_parts := v_parts || x;
        END IF;
    END LOOP;
    RETURN '/' || pg_catalog.array_to_string(v_parts, '/');
END
$$;
COMMENT ON FUNCTION coord_private.shell_abspath(text, text) IS
    'a path made absolute against a directory and normalised lexically (//, /./, .. resolved; no symbolic links); NULL for ~, $ or ` paths and for a relative path with no directory';

-- Where a path points, with the workspace and the current directory known (either may
-- be NULL). The path is made absolute against the directory (shell_abspath); inside the
-- workspace it is judged relative to the workspace root (the root itself:
-- workspace_root; build outputs: build; .git: git; anything else: relative), outside it
-- as the absolute path it is (so with the workspace /srv/app, rm -rf /srv/app/build
-- passes and rm -rf /srv/app does not; from the directory /, rm -rf etc is /etc).
-- With neither known, or for a path that cannot be made absolute, shell_path_class(path).
CREATE FUNCTION coord_private.shell_path_class(p_path text, p_workspace text, p_dir text)
RETURNS text LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v text;
BEGIN
    IF (p_workspace IS NULL AND p_dir IS NULL) OR p_path IS NULL THEN
        RETURN coord_private.shell_path_class(p_path);
    END IF;
    v := coord_private.shell_abspath(p_path, p_dir);
    IF v IS NULL THEN
        RETURN coord_private.shell_path_class(p_path);
    END IF;
    IF p_workspace IS NOT NULL THEN
        IF v = p_workspace THEN
            RETURN 'workspace_root';
        ELSIF pg_catalog.left(v, pg_catalog.length(p_workspace) + 1) = p_workspace || '/' THEN
            RETURN coord_private.shell_path_class(pg_catalog.substr(v, pg_catalog.length(p_workspace) + 2));
        END IF;
    END IF;
    RETURN coord_private.shell_path_class(v);
END
$$;
COMMENT ON FUNCTION coord_private.shell_path_class(text, text, text) IS
    'where a path points with the workspace and the current directory known: inside the workspace judged relative to its root, outside as the absolute path';

-- The workspace a caller claims, as check_guardrails uses it: normalised, or NULL when it
-- is rejected (/, a home directory itself, /root, a system top-level directory such as
-- /var, /opt or /tmp, /var/<x>, anything under /bin /boot /dev /etc /lib* /proc /run /sbin
-- /sys /usr, or a glob; /app, /workspace, /srv/app, /home/x/proj are accepted):
-- a workspace that wide would let the rules pass what they exist to stop. The caller
-- records the rejection; its commands are then judged with no workspace.
CREATE FUNCTION coord_private.shell_workspace(p_workspace text)
RETURNS text LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN w IS NULL OR w = '/' OR w ~ '^/(home|Users)(/[^/]+)?$' OR w = '/root' OR w ~ '^/var/[^/]+$'
                     OR w ~ '^/(var|opt|srv|tmp|mnt|media|home|Users|private|nix|snap|System|Library|Applications|Volumes|cores)$'
                     OR w ~ '^/(bin|boot|dev|etc|lib[^/]*|proc|run|sbin|sys|usr)(/|$)' OR w ~ '[*?[\]{}]'
                THEN NULL ELSE w END
      FROM (SELECT coord_private.shell_abspath(p_workspace, NULL) AS w) s
$$;
COMMENT ON FUNCTION coord_private.shell_workspace(text) IS
    'a claimed workspace normalised, or NULL when it is rejected (/, a home root, a top-level directory, system trees, globs)';
