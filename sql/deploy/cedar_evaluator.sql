-- Deploy pgcoord:cedar_evaluator
-- Installs the Cedar evaluator from its module, sql/plpython/cedar_evaluator.py
-- (databases deployed before v0.5.0 carry the same code inline in the function
-- bodies). Every later version of the module is installed by reworking this change.
BEGIN;
SET LOCAL ROLE coord_owner;
\ir ../plpython/install_cedar_evaluator.sql
COMMIT;
