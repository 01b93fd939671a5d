-- Revert pgcoord:task_races
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/tasks/coord_private.claim_one.sql
\ir ../parts/tasks/coord.claim_task.sql
\ir ../parts/tasks/coord.claim_tasks.sql
\ir ../parts/tasks/coord.submit_task.sql
\ir ../parts/tasks/coord.reap_expired.sql
\ir ../parts/tasks/coord_private.claim_refusal.sql
\ir ../parts/tasks/coord.renew_claim.sql
\ir ../parts/tasks/coord.complete_task.sql
\ir ../parts/tasks/coord.fail_task.sql

DROP FUNCTION coord_private.claim_refusal(coord_private.tasks, bigint, timestamptz);
\ir ../parts/tasks/coord_private.settle_dependents.sql
\ir ../parts/tasks/coord.cancel_task.sql

DROP FUNCTION coord_private.settle_dependents(bigint, integer);
DROP FUNCTION coord_private.fail_exhausted_claim(bigint);
DROP FUNCTION coord_private.exhausted_claims(integer);
DROP INDEX coord_private.tasks_exhausted_claims_idx;

-- The definitions above pinned an empty search path, as written before definer_search_path.
\ir ../parts/definer_search_path/pin.sql
COMMIT;
