-- pgcoord structure: schemas, ownership, PUBLIC, the API surface, RLS, comments and
-- pinned search_path of SECURITY DEFINER functions (INV-RLS, INV-BOUNDARY).
-- Everything is derived from the catalog; floors keep the derived checks from
-- passing on nothing.
BEGIN;
SELECT plan(31);

-- Floors (the counts of the plan at v0.2.0): raise them when the plan adds private
-- tables or SECURITY DEFINER functions, so the derived checks never pass on nothing.
\set min_private_tables 15
\set min_definers 32

-- ---------------------------------------------------------------- schemas
SELECT has_schema('coord', 'INV-BOUNDARY: schema coord (the API) exists');
SELECT has_schema('coord_private', 'INV-BOUNDARY: schema coord_private (the state) exists');
SELECT schema_owner_is('coord', 'coord_owner', 'INV-BOUNDARY: coord is owned by coord_owner');
SELECT schema_owner_is('coord_private', 'coord_owner', 'INV-BOUNDARY: coord_private is owned by coord_owner');
SELECT ok(NOT r.rolcanlogin, 'INV-BOUNDARY: coord_owner cannot log in')
  FROM pg_roles r WHERE r.rolname = 'coord_owner';

-- ---------------------------------------------------------------- PUBLIC
SELECT is_empty($$
    SELECT n.nspname, a.privilege_type
      FROM pg_namespace n
     CROSS JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
     WHERE n.nspname IN ('coord', 'coord_private') AND a.grantee = 0
$$, 'INV-BOUNDARY: PUBLIC has no privilege (no USAGE, no CREATE) on coord or coord_private');

SELECT is_empty($$
    SELECT p.oid::regprocedure
      FROM pg_proc p
     CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
     WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND a.grantee = 0 AND a.privilege_type = 'EXECUTE'
$$, 'INV-BOUNDARY: PUBLIC has EXECUTE on no coord or coord_private function');

SELECT is_empty($$
    SELECT c.oid::regclass, a.privilege_type
      FROM pg_class c
     CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
     WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND a.grantee = 0
$$, 'INV-RLS: PUBLIC has no privilege on any relation of coord or coord_private');

-- ---------------------------------------------------------------- the API surface
SELECT is_empty($$
    SELECT c.oid::regclass, c.relkind FROM pg_class c
     WHERE c.relnamespace = 'coord'::regnamespace AND c.relkind <> 'v'
$$, 'INV-BOUNDARY: coord holds views only (no table, sequence, index, materialized view)');

SELECT ok((SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'coord'::regnamespace AND c.relkind = 'v') >= 5
          AND (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'coord'::regnamespace) >= 10,
          'INV-BOUNDARY: coord is not empty (at least 5 views and 10 functions), so the checks above see something');

-- ---------------------------------------------------------------- pgcoord roles and coord_private
SELECT ok(NOT has_schema_privilege(r, 'coord_private', 'USAGE') AND NOT has_schema_privilege(r, 'coord_private', 'CREATE'),
          format('INV-RLS: %s has no USAGE or CREATE on schema coord_private', r))
  FROM unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r;

-- The one exception (task_visibility): coord.tasks is a security_invoker view, so its
-- readers hold column SELECT on coord_private.tasks and task_deps (rows filtered by RLS,
-- 09_task_visibility) and EXECUTE on the two visibility helpers its policy calls. A
-- table-level SELECT there is still reported.
SELECT is_empty(format($$
    SELECT c.oid::regclass, priv
      FROM pg_class c
     CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) priv
     WHERE c.relnamespace = 'coord_private'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND (has_table_privilege(%1$L, c.oid, priv)
            OR (priv IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES') AND has_any_column_privilege(%1$L, c.oid, priv)))
       AND NOT (priv = 'SELECT' AND c.relname IN ('tasks', 'task_deps') AND NOT has_table_privilege(%1$L, c.oid, priv))
    UNION ALL
    SELECT c.oid::regclass, priv
      FROM pg_class c CROSS JOIN unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) priv
     WHERE c.relnamespace = 'coord_private'::regnamespace AND c.relkind = 'S'
       AND has_sequence_privilege(%1$L, c.oid, priv)
    UNION ALL
    SELECT NULL::regclass, p.oid::regprocedure::text
      FROM pg_proc p
     WHERE p.pronamespace = 'coord_private'::regnamespace AND has_function_privilege(%1$L, p.oid, 'EXECUTE')
       AND p.proname NOT IN ('task_viewer', 'task_access')
$$, r), format('INV-RLS: %s holds no privilege on any table, sequence or function of coord_private (but the task visibility grants)', r))
  FROM unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r;

