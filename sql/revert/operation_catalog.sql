-- Revert pgcoord:operation_catalog
-- The view, the table (its trigger with it) and the trigger function, dropped.
BEGIN;
SET LOCAL ROLE coord_owner;

DROP VIEW coord.function_catalog;
DROP TABLE coord_private.function_catalog;
DROP FUNCTION coord_private.function_catalog_rationale_guard();

COMMIT;
