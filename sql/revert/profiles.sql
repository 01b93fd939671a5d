-- Revert pgcoord:profiles
BEGIN;
DROP TABLE coord_private.operations;
DROP TABLE coord_private.profiles;
COMMIT;
