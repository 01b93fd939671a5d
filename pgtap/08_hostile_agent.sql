-- The hostile agent, in SQL (INV-BOUNDARY, INV-DEFINER, INV-AUDIT-IMMUTABLE). The
-- pytest counterpart (tests/test_hostile_agent.py) attacks with real logins and
-- derives every name to shadow from the catalog; this file pins the red team's
-- attack and the structural defences inside one transaction:
--   * the red team's four lines, run as an agent (SET LOCAL SESSION AUTHORIZATION,
--     which changes session_user like a login): creating pg_temp objects is refused
--     (42501: no TEMPORARY), and the agent's profile does not change;
--   * a pg_temp domain planted by the superuser in this very backend for every type
--     name the sources use unqualified (so the pinned search path is tested on its
--     own, whatever TEMPORARY says): no coord call an agent makes runs its CHECK as
--     coord_owner;
--   * the catalog: no TEMPORARY for the pgcoord roles, every pinned search path
--     names pg_temp explicitly and last, no advisory-lock key an agent could take,
--     lock_timeout bounded on every coord writer;
--   * the retention flag: code running as coord_owner in a session whose settings an
--     agent controls cannot delete or rewrite audit events (PC009).
-- Markers of a breach go to tests.t08_canary, writable by coord_owner only.
BEGIN;
SELECT plan(16);
-- The tests that need the catalog gate's dependency analysis skip, saying why, where
-- the server has no plpgsql_check (tests.plpgsql_check_unavailable()).
SELECT tests.plpgsql_check_unavailable() IS NULL AS t08_analysis,
       coalesce(tests.plpgsql_check_unavailable(), '') AS t08_no_analysis \gset

SELECT tests.create_agents('implementer', 't08_mallory', 't08_victim'),
       tests.create_members('coord_admin', 't08_admin'), tests.create_members('coord_auditor', 't08_auditor');

-- The victim's state the attacker aims at.
SELECT tests.run_as('t08_victim', $$SELECT ok FROM coord.acquire_lock('victim/owned.py', '1 hour')$$) IS NOT NULL AS v_lock \gset
SELECT tests.run_as('t08_victim', $$SELECT ok FROM coord.submit_task('t08_job', 'victim task', '{"secret": "t08"}')$$) IS NOT NULL AS v_task \gset

CREATE TABLE tests.t08_canary (session_role text, acting_role text, vector text);
GRANT USAGE ON SCHEMA tests TO coord_owner;
GRANT INSERT ON tests.t08_canary TO coord_owner;

