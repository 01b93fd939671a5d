-- Revert pgcoord:clock_after_locks
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/settings/coord_private.current_time.sql

-- The definitions above pinned an empty search path, as written before definer_search_path.
\ir ../parts/definer_search_path/pin.sql
COMMIT;
