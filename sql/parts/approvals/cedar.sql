-- The Cedar engine's side of approvals (INV-APPROVAL, INV-POLICY-EQ): the third
-- verdict decided as the native engine decides it. Included by the approvals
-- deploy, as coord_owner, after the profile approvals table (schema.sql) and the reason
-- code approval_required (catalog_rows.sql) exist: the policies are validated here.
--   1. the Cedar schema: profiles' approval_operations and approve_elevation, the
--      facts guardrail_approve_always / guardrail_approve_exempt_trust
--      (policies/schema.cedarschema, read from the file);
--   2. the evaluator, sql/plpython/cedar_evaluator.py, reinstalled: it reads the
--      profile approvals (profile_approvals) and approve-severity guardrail matches and lists the
--      approval_sources of a decision;
--   3. the baseline policies with the approval rules (policies/baseline.cedar) as
--      a new version, only where the version in force is still the released
--      baseline untouched.
-- psql reads the files relative to its working directory, the project root where
-- Sqitch runs (the files end with a newline, which the backquote drops).

\set approvals_cedar_schema `cat policies/schema.cedarschema`
\set approvals_cedar_baseline `cat policies/baseline.cedar`
\set approvals_cedar_released `cat sql/parts/cedar_engine/baseline.cedar`
SELECT pg_catalog.set_config('pgcoord.approvals_cedar_schema', :'approvals_cedar_schema' || E'\n', true)
           IS NOT NULL AS cedar_schema_read,
       pg_catalog.set_config('pgcoord.approvals_cedar_baseline', :'approvals_cedar_baseline' || E'\n', true)
           IS NOT NULL AS cedar_baseline_read,
       pg_catalog.set_config('pgcoord.approvals_cedar_released', :'approvals_cedar_released' || E'\n', true)
           IS NOT NULL AS cedar_released_read;

-- 1. The static part of the Cedar schema, from policies/schema.cedarschema (the
-- body keeps the released form, one dollar-quoted literal; the revert includes the
-- released definition again).
DO $schema$
DECLARE
    v_schema text := pg_catalog.current_setting('pgcoord.approvals_cedar_schema');
BEGIN
    IF v_schema !~ 'approve_elevation' OR pg_catalog.strpos(v_schema, '$cedar_schema$') > 0 THEN
        RAISE EXCEPTION 'pgcoord: cannot read policies/schema.cedarschema (or it holds $cedar_schema$)'
            USING HINT = 'run sqitch from the project root (the directory of sqitch.conf)';
    END IF;
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE FUNCTION coord_private.cedar_schema_entities() RETURNS text LANGUAGE sql IMMUTABLE AS %L',
        ' SELECT $cedar_schema$' || v_schema || '$cedar_schema$::text ');
END
$schema$;

-- 2. The evaluator (where PL/Python and cedarpy are available; elsewhere the
-- stand-ins stay and the native engine stays in force).
\ir ../../plpython/install_cedar_evaluator.sql

-- 3. The baseline with the approval rules. Version 1 (the released baseline) knows
-- no approvals: the Cedar engine would allow what the native engine now sends to
-- approval. A new version is stored only when the version in force is exactly the
-- released baseline: policies an admin stored (coord.set_cedar_policies) are never
-- overwritten; the deployer is warned instead, and adds the approval rules of
-- policies/baseline.cedar to them with coord.set_cedar_policies. Stored directly,
-- as the cedar_engine deploy stored version 1 (a deploy is not an agent's call:
-- no audit event); the approvals revert recognises it by its reason.
DO $policies$
DECLARE
    v_baseline text := pg_catalog.current_setting('pgcoord.approvals_cedar_baseline');
    v_released text := pg_catalog.current_setting('pgcoord.approvals_cedar_released');
    v_current coord_private.cedar_policies;
    v_errors text[];
BEGIN
    IF v_baseline !~ 'approval_required' OR v_released !~ 'forbid' THEN
        RAISE EXCEPTION 'pgcoord: cannot read policies/baseline.cedar or sql/parts/cedar_engine/baseline.cedar'
            USING HINT = 'run sqitch from the project root (the directory of sqitch.conf)';
    END IF;
    -- The shipped baseline validates against the schema just installed (reason
    -- codes included), wherever the Cedar engine can run.
    IF coord_private.cedar_available() THEN
        v_errors := coord_private.cedar_validate(v_baseline);
        IF pg_catalog.cardinality(v_errors) > 0 THEN
            RAISE EXCEPTION 'pgcoord: policies/baseline.cedar does not validate against the Cedar schema'
                USING DETAIL = pg_catalog.left(pg_catalog.array_to_string(v_errors, E'\n'), 4000);
        END IF;
    END IF;
    SELECT * INTO v_current FROM coord_private.cedar_policies c ORDER BY c.version DESC LIMIT 1;
    IF v_current.policy_text = v_released THEN
        INSERT INTO coord_private.cedar_policies (policy_text, reason, created_by)
        VALUES (v_baseline, 'baseline: the rules of the native engine, with approvals (deploy of approvals)', 'pgcoord');
    ELSIF v_current.policy_text IS DISTINCT FROM v_baseline THEN
        RAISE WARNING 'pgcoord: the Cedar policies in force (version %) are not the released baseline: the approval rules were not added to them', v_current.version
            USING HINT = 'add the policies @id("approval_required") of policies/baseline.cedar with coord.set_cedar_policies, '
                         'or the Cedar engine will allow what the native engine sends to approval';
    END IF;
END
$policies$;