-- p_sql as p_role (session_user and current_user switched, as tests.run_as does);
-- the SQLSTATE it raises, or NULL. No SET clause: the statement sees this backend's
-- own temporary schema, as the agent's own session would.
CREATE FUNCTION tests.t08_as(p_role text, p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    EXECUTE pg_catalog.format('SET LOCAL SESSION AUTHORIZATION %I', p_role);
    BEGIN
        EXECUTE p_sql;
    EXCEPTION WHEN OTHERS THEN
        v := SQLSTATE;
    END;
    RESET SESSION AUTHORIZATION;
    RETURN v;
END
$$;

-- p_sql as coord_owner with the retention flag set by the session; its SQLSTATE or NULL.
CREATE FUNCTION tests.t08_owner_with_flag(p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    PERFORM pg_catalog.set_config('coord_private.audit_retention', 'on', true);
    SET LOCAL ROLE coord_owner;
    BEGIN
        EXECUTE p_sql;
    EXCEPTION WHEN OTHERS THEN
        v := SQLSTATE;
    END;
    RESET ROLE;
    PERFORM pg_catalog.set_config('coord_private.audit_retention', 'off', true);
    RETURN v;
END
$$;

-- ---------------------------------------------------------------- the red team's four lines
-- (the caller's own search_path does not matter: the definer's pinned one does; the
-- payload stands for "anything": escalate, mark the canary, and stop the recursion
-- the escalation's trigger would otherwise cause through the same shadow)
SELECT coalesce(tests.t08_as('t08_mallory', $red$
CREATE FUNCTION pg_temp.p(v pg_catalog.text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN IF current_user::pg_catalog.text = 'coord_owner' THEN
    IF pg_catalog.current_setting('t08.fired', true) IS DISTINCT FROM 'on' THEN
        PERFORM pg_catalog.set_config('t08.fired', 'on', true);
        INSERT INTO tests.t08_canary VALUES (session_user::pg_catalog.text, current_user::pg_catalog.text, 'red team');
        UPDATE coord_private.agents SET profile = 'administrator' WHERE role_name = session_user::pg_catalog.text;
    END IF;
END IF; RETURN true; END $$
$red$), 'created') AS create_function_state \gset
SELECT coalesce(tests.t08_as('t08_mallory', $red$
CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.p(VALUE))
$red$), 'created') AS create_domain_state \gset
SELECT coalesce(tests.t08_as('t08_mallory', 'SELECT * FROM coord.whoami()'), 'ok') AS whoami_state \gset
SELECT profile AS mallory_profile FROM coord_private.agents WHERE role_name = 't08_mallory' \gset
SELECT count(*) AS red_hits FROM tests.t08_canary WHERE vector = 'red team' \gset
DROP DOMAIN IF EXISTS pg_temp.text;
DROP FUNCTION IF EXISTS pg_temp.p(pg_catalog.text);

SELECT is(:'create_function_state'::text, '42501',
          'INV-DEFINER: an agent cannot create a function in pg_temp (no TEMPORARY): 42501');
SELECT is(:'create_domain_state'::text, '42501',
          'INV-DEFINER: an agent cannot create the pg_temp.text domain (no TEMPORARY): 42501');
SELECT is(:'mallory_profile'::text, 'implementer',
          'INV-BOUNDARY: after the red team''s four lines and coord.whoami() the agent is still an implementer');
SELECT is(:'red_hits'::integer, 0,
          'INV-DEFINER: the red team''s CHECK never ran as coord_owner');

-- ---------------------------------------------------------------- planted shadows
-- The superuser plants, in this backend's temporary schema, a domain for every type
-- name the coord/coord_private sources write unqualified after :: (plus the
-- built-ins), whose CHECK marks the canary when it runs as another role than the
-- session user. Then the agent calls the API.
CREATE FUNCTION pg_temp.t08_p(p_tag pg_catalog.text) RETURNS pg_catalog.bool
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF current_user::pg_catalog.text <> session_user::pg_catalog.text
       AND pg_catalog.current_setting('t08.planted', true) IS DISTINCT FROM 'on' THEN
        PERFORM pg_catalog.set_config('t08.planted', 'on', true);
        INSERT INTO tests.t08_canary VALUES (session_user::pg_catalog.text, current_user::pg_catalog.text,
                                             'planted ' || p_tag);
        PERFORM pg_catalog.set_config('t08.planted', 'off', true);
    END IF;
    RETURN true;
END
$$;
CREATE TEMP TABLE t08_planted (name text PRIMARY KEY);
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        WITH names AS (
            SELECT DISTINCT pg_catalog.lower(m.mt[1]) AS name
              FROM pg_catalog.pg_proc p,
                   pg_catalog.regexp_matches(tests.mask_source(p.prosrc), '::\s*([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_$]|\s*\.)', 'g') AS m(mt)
             WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
            UNION
            SELECT unnest(ARRAY['text', 'jsonb', 'bigint', 'integer', 'boolean', 'timestamptz', 'interval',
                                'uuid', 'numeric', 'int4', 'int8', 'bool', 'name', 'bytea', 'regrole', 'inet'])
        )
        SELECT n.name, t.oid, t.typname
          FROM names n
          JOIN pg_catalog.pg_type t ON t.oid = pg_catalog.to_regtype(n.name)
         WHERE t.typnamespace = 'pg_catalog'::regnamespace AND t.typtype IN ('b', 'e', 'r', 'm')
    LOOP
        BEGIN
            EXECUTE pg_catalog.format(
                'CREATE DOMAIN pg_temp.%I AS pg_catalog.%I CHECK (pg_temp.t08_p(%L))', r.name, r.typname, r.name);
            INSERT INTO t08_planted VALUES (r.name);
        EXCEPTION WHEN duplicate_object THEN NULL;
        END;
    END LOOP;
END
$$;
SELECT count(*) >= 10 AS planted_enough FROM t08_planted \gset
SELECT coalesce(tests.t08_as('t08_mallory', $$SELECT * FROM coord.whoami()$$), 'ok') AS s1,
       tests.t08_as('t08_mallory', $$SELECT * FROM coord.register_session('mallory', '{"x": 1}')$$) AS s2,
       tests.t08_as('t08_mallory', $$SELECT * FROM coord.acquire_lock('mallory/a.py', '60 seconds')$$) AS s3,
       tests.t08_as('t08_mallory', $$SELECT * FROM coord.acquire_lock('victim/owned.py', '60 seconds')$$) AS s4,
       tests.t08_as('t08_mallory', $$SELECT * FROM coord.renew_lock('mallory/a.py', '120 seconds')$$) AS s5,
       tests.t08_as('t08_mallory', $$SELECT * FROM coord.check_locks(ARRAY['victim/owned.py'])$$) AS s6,
       tests.t08_as('t08_mallory', $$SELECT * FROM coord.submit_task('t08_job', 'mallory', '{"a": [1, 2]}', 5)$$) AS s7,
       tests.t08_as('t08_mallory', $$SELECT * FROM coord.claim_task(ARRAY['t08_job'], '60 seconds')$$) AS s8,
       tests.t08_as('t08_mallory', $$SELECT * FROM coord.check_guardrails('rm -rf /', ARRAY['a.py'])$$) AS s9,
       tests.t08_as('t08_mallory', $$SELECT * FROM coord.check_network_access('https://example.com/')$$) AS s10,
       tests.t08_as('t08_mallory', $$SELECT * FROM coord.release_lock('mallory/a.py')$$) AS s11 \gset
SELECT profile AS mallory_profile2 FROM coord_private.agents WHERE role_name = 't08_mallory' \gset
SELECT count(*) AS planted_hits, coalesce(string_agg(DISTINCT vector, ', '), '') AS planted_vectors
  FROM tests.t08_canary WHERE vector LIKE 'planted %' \gset
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT name FROM t08_planted LOOP
        EXECUTE pg_catalog.format('DROP DOMAIN pg_temp.%I', r.name);
    END LOOP;
END
$$;
DROP FUNCTION pg_temp.t08_p(pg_catalog.text);

SELECT ok(:'planted_enough'::boolean, 'the planted shadows cover at least 10 type names used unqualified or built in');
SELECT is(:'planted_hits' || ' hit(s): ' || :'planted_vectors', '0 hit(s): ',
          'INV-DEFINER: no coord call of the agent ran a pg_temp domain''s CHECK as coord_owner (pinned search path)');
SELECT is(:'mallory_profile2'::text, 'implementer', 'INV-BOUNDARY: the agent''s profile is unchanged after the calls');

-- ---------------------------------------------------------------- the catalog
SELECT is_empty($$
    SELECT r FROM unnest(ARRAY['t08_mallory', 't08_admin', 't08_auditor', 'coord_agent', 'coord_admin', 'coord_auditor']) r
     WHERE has_database_privilege(r, current_database(), 'TEMPORARY')
    UNION ALL
    SELECT 'PUBLIC' FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
     WHERE d.datname = current_database() AND a.grantee = 0 AND a.privilege_type = 'TEMPORARY'
$$, 'INV-DEFINER: neither PUBLIC nor a pgcoord role (nor their members) may create temporary objects here');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text, cfg
      FROM pg_proc p, unnest(p.proconfig) cfg
     WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND cfg LIKE 'search\_path=%'
       AND cfg !~ '^search_path=.*(^|[=,]\s*)pg_temp\s*$'
$$, 'INV-DEFINER: every pinned search path of coord/coord_private names pg_temp explicitly and last (an empty path searches pg_temp FIRST)');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_proc p
     WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND p.prosecdef
       AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) cfg WHERE cfg LIKE 'search\_path=%')
