-- Verify pgcoord:handoffs
-- The table (row level security on, its own-rows policy, no grant to a pgcoord
-- role), the operation, and the API functions: definers with the pinned settings,
-- granted as documented.
BEGIN;
DO $$
BEGIN
    IF NOT (SELECT c.relrowsecurity FROM pg_catalog.pg_class c WHERE c.oid = 'coord_private.handoffs'::regclass) THEN
        RAISE EXCEPTION 'verify handoffs: coord_private.handoffs has no row level security';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p
                    WHERE p.polrelid = 'coord_private.handoffs'::regclass AND p.polname = 'handoffs_own') THEN
        RAISE EXCEPTION 'verify handoffs: the policy handoffs_own is missing';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r
                WHERE pg_catalog.has_table_privilege(r, 'coord_private.handoffs', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')) THEN
        RAISE EXCEPTION 'verify handoffs: a pgcoord role holds a privilege on coord_private.handoffs';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coord_private.operations o
                    WHERE o.name = 'write_handoff' AND o.category = 'agent' AND o.min_trust = 2) THEN
        RAISE EXCEPTION 'verify handoffs: write_handoff (agent, trust 2) is missing from the operation catalog';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                WHERE p.oid IN ('coord.write_handoff(text, text[], text[], text[], text[], text[], uuid)'::regprocedure,
                                'coord.read_handoffs(text, integer)'::regprocedure)
                  AND NOT (p.prosecdef AND coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp',
                                                                   'lock_timeout=5s', 'standard_conforming_strings=on'])) THEN
        RAISE EXCEPTION 'verify handoffs: an API function is no definer or lacks its pinned settings';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('coord_agent', 'coord.write_handoff(text, text[], text[], text[], text[], text[], uuid)', 'EXECUTE')
            AND pg_catalog.has_function_privilege('coord_agent', 'coord.read_handoffs(text, integer)', 'EXECUTE')
            AND pg_catalog.has_function_privilege('coord_admin', 'coord.read_handoffs(text, integer)', 'EXECUTE')
            AND pg_catalog.has_function_privilege('coord_auditor', 'coord.read_handoffs(text, integer)', 'EXECUTE')
            AND NOT pg_catalog.has_function_privilege('coord_admin', 'coord.write_handoff(text, text[], text[], text[], text[], text[], uuid)', 'EXECUTE')
            AND NOT pg_catalog.has_function_privilege('coord_auditor', 'coord.write_handoff(text, text[], text[], text[], text[], text[], uuid)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'verify handoffs: the API is not granted as documented';
    END IF;
END
$$;
ROLLBACK;
