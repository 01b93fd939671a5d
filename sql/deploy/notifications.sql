-- Deploy pgcoord:notifications
-- Waiting instead of polling (issue 14). The database sends a NOTIFY when waiting
-- can end, so a client LISTENs instead of asking again and again (each refused
-- ask is an audit event):
--   * channel pgcoord_leases, payload the lease's path: a lease row is gone —
--     released (release_lock), force-released (force_release_lock), or an expired
--     lease tidied away, by the acquire that takes its path or by reap_expired;
--   * channel pgcoord_tasks, payload the task type: a task became claimable —
--     submitted with every dependency completed, its last dependency completed, or
--     failed retryably back to pending.
-- Not sent: the moment a lease or a claim expires. Expiry is a time, not a write
-- (INV-LOCK-EXPIRY: no background job), so a waiter also wakes by itself at the
-- expiry it was told (a refusal's holders) or after a poll interval of its own.
-- A notification is a hint, never a decision: the waiter asks coord.* again, and
-- that call decides. NOTIFY is sent at commit, so a rolled-back change sends none.
-- INV-RLS: a payload carries what every pgcoord role may read anyway — a live
-- lease's path (coord.live_locks) or a task type, never a task id, submitter,
-- description, input, result or error. LISTEN needs no privilege in PostgreSQL:
-- any role that can connect to the database can hear these payloads.
-- AFTER row triggers on the private tables, so that no API function is rewritten;
-- the WHEN clauses keep the triggers off the rows that change nothing a waiter
-- waits for. Each trigger sends through coord_private.send_notification, the one
-- place pg_notify is called (pgtap/23_notifications.sql replaces it inside its
-- transaction to record what would be sent).
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE FUNCTION coord_private.send_notification(p_channel text, p_payload text)
RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_catalog.pg_notify(p_channel, p_payload);
END
$$;
COMMENT ON FUNCTION coord_private.send_notification(text, text) IS
    'NOTIFY p_channel with p_payload at commit: the one place pgcoord notifies (pgcoord_leases, pgcoord_tasks)';

CREATE FUNCTION coord_private.notify_lease_ended()
RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM coord_private.send_notification('pgcoord_leases', OLD.path);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.notify_lease_ended() IS
    'trigger: NOTIFY pgcoord_leases with the path of a lease row that is gone (released, force-released, expired and tidied); INV-RLS: the path only';
CREATE TRIGGER locks_notify_ended AFTER DELETE ON coord_private.locks
    FOR EACH ROW EXECUTE FUNCTION coord_private.notify_lease_ended();

CREATE FUNCTION coord_private.notify_task_claimable()
RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM coord_private.send_notification('pgcoord_tasks', NEW.task_type);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.notify_task_claimable() IS
    'trigger: NOTIFY pgcoord_tasks with the type of a task that became claimable (pending, no unmet dependency); INV-RLS: the type only';
CREATE TRIGGER tasks_notify_submitted AFTER INSERT ON coord_private.tasks
    FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.unmet_deps = 0)
    EXECUTE FUNCTION coord_private.notify_task_claimable();
CREATE TRIGGER tasks_notify_claimable AFTER UPDATE OF status, unmet_deps ON coord_private.tasks
    FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.unmet_deps = 0
                       AND (OLD.status <> 'pending' OR OLD.unmet_deps <> 0))
    EXECUTE FUNCTION coord_private.notify_task_claimable();

COMMIT;
