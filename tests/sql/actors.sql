-- TEST ONLY: the actor helpers of the pgTAP suites: acting as another role,
-- creating the agents, members and profiles a suite needs, recording calls and
-- their audit events. tests/sql/gate.sql holds the catalog gate. Install into a
-- scratch database after pgcoord and tests/sql/test_clock.sql (see README "Running
-- the pgTAP suites against your database"). Creates:
--   * the pgtap extension (schema public);
--   * the locked-down schema `tests` (no agent privilege) and the helpers below.
CREATE EXTENSION IF NOT EXISTS pgtap;

BEGIN;
CREATE SCHEMA IF NOT EXISTS tests;
REVOKE ALL ON SCHEMA tests FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Acting as another role inside a test transaction:
--   tests.run_as(role, sql)       the rows of sql run as role, as a jsonb array
--   tests.row_as(role, sql)       the first of them
--   tests.sqlstate_as(role, sql)  the SQLSTATE sql raises as role (NULL: none)
--   tests.diag_as(role, sql)      'SQLSTATE|message?|detail?|hint?' of that error
--   tests.statement_sqlstate_as(role, statement)
--                                 the SQLSTATE any statement (DML, DDL, not only a query)
--                                 raises as role (NULL: none); its effects are rolled back

-- Runs p_sql as p_role and returns its rows as a jsonb array. SET LOCAL SESSION
-- AUTHORIZATION changes session_user, which is what pgcoord's identity reads; it
-- is allowed because the test session authenticated as a superuser, and it is
-- reverted before returning (and by the surrounding test transaction anyway).
CREATE OR REPLACE FUNCTION tests.run_as(p_role text, p_sql text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    v jsonb;
BEGIN
    EXECUTE format('SET LOCAL SESSION AUTHORIZATION %I', p_role);
    BEGIN
        EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(r)), ''[]''::jsonb) FROM (%s) r', p_sql) INTO v;
    EXCEPTION WHEN OTHERS THEN
        RESET SESSION AUTHORIZATION;
        RAISE;
    END;
    RESET SESSION AUTHORIZATION;
    RETURN v;
END
$$;
COMMENT ON FUNCTION tests.run_as(text, text) IS 'TEST ONLY: run a query as another role (session_user switch), rows as jsonb';

-- The first row of p_sql run as p_role.
CREATE OR REPLACE FUNCTION tests.row_as(p_role text, p_sql text)
RETURNS jsonb
LANGUAGE sql
SET search_path = 'public'
AS $$ SELECT tests.run_as(p_role, p_sql) -> 0 $$;

-- 'SQLSTATE|message?|detail?|hint?' of the error p_sql raises as p_role (each ? true
-- when that part of the error contract is present), or NULL when it succeeds.
CREATE OR REPLACE FUNCTION tests.diag_as(p_role text, p_sql text)
RETURNS text
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    s text; m text; d text; h text;
BEGIN
    PERFORM tests.run_as(p_role, p_sql);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN s || '|' || (coalesce(m, '') <> '')::text || '|' || (coalesce(d, '') <> '')::text || '|' || (coalesce(h, '') <> '')::text;
END
$$;
COMMENT ON FUNCTION tests.diag_as(text, text) IS 'TEST ONLY: SQLSTATE and which of message, detail and hint an error as a role carries';

-- The SQLSTATE p_sql raises as p_role, or NULL when it succeeds.
CREATE OR REPLACE FUNCTION tests.sqlstate_as(p_role text, p_sql text)
RETURNS text
LANGUAGE sql
SET search_path = 'public'
AS $$ SELECT split_part(tests.diag_as(p_role, p_sql), '|', 1) $$;

CREATE OR REPLACE FUNCTION tests.statement_sqlstate_as(p_role text, p_statement text)
RETURNS text
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    v text;
BEGIN
    BEGIN
        EXECUTE format('SET LOCAL SESSION AUTHORIZATION %I', p_role);
        EXECUTE p_statement;
        RAISE EXCEPTION USING ERRCODE = 'UNDO0', MESSAGE = 'roll the statement back';
    EXCEPTION WHEN OTHERS THEN
        v := nullif(SQLSTATE, 'UNDO0');
    END;
    RESET SESSION AUTHORIZATION;
    RETURN v;
