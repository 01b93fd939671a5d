-- Which texts get the shell analysis: coord.check_guardrails, the check the hooks
-- call with the command an agent is about to run. Task descriptions, inputs,
-- results, handoffs and memory are prose (submit_task, complete_task, write_handoff,
-- remember): they keep coord_private.guardrail_matches, the regex patterns over the
-- normalised text, unchanged.
-- For a command the built-in regex patterns (created_by 'pgcoord baseline') are
-- replaced on the text by the shell rules; they still apply to the paths argument
-- (cred_key_files and cred_secret_paths). Admin-added patterns (and a baseline
-- pattern an admin replaced: its created_by is the admin) apply beside the rules, on
-- the normalised text as before. The built-in command check thus runs no regular
-- expression of the registry at all, so PostgreSQL's cache of 32 compiled regular
-- expressions per backend only has to hold the admins' patterns.
CREATE FUNCTION coord_private.guardrail_command_matches(p_text text, p_paths text[] DEFAULT '{}',
                                                        p_workspace text DEFAULT NULL, p_dir text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_shell jsonb := coord_private.shell_rule_matches(coalesce(p_text, ''), p_workspace, p_dir);
    v_text text;
    v_limit integer := coord_private.guardrail_scan_limit();
    v_regex jsonb;
BEGIN
    IF EXISTS (SELECT 1 FROM coord_private.guardrail_patterns g
                WHERE g.applies_to IN ('text', 'both') AND g.created_by <> 'pgcoord baseline') THEN
        v_text := coord_private.guardrail_normalize(pg_catalog.left(coalesce(p_text, ''), v_limit));
    END IF;
    IF v_text IS NULL AND pg_catalog.cardinality(coalesce(p_paths, '{}'::text[])) = 0 THEN
        -- no admin text pattern and no path (the usual call): the query below could only add scan_limit_exceeded
        v_regex := CASE WHEN pg_catalog.length(coalesce(p_text, '')) > v_limit
                        THEN pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                                 'name', 'scan_limit_exceeded', 'category', 'scan_limit', 'severity', 'block',
                                 'exempt_trust', 5, 'always', true))
                        ELSE '[]'::jsonb END;
    ELSE
    SELECT coalesce(pg_catalog.jsonb_agg(m.j ORDER BY m.name), '[]') INTO v_regex
      FROM (SELECT g.name, pg_catalog.jsonb_build_object(
                       'name', g.name, 'category', g.category, 'severity', g.severity,
                       'exempt_trust', g.exempt_trust, 'always', g.always_applies) AS j
              FROM coord_private.guardrail_patterns g
             WHERE (g.applies_to IN ('text', 'both') AND g.created_by <> 'pgcoord baseline' AND v_text ~* g.regex)
                OR (g.applies_to IN ('path', 'both')
                    AND EXISTS (SELECT 1 FROM pg_catalog.unnest(coalesce(p_paths, '{}'::text[])) p WHERE p ~* g.regex))
            UNION ALL
            SELECT 'scan_limit_exceeded', pg_catalog.jsonb_build_object(
                       'name', 'scan_limit_exceeded', 'category', 'scan_limit', 'severity', 'block',
                       'exempt_trust', 5, 'always', true)
             WHERE pg_catalog.length(coalesce(p_text, '')) > v_limit) m;
    END IF;
    IF v_regex = '[]'::jsonb THEN
        RETURN v_shell;
    ELSIF v_shell = '[]'::jsonb THEN
        RETURN v_regex;
    END IF;
    -- both: one list, by name, a name once (a shell rule wins over a pattern of the same name)
    RETURN (SELECT pg_catalog.jsonb_agg(x.m ORDER BY x.n)
              FROM (SELECT DISTINCT ON (m->>'name') m->>'name' AS n, m
                      FROM (SELECT m, 0 AS o FROM pg_catalog.jsonb_array_elements(v_shell) m
                            UNION ALL SELECT m, 1 FROM pg_catalog.jsonb_array_elements(v_regex) m) s
                     ORDER BY m->>'name', o) x);
END
$$;
COMMENT ON FUNCTION coord_private.guardrail_command_matches(text, text[], text, text) IS
    'the guardrail matches of a command: the shell rules over its analysis (with the workspace and the directory it runs in, when known), '
    'admin-added text patterns on the normalised text, every path pattern on the paths (jsonb for the policy engine, the shape of guardrail_matches)';

