-- Revert pgcoord:tasks
BEGIN;
DROP FUNCTION coord.reap_expired();
DROP FUNCTION coord.get_task(bigint);
DROP VIEW coord.tasks;
DROP FUNCTION coord.cancel_task(bigint, text);
DROP FUNCTION coord.fail_task(bigint, bigint, text, boolean);
DROP FUNCTION coord.complete_task(bigint, bigint, jsonb);
DROP FUNCTION coord.renew_claim(bigint, bigint, interval);
DROP FUNCTION coord.claim_tasks(integer, text[], interval);
DROP FUNCTION coord.claim_task(text[], interval);
DROP FUNCTION coord_private.require_types(text[]);
DROP FUNCTION coord_private.claim_one(text[], numeric);
DROP FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer);
DROP FUNCTION coord_private.settle_dependents(bigint);
DROP FUNCTION coord_private.claim_refusal(coord_private.tasks, bigint);
DROP FUNCTION coord_private.require_task(bigint);
DELETE FROM coord_private.operations
 WHERE name IN ('submit_task', 'claim_task', 'renew_claim', 'complete_task', 'fail_task', 'cancel_task', 'settle_task', 'reap_expired');
DROP TABLE coord_private.task_deps;
DROP TABLE coord_private.tasks;
DROP FUNCTION coord_private.task_row_valid(text, integer, integer, integer, text, bigint, timestamptz, timestamptz);
COMMIT;
