-- Revert pgcoord:profiles_api
BEGIN;
DROP FUNCTION coord.get_my_profile();
DROP FUNCTION coord.drop_profile(text, text);
DROP FUNCTION coord.set_profile(text, integer, text, text[], text[], integer, integer, integer, integer);
DELETE FROM coord_private.operations WHERE name IN ('set_profile', 'drop_profile');
COMMIT;