END
$$;
COMMENT ON FUNCTION tests.statement_sqlstate_as(text, text) IS
    'TEST ONLY: the SQLSTATE a statement raises as a role (NULL: none), its effects always rolled back';

-- ---------------------------------------------------------------------------
-- The cast of a suite, created inside its test transaction (rolled back with it):
--   tests.create_agents(profile, role, ...)      LOGIN roles in coord_agent, registered with profile
--                                                (in the order named); their names
--   tests.create_members(group, role, ...)       LOGIN roles in a pgcoord group role, unregistered
--   tests.create_agent(role, profile), tests.create_member(role, group)
--                                                one of them
--   tests.create_profile(name, trust, description[, columns])
--                                                a profile; columns (jsonb) sets any other
--                                                column of coord_private.profiles ({"max_locks": 2})
--   tests.open_sessions(role, label, ...)        sessions registered as role; their ids
-- Set-up fails loudly: a registration or session pgcoord refuses raises, so a suite
-- stops at the set-up that did not happen rather than failing later for no visible reason.
-- A suite calls them at its top, e.g.
--   SELECT tests.create_agents('implementer', 't14_sub', 't14_w1'), tests.create_members('coord_admin', 't14_admin');
-- A call that needs another's result (an agent needs its profile, a session its
-- agent) goes in a later statement: SQL does not promise the order of the calls
-- within one select list.
CREATE OR REPLACE FUNCTION tests.create_members(p_group text, VARIADIC p_roles text[])
RETURNS text[]
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    v_role text;
BEGIN
    IF p_group NOT IN ('coord_agent', 'coord_admin', 'coord_auditor') THEN
        RAISE EXCEPTION 'tests.create_members: % is not a pgcoord group role (coord_agent, coord_admin, coord_auditor)', p_group;
    END IF;
    FOREACH v_role IN ARRAY p_roles LOOP
        EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %I', v_role, p_group);
    END LOOP;
    RETURN p_roles;
END
$$;
COMMENT ON FUNCTION tests.create_members(text, text[]) IS 'TEST ONLY: LOGIN roles in one pgcoord group role, unregistered';

CREATE OR REPLACE FUNCTION tests.create_agents(p_profile text, VARIADIC p_roles text[])
RETURNS text[]
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    v_role text;
    r record;
BEGIN
    PERFORM tests.create_members('coord_agent', VARIADIC p_roles);
    FOREACH v_role IN ARRAY p_roles LOOP
        SELECT * INTO r FROM coord.register_agent(v_role, p_profile);
        IF r.ok IS NOT TRUE THEN
            RAISE EXCEPTION 'tests.create_agents: registering % with profile % was refused: %', v_role, p_profile, r.reason;
        END IF;
    END LOOP;
    RETURN p_roles;
END
$$;
COMMENT ON FUNCTION tests.create_agents(text, text[]) IS 'TEST ONLY: LOGIN roles in coord_agent, each registered with one profile';

CREATE OR REPLACE FUNCTION tests.create_member(p_role text, p_group text)
RETURNS text
LANGUAGE sql
SET search_path = 'public'
AS $$ SELECT (tests.create_members(p_group, p_role))[1] $$;

CREATE OR REPLACE FUNCTION tests.create_agent(p_role text, p_profile text)
RETURNS text
LANGUAGE sql
SET search_path = 'public'
AS $$ SELECT (tests.create_agents(p_profile, p_role))[1] $$;

-- The columns not named keep their defaults.
CREATE OR REPLACE FUNCTION tests.create_profile(p_name text, p_trust integer, p_description text,
                                                p_columns jsonb DEFAULT '{}')
RETURNS text
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    v_row jsonb := coalesce(p_columns, '{}') || jsonb_build_object('name', p_name, 'trust_level', p_trust,
                                                                    'description', p_description);
    v_cols text;
BEGIN
    SELECT string_agg(quote_ident(k), ', ' ORDER BY k) INTO v_cols FROM jsonb_object_keys(v_row) k;
    EXECUTE format('INSERT INTO coord_private.profiles (%1$s) SELECT %1$s FROM jsonb_populate_record(NULL::coord_private.profiles, $1)',
                   v_cols)
      USING v_row;
    RETURN p_name;
END
$$;
COMMENT ON FUNCTION tests.create_profile(text, integer, text, jsonb) IS 'TEST ONLY: a profile (other columns from a jsonb object)';

