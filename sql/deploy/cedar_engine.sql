-- Deploy pgcoord:cedar_engine
-- The Cedar policy engine inside the database (INV-POLICY-EQ), in parts:
--   * catalog_rows: its two admin operations, its reason codes, PC012's wording;
--   * policies: coord_private.cedar_policies, the policy text, versioned (every
--     change is a new row; the latest version is in force), changed only through
--     coord.set_cedar_policies; version 1 is the baseline as released
--     (sql/parts/cedar_engine/baseline.cedar), exactly the rules of native_decide
--     then (later baselines, policies/baseline.cedar, are later versions);
--   * schema: the Cedar schema, entity types for agents, roles, profiles, files,
--     domains, tasks, sessions and one action per operation of
--     coord_private.operations (policies/schema.cedarschema; tests check they match);
--   * stand_ins: cedar_probe, cedar_validate, cedar_available where PL/Python or
--     cedarpy is missing (cedar_decide keeps the PC011 body of the policy change);
--   * admin_api: coord.set_policy_engine, coord.set_cedar_policies (coord_admin,
--     audited), coord.cedar_engine() and the view coord.cedar_policies;
--   * the evaluator, sql/plpython/cedar_evaluator.py, installed by
--     sql/plpython/install_cedar_evaluator.sql where PL/Python and cedarpy are
--     available; elsewhere coord.set_policy_engine('cedar') is refused and the
--     native engine stays in force.

BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/cedar_engine/catalog_rows.sql
\ir ../parts/cedar_engine/policies.sql
\ir ../parts/cedar_engine/schema.sql
\ir ../parts/cedar_engine/stand_ins.sql
\ir ../parts/cedar_engine/admin_api.sql
\ir ../plpython/install_cedar_evaluator.sql

COMMIT;
