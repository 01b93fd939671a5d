-- Verify pgcoord:operation_catalog
-- The table (row level security on, no privilege for a pgcoord role, its rationale
-- guard), some rows, and the view every pgcoord role reads. Whether the catalog
-- covers every live coord function is pgTAP 29_operation_catalog's to prove.
BEGIN;
DO $$
BEGIN
    IF NOT (SELECT c.relrowsecurity FROM pg_catalog.pg_class c WHERE c.oid = 'coord_private.function_catalog'::regclass) THEN
        RAISE EXCEPTION 'verify operation_catalog: coord_private.function_catalog has no row level security';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r
                WHERE pg_catalog.has_table_privilege(r, 'coord_private.function_catalog', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')) THEN
        RAISE EXCEPTION 'verify operation_catalog: a pgcoord role holds a privilege on coord_private.function_catalog';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                    WHERE t.tgrelid = 'coord_private.function_catalog'::regclass
                      AND t.tgname = 'function_catalog_rationale_guard' AND t.tgenabled = 'O') THEN
        RAISE EXCEPTION 'verify operation_catalog: the trigger function_catalog_rationale_guard is missing or disabled';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coord_private.function_catalog c WHERE c.class = 'read')
       OR NOT EXISTS (SELECT 1 FROM coord_private.function_catalog c WHERE c.class = 'write')
       OR NOT EXISTS (SELECT 1 FROM coord_private.function_catalog c WHERE c.class = 'elevated')
       OR NOT EXISTS (SELECT 1 FROM coord_private.function_catalog c WHERE c.class = 'admin') THEN
        RAISE EXCEPTION 'verify operation_catalog: a class of coord_private.function_catalog has no row';
    END IF;
    IF NOT (pg_catalog.has_table_privilege('coord_agent', 'coord.function_catalog', 'SELECT')
            AND pg_catalog.has_table_privilege('coord_admin', 'coord.function_catalog', 'SELECT')
            AND pg_catalog.has_table_privilege('coord_auditor', 'coord.function_catalog', 'SELECT')) THEN
        RAISE EXCEPTION 'verify operation_catalog: coord.function_catalog is not readable by every pgcoord role';
    END IF;
END
$$;
ROLLBACK;
