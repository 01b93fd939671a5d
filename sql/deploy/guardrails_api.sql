-- Deploy pgcoord:guardrails_api
-- The guardrail API on top of the registry (guardrail_registry):
--   * coord.add_guardrail_pattern / coord.remove_guardrail_pattern (coord_admin,
--     audited; a pattern is validated before the policy hook is even asked);
--   * coord.check_guardrails(text, paths) for agents: the scan, decided by the
--     engine with the caller's effective trust (INV-TRUST), audited, hits recorded;
--   * the scan normalises shell obfuscations before matching and has a bounded input;
--   * the baseline patterns (shell, git, SQL, publishing, cloud/containers, disks,
--     fork bombs, pipe-to-shell, credentials) and the view coord.guardrail_patterns.
--
-- What the scan matches (coord_private.guardrail_matches, replaced here):
--   * text patterns see the NORMALISED text (coord_private.guardrail_normalize):
--     JSON escapes decoded (\n \t \" \\ \/ \u00XX), '", "' between two single words joined as
--     an argv (["rm", "-rf", "/"] -> rm -rf /), other list/member boundaries made ' ; ',
--     line continuations (backslash-newline) removed, quotes removed ("r""m" -> rm,
--     'rm' -> rm, $'..' -> ..), ${IFS}/$IFS -> space, $@ / $* removed, remaining
--     backslashes removed (\rm -> rm), runs of horizontal white space -> one space;
--   * path patterns see each path as given;
--   * the text is capped: at most 1 MiB + 64 KiB characters are scanned
--     (guardrail_scan_limit), which is more than any API accepts (descriptions 10 000
--     characters, inputs and results 1 MiB, check_guardrails 1 MiB). A longer text is
--     never silently truncated: the scan then also reports the synthetic match
--     'scan_limit_exceeded' (severity block, always applies), so it fails closed.
--
-- Pattern safety (coord_private.guardrail_regex_problem), checked when a pattern is
-- added: PostgreSQL's regular expressions are Spencer's DFA/NFA hybrid, which does
-- not backtrack except for back-references, but a lookaround constraint is re-run at
-- every position where the automaton reaches it, so an unbounded quantifier inside a
-- lookaround is quadratic (measured: minutes on 1 MiB). Refused (PC012): a pattern
-- that does not compile, is longer than 1000 characters, has a back-reference \1..\9,
-- a counted repetition bound above 100 or one counted repetition nested in another,
-- an unbounded quantifier (* + {n,}) inside a lookaround, matches the empty string,
-- or takes longer than 500 ms on the hostile inputs (64 KiB runs of 'a', blanks,
-- 'a a ', '-' and of the pattern's own leading word).
--
-- Cost: PostgreSQL keeps 32 compiled regular expressions per backend (a compile of a
-- baseline pattern costs 1-5 ms); the baseline is 19 family patterns so that a scan
-- stays cached (about 1.5 ms for a short text). Every pattern an admin adds beyond
-- the cache makes every scan recompile: prefer extending a family pattern.
BEGIN;
SET LOCAL ROLE coord_owner;

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('add_guardrail_pattern',    'admin', 4, 'add or replace a guardrail pattern'),
    ('remove_guardrail_pattern', 'admin', 4, 'remove a guardrail pattern'),
    ('check_guardrails',         'agent', 1, 'scan a text and paths against the guardrail patterns, decided with the caller''s trust');

-- ---------------------------------------------------------------- normalisation
CREATE FUNCTION coord_private.guardrail_scan_limit()
RETURNS integer LANGUAGE sql IMMUTABLE
AS $$ SELECT 1114112 $$;
COMMENT ON FUNCTION coord_private.guardrail_scan_limit() IS
    'the most characters of a text the guardrail scan reads (1 MiB + 64 KiB); longer texts also match scan_limit_exceeded';

-- 1 to 100 characters and no blank: one word of an argv (inlined into guardrail_normalize)
CREATE FUNCTION coord_private.guardrail_is_word(p text)
RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$
    SELECT pg_catalog.length(p) BETWEEN 1 AND 100
       AND pg_catalog.strpos(p, ' ') = 0 AND pg_catalog.strpos(p, E'\n') = 0 AND pg_catalog.strpos(p, E'\t') = 0
$$;
COMMENT ON FUNCTION coord_private.guardrail_is_word(text) IS 'whether a JSON element is a single word (1-100 characters, no blank)';

CREATE FUNCTION coord_private.guardrail_normalize(p_text text)
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    v text := p_text;
BEGIN
    -- Linear in the text: plain replace() where possible, and no regular expression here
    -- needs captures or lookarounds (regexp_replace has to find exact match extents, for
    -- which such constructs are slow). Each step runs only when its trigger occurs.
    IF pg_catalog.strpos(v, '", "') > 0 THEN
        -- jsonb::text separates array elements and object members with '", "': between two
        -- single words it is an argv (["rm", "-rf", "/"] -> rm -rf /), otherwise it separates
        -- commands (["rm -rf build", "ls /"] -> rm -rf build ; ls /)
        SELECT pg_catalog.string_agg(
                   CASE WHEN s.o = 1 THEN s.p
                        WHEN coord_private.guardrail_is_word(pg_catalog.split_part(s.prev, '"', -1))
                         AND coord_private.guardrail_is_word(pg_catalog.split_part(s.p, '"', 1)) THEN ' ' || s.p
                        ELSE '" ; "' || s.p END, '' ORDER BY s.o)
          INTO v
          FROM (SELECT u.p, u.o, pg_catalog.lag(u.p) OVER (ORDER BY u.o) AS prev
                  FROM pg_catalog.unnest(pg_catalog.string_to_array(v, '", "')) WITH ORDINALITY AS u(p, o)) s;
    END IF;
    IF pg_catalog.strpos(v, E'\\') > 0 THEN
        v := pg_catalog.replace(v, E'\\\\', E'\x01');                        -- JSON-escaped backslash, kept aside
        v := pg_catalog.replace(v, E'\\n', E'\n');                           -- JSON \n
        v := pg_catalog.replace(v, E'\\t', ' ');                             -- JSON \t (\r \b \f: see below, \rm is rm)
        v := pg_catalog.replace(v, E'\\"', '"');                             -- JSON \"
        v := pg_catalog.replace(v, E'\\/', '/');                             -- JSON \/
        IF pg_catalog.strpos(v, E'\\u00') > 0 THEN
            v := pg_catalog.regexp_replace(v, '\\u00[0-1][0-9a-fA-F]', ' ', 'g');  -- JSON control escapes
        END IF;
        v := pg_catalog.replace(v, E'\x01', E'\\');                          -- the escaped backslash, back as one
        v := pg_catalog.replace(pg_catalog.replace(v, E'\\\r\n', ''), E'\\\n', '');  -- line continuations
    END IF;
    IF pg_catalog.strpos(v, '$') > 0 THEN
        v := pg_catalog.replace(pg_catalog.replace(v, '$''', ''''), '$"', '"');     -- $'...' and $"..."
        v := pg_catalog.regexp_replace(v, '\$\{IFS[^}]{0,10}\}|\$IFS', ' ', 'gi');    -- ${IFS} as a blank
        v := pg_catalog.regexp_replace(v, '\$\{?[@*]\}?', '', 'g');          -- empty expansions: r$@m -> rm
    END IF;
    IF pg_catalog.strpos(v, '"') > 0 OR pg_catalog.strpos(v, '''') > 0 THEN
        v := pg_catalog.regexp_replace(v, '[''"]', '', 'g');                 -- shell quoting: "r""m" -> rm
    END IF;
    IF pg_catalog.strpos(v, E'\\') > 0 THEN
        v := pg_catalog.replace(v, E'\\', '');                               -- \rm -> rm
    END IF;
    IF v ~ E'[\t\f\x0b\r\u00a0\u2000-\u200b\u3000]' THEN
        v := pg_catalog.regexp_replace(v, E'[\t\f\x0b\r\u00a0\u2000-\u200b\u3000]', ' ', 'g');
    END IF;
    IF pg_catalog.strpos(v, '  ') > 0 THEN
        v := pg_catalog.regexp_replace(v, ' {2,}', ' ', 'g');                -- runs of blanks -> one
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION coord_private.guardrail_normalize(text) IS
    'the text guardrail text patterns see: JSON escapes decoded, quotes, line continuations, ${IFS} and backslashes undone, blanks collapsed';

-- ---------------------------------------------------------------- prefilter
-- A regex execution has a fixed cost whatever the text (PostgreSQL sets up the DFA
-- work areas of a large pattern on every execution): about 70,000 instructions for
-- each baseline pattern, so a scan of even an empty text ran 18 of them. A pattern
-- may carry a prefilter: literals, one of which every text the pattern matches
-- contains (lowercased). The scan evaluates the regex only when the lowercased text
-- contains one of them. The baseline's literals are read off each regex (every
-- alternative contains one; see the keywords beside each pattern below) and checked
-- against the whole corpus by tests/test_guardrails_corpus.py. A pattern an admin
-- adds or replaces has none: it is always evaluated. (The column,
-- guardrail_patterns.prefilter, comes with the registry.)
-- (Sound as long as case-insensitive regex matching and lower() agree on ASCII
-- letters, as they do under every collation but Turkish-style special casing.)
-- Keywords as the LIKE patterns of the prefilter column ('%kw%', with % _ \ literal).
CREATE FUNCTION coord_private.guardrail_prefilter(p_keywords text[])
RETURNS text[] LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN p_keywords IS NOT NULL THEN ARRAY(
        SELECT '%' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.lower(k), E'\\', E'\\\\'),
                                                            '%', E'\\%'), '_', E'\\_') || '%'
          FROM pg_catalog.unnest(p_keywords) k) END
