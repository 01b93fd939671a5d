-- Revert pgcoord:policy_hook_revision
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/locks/coord_private.require_read_committed.sql
\ir ../parts/policy/coord_private.authorize.sql

DROP FUNCTION coord_private.refuse_on_standby();
DELETE FROM coord_private.error_codes WHERE sqlstate = 'PC020';

-- The definitions above pinned an empty search path, as written before definer_search_path.
\ir ../parts/definer_search_path/pin.sql
COMMIT;
