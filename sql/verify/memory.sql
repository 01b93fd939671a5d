-- Verify pgcoord:memory
-- The tables (row level security on, their own-rows policies, no grant to a pgcoord
-- role), the deduplication constraint and lock rows, the session trigger, the
-- operations, and the API functions: definers with the pinned settings, granted as
-- documented.
BEGIN;
DO $$
DECLARE
    v_writers constant text[] := ARRAY['coord.remember(text, text, jsonb, text, text[], text[])',
                                       'coord.set_working_memory(uuid, text, jsonb)',
                                       'coord.get_working_memory(uuid)',
                                       'coord.record_skill_outcome(text, boolean, text)'];
    v_readers constant text[] := ARRAY['coord.recall(text[], text, text, integer)', 'coord.skills(text)'];
    v_fn text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(ARRAY['coord_private.memories', 'coord_private.memory_lines',
                                                     'coord_private.working_memory', 'coord_private.skill_outcomes']) t
                WHERE NOT (SELECT c.relrowsecurity FROM pg_catalog.pg_class c WHERE c.oid = t::regclass)) THEN
        RAISE EXCEPTION 'verify memory: a memory table has no row level security';
    END IF;
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_policy p
         WHERE (p.polrelid, p.polname) IN (('coord_private.memories'::regclass, 'memories_own'),
                                           ('coord_private.working_memory'::regclass, 'working_memory_own'),
                                           ('coord_private.skill_outcomes'::regclass, 'skill_outcomes_own'))) <> 3 THEN
        RAISE EXCEPTION 'verify memory: an own-rows policy is missing';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r,
                             pg_catalog.unnest(ARRAY['coord_private.memories', 'coord_private.memory_lines',
                                                     'coord_private.working_memory', 'coord_private.skill_outcomes']) t
                WHERE pg_catalog.has_table_privilege(r, t, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')) THEN
        RAISE EXCEPTION 'verify memory: a pgcoord role holds a privilege on a memory table';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c
                    WHERE c.conrelid = 'coord_private.memories'::regclass AND c.conname = 'memories_one_per_window'
                      AND c.contype = 'u')
       OR (SELECT pg_catalog.count(*) FROM coord_private.memory_lines) <> 4096 THEN
        RAISE EXCEPTION 'verify memory: the deduplication constraint or the 4096 memory lines are missing';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                    WHERE t.tgrelid = 'coord_private.sessions'::regclass AND t.tgname = 'sessions_clear_working_memory') THEN
        RAISE EXCEPTION 'verify memory: the trigger clearing an ended session''s working memory is missing';
    END IF;
    IF (SELECT pg_catalog.count(*) FROM coord_private.operations o
         WHERE (o.name, o.category, o.min_trust) IN (('remember', 'agent', 2), ('set_working_memory', 'agent', 1),
                                                     ('record_skill_outcome', 'agent', 2))) <> 3 THEN
        RAISE EXCEPTION 'verify memory: remember (2), set_working_memory (1) or record_skill_outcome (2) is missing from the operation catalog';
    END IF;
    FOREACH v_fn IN ARRAY v_writers || v_readers LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.oid = v_fn::regprocedure AND p.prosecdef
                          AND coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp', 'lock_timeout=5s',
                                                                   'standard_conforming_strings=on']) THEN
            RAISE EXCEPTION 'verify memory: % is no definer or lacks its pinned settings', v_fn;
        END IF;
        IF NOT pg_catalog.has_function_privilege('coord_agent', v_fn, 'EXECUTE')
           OR pg_catalog.has_function_privilege('public', v_fn, 'EXECUTE') THEN
            RAISE EXCEPTION 'verify memory: % is not granted as documented', v_fn;
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(v_writers) f, pg_catalog.unnest(ARRAY['coord_admin', 'coord_auditor']) r
                WHERE pg_catalog.has_function_privilege(r, f, 'EXECUTE'))
       OR EXISTS (SELECT 1 FROM pg_catalog.unnest(v_readers) f, pg_catalog.unnest(ARRAY['coord_admin', 'coord_auditor']) r
                   WHERE NOT pg_catalog.has_function_privilege(r, f, 'EXECUTE')) THEN
        RAISE EXCEPTION 'verify memory: the API is not granted as documented';
    END IF;
END
$$;
ROLLBACK;