$$;
COMMENT ON FUNCTION coord_private.guardrail_prefilter(text[]) IS
    'the prefilter (LIKE patterns) of a list of keywords: containment of any of them, case-folded';

-- The scan (replaces guardrail_registry's version: same signature and result, plus
-- normalisation and the bounded input; the revert restores the original).
CREATE OR REPLACE FUNCTION coord_private.guardrail_matches(p_text text, p_paths text[] DEFAULT '{}')
RETURNS jsonb LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_limit integer := coord_private.guardrail_scan_limit();
    v_text text := coord_private.guardrail_normalize(pg_catalog.left(coalesce(p_text, ''), v_limit));
    v_oversized boolean := pg_catalog.length(coalesce(p_text, '')) > v_limit;
    v_lower text := pg_catalog.lower(v_text);
    v_matches jsonb;
BEGIN
    -- PL/pgSQL, not SQL: this scan runs on every submit and completion, and an SQL
    -- function body is planned afresh on every call, a PL/pgSQL statement once per session.
    SELECT coalesce(pg_catalog.jsonb_agg(m.j ORDER BY m.name), '[]') INTO v_matches
      FROM (SELECT g.name, pg_catalog.jsonb_build_object(
                       'name', g.name, 'category', g.category, 'severity', g.severity,
                       'exempt_trust', g.exempt_trust, 'always', g.always_applies) AS j
              FROM coord_private.guardrail_patterns g
             -- CASE, not AND: the prefilter must run first (the planner may reorder AND).
             WHERE (g.applies_to IN ('text', 'both')
                    AND CASE WHEN g.prefilter IS NULL OR v_lower LIKE ANY (g.prefilter) THEN v_text ~* g.regex END)
                OR (g.applies_to IN ('path', 'both')
                    AND EXISTS (SELECT 1 FROM pg_catalog.unnest(coalesce(p_paths, '{}'::text[])) p WHERE p ~* g.regex))
            UNION ALL
            SELECT 'scan_limit_exceeded', pg_catalog.jsonb_build_object(
                       'name', 'scan_limit_exceeded', 'category', 'scan_limit', 'severity', 'block',
                       'exempt_trust', 5, 'always', true)
             WHERE v_oversized) m;
    RETURN v_matches;