CREATE OR REPLACE FUNCTION tests.open_sessions(p_role text, VARIADIC p_labels text[])
RETURNS uuid[]
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    v_label text;
    v jsonb;
    v_ids uuid[] := '{}';
BEGIN
    FOREACH v_label IN ARRAY p_labels LOOP
        v := tests.row_as(p_role, format('SELECT * FROM coord.register_session(%L)', v_label));
        IF (v ->> 'ok')::boolean IS NOT TRUE THEN
            RAISE EXCEPTION 'tests.open_sessions: % was refused session %: %', p_role, v_label, v ->> 'reason';
        END IF;
        v_ids := v_ids || (v ->> 'session_id')::uuid;
    END LOOP;
    RETURN v_ids;
END
$$;
COMMENT ON FUNCTION tests.open_sessions(text, text[]) IS 'TEST ONLY: register sessions as an agent (raises when one is refused)';

-- ---------------------------------------------------------------------------
-- The audit trail as the owner sees it:
--   tests.audit_count()    the number of audit events — used to prove "exactly one"
--   tests.last_event_id()  the newest event's id (0: none), to count the events after it
CREATE OR REPLACE FUNCTION tests.audit_count()
RETURNS bigint
LANGUAGE sql
SET search_path = ''
AS $$ SELECT pg_catalog.count(*) FROM coord_private.audit_events $$;

CREATE OR REPLACE FUNCTION tests.last_event_id()
RETURNS bigint
LANGUAGE sql
SET search_path = ''
AS $$ SELECT coalesce(pg_catalog.max(e.event_id), 0) FROM coord_private.audit_events e $$;

-- ---------------------------------------------------------------------------
-- Calls and their audit events, for the coordination suites (pgtap/09-22):
--   tests.call(label, role, sql)  runs sql as role (tests.run_as), keeps its rows and
--                                 the audit events it wrote under label; returns row 1
--   tests.res(label)              that first row
--   tests.verdict(label)          'ok|refused <reason> | <n> event(s)[: <operation> by
--                                 <actor> allowed=.. proceeded=.. reason=.. mode=..]' —
--                                 the decision a call returned and its single audit event
--                                 (which must be the event_id the call returned)
--   tests.bad(role, sql)          the SQLSTATE sql raises as role; when anything changed in
--                                 coord_private.locks/tasks/task_deps or the audit trail,
--                                 the change is appended (the expected value is the bare SQLSTATE)
--   tests.event(label, n)         the n-th audit event a call wrote
--   tests.tid(label), tests.tok(label)
--                                 the task_id, the (fencing) token of that first row
--   tests.col(label, key)         the values of one key of every row a call returned, in order
--   tests.submit_and_claim(label, submitter, type, description, claimer[, max_attempts, ttl])
--                                 submit_task as submitter (label) and claim_task of that type
--                                 as claimer (label || '/claim'); what both returned, one line
-- The calls live in the temporary table each suite creates first with
--   SELECT tests.start_calls();
-- so suites running side by side never see each other's labels. PL/pgSQL where the
-- body reads pg_temp.calls: it does not exist when these helpers are installed.
CREATE OR REPLACE FUNCTION tests.start_calls()
RETURNS void
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
BEGIN
    CREATE TEMP TABLE calls (label text PRIMARY KEY, rows jsonb NOT NULL, events bigint[] NOT NULL);
END
$$;
COMMENT ON FUNCTION tests.start_calls() IS 'TEST ONLY: the temporary table of a suite''s calls (tests.call), gone with its transaction';

CREATE OR REPLACE FUNCTION tests.call(p_label text, p_role text, p_sql text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    v_last bigint := tests.last_event_id();
    v_rows jsonb;
BEGIN
    v_rows := tests.run_as(p_role, p_sql);
    INSERT INTO pg_temp.calls
    SELECT p_label, v_rows, coalesce(array_agg(e.event_id ORDER BY e.event_id), '{}')
      FROM coord_private.audit_events e WHERE e.event_id > v_last;
    RETURN v_rows -> 0;
END
$$;
COMMENT ON FUNCTION tests.call(text, text, text) IS 'TEST ONLY: run a call as a role and keep its rows and audit events under a label';

CREATE OR REPLACE FUNCTION tests.res(p_label text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
BEGIN
    RETURN (SELECT c.rows -> 0 FROM pg_temp.calls c WHERE c.label = p_label);
END
$$;

CREATE OR REPLACE FUNCTION tests.tid(p_label text)
RETURNS bigint
LANGUAGE sql
SET search_path = 'public'
AS $$ SELECT (tests.res(p_label) ->> 'task_id')::bigint $$;

CREATE OR REPLACE FUNCTION tests.tok(p_label text)
RETURNS bigint
LANGUAGE sql
SET search_path = 'public'
AS $$ SELECT (tests.res(p_label) ->> 'token')::bigint $$;

CREATE OR REPLACE FUNCTION tests.col(p_label text, p_key text)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(r ->> p_key ORDER BY o), '{}')
              FROM pg_temp.calls c, jsonb_array_elements(c.rows) WITH ORDINALITY AS x(r, o) WHERE c.label = p_label);
