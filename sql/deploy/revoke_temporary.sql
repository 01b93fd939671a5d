-- Deploy pgcoord:revoke_temporary
-- INV-DEFINER, defence in depth behind definer_search_path: agents, admins and
-- auditors cannot create temporary objects in pgcoord's database, so there is no
-- pg_temp object of theirs for any function to find. A DBA who grants TEMPORARY
-- to a login role of these groups (directly or through PUBLIC) reopens only this
-- layer; the catalog gate (tests.boundary_offenders, kind agent_temporary) reports it.
BEGIN;

DO $$
BEGIN
    EXECUTE pg_catalog.format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC, coord_agent, coord_admin, coord_auditor',
                              pg_catalog.current_database());
END
$$;

COMMIT;