END
$$;
COMMENT ON FUNCTION coord_private.guardrail_matches(text, text[]) IS
    'the guardrail patterns matching a text (normalised, at most guardrail_scan_limit characters; longer: scan_limit_exceeded) or any of some paths (jsonb for the policy engine)';

-- ---------------------------------------------------------------- pattern safety
-- Why p_regex may not be a guardrail pattern (NULL: it may). The structural checks
-- read the pattern once, tracking bracket expressions, groups and lookarounds; with
-- p_measure the pattern is also timed on hostile inputs.
CREATE FUNCTION coord_private.guardrail_regex_problem(p_regex text, p_measure boolean DEFAULT true)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    c text[];
    n integer;
    i integer := 1;
    ch text;
    nx text;
    kinds text[] := '{}';        -- open groups: 'L' lookaround, 'G' other
    counted boolean[] := '{}';   -- whether the open group holds a counted repetition
    last_group_counted boolean := false;
    last_was_group boolean := false;
    v_lo integer;
    v_hi integer;
    m text[];
    v_t0 timestamptz;
    v_word text;
    v_hostile text[];
    h text;
    v_dummy boolean;
BEGIN
    IF p_regex IS NULL OR pg_catalog.length(p_regex) = 0 THEN
        RETURN 'the pattern is empty';
    END IF;
    IF pg_catalog.length(p_regex) > 1000 THEN
        RETURN pg_catalog.format('the pattern has %s characters (at most 1000)', pg_catalog.length(p_regex));
    END IF;
    BEGIN
        v_dummy := '' ~* p_regex;
    EXCEPTION WHEN invalid_regular_expression OR program_limit_exceeded THEN
        RETURN 'the pattern does not compile: ' || SQLERRM;
    END;
    IF v_dummy THEN
        RETURN 'the pattern matches the empty string, so it would match every text';
    END IF;

    c := pg_catalog.string_to_array(p_regex, NULL);
    n := pg_catalog.cardinality(c);
    -- ***= makes the rest a literal string: nothing below applies
    IF pg_catalog.left(p_regex, 4) = '***=' THEN
        n := 0;
    ELSIF pg_catalog.left(p_regex, 4) = '***:' THEN
        i := 5;
    END IF;
    -- leading embedded options (?xyz)
    IF i + 1 <= n AND c[i] = '(' AND c[i + 1] = '?' AND i + 2 <= n AND c[i + 2] ~ '[a-z]' THEN
        WHILE i <= n AND c[i] <> ')' LOOP i := i + 1; END LOOP;
        i := i + 1;
    END IF;

    WHILE i <= n LOOP
        ch := c[i];
        nx := CASE WHEN i < n THEN c[i + 1] END;
        IF ch = E'\\' THEN
            IF nx ~ '^[1-9]$' THEN
                RETURN pg_catalog.format('back-reference \%s at position %s (back-references are not allowed)', nx, i);
            END IF;
            last_was_group := false;
            i := i + 2;
            CONTINUE;
        ELSIF ch = '[' THEN
            -- a bracket expression: ] first (or after ^) is literal; [: :] [. .] [= =] nest
            i := i + 1;
            IF i <= n AND c[i] = '^' THEN i := i + 1; END IF;
            IF i <= n AND c[i] = ']' THEN i := i + 1; END IF;
            WHILE i <= n AND c[i] <> ']' LOOP
                IF c[i] = '[' AND i < n AND c[i + 1] IN (':', '.', '=') THEN
                    nx := c[i + 1];
                    i := i + 2;
                    WHILE i < n AND NOT (c[i] = nx AND c[i + 1] = ']') LOOP i := i + 1; END LOOP;
                    i := i + 2;
                ELSIF c[i] = E'\\' THEN
                    IF i < n AND c[i + 1] ~ '^[1-9]$' THEN
                        RETURN pg_catalog.format('back-reference \%s at position %s (back-references are not allowed)', c[i + 1], i);
                    END IF;
                    i := i + 2;
                ELSE
                    i := i + 1;
                END IF;
            END LOOP;
            last_was_group := false;
            i := i + 1;
            CONTINUE;
        ELSIF ch = '(' THEN
            IF nx = '?' AND i + 2 <= n AND (c[i + 2] IN ('=', '!')
                   OR (c[i + 2] = '<' AND i + 3 <= n AND c[i + 3] IN ('=', '!'))) THEN
                kinds := kinds || 'L'::text;
            ELSE
                kinds := kinds || 'G'::text;
            END IF;
            counted := counted || false;
            last_was_group := false;
            i := i + 1;
            CONTINUE;
        ELSIF ch = ')' THEN
            IF pg_catalog.cardinality(kinds) > 0 THEN
                last_group_counted := counted[pg_catalog.cardinality(counted)];
                kinds := kinds[1:pg_catalog.cardinality(kinds) - 1];
                counted := counted[1:pg_catalog.cardinality(counted) - 1];
                IF last_group_counted AND pg_catalog.cardinality(counted) > 0 THEN
                    counted[pg_catalog.cardinality(counted)] := true;
                END IF;
            END IF;
            last_was_group := true;
            i := i + 1;
            CONTINUE;
        ELSIF ch IN ('*', '+') THEN
            IF 'L' = ANY (kinds) THEN
                RETURN pg_catalog.format('unbounded quantifier %s at position %s inside a lookaround constraint (re-run at every position: quadratic)', ch, i);
            END IF;
        ELSIF ch = '{' THEN
            m := pg_catalog.regexp_match(pg_catalog.substr(p_regex, i), '^\{([0-9]+)(,([0-9]*))?\}');
            IF m IS NOT NULL THEN
                IF pg_catalog.length(m[1]) > 4 OR pg_catalog.length(coalesce(m[3], '')) > 4 THEN
                    RETURN pg_catalog.format('counted repetition {%s%s} at position %s: bounds are at most 100', m[1], coalesce(m[2], ''), i);
                END IF;
                v_lo := m[1]::integer;
                v_hi := CASE WHEN m[2] IS NULL THEN v_lo WHEN m[3] = '' THEN NULL ELSE m[3]::integer END;
                IF v_lo > 100 OR v_hi > 100 THEN
                    RETURN pg_catalog.format('counted repetition {%s%s} at position %s: bounds are at most 100',
                                             m[1], coalesce(m[2], ''), i);
                END IF;
                IF v_hi IS NULL AND 'L' = ANY (kinds) THEN
                    RETURN pg_catalog.format('unbounded quantifier {%s,} at position %s inside a lookaround constraint', m[1], i);
                END IF;
                IF last_was_group AND last_group_counted THEN
                    RETURN pg_catalog.format('counted repetition at position %s applies to a group holding another counted repetition (nested counts multiply)', i);
                END IF;
                IF pg_catalog.cardinality(counted) > 0 THEN
                    counted[pg_catalog.cardinality(counted)] := true;
                END IF;
                i := i + pg_catalog.length(pg_catalog.concat(m[1], m[2])) + 2;
                last_was_group := false;
                CONTINUE;
            END IF;
        END IF;
        last_was_group := false;
        i := i + 1;
    END LOOP;

    IF p_measure THEN
        v_word := coalesce((pg_catalog.regexp_match(p_regex, '([A-Za-z][A-Za-z_-]{1,20})'))[1], 'rm');
        v_hostile := ARRAY[pg_catalog.repeat('a', 65536), pg_catalog.repeat(' ', 65536),
                           pg_catalog.repeat('a ', 32768), pg_catalog.repeat('-', 65536),
                           pg_catalog.left(pg_catalog.repeat(v_word || ' ', 65536 / (pg_catalog.length(v_word) + 1) + 1), 65536),
                           pg_catalog.left(pg_catalog.repeat(v_word || ' -' || v_word || ' /', 16384), 65536)];
        v_t0 := pg_catalog.clock_timestamp();
        FOREACH h IN ARRAY v_hostile LOOP
            BEGIN
                v_dummy := h ~* p_regex;
            EXCEPTION WHEN invalid_regular_expression OR program_limit_exceeded OR out_of_memory THEN
                RETURN 'the pattern fails on hostile input: ' || SQLERRM;
            END;
            IF pg_catalog.clock_timestamp() - v_t0 > interval '500 milliseconds' THEN
                RETURN pg_catalog.format('the pattern took over 500 ms on hostile inputs of 64 KiB (%s so far)',
                                         pg_catalog.clock_timestamp() - v_t0);
            END IF;
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.guardrail_regex_problem(text, boolean) IS
    'why a regular expression may not be a guardrail pattern (compile, length, back-references, counted bounds, lookaround quantifiers, empty match, time on hostile input), or NULL';

