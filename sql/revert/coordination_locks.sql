-- Revert pgcoord:coordination_locks
-- Back to advisory keys (v0.3.0 bodies).
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/locks/coord_private.lock_anchor_line.sql
\ir ../parts/policy/coord_private.compile_agent_operation_policy.sql

DROP FUNCTION coord_private.lock_lease_path(text);
DROP TABLE coord_private.lock_files;
DROP FUNCTION coord_private.line_rows(text);
DROP FUNCTION coord_private.anchor_line(text);
DROP TABLE coord_private.lock_lines;

-- The definitions above pinned an empty search path, as written before definer_search_path.
\ir ../parts/definer_search_path/pin.sql
COMMIT;
