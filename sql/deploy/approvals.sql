-- Deploy pgcoord:approvals
-- A third verdict of the policy engines, approval_required (INV-APPROVAL; design
-- and the model's findings: docs/approvals.md, formal/Approvals.tla). Precedence
-- deny > approval_required > allow. In enforce mode the refused call's audit event
-- is the request (its id is the approval id, which every API function already
-- returns); an approver grants it; the agent repeats the same call, which uses the
-- grant up in its own transaction. A grant is single use, expires, and is bound to
-- the requester (session_user), the operation, the resource, the digest of the
-- call's arguments and the requester's policy version. In shadow and off modes the
-- call proceeds and its event says would_require_approval.
-- Sections, one concern each (sql/parts/approvals/):
--   schema.sql               approvable operations, profile approval settings,
--                            guardrail severity approve, settings, the request table
--   compiled_policy.sql      static approval sources in the compiled policy
--   catalog_rows.sql         reason codes, operations, the operation catalog's rows
--   native_decide.sql        the native engine's third verdict
--   hook.sql                 the hook: use a grant or record a request
--   approvable_functions.sql acquire_lock, force_release_lock, cancel_task and
--                            submit_task pass their arguments ('args')
--   guardrail_severity.sql   add_guardrail_pattern accepts severity approve
--   api.sql                  approve, reject, approval_status, coord.approvals, admin
--   cedar.sql                the Cedar engine's rules and facts for the new verdict
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/approvals/schema.sql
\ir ../parts/approvals/compiled_policy.sql
\ir ../parts/approvals/catalog_rows.sql
\ir ../parts/approvals/native_decide.sql
\ir ../parts/approvals/hook.sql
\ir ../parts/approvals/approvable_functions.sql
\ir ../parts/approvals/guardrail_severity.sql
\ir ../parts/approvals/api.sql
\ir ../parts/approvals/cedar.sql

-- Every compiled row again, with its approval columns.
SELECT coord_private.compile_agent_operation_policy(NULL, NULL, ARRAY(SELECT o.name FROM coord_private.operations o));

COMMIT;