-- ---------------------------------------------------------------- baseline patterns
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

-- ---------------------------------------------------------------- admin API
CREATE FUNCTION coord_private.require_guardrail_name(p_name text)
RETURNS void LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_name IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'guardrail pattern name must not be NULL',
            DETAIL = 'nothing was changed', HINT = 'name the pattern, e.g. shell_rm_catastrophic';
    END IF;
    IF p_name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('invalid guardrail pattern name %L', pg_catalog.left(p_name, 80)),
            DETAIL = 'nothing was changed',
            HINT = 'lower case letters, digits and _, starting with a letter, at most 63 characters';
    END IF;
END
$$;
COMMENT ON FUNCTION coord_private.require_guardrail_name(text) IS 'raises PC001/PC002 unless the name can name a guardrail pattern';

CREATE FUNCTION coord.add_guardrail_pattern(p_name text, p_category text, p_regex text, p_severity text,
    p_exempt_trust integer DEFAULT 5, p_always_applies boolean DEFAULT false, p_applies_to text DEFAULT 'text',
    p_description text DEFAULT '',
    OUT ok boolean, OUT reason text, OUT replaced boolean, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_problem text;
BEGIN
    PERFORM coord_private.require_guardrail_name(p_name);
    IF p_category IS NULL OR p_regex IS NULL OR p_severity IS NULL OR p_exempt_trust IS NULL
       OR p_always_applies IS NULL OR p_applies_to IS NULL OR p_description IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'add_guardrail_pattern: no argument may be NULL',
            DETAIL = 'nothing was changed',
            HINT = 'defaults: exempt_trust 5, always_applies false, applies_to text, description empty';
    END IF;
    IF p_category !~ '^[a-z][a-z0-9_]{0,30}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('invalid guardrail category %L', pg_catalog.left(p_category, 80)),
            DETAIL = 'nothing was changed',
            HINT = 'lower case letters, digits and _, starting with a letter, at most 31 characters';
    END IF;
    IF p_severity NOT IN ('block', 'warn') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('invalid guardrail severity %L', pg_catalog.left(p_severity, 80)),
            DETAIL = 'nothing was changed', HINT = 'block refuses (below the exempt trust); warn proceeds and is recorded';
    END IF;
    IF p_exempt_trust NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('exempt trust %s out of range', p_exempt_trust),
            DETAIL = 'nothing was changed',
            HINT = 'the trust level from which the pattern no longer applies: 1 .. 4, or 5 for none';
    END IF;
    IF p_applies_to NOT IN ('text', 'path', 'both') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('invalid applies_to %L', pg_catalog.left(p_applies_to, 80)),
            DETAIL = 'nothing was changed', HINT = 'text (normalised text), path (each path as given) or both';
    END IF;
    IF pg_catalog.length(p_description) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'guardrail description longer than 1000 characters',
            DETAIL = 'nothing was changed', HINT = 'describe what the pattern catches in a sentence';
    END IF;
    v_problem := coord_private.guardrail_regex_problem(p_regex, true);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC012',
            MESSAGE = pg_catalog.format('unsafe or invalid guardrail pattern %L', p_name),
            DETAIL = v_problem || '; nothing was changed',
            HINT = 'at most 1000 characters, no back-references, counted repetitions {n,m} up to 100 and not nested, '
                   'only bounded quantifiers inside lookarounds, must not match the empty string';
    END IF;
    replaced := EXISTS (SELECT 1 FROM coord_private.guardrail_patterns g WHERE g.name = p_name);
    v := coord_private.authorize('add_guardrail_pattern', p_name, pg_catalog.jsonb_build_object(
        'category', p_category, 'regex', p_regex, 'severity', p_severity, 'exempt_trust', p_exempt_trust,
        'always_applies', p_always_applies, 'applies_to', p_applies_to, 'replaced', replaced));
    IF v.proceed THEN
        INSERT INTO coord_private.guardrail_patterns AS g
            (name, category, regex, applies_to, severity, exempt_trust, always_applies, description, created_by, created_at)
        VALUES (p_name, p_category, p_regex, p_applies_to, p_severity, p_exempt_trust, p_always_applies,
                p_description, session_user, pg_catalog.now())
        ON CONFLICT (name) DO UPDATE SET
            category = EXCLUDED.category, regex = EXCLUDED.regex, applies_to = EXCLUDED.applies_to,
            severity = EXCLUDED.severity, exempt_trust = EXCLUDED.exempt_trust,
            always_applies = EXCLUDED.always_applies, description = EXCLUDED.description,
            created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at,
            prefilter = NULL;   -- a replaced regex has no curated keywords: always evaluated
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.add_guardrail_pattern(text, text, text, text, integer, boolean, text, text) IS
    'coord_admin: add or replace (same name) a guardrail pattern: a case-insensitive regular expression, severity block or warn, '
    'exempt_trust (the trust level from which it no longer applies; 5 none), always_applies (every trust level, e.g. credentials), '
    'applies_to text (matched on the normalised text) / path / both; validated before it is stored (PC012); audited. Errors PC001, PC002, PC012';

CREATE FUNCTION coord.remove_guardrail_pattern(p_name text, p_reason text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    PERFORM coord_private.require_guardrail_name(p_name);
    IF p_reason IS NULL OR pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 OR pg_catalog.length(p_reason) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = CASE WHEN p_reason IS NULL THEN 'PC001' ELSE 'PC002' END,
            MESSAGE = 'removing a guardrail pattern needs a reason of 1 to 1000 characters',
            DETAIL = 'nothing was changed', HINT = 'the reason is recorded in the audit trail';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coord_private.guardrail_patterns g WHERE g.name = p_name) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('unknown guardrail pattern %L', p_name),
            DETAIL = 'no guardrail pattern has this name; nothing was changed',
            HINT = 'list them with SELECT name FROM coord.guardrail_patterns';
    END IF;
    v := coord_private.authorize('remove_guardrail_pattern', p_name,
        pg_catalog.jsonb_build_object('why', p_reason,
            'pattern', (SELECT pg_catalog.to_jsonb(g) FROM coord_private.guardrail_patterns g WHERE g.name = p_name)));
    IF v.proceed THEN
        DELETE FROM coord_private.guardrail_patterns g WHERE g.name = p_name;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.remove_guardrail_pattern(text, text) IS
    'coord_admin: remove a guardrail pattern (the removed row is kept in the audit event); audited with its reason. Errors PC001, PC002';

-- ---------------------------------------------------------------- the agent check
CREATE FUNCTION coord.check_guardrails(p_text text, p_paths text[] DEFAULT '{}',
    OUT ok boolean, OUT reason text, OUT blocked boolean, OUT guardrails jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_matches jsonb;
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
    IF pg_catalog.cardinality(p_paths) > 1000 OR pg_catalog.array_position(p_paths, NULL) IS NOT NULL
       OR EXISTS (SELECT 1 FROM pg_catalog.unnest(p_paths) x WHERE pg_catalog.length(x) NOT BETWEEN 1 AND 4096) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'check_guardrails: invalid paths',
            DETAIL = 'at most 1000 paths, none NULL, each 1 to 4096 characters; nothing was checked or recorded',
            HINT = 'pass the paths a command would touch, e.g. ARRAY[''config/.env'']';
    END IF;
    v_matches := coord_private.guardrail_matches(p_text, p_paths);
    v := coord_private.authorize('check_guardrails',
        'sha256:' || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_text, 'UTF8')), 'hex'),
        pg_catalog.jsonb_build_object('guardrail_matches', v_matches, 'text_length', pg_catalog.length(p_text),
                                      'excerpt', pg_catalog.left(p_text, 200),
                                      'paths', (SELECT pg_catalog.array_agg(pg_catalog.left(x, 200))
                                                  FROM (SELECT x FROM pg_catalog.unnest(p_paths) x LIMIT 20) s)));
    PERFORM coord_private.record_guardrail_hits(v.event_id, v_matches, 'check');
    ok := v.proceed; reason := v.reason; event_id := v.event_id; guardrails := v_matches;
    blocked := v.reason = 'guardrail_blocked';
