-- Revert pgcoord:clock_after_locks
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../deploy/settings/coord_private.current_time.sql

-- The definitions above pinned an empty search path, as written before definer_search_path.
\ir ../deploy/definer_search_path/pin.sql
COMMIT;
