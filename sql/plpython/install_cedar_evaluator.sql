-- Installs the Cedar evaluator, sql/plpython/cedar_evaluator.py, as the bodies of
-- coord_private.cedar_probe, coord_private.cedar_validate and
-- coord_private.cedar_decide: the one place that loads it (included by the
-- cedar_engine change and by every change that installs a new version of it).
--
-- Each body carries the module's source and compiles it once per session into
-- its SD; then it calls the module's probe(), validate() or decide(). Installed
-- as the deployer (an untrusted language needs a superuser), only when
-- plpython3u can be created and the server's Python imports cedarpy; CREATE OR
-- REPLACE keeps the owner of the stand-ins, coord_owner. Otherwise the reason
-- is recorded in coord_private.cedar_probe() and reported as a WARNING, and the
-- stand-ins (PC011, coord.set_policy_engine('cedar') refused) stay.
--
-- psql reads the module relative to its working directory: Sqitch runs it from
-- the project root, where sqitch.conf is.
\set cedar_evaluator_source `cat sql/plpython/cedar_evaluator.py`
RESET ROLE;
SELECT pg_catalog.set_config('pgcoord.cedar_evaluator_source', :'cedar_evaluator_source', true) IS NOT NULL
    AS cedar_evaluator_read;
DO $deploy$
DECLARE
    v_source text := pg_catalog.current_setting('pgcoord.cedar_evaluator_source');
    v_load text;
    v_reason text;
BEGIN
    IF v_source !~ 'def decide\(' THEN
        RAISE EXCEPTION 'pgcoord: cannot read sql/plpython/cedar_evaluator.py'
            USING HINT = 'run sqitch from the project root (the directory of sqitch.conf)';
    END IF;
    -- The preamble of every body: the module, compiled once per session.
    v_load := pg_catalog.format(
        E'M = SD.get(''module'')\nif M is None:\n'
         '    M = {''__name__'': ''pgcoord_cedar_evaluator''}\n'
         '    exec(compile(%s, ''cedar_evaluator.py'', ''exec''), M)\n'
         '    SD[''module''] = M\n',
        pg_catalog.to_jsonb(v_source)::text);
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'plpython3u') THEN
            RAISE EXCEPTION 'PL/Python (plpython3u) is not available on this server: install postgresql-plpython3-%',
                pg_catalog.current_setting('server_version_num')::integer / 10000;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'plpython3u')
           AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
            RAISE EXCEPTION 'plpython3u is not installed in this database and the deployer % is not a superuser', current_user;
        END IF;
        CREATE EXTENSION IF NOT EXISTS plpython3u;
        DO LANGUAGE plpython3u $py$
import cedarpy
$py$;
        EXECUTE pg_catalog.format(
            'CREATE OR REPLACE FUNCTION coord_private.cedar_probe() RETURNS jsonb LANGUAGE plpython3u STABLE AS %L',
            v_load || E'return M[''probe''](SD)\n');
        EXECUTE pg_catalog.format(
            'CREATE OR REPLACE FUNCTION coord_private.cedar_validate(p_policy_text text) RETURNS text[] '
            'LANGUAGE plpython3u STABLE AS %L',
            v_load || E'return M[''validate''](plpy, p_policy_text)\n');
        EXECUTE pg_catalog.format(
            'CREATE OR REPLACE FUNCTION coord_private.cedar_decide(p_actor text, p_operation text, p_resource text, '
            'p_context jsonb) RETURNS coord_private.decision LANGUAGE plpython3u STABLE AS %L',
            v_load || E'return M[''decide''](plpy, SD, p_actor, p_operation, p_resource, p_context)\n');
        COMMENT ON FUNCTION coord_private.cedar_decide(text, text, text, jsonb) IS
            'the Cedar engine (PL/Python, cedarpy): the facts of the agent, its profile, the operation and p_context, evaluated against the latest coord_private.cedar_policies (parsed once per session and version; facts kept per policy generation; decisions memoised per version on the exact facts Cedar sees)';
    EXCEPTION WHEN OTHERS THEN
        v_reason := SQLERRM;
    END;
    IF v_reason IS NOT NULL THEN
        EXECUTE pg_catalog.format(
            'CREATE OR REPLACE FUNCTION coord_private.cedar_probe() RETURNS jsonb LANGUAGE sql STABLE AS %L',
            pg_catalog.format('SELECT %L::jsonb', pg_catalog.jsonb_build_object(
                'available', false, 'reason', 'not installed when cedar_engine was deployed: ' || v_reason)));
        RAISE WARNING 'pgcoord: the Cedar policy engine is unavailable (the native engine stays in force): %', v_reason;
    END IF;
END
$deploy$;
SET LOCAL ROLE coord_owner;
