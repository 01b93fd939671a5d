-- Revert pgcoord:lease_races
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/locks/coord_private.overlapping_live_locks.sql
\ir ../parts/locks/coord.acquire_lock.sql
\ir ../parts/locks/coord.renew_lock.sql
\ir ../parts/locks/coord.release_lock.sql

DROP FUNCTION coord_private.lock_agent_row();
DROP TABLE coord_private.agent_limit_slots;
DROP FUNCTION coord_private.next_fencing_token();
DROP FUNCTION coord_private.server_timeline();
DROP TABLE coord_private.fencing_epoch;

-- The definitions above pinned an empty search path, as written before definer_search_path.
\ir ../parts/definer_search_path/pin.sql
COMMIT;
