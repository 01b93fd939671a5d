-- Revert pgcoord:settings
BEGIN;
DROP FUNCTION coord.now();
DROP FUNCTION coord_private.current_time();
DROP TABLE coord_private.settings;
COMMIT;