-- ---------------------------------------------------------------- RLS on every private table
SELECT is_empty($$
    SELECT c.oid::regclass FROM pg_class c
     WHERE c.relnamespace = 'coord_private'::regnamespace AND c.relkind IN ('r', 'p')
       AND NOT c.relrowsecurity
$$, 'INV-RLS: row-level security is enabled on every table of coord_private');

SELECT cmp_ok((SELECT count(*)::integer FROM pg_class c
                WHERE c.relnamespace = 'coord_private'::regnamespace AND c.relkind IN ('r', 'p')),
              '>=', :min_private_tables,
              'INV-RLS: the RLS check above saw at least ' || :min_private_tables || ' private tables (floor)');

-- Defence in depth: a stray grant still exposes nothing an agent may not read.
SELECT tests.create_agents('implementer', 't00_alice', 't00_bob');
SELECT tests.open_sessions('t00_alice', 'alice s1'), tests.open_sessions('t00_bob', 'bob s1');
GRANT USAGE ON SCHEMA coord_private TO coord_agent;
GRANT SELECT ON coord_private.sessions, coord_private.audit_events, coord_private.settings,
                coord_private.agents, coord_private.profiles TO coord_agent;

SELECT is(tests.run_as('t00_alice', $$SELECT DISTINCT agent FROM coord_private.sessions$$),
          '[{"agent": "t00_alice"}]'::jsonb,
          'INV-RLS: with a stray SELECT grant an agent still sees only its own sessions');
SELECT is(tests.run_as('t00_alice', $$SELECT DISTINCT actor FROM coord_private.audit_events$$),
          '[{"actor": "t00_alice"}]'::jsonb,
          'INV-RLS: with a stray SELECT grant an agent still sees only its own audit events');
SELECT is(tests.run_as('t00_alice', $$SELECT role_name FROM coord_private.agents$$),
          '[{"role_name": "t00_alice"}]'::jsonb,
          'INV-RLS: with a stray SELECT grant an agent still sees only its own agent row');
SELECT is(tests.run_as('t00_alice', $$SELECT count(*) AS n FROM coord_private.settings$$)
          || tests.run_as('t00_alice', $$SELECT count(*) AS n FROM coord_private.profiles$$),
          '[{"n": 0}, {"n": 0}]'::jsonb,
          'INV-RLS: with a stray SELECT grant an agent sees no settings and no profile rows (RLS, no policy)');
REVOKE ALL ON coord_private.sessions, coord_private.audit_events, coord_private.settings,
              coord_private.agents, coord_private.profiles FROM coord_agent;
REVOKE USAGE ON SCHEMA coord_private FROM coord_agent;

-- ---------------------------------------------------------------- comments
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p
     WHERE p.pronamespace = 'coord'::regnamespace
       AND coalesce(btrim(obj_description(p.oid, 'pg_proc')), '') = ''
$$, 'INV-BOUNDARY: every coord function has a COMMENT (the DBA''s reference with \df+)');

