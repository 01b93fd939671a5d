-- Revert pgcoord:notifications
BEGIN;
SET LOCAL ROLE coord_owner;

DROP TRIGGER tasks_notify_claimable ON coord_private.tasks;
DROP TRIGGER tasks_notify_submitted ON coord_private.tasks;
DROP TRIGGER locks_notify_ended ON coord_private.locks;
DROP FUNCTION coord_private.notify_task_claimable();
DROP FUNCTION coord_private.notify_lease_ended();
DROP FUNCTION coord_private.send_notification(text, text);

COMMIT;
