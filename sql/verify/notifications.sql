-- Verify pgcoord:notifications
-- The three triggers are in place and enabled, and their functions pin the search path.
BEGIN;
DO $$
BEGIN
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_trigger t
         WHERE t.tgname IN ('locks_notify_ended', 'tasks_notify_submitted', 'tasks_notify_claimable')
           AND t.tgrelid IN ('coord_private.locks'::regclass, 'coord_private.tasks'::regclass)
           AND t.tgenabled = 'O') <> 3 THEN
        RAISE EXCEPTION 'verify notifications: a notification trigger is missing or disabled';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                WHERE p.oid IN ('coord_private.send_notification(text, text)'::regprocedure,
                                'coord_private.notify_lease_ended()'::regprocedure,
                                'coord_private.notify_task_claimable()'::regprocedure)
                  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)) THEN
        RAISE EXCEPTION 'verify notifications: a notification function does not pin search_path = pg_catalog, pg_temp';
    END IF;
END
$$;
ROLLBACK;
