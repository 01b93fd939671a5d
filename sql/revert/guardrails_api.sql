-- Revert pgcoord:guardrails_api
BEGIN;
SET LOCAL ROLE coord_owner;
DROP VIEW coord.guardrail_patterns;
DROP FUNCTION coord.check_guardrails(text, text[]);
DROP FUNCTION coord.remove_guardrail_pattern(text, text);
DROP FUNCTION coord.add_guardrail_pattern(text, text, text, text, integer, boolean, text, text);
DROP FUNCTION coord_private.require_guardrail_name(text);
DELETE FROM coord_private.guardrail_patterns WHERE created_by = 'pgcoord baseline';
DROP FUNCTION coord_private.guardrail_prefilter(text[]);
DROP FUNCTION coord_private.guardrail_regex_problem(text, boolean);

\ir ../parts/guardrail_registry/coord_private.guardrail_matches.sql

DROP FUNCTION coord_private.guardrail_normalize(text);
DROP FUNCTION coord_private.guardrail_is_word(text);
DROP FUNCTION coord_private.guardrail_scan_limit();
DELETE FROM coord_private.operations
 WHERE name IN ('add_guardrail_pattern', 'remove_guardrail_pattern', 'check_guardrails');
COMMIT;
