-- Verify pgcoord:tasks
BEGIN;
SELECT task_id, task_type, status, submitter, attempts, unmet_deps, claimed_by, claim_token, claim_expires_at
  FROM coord_private.tasks WHERE false;
SELECT task_id, depends_on FROM coord_private.task_deps WHERE false;
DO $$
BEGIN
    IF (SELECT pg_catalog.count(*) FROM coord_private.operations
         WHERE name IN ('submit_task', 'claim_task', 'renew_claim', 'complete_task', 'fail_task', 'cancel_task',
                        'settle_task', 'reap_expired')) <> 8 THEN
        RAISE EXCEPTION 'verify tasks: task operations missing from the catalog';
    END IF;
END
$$;
ROLLBACK;
