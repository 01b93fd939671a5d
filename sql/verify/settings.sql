-- Verify pgcoord:settings
BEGIN;
DO $$
BEGIN
    IF (SELECT pg_catalog.count(*) FROM coord_private.settings) <> 1 THEN
        RAISE EXCEPTION 'verify settings: exactly one settings row expected';
    END IF;
    PERFORM coord_private.current_time();
END
$$;
ROLLBACK;
