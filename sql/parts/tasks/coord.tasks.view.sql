-- The one definition of a task's effective status (INV-RECLAIM, no background
-- job): a claim past its expiry is claimable again (pending), or failed when it
-- was the last allowed attempt. Internal functions read statuses through it too.
CREATE OR REPLACE VIEW coord.tasks AS
    SELECT t.task_id, t.task_type, t.description, t.input, t.priority,
           CASE WHEN t.status = 'claimed' AND t.claim_expires_at <= c.now
                THEN CASE WHEN t.attempts >= t.max_attempts THEN 'failed' ELSE 'pending' END
                ELSE t.status END AS status,
           t.submitter, t.idempotency_key, t.max_attempts, t.attempts, t.unmet_deps,
           CASE WHEN t.status = 'claimed' AND t.claim_expires_at > c.now THEN t.claimed_by END AS claimed_by,
           t.claim_token, t.claim_expires_at, t.result, t.error, t.settle_reason,
           t.created_at, t.updated_at, t.finished_at,
           ARRAY(SELECT d.depends_on FROM coord_private.task_deps d WHERE d.task_id = t.task_id ORDER BY 1) AS depends_on
      FROM coord_private.tasks t, (SELECT coord.now() AS now) c;
COMMENT ON VIEW coord.tasks IS 'the queue with effective statuses (expired claims shown as pending again, or failed when exhausted)';
