-- Verify pgcoord:shell_guardrails
BEGIN;
SELECT name, category, severity, exempt_trust, always_applies, rationale FROM coord_private.shell_rules WHERE false;
SELECT name FROM coord.shell_rules WHERE false;
SELECT 'coord_private.shell_commands(text, integer, text, text)'::regprocedure,
       'coord_private.shell_rule_hits(text)'::regprocedure,
       'coord_private.guardrail_command_matches(text, text[])'::regprocedure;
-- the analysis is in force: rm -rf / is found, the same words as data are not
SELECT 1/(coord_private.shell_rule_hits('sudo rm -rf /') = ARRAY['fs_delete_catastrophic'])::integer;
SELECT 1/(coord_private.shell_rule_hits('echo ''rm -rf /''') = '{}')::integer;
SELECT 1/(pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord.check_guardrails(text, text[])'::regprocedure),
                            'guardrail_command_matches') > 0)::integer;
ROLLBACK;
