-- Deploy pgcoord:task_visibility
--
-- INV-RLS for the task queue: who may read a task's input, result and error.
--
-- The rule (one predicate, coord_private.task_access, used by the RLS policy, by the
-- view's column mask and by coord.get_task):
--   * 'full' — the whole row, input, result and error — for the task's submitter, for
--     the agent that holds or last held its claim (the stored claimed_by: kept through
--     completion, failure, cancellation and expiry; a retryable failure clears it, and
--     a reclaim moves it to the new claimer), and for members of coord_admin and
--     coord_auditor (role membership of session_user, as the native engine reads it);
--   * 'queue' — for an agent that may claim tasks (its profile's static verdict for
--     claim_task is allowed and its max_claimed_tasks > 0: registered, active, profile
--     resolved, claim_task neither blocked nor outside the allow list, trust >= 2; the
--     rules of agent_operation_policy_source, which the Cedar baseline reproduces,
--     INV-POLICY-EQ): the tasks whose effective status is pending (blocked ones
--     included; an expired claim with attempts left counts as pending), with their
--     input (a claimer needs it) but never their result or error. Claim eligibility
--     does not depend on the task type: claim_task takes any type the caller asks for;
--   * nothing at all — no row, not even its id — for everyone else. coord.get_task
--     raises the same PC005 for a task the caller may not see as for a missing one.
--
-- Enforcement. Rows: RLS policies on coord_private.tasks and coord_private.task_deps
-- (an edge is visible with its dependent task), keyed on session_user, pgcoord's
-- identity. The agent-facing view coord.tasks becomes security_invoker, so the
-- policies apply to its reader; the group roles get SELECT on the two tables' columns
-- (they still have no USAGE on coord_private: the view is the only way to name them).
-- RLS stays enabled, not forced: coord_owner, in whose name every SECURITY DEFINER
-- function runs (claims, completion, settlement, and submit/cancel, which read
-- coord.tasks), bypasses it, so the hot paths pay nothing for it and still see every
-- row. coord.get_task is such a definer: it applies task_access itself.
-- Columns: a 'queue' row carries no result (only terminal tasks have one), but a
-- retryable failure leaves its error on the pending row; the view (and so get_task)
-- shows result and error only to 'full' readers. RLS filters rows, not columns: that
-- mask lives in the view, which is why no group role may name coord_private directly.
--
-- Replaced here: view coord.tasks (same columns; security_invoker; result and error
-- masked) and function coord.get_task(bigint). Policies tasks_readable and
-- task_deps_readable (USING (true)) are replaced by tasks_visible and task_deps_visible.
BEGIN;
SET LOCAL ROLE coord_owner;

-- Who is reading, once per query: 'all' (coord_admin / coord_auditor member),
-- 'claimer' (an agent that may claim tasks) or 'none'. A definer: the compiled policy's
-- source and the profiles are not readable by the caller.
CREATE FUNCTION coord_private.task_viewer()
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN pg_catalog.pg_has_role(session_user, 'coord_admin', 'MEMBER')
          OR pg_catalog.pg_has_role(session_user, 'coord_auditor', 'MEMBER') THEN 'all'
        WHEN EXISTS (SELECT 1 FROM coord_private.agent_operation_policy_source s
                      WHERE s.role_name OPERATOR(pg_catalog.=) (session_user::pg_catalog.text COLLATE pg_catalog."default")
                        AND s.operation OPERATOR(pg_catalog.=) 'claim_task'
                        AND s.reason OPERATOR(pg_catalog.=) 'allowed'
                        AND s.max_claimed_tasks OPERATOR(pg_catalog.>) 0) THEN 'claimer'
        ELSE 'none' END
$$;
COMMENT ON FUNCTION coord_private.task_viewer() IS
    'INV-RLS: the calling session''s reader class for tasks: all (coord_admin/coord_auditor member), claimer (may claim tasks) or none';

-- THE visibility rule of a task row for session_user: 'full', 'queue' or NULL (not
-- visible). p_sees_all / p_may_claim say whether task_viewer() is 'all' / 'claimer'
-- and p_now is pgcoord's clock, all read once per query by the caller (InitPlans);
-- the other arguments are the stored columns of the row.
-- Evaluated for every row a reader reads, so it must inline into the policy and the
-- view: LANGUAGE sql, one expression, no SET clause, not a definer, and each argument
-- that may be a sub-select used once (with SET search_path, reading 20,000 tasks took
-- 1.5 s instead of milliseconds). Inlined, its body is parsed with the reader's
-- search_path, so every operator, type and collation in it is schema-qualified:
-- nothing the reader creates can be resolved in it.
CREATE FUNCTION coord_private.task_access(
    p_sees_all boolean, p_may_claim boolean, p_now timestamptz, p_submitter text, p_claimed_by text,
    p_status text, p_claim_expires_at timestamptz, p_attempts integer, p_max_attempts integer)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE
        WHEN p_submitter OPERATOR(pg_catalog.=) (session_user::pg_catalog.text COLLATE pg_catalog."default")
          OR p_claimed_by OPERATOR(pg_catalog.=) (session_user::pg_catalog.text COLLATE pg_catalog."default")
          OR p_sees_all
            THEN 'full'
        WHEN p_may_claim
         AND (p_status OPERATOR(pg_catalog.=) 'pending'
              OR (p_status OPERATOR(pg_catalog.=) 'claimed' AND p_claim_expires_at OPERATOR(pg_catalog.<=) p_now
                  AND p_attempts OPERATOR(pg_catalog.<) p_max_attempts))
            THEN 'queue'
    END
$$;
COMMENT ON FUNCTION coord_private.task_access(boolean, boolean, timestamptz, text, text, text, timestamptz, integer, integer) IS
    'INV-RLS: full (submitter, holder or last holder of the claim, coord_admin/coord_auditor), queue (an agent that may claim, for an effectively pending task: input, no result or error) or NULL (nothing)';

REVOKE ALL ON FUNCTION coord_private.task_viewer(),
    coord_private.task_access(boolean, boolean, timestamptz, text, text, text, timestamptz, integer, integer) FROM PUBLIC;
-- Executed by the policy and the view in the reader's name (security_invoker).
GRANT EXECUTE ON FUNCTION coord_private.task_viewer(),
    coord_private.task_access(boolean, boolean, timestamptz, text, text, text, timestamptz, integer, integer)
    TO coord_agent, coord_admin, coord_auditor;

-- ---------------------------------------------------------------- row-level security
DROP POLICY tasks_readable ON coord_private.tasks;
CREATE POLICY tasks_visible ON coord_private.tasks FOR SELECT
    USING (coord_private.task_access((SELECT coord_private.task_viewer()) = 'all', (SELECT coord_private.task_viewer()) = 'claimer',
                                     (SELECT coord.now()), submitter, claimed_by, status, claim_expires_at, attempts,
                                     max_attempts) IS NOT NULL);

-- An edge is visible with its dependent task (the subquery is itself filtered by
-- tasks_visible).
DROP POLICY task_deps_readable ON coord_private.task_deps;
CREATE POLICY task_deps_visible ON coord_private.task_deps FOR SELECT
    USING (EXISTS (SELECT 1 FROM coord_private.tasks t WHERE t.task_id OPERATOR(pg_catalog.=) task_deps.task_id));

GRANT SELECT (task_id, task_type, description, input, priority, status, submitter, idempotency_key, max_attempts,
              attempts, unmet_deps, claimed_by, claim_token, claim_expires_at, result, error, settle_reason,
              created_at, updated_at, finished_at)
    ON coord_private.tasks TO coord_agent, coord_admin, coord_auditor;
GRANT SELECT (task_id, depends_on) ON coord_private.task_deps TO coord_agent, coord_admin, coord_auditor;

-- ---------------------------------------------------------------- the view
-- Same columns as before (tasks.sql); read in the reader's name, so tasks_visible
-- filters its rows; result and error only for 'full' readers (whether the reader may
-- claim never makes a row 'full', hence false there). Definers reading it (as
-- coord_owner) see every row; unreferenced columns (the mask) cost them nothing.
CREATE OR REPLACE VIEW coord.tasks WITH (security_invoker = true) AS
    SELECT t.task_id, t.task_type, t.description, t.input, t.priority,
           CASE WHEN t.status = 'claimed' AND t.claim_expires_at <= c.now
                THEN CASE WHEN t.attempts >= t.max_attempts THEN 'failed' ELSE 'pending' END
                ELSE t.status END AS status,
           t.submitter, t.idempotency_key, t.max_attempts, t.attempts, t.unmet_deps,
           CASE WHEN t.status = 'claimed' AND t.claim_expires_at > c.now THEN t.claimed_by END AS claimed_by,
           t.claim_token, t.claim_expires_at,
           CASE WHEN coord_private.task_access((SELECT coord_private.task_viewer()) = 'all', false, c.now, t.submitter,
                                               t.claimed_by, t.status, t.claim_expires_at, t.attempts, t.max_attempts) = 'full'
                THEN t.result END AS result,
           CASE WHEN coord_private.task_access((SELECT coord_private.task_viewer()) = 'all', false, c.now, t.submitter,
                                               t.claimed_by, t.status, t.claim_expires_at, t.attempts, t.max_attempts) = 'full'
                THEN t.error END AS error,
           t.settle_reason, t.created_at, t.updated_at, t.finished_at,
           ARRAY(SELECT d.depends_on FROM coord_private.task_deps d WHERE d.task_id = t.task_id ORDER BY 1) AS depends_on
      FROM coord_private.tasks t, (SELECT coord.now() AS now) c;
COMMENT ON VIEW coord.tasks IS
    'the queue with effective statuses (expired claims shown as pending again, or failed when exhausted); INV-RLS: each reader sees its own tasks (submitted, held or last held) in full, and, if it may claim, the pending queue without results or errors; coord_admin/coord_auditor see all';

-- ---------------------------------------------------------------- get_task
CREATE OR REPLACE FUNCTION coord.get_task(p_task_id bigint)
RETURNS SETOF coord.tasks
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_viewer text := coord_private.task_viewer();
    v_access text;
BEGIN
    IF p_task_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'task id must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'task ids come from coord.submit_task';
    END IF;
    -- As the owner RLS does not apply: the rule is applied here, the same predicate.
    SELECT coord_private.task_access(v_viewer = 'all', v_viewer = 'claimer', coord_private.current_time(), x.submitter,
                                     x.claimed_by, x.status, x.claim_expires_at, x.attempts, x.max_attempts)
      INTO v_access
      FROM coord_private.tasks x WHERE x.task_id OPERATOR(pg_catalog.=) p_task_id;
    IF v_access IS NULL THEN
        -- a missing task and one the caller may not see are indistinguishable
        RAISE EXCEPTION USING ERRCODE = 'PC005', MESSAGE = pg_catalog.format('unknown task %s', p_task_id),
            DETAIL = 'no task with this id is visible to the caller; nothing was changed',
            HINT = 'task ids come from coord.submit_task';
    END IF;
    -- the view masks result and error unless v_access is full (same predicate)
    RETURN QUERY SELECT * FROM coord.tasks t WHERE t.task_id OPERATOR(pg_catalog.=) p_task_id;
END
$$;
COMMENT ON FUNCTION coord.get_task(bigint) IS
    'agent: one task with its effective status, if the caller may see it (INV-RLS: its submitter, the holder or last holder of its claim, coord_admin/coord_auditor in full; an agent that may claim sees a pending task without result or error). Errors PC001, PC005 (also for a task the caller may not see)';
REVOKE ALL ON FUNCTION coord.get_task(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.get_task(bigint) TO coord_agent, coord_admin, coord_auditor;

COMMIT;