END
$$;
COMMENT ON FUNCTION coord.check_guardrails(text, text[]) IS
    'agent (trust >= 1): scan a text (normalised; at most 1 MiB) and paths against the guardrail patterns and let the policy engine '
    'decide with the caller''s effective trust: ok false / blocked true with reason guardrail_blocked when a block pattern applies '
    '(in shadow mode ok is true and blocked says what enforce would do); guardrails lists every match (name, category, severity, '
    'exempt_trust, always); audited, matches recorded. Errors PC001, PC002';

-- ---------------------------------------------------------------- read access
CREATE VIEW coord.guardrail_patterns AS
    SELECT g.name, g.category, g.severity, g.applies_to, g.exempt_trust, g.always_applies, g.regex,
           g.prefilter, g.description, g.created_by, g.created_at
      FROM coord_private.guardrail_patterns g;
COMMENT ON VIEW coord.guardrail_patterns IS
    'coord_admin, coord_auditor: the guardrail patterns (text patterns match the normalised text, case-insensitively)';

REVOKE ALL ON FUNCTION coord.add_guardrail_pattern(text, text, text, text, integer, boolean, text, text),
    coord.remove_guardrail_pattern(text, text), coord.check_guardrails(text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.add_guardrail_pattern(text, text, text, text, integer, boolean, text, text),
    coord.remove_guardrail_pattern(text, text) TO coord_admin;
GRANT EXECUTE ON FUNCTION coord.check_guardrails(text, text[]) TO coord_agent;
GRANT SELECT ON coord.guardrail_patterns TO coord_admin, coord_auditor;

COMMIT;
