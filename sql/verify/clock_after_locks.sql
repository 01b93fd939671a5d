-- Verify pgcoord:clock_after_locks
BEGIN;
DO $$
BEGIN
    PERFORM pg_catalog.pg_sleep(0.01);
    IF coord_private.current_time() <= pg_catalog.now() THEN
        RAISE EXCEPTION 'verify clock_after_locks: the clock still reads the transaction start';
    END IF;
END
$$;
ROLLBACK;
