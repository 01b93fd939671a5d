-- Revert pgcoord:shell_guardrails
-- coord.check_guardrails as guardrails_api made it (with the settings
-- definer_search_path and definer_settings gave it), then the analyser removed.
BEGIN;
SET LOCAL ROLE coord_owner;

DROP FUNCTION coord.check_guardrails(text, text[], text, text);
\ir ../parts/guardrails_api/coord.check_guardrails.sql
\ir ../parts/definer_search_path/pin.sql
ALTER FUNCTION coord.check_guardrails(text, text[]) SET lock_timeout = '5s';
ALTER FUNCTION coord.check_guardrails(text, text[]) SET standard_conforming_strings = on;

DROP VIEW coord.shell_rules;
DROP FUNCTION coord_private.guardrail_command_matches(text, text[], text, text);
DROP FUNCTION coord_private.shell_rule_matches(text, text, text);
DROP FUNCTION coord_private.shell_rule_hits(text, text, text);
DROP FUNCTION coord_private.shell_code_hits(text, text);
DROP FUNCTION coord_private.shell_sql_hits(text);
DROP FUNCTION coord_private.shell_sql_code(text);
DROP FUNCTION coord_private.shell_is_key_material(text);
DROP FUNCTION coord_private.shell_is_secret(text);
DROP FUNCTION coord_private.shell_may_name_secret(text);
DROP FUNCTION coord_private.shell_workspace(text);
DROP FUNCTION coord_private.shell_path_class(text, text, text);
DROP FUNCTION coord_private.shell_abspath(text, text);
DROP FUNCTION coord_private.shell_path_class(text);
DROP TABLE coord_private.shell_rules;
DROP FUNCTION coord_private.shell_commands(text, integer, text, text);
DROP FUNCTION coord_private.shell_quote(text);
DROP FUNCTION coord_private.shell_expand(text, text[]);
DROP FUNCTION coord_private.shell_inline_targets(text);
DROP FUNCTION coord_private.shell_kind(text);
DROP FUNCTION coord_private.shell_lex(text, integer);
DROP FUNCTION coord_private.shell_ansi_c(text);
DROP FUNCTION coord_private.shell_limits();
DROP TYPE coord_private.shell_command;

COMMIT;
