-- Deploy pgcoord:guardrails_api
-- The guardrail API on top of the registry (guardrail_registry):
--   * coord.add_guardrail_pattern / coord.remove_guardrail_pattern (coord_admin,
--     audited; a pattern is validated before the policy hook is even asked);
--   * coord.check_guardrails(text, paths) for agents: the scan, decided by the
--     engine with the caller's effective trust (INV-TRUST), audited, hits recorded;
--   * the scan normalises shell obfuscations before matching and has a bounded input;
--   * the baseline patterns (shell, git, SQL, publishing, cloud/containers, disks,
--     fork bombs, pipe-to-shell, credentials) and the view coord.guardrail_patterns.
--   in parts, under sql/parts/guardrails_api/: normalize, scan, regex_safety, baseline_patterns,
--   admin_api, check_api.
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


\ir ../parts/guardrails_api/normalize.sql
\ir ../parts/guardrails_api/scan.sql
\ir ../parts/guardrails_api/regex_safety.sql
\ir ../parts/guardrails_api/baseline_patterns.sql
\ir ../parts/guardrails_api/admin_api.sql
\ir ../parts/guardrails_api/check_api.sql

COMMIT;
