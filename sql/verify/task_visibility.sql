-- Verify pgcoord:task_visibility
BEGIN;
DO $$
BEGIN
    PERFORM 'coord_private.task_viewer()'::regprocedure;
    PERFORM 'coord_private.task_access(boolean, boolean, timestamptz, text, text, text, timestamptz, integer, integer)'::regprocedure;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                    WHERE c.oid = 'coord.tasks'::regclass AND c.reloptions @> ARRAY['security_invoker=true']) THEN
        RAISE EXCEPTION 'verify task_visibility: coord.tasks is not a security_invoker view';
    END IF;
    IF (SELECT pg_catalog.array_agg(p.tablename || '.' || p.policyname ORDER BY p.tablename, p.policyname)
          FROM pg_catalog.pg_policies p
         WHERE p.schemaname = 'coord_private' AND p.tablename IN ('tasks', 'task_deps'))
       IS DISTINCT FROM ARRAY['task_deps.task_deps_visible', 'tasks.tasks_visible'] THEN
        RAISE EXCEPTION 'verify task_visibility: tasks and task_deps must carry exactly the visibility policies';
    END IF;
    IF NOT (SELECT c.relrowsecurity AND NOT c.relforcerowsecurity FROM pg_catalog.pg_class c
             WHERE c.oid = 'coord_private.tasks'::regclass) THEN
        RAISE EXCEPTION 'verify task_visibility: RLS must be enabled (and not forced) on coord_private.tasks';
    END IF;
    IF NOT pg_catalog.has_column_privilege('coord_agent', 'coord_private.tasks', 'input', 'SELECT')
       OR pg_catalog.has_schema_privilege('coord_agent', 'coord_private', 'USAGE') THEN
        RAISE EXCEPTION 'verify task_visibility: agents read tasks through coord.tasks only (column SELECT, no schema USAGE)';
    END IF;
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord.get_task(bigint)'::regprocedure), 'task_access') = 0 THEN
        RAISE EXCEPTION 'verify task_visibility: coord.get_task does not apply coord_private.task_access';
    END IF;
END
$$;
ROLLBACK;
