-- Revert pgcoord:task_races
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../deploy/tasks/coord_private.claim_one.sql
\ir ../deploy/tasks/coord.claim_task.sql
\ir ../deploy/tasks/coord.claim_tasks.sql
\ir ../deploy/tasks/coord.submit_task.sql
\ir ../deploy/tasks/coord.reap_expired.sql
\ir ../deploy/tasks/coord_private.claim_refusal.sql
\ir ../deploy/tasks/coord.renew_claim.sql
\ir ../deploy/tasks/coord.complete_task.sql
\ir ../deploy/tasks/coord.fail_task.sql

DROP FUNCTION coord_private.claim_refusal(coord_private.tasks, bigint, timestamptz);
\ir ../deploy/tasks/coord_private.settle_dependents.sql
\ir ../deploy/tasks/coord.cancel_task.sql

DROP FUNCTION coord_private.settle_dependents(bigint, integer);
DROP FUNCTION coord_private.fail_exhausted_claim(bigint);
DROP FUNCTION coord_private.exhausted_claims(integer);
DROP INDEX coord_private.tasks_exhausted_claims_idx;

-- The definitions above pinned an empty search path, as written before definer_search_path.
\ir ../deploy/definer_search_path/pin.sql
COMMIT;
