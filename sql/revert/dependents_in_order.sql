-- Revert pgcoord:dependents_in_order
-- complete_task as task_races made it, with the settings definer_settings gave it.
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/task_races/coord.complete_task.sql
ALTER FUNCTION coord.complete_task(bigint, bigint, jsonb) SET lock_timeout = '5s';
ALTER FUNCTION coord.complete_task(bigint, bigint, jsonb) SET standard_conforming_strings = on;
DROP FUNCTION coord_private.release_dependents(bigint);

COMMIT;