END
$$;

-- 'submit <reason>; claim by <claimer> <reason>, <which task>, token <t>, attempt <n>'.
-- The expected line of a submission and claim that both succeed is
--   'submit allowed; claim by <claimer> allowed, the submitted task, token 1, attempt 1'
-- (another task claimed is named with its id and the submitted one's; 'no task' when
-- the claim returned none).
CREATE OR REPLACE FUNCTION tests.submit_and_claim(p_label text, p_submitter text, p_type text, p_description text,
                                                  p_claimer text, p_max_attempts integer DEFAULT NULL,
                                                  p_ttl interval DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    v_sub jsonb;
    v_claim jsonb;
BEGIN
    v_sub := tests.call(p_label, p_submitter,
                        format('SELECT * FROM coord.submit_task(%L, %L%s)', p_type, p_description,
                               CASE WHEN p_max_attempts IS NULL THEN '' ELSE format(', p_max_attempts => %s', p_max_attempts) END));
    v_claim := tests.call(p_label || '/claim', p_claimer,
                          format('SELECT * FROM coord.claim_task(ARRAY[%L]%s)', p_type,
                                 CASE WHEN p_ttl IS NULL THEN '' ELSE format(', %L', p_ttl) END));
    RETURN format('submit %s; claim by %s %s, %s, token %s, attempt %s',
                  coalesce(v_sub ->> 'reason', '<no reason>'), p_claimer, coalesce(v_claim ->> 'reason', '<no reason>'),
                  CASE WHEN v_claim ->> 'task_id' IS NULL THEN 'no task'
                       WHEN v_claim ->> 'task_id' = v_sub ->> 'task_id' THEN 'the submitted task'
                       ELSE format('task %s, not the submitted %s', coalesce(v_claim ->> 'task_id', 'none'),
                                   coalesce(v_sub ->> 'task_id', 'none')) END,
                  coalesce(v_claim ->> 'claim_token', '-'), coalesce(v_claim ->> 'attempt', '-'));
END
$$;
COMMENT ON FUNCTION tests.submit_and_claim(text, text, text, text, text, integer, interval) IS
    'TEST ONLY: submit a task as one agent and claim it as another, both recorded as calls; what they returned';

CREATE OR REPLACE FUNCTION tests.verdict(p_label text)
RETURNS text
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
BEGIN
    RETURN (
    SELECT CASE WHEN (c.rows -> 0 ->> 'ok')::boolean THEN 'ok ' ELSE 'refused ' END
           || coalesce(c.rows -> 0 ->> 'reason', '<no reason>')
           || ' | ' || cardinality(c.events) || CASE cardinality(c.events) WHEN 1 THEN ' event' ELSE ' events' END
           || coalesce((SELECT format(': %s by %s allowed=%s proceeded=%s reason=%s mode=%s%s',
                                      e.operation, e.actor, e.allowed::text, e.proceeded::text, e.reason, e.mode,
                                      CASE WHEN e.event_id IS DISTINCT FROM (c.rows -> 0 ->> 'event_id')::bigint
                                           THEN ' (not the event_id returned)' ELSE '' END)
                          FROM coord_private.audit_events e
                         WHERE cardinality(c.events) = 1 AND e.event_id = c.events[1]), '')
      FROM pg_temp.calls c WHERE c.label = p_label);
END
$$;

CREATE OR REPLACE FUNCTION tests.snapshot()
RETURNS text
LANGUAGE sql
SET search_path = 'public'
AS $$
    SELECT format('locks=%s tasks=%s deps=%s audit=%s content=%s',
        (SELECT count(*) FROM coord_private.locks), (SELECT count(*) FROM coord_private.tasks),
        (SELECT count(*) FROM coord_private.task_deps), tests.audit_count(),
        md5(concat_ws('|',
            (SELECT string_agg(l::text, ';' ORDER BY l.lock_id) FROM coord_private.locks l),
            (SELECT string_agg(t::text, ';' ORDER BY t.task_id) FROM coord_private.tasks t),
            (SELECT string_agg(d::text, ';' ORDER BY d.task_id, d.depends_on) FROM coord_private.task_deps d))))
$$;
COMMENT ON FUNCTION tests.snapshot() IS 'TEST ONLY: counts and a digest of the coordination tables and the audit trail';

CREATE OR REPLACE FUNCTION tests.bad(p_role text, p_sql text)
RETURNS text
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    v_before text := tests.snapshot();
    v_state text;
BEGIN
    v_state := coalesce(tests.sqlstate_as(p_role, p_sql), 'no error');
    RETURN v_state || CASE WHEN tests.snapshot() = v_before THEN ''
                           ELSE format(' (changed: before %s, after %s)', v_before, tests.snapshot()) END;
END
$$;
COMMENT ON FUNCTION tests.bad(text, text) IS 'TEST ONLY: the SQLSTATE a call raises, plus what it changed (nothing, for bad input)';

CREATE OR REPLACE FUNCTION tests.event(p_label text, p_n integer DEFAULT 1)
RETURNS coord_private.audit_events
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
DECLARE
    v coord_private.audit_events;
BEGIN
    SELECT e.* INTO v FROM pg_temp.calls c JOIN coord_private.audit_events e ON e.event_id = c.events[p_n]
     WHERE c.label = p_label;
    RETURN v;
END
$$;

-- ---------------------------------------------------------------------------
-- Leases and paths:
--   tests.release_locks(holder, ...)  each holder releases every lock row it has (live or
--                                     not), in lock_id order; the reasons release_lock returned
--   tests.norm(p)                     coord_private.normalize_path(p), or 'error <SQLSTATE>'
CREATE OR REPLACE FUNCTION tests.release_locks(VARIADIC p_holders text[])
RETURNS text[]
LANGUAGE sql
SET search_path = 'public'
AS $$
    SELECT array_agg(r ->> 'reason' ORDER BY l.lock_id)
      FROM coord_private.locks l,
           LATERAL tests.row_as(l.holder, format('SELECT * FROM coord.release_lock(%L)', l.path)) r
     WHERE l.holder = ANY (p_holders)
$$;
COMMENT ON FUNCTION tests.release_locks(text[]) IS 'TEST ONLY: release every lock of the given holders, as each holder';

-- coord_private.normalize_path(p), or 'error <SQLSTATE>': a malformed path must fail
-- one test, not abort the suite.
CREATE OR REPLACE FUNCTION tests.norm(p text)
RETURNS text
LANGUAGE plpgsql
SET search_path = 'public'
AS $$
BEGIN
    RETURN coord_private.normalize_path(p);
EXCEPTION WHEN OTHERS THEN
    RETURN 'error ' || SQLSTATE;
END
$$;
COMMENT ON FUNCTION tests.norm(text) IS 'TEST ONLY: a path''s normal form, or the SQLSTATE normalising it raises';
-- coord.verify_audit()'s row (as jsonb) after p_tamper ran as the calling superuser
-- with user triggers off (session_replication_role = replica: a superuser's way
-- around PC009); the tampering is undone (a subtransaction rolled back) before it
-- returns. For the audit suites (04_audit, 34_audit_verification).
CREATE OR REPLACE FUNCTION tests.verify_audit_after(p_tamper text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v jsonb;
BEGIN
    BEGIN
        SET LOCAL session_replication_role = replica;
        EXECUTE p_tamper;
        SET LOCAL session_replication_role = origin;
        SELECT pg_catalog.to_jsonb(r) INTO v FROM coord.verify_audit() r;
        RAISE EXCEPTION USING ERRCODE = 'UNDO0', MESSAGE = 'undo the tampering';
    EXCEPTION WHEN SQLSTATE 'UNDO0' THEN
        NULL;
    END;
    RETURN v;
END
$$;
COMMENT ON FUNCTION tests.verify_audit_after(text) IS 'TEST ONLY: verify_audit() as it would answer after a tampering, which is undone';

COMMIT;