$$, 'INV-DEFINER: every SECURITY DEFINER function pins a search path');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_proc p
     WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND tests.mask_source(p.prosrc) ~* 'pg_(try_)?advisory_'
$$, 'INV-DEFINER: no coord/coord_private function serialises on advisory-lock keys (any session may take them)');

\if :t08_analysis
SELECT is_empty($$
    SELECT w.fn::text, coalesce((SELECT c FROM unnest(p.proconfig) c WHERE c LIKE 'lock\_timeout=%'), 'no lock_timeout')
      FROM tests.writer_functions() w
      JOIN pg_proc p ON p.oid = w.fn
     WHERE w.schema = 'coord'
       AND NOT EXISTS (
           SELECT 1 FROM unnest(p.proconfig) c, LATERAL (SELECT split_part(c, '=', 2) AS v) x
            WHERE c LIKE 'lock\_timeout=%'
              AND CASE WHEN x.v ~ '^[0-9]+$' THEN x.v::bigint * interval '1 millisecond'
                       ELSE x.v::interval END BETWEEN interval '1 millisecond' AND interval '10 seconds')
$$, 'INV-DEFINER: every coord writer pins a lock_timeout between 1 ms and 10 s (an agent holding a transaction open cannot stall others)');
\else
SELECT skip(:'t08_no_analysis', 1);
\endif

-- ---------------------------------------------------------------- the retention flag
SELECT count(*) > 0 AS have_events FROM coord_private.audit_events \gset
SELECT ok(:'have_events'::boolean, 'the audit trail has events to attack');
SELECT is(tests.t08_owner_with_flag($$DELETE FROM coord_private.audit_events
                                       WHERE event_id = (SELECT max(event_id) FROM coord_private.audit_events)$$),
          'PC009', 'INV-AUDIT-IMMUTABLE: coord_owner code in a session with coord_private.audit_retention = on cannot delete the newest event');
SELECT is(tests.t08_owner_with_flag($$DELETE FROM coord_private.audit_events WHERE actor = 't08_victim'$$),
          'PC009', 'INV-AUDIT-IMMUTABLE: nor another agent''s events');
SELECT is(tests.t08_owner_with_flag($$UPDATE coord_private.audit_events SET reason = 'forged'
                                       WHERE event_id = (SELECT max(event_id) FROM coord_private.audit_events)$$),
          'PC009', 'INV-AUDIT-IMMUTABLE: nor rewrite one');

SELECT * FROM finish();
ROLLBACK;