SELECT is_empty($$
    SELECT c.oid::regclass FROM pg_class c
     WHERE c.relnamespace = 'coord'::regnamespace AND c.relkind = 'v'
       AND coalesce(btrim(obj_description(c.oid, 'pg_class')), '') = ''
$$, 'INV-BOUNDARY: every coord view has a COMMENT');

-- ---------------------------------------------------------------- planning of the hot path
-- Lease and queue mutations run in their own short transactions under churn: their
-- statements keep one generic plan per session (no re-planning per call), and no
-- bitmap scan, which never marks the dead index entries released grants leave.
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p
     WHERE p.oid IN ('coord.acquire_lock(text,interval,text,text)'::regprocedure,
                     'coord.renew_lock(text,interval)'::regprocedure, 'coord.release_lock(text)'::regprocedure,
                     'coord.force_release_lock(text,text)'::regprocedure,
                     'coord.submit_task(text,text,jsonb,integer,bigint[],text,integer,text[])'::regprocedure,
                     'coord.claim_task(text[],interval,boolean)'::regprocedure,
                     'coord.claim_tasks(integer,text[],interval,boolean)'::regprocedure,
                     'coord.renew_claim(bigint,bigint,interval)'::regprocedure,
                     'coord.complete_task(bigint,bigint,jsonb)'::regprocedure,
                     'coord.fail_task(bigint,bigint,text,boolean)'::regprocedure,
                     'coord.cancel_task(bigint,text)'::regprocedure)
       AND NOT coalesce(p.proconfig, '{}') @> ARRAY['plan_cache_mode=force_generic_plan', 'enable_bitmapscan=off', 'max_parallel_workers_per_gather=0']
$$, 'hot path: every lease and queue mutation pins plan_cache_mode = force_generic_plan, enable_bitmapscan = off and no parallel workers');

-- ---------------------------------------------------------------- pinned search_path
-- The same check query before and after the self-mutation below: tests.unpinned_definers().
SELECT is_empty($$ SELECT * FROM tests.unpinned_definers() $$,
    'INV-BOUNDARY: every SECURITY DEFINER function of coord/coord_private pins search_path ('''' or pg_catalog, pg_temp)');

SELECT cmp_ok((SELECT count(*)::integer FROM pg_proc p
                WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace) AND p.prosecdef),
              '>=', :min_definers,
              'INV-BOUNDARY: the search_path check above saw at least ' || :min_definers || ' SECURITY DEFINER functions (floor)');

-- Self-mutation: definers added inside this transaction (rolled back at the end).
SET LOCAL ROLE coord_owner;
CREATE FUNCTION coord.t00_unpinned() RETURNS integer LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
CREATE FUNCTION coord_private.t00_public_path() RETURNS integer LANGUAGE sql SECURITY DEFINER
    SET search_path = public AS $$ SELECT 1 $$;
CREATE FUNCTION coord.t00_temp_first() RETURNS integer LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_temp, pg_catalog AS $$ SELECT 1 $$;
CREATE FUNCTION coord.t00_pinned() RETURNS integer LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$ SELECT 1 $$;
RESET ROLE;

SELECT ok('coord.t00_unpinned()'::regprocedure IN (SELECT * FROM tests.unpinned_definers()),
    'INV-BOUNDARY (self-mutation): a definer added without SET search_path is reported by the same check');
SELECT ok('coord_private.t00_public_path()'::regprocedure IN (SELECT * FROM tests.unpinned_definers()),
    'INV-BOUNDARY (self-mutation): a definer with search_path = public is reported');
SELECT ok('coord.t00_temp_first()'::regprocedure IN (SELECT * FROM tests.unpinned_definers()),
    'INV-BOUNDARY (self-mutation): a definer with pg_temp searched before pg_catalog is reported');
SELECT ok('coord.t00_pinned()'::regprocedure NOT IN (SELECT * FROM tests.unpinned_definers()),
    'INV-BOUNDARY (control): a definer pinned to pg_catalog, pg_temp is not reported');

SELECT * FROM finish();
ROLLBACK;
