-- Verify pgcoord:revoke_temporary
BEGIN;
DO $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['coord_agent', 'coord_admin', 'coord_auditor'] LOOP
        IF pg_catalog.has_database_privilege(v_role, pg_catalog.current_database(), 'TEMPORARY') THEN
            RAISE EXCEPTION 'verify revoke_temporary: % may create temporary objects', v_role;
        END IF;
    END LOOP;
END
$$;
ROLLBACK;
