-- Revert pgcoord:task_visibility
-- Back to the definitions of the tasks change: the owner-run view coord.tasks, the
-- USING (true) policies, no group-role privilege on coord_private, and coord.get_task
-- with its earlier body (with the search_path definer_search_path gives every definer).
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/tasks/coord.get_task.sql

\ir ../parts/tasks/coord.tasks.view.sql
ALTER VIEW coord.tasks RESET (security_invoker);

REVOKE SELECT (task_id, task_type, description, input, priority, status, submitter, idempotency_key, max_attempts,
               attempts, unmet_deps, claimed_by, claim_token, claim_expires_at, result, error, settle_reason,
               created_at, updated_at, finished_at)
    ON coord_private.tasks FROM coord_agent, coord_admin, coord_auditor;
REVOKE SELECT (task_id, depends_on) ON coord_private.task_deps FROM coord_agent, coord_admin, coord_auditor;

DROP POLICY task_deps_visible ON coord_private.task_deps;
CREATE POLICY task_deps_readable ON coord_private.task_deps FOR SELECT USING (true);
DROP POLICY tasks_visible ON coord_private.tasks;
CREATE POLICY tasks_readable ON coord_private.tasks FOR SELECT USING (true);

DROP FUNCTION coord_private.task_access(boolean, boolean, timestamptz, text, text, text, timestamptz, integer, integer);
DROP FUNCTION coord_private.task_viewer();

-- The definitions above pinned an empty search path, as written before definer_search_path.
\ir ../parts/definer_search_path/pin.sql
COMMIT;
