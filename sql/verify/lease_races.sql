-- Verify pgcoord:lease_races
BEGIN;
DO $$
BEGIN
    IF coord_private.server_timeline() < 1
       OR pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord.acquire_lock(text, interval, text, text)'::regprocedure),
                            'next_fencing_token') = 0
       OR pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord_private.overlapping_live_locks(text, text, text)'::regprocedure),
                            'chr(1114111)') > 0 THEN
        RAISE EXCEPTION 'verify lease_races: timeline, token draw or anchor search not in place';
    END IF;
    PERFORM 1 FROM coord_private.fencing_epoch WHERE singleton;
END
$$;
ROLLBACK;
