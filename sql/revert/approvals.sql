-- Revert pgcoord:approvals
-- Every function this change replaced, as it was before (sql/parts/approvals/previous/),
-- then the approvals' objects, columns and rows removed.
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/approvals/cedar_revert.sql

DROP FUNCTION coord.approve(bigint, text), coord.reject(bigint, text), coord.approval_status(bigint),
    coord.set_profile_approvals(text, text[], boolean), coord.set_approval_settings(interval, interval),
    coord_private.check_approval(text, bigint, text),
    coord_private.record_approval_decision(text, coord_private.approvals, coord_private.verdict, timestamptz, text, text),
    coord_private.is_approver(text);
DROP VIEW coord.approvals;

\ir ../parts/approvals/previous/coord.acquire_lock.sql
\ir ../parts/approvals/previous/coord.force_release_lock.sql
\ir ../parts/claim_touches/coord.cancel_task.sql
DROP FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer, text[]);
\ir ../parts/claim_touches/coord.submit_task.sql
REVOKE ALL ON FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer, text[]) TO coord_agent;
\ir ../parts/approvals/previous/coord.add_guardrail_pattern.sql
\ir ../parts/approvals/previous/coord_private.authorize.sql
DROP FUNCTION coord_private.authorize_approval(text, text, jsonb, coord_private.decision, text),
    coord_private.approval_policy_version(text, text), coord_private.args_digest(jsonb);
\ir ../parts/approvals/previous/coord_private.native_decide.sql
DROP FUNCTION coord_private.allow_or_ask(jsonb, text[]);

DELETE FROM coord_private.function_catalog
 WHERE function_name IN ('approval_status', 'approve', 'reject', 'set_profile_approvals', 'set_approval_settings');
ALTER TABLE coord_private.function_catalog DROP CONSTRAINT function_catalog_agent_callers;
ALTER TABLE coord_private.function_catalog ADD CONSTRAINT function_catalog_agent_callers
    CHECK (class NOT IN ('write', 'elevated') OR callers = ARRAY['coord_agent']);

\ir ../parts/approvals/previous/coord_private.compile_agent_operation_policy.sql
\ir ../parts/approvals/previous/agent_operation_policy_source.sql
-- The compiled table as policy made it: a cache, rebuilt rather than altered (a
-- dropped column keeps its number; a later deploy would number the columns
-- differently from a fresh one). Filled again at the end.
DROP TABLE coord_private.agent_operation_policy;
\ir ../parts/approvals/previous/agent_operation_policy.sql

DROP TABLE coord_private.approvals, coord_private.approval_settings, coord_private.approvable_operations,
    coord_private.profile_approvals;
DROP FUNCTION coord_private.recompile_profile_approvals();
DELETE FROM coord_private.operations
 WHERE name IN ('approve', 'reject', 'approve_as_admin', 'reject_as_admin',
                'set_profile_approvals', 'set_approval_settings');
-- Reason codes the audit trail already uses stay (events reference them and are
-- immutable); the others go.
DELETE FROM coord_private.reason_codes rc
 WHERE rc.code IN ('approval_required', 'approved', 'not_approvable', 'approval_not_found', 'approval_self',
                   'approval_not_pending', 'approval_expired', 'approval_stale_policy', 'not_approver')
   AND NOT EXISTS (SELECT 1 FROM coord_private.audit_events e WHERE e.reason = rc.code);
DELETE FROM coord_private.guardrail_patterns WHERE severity = 'approve';
ALTER TABLE coord_private.guardrail_patterns DROP CONSTRAINT guardrail_patterns_severity_check;
ALTER TABLE coord_private.guardrail_patterns ADD CONSTRAINT guardrail_patterns_severity_check
    CHECK (severity IN ('block', 'warn'));

SELECT coord_private.compile_agent_operation_policy(NULL, NULL, ARRAY(SELECT o.name FROM coord_private.operations o));

COMMIT;
