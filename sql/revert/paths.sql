-- Revert pgcoord:paths
BEGIN;
DROP FUNCTION coord_private.paths_overlap(text, text);
DROP FUNCTION coord_private.segments_can_meet(text, text);
DROP FUNCTION coord_private.glob_regex(text);
DROP FUNCTION coord_private.segment_regex(text);
DROP FUNCTION coord_private.anchor_ancestors(text);
DROP FUNCTION coord_private.path_anchor(text);
DROP FUNCTION coord_private.path_kind(text);
DROP FUNCTION coord_private.normalize_path(text);
DROP FUNCTION coord_private.normalize_path_checked(text);
DROP FUNCTION coord_private.path_max_length();
COMMIT;
