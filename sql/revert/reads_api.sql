-- Revert pgcoord:reads_api
BEGIN;
DROP FUNCTION coord.whoami();
DROP VIEW coord.agents;
DROP VIEW coord.enforcement;
DROP VIEW coord.operations;
DROP VIEW coord.profiles;
DROP VIEW coord.reason_codes;
DROP VIEW coord.error_codes;
COMMIT;
