-- Verify pgcoord:shell_guardrails
BEGIN;
SELECT name, category, severity, exempt_trust, always_applies, rationale FROM coord_private.shell_rules WHERE false;
SELECT name FROM coord.shell_rules WHERE false;
SELECT 'coord_private.shell_commands(text, integer, text, text)'::regprocedure,
       'coord_private.shell_rule_hits(text, text, text)'::regprocedure,
       'coord_private.guardrail_command_matches(text, text[], text, text)'::regprocedure,
       'coord.check_guardrails(text, text[], text, text)'::regprocedure;
-- the analysis is in force: rm -rf / is found, the same words as data are not
SELECT 1/(coord_private.shell_rule_hits('sudo rm -rf /') = ARRAY['fs_delete_catastrophic'])::integer;
SELECT 1/(coord_private.shell_rule_hits('echo ''rm -rf /''') = '{}')::integer;
SELECT 1/(pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord.check_guardrails(text, text[], text, text)'::regprocedure),
                            'guardrail_command_matches') > 0)::integer;
-- the workspace is context: its build output may go, the workspace itself may not
SELECT 1/(coord_private.shell_rule_hits('rm -rf /srv/app/build', '/srv/app', '/srv/app') = '{}')::integer;
SELECT 1/(coord_private.shell_rule_hits('rm -rf /srv/app', '/srv/app', '/srv/app') = ARRAY['fs_delete_catastrophic'])::integer;
ROLLBACK;
