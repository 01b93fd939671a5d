-- Revert pgcoord:locks
BEGIN;
DROP VIEW coord.live_locks;
DROP FUNCTION coord.check_fence(text, bigint);
DROP FUNCTION coord.check_locks(text[]);
DROP FUNCTION coord.force_release_lock(text, text);
DROP FUNCTION coord.release_lock(text);
DROP FUNCTION coord.renew_lock(text, interval);
DROP FUNCTION coord.acquire_lock(text, interval, text, text);
DROP FUNCTION coord_private.holders_json(coord_private.locks[]);
DROP FUNCTION coord_private.overlapping_live_locks(text, text, text);
DROP FUNCTION coord_private.lock_anchor_line(text);
DROP FUNCTION coord_private.require_ttl(interval);
DROP FUNCTION coord_private.require_read_committed();
DELETE FROM coord_private.operations WHERE name IN ('acquire_lock', 'renew_lock', 'release_lock', 'force_release_lock');
DROP TABLE coord_private.locks;
DROP SEQUENCE coord_private.fencing_tokens;
COMMIT;