-- coord.check_guardrails(text, paths, workspace, cwd): the same checks, audit and decision as
-- before; the matches of a command come from coord_private.guardrail_command_matches, with the
-- workspace (the agent's checkout root) and the directory the command runs in as context.
-- Both are the caller's claim (the hook passes the payload's cwd and the repository root):
-- they go into the audit event, and a workspace too wide to mean anything (/, a home
-- directory, a system tree: coord_private.shell_workspace) is not used and is recorded as
-- workspace_rejected. The directory defaults to the workspace.
CREATE FUNCTION coord.check_guardrails(p_text text, p_paths text[], p_workspace text, p_cwd text,
    OUT ok boolean, OUT reason text, OUT blocked boolean, OUT guardrails jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    v_matches jsonb;
    v_ws text;
    v_dir text;
BEGIN
    IF p_text IS NULL OR p_paths IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'check_guardrails: text and paths must not be NULL',
            DETAIL = 'nothing was checked or recorded', HINT = 'pass '''' for no text and ''{}'' for no paths';
    END IF;
    IF pg_catalog.octet_length(p_text) > 1048576 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'check_guardrails: text larger than 1 MiB',
            DETAIL = pg_catalog.format('%s bytes; nothing was checked or recorded', pg_catalog.octet_length(p_text)),
            HINT = 'check a long text in parts of at most 1 MiB that overlap by a line';
    END IF;
    IF pg_catalog.cardinality(p_paths) > 0      -- (speed: no query for the usual call, a command with no paths)
       AND (pg_catalog.cardinality(p_paths) > 1000 OR pg_catalog.array_position(p_paths, NULL) IS NOT NULL
            OR EXISTS (SELECT 1 FROM pg_catalog.unnest(p_paths) x WHERE pg_catalog.length(x) NOT BETWEEN 1 AND 4096)) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'check_guardrails: invalid paths',
            DETAIL = 'at most 1000 paths, none NULL, each 1 to 4096 characters; nothing was checked or recorded',
            HINT = 'pass the paths a command would touch, e.g. ARRAY[''config/.env'']';
    END IF;
    IF (p_workspace IS NOT NULL AND (pg_catalog.left(p_workspace, 1) <> '/' OR pg_catalog.length(p_workspace) > 4096))
       OR (p_cwd IS NOT NULL AND (pg_catalog.left(p_cwd, 1) <> '/' OR pg_catalog.length(p_cwd) > 4096)) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'check_guardrails: invalid workspace or cwd',
            DETAIL = 'the workspace and the cwd are absolute paths of at most 4096 characters (or NULL); nothing was checked or recorded',
            HINT = 'pass the repository root and the directory the command runs in, e.g. ''/home/dev/project''';
    END IF;
    v_ws := coord_private.shell_workspace(p_workspace);
    v_dir := coalesce(coord_private.shell_abspath(p_cwd, NULL), v_ws);
    v_matches := coord_private.guardrail_command_matches(p_text, p_paths, v_ws, v_dir);
    v := coord_private.authorize('check_guardrails',
        'sha256:' || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_text, 'UTF8')), 'hex'),
        pg_catalog.jsonb_build_object('guardrail_matches', v_matches, 'text_length', pg_catalog.length(p_text),
                                      'excerpt', pg_catalog.left(p_text, 200),
                                      'paths', (SELECT pg_catalog.array_agg(pg_catalog.left(x, 200))
                                                  FROM (SELECT x FROM pg_catalog.unnest(p_paths) x LIMIT 20) s))
        || CASE WHEN p_workspace IS NULL AND p_cwd IS NULL THEN '{}'::jsonb
                ELSE pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                         'workspace', pg_catalog.left(p_workspace, 300), 'cwd', pg_catalog.left(p_cwd, 300),
                         'workspace_rejected', CASE WHEN p_workspace IS NOT NULL AND v_ws IS NULL THEN true END)) END);
    PERFORM coord_private.record_guardrail_hits(v.event_id, v_matches, 'check');
    ok := v.proceed; reason := v.reason; event_id := v.event_id; guardrails := v_matches;
    blocked := v.reason = 'guardrail_blocked';
END
$$;
COMMENT ON FUNCTION coord.check_guardrails(text, text[], text, text) IS
    'agent (trust >= 1): check a shell command (at most 1 MiB; analysed: words, quotes, wrappers, sh -c, heredocs, substitutions, inline code) '
    'against the shell rules (coord.shell_rules) and the admins'' patterns, and paths against the path patterns, and let the policy engine '
    'decide with the caller''s effective trust; the workspace (the checkout root) and cwd (where the command runs; default the workspace), '
    'absolute paths or NULL, are the context paths are judged in (inside the workspace relative to it, outside as absolute paths; a workspace '
    'that is /, a home directory or a system tree is not used and is recorded as workspace_rejected). ok false / blocked true with reason '
    'guardrail_blocked when a block match applies (in shadow mode ok is true and blocked says what enforce would do); guardrails lists every '
    'match (name, category, severity, exempt_trust, always); audited, matches recorded. Errors PC001, PC002';
REVOKE ALL ON FUNCTION coord.check_guardrails(text, text[], text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.check_guardrails(text, text[], text, text) TO coord_agent;

-- coord.check_guardrails(text, paths): the same check with no workspace known (relative
-- paths are taken as inside the workspace, absolute ones by where they point).
CREATE OR REPLACE FUNCTION coord.check_guardrails(p_text text, p_paths text[] DEFAULT '{}',
    OUT ok boolean, OUT reason text, OUT blocked boolean, OUT guardrails jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
BEGIN
    SELECT g.ok, g.reason, g.blocked, g.guardrails, g.event_id INTO ok, reason, blocked, guardrails, event_id
      FROM coord.check_guardrails(p_text, p_paths, NULL::text, NULL::text) g;
END
$$;
COMMENT ON FUNCTION coord.check_guardrails(text, text[]) IS
    'agent (trust >= 1): coord.check_guardrails(text, paths, workspace, cwd) with no workspace and no cwd known: a shell command (at most 1 MiB, '
    'analysed) against the shell rules (coord.shell_rules) and the admins'' patterns, and paths against the path patterns, decided by the '
    'policy engine with the caller''s effective trust; ok false / blocked true with reason guardrail_blocked when a block match applies; '
    'audited, matches recorded. Errors PC001, PC002';

-- The admins' and auditors' view of the rules.
CREATE VIEW coord.shell_rules AS
    SELECT r.name, r.category, r.severity, r.exempt_trust, r.always_applies, r.rationale
      FROM coord_private.shell_rules r;
COMMENT ON VIEW coord.shell_rules IS
    'coord_admin, coord_auditor: the built-in rules over analysed shell commands that coord.check_guardrails applies';
GRANT SELECT ON coord.shell_rules TO coord_admin, coord_auditor;
