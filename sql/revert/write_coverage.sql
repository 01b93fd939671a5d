-- Revert pgcoord:write_coverage
-- The hooks of the release before this change judge coverage from check_locks and
-- check_fence themselves.
BEGIN;
SET LOCAL ROLE coord_owner;

DROP FUNCTION coord.check_write_coverage(text[]);

COMMIT;
