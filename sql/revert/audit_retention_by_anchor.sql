-- Revert pgcoord:audit_retention_by_anchor
-- The v0.3.0 bodies (retention flag in a transaction-local setting), with the
-- search path definer_search_path gave them.
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/audit/coord_private.audit_events_immutable.sql
\ir ../parts/audit_api/coord.purge_audit.sql

-- The definitions above pinned an empty search path, as written before definer_search_path.
\ir ../parts/definer_search_path/pin.sql
COMMIT;
