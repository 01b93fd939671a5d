-- Revert pgcoord:codes
BEGIN;
DROP TABLE coord_private.reason_codes;
DROP TABLE coord_private.error_codes;
COMMIT;
