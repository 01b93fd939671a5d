-- Revert pgcoord:force_release_races
-- force_release_lock as locks made it, with the settings definer_search_path and
-- definer_settings gave it.
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/locks/coord.force_release_lock.sql
ALTER FUNCTION coord.force_release_lock(text, text) SET lock_timeout = '5s';
ALTER FUNCTION coord.force_release_lock(text, text) SET standard_conforming_strings = on;
-- The definition above pinned an empty search path, as written before definer_search_path.
\ir ../parts/definer_search_path/pin.sql

COMMIT;
