-- Deploy pgcoord:definer_search_path
-- INV-DEFINER. Every function that pins a search path pins `pg_catalog, pg_temp`.
-- An empty search path is not empty: PostgreSQL then searches the session's
-- temporary schema FIRST for relations and types, so an agent's
-- `CREATE DOMAIN pg_temp.text ... CHECK (its_function(VALUE))` ran its code inside
-- every definer as coord_owner. Named last, pg_temp is searched after pg_catalog
-- for relations and types and never for functions and operators, and every
-- pgcoord object is schema-qualified, so nothing an agent creates is resolved.
-- Functions created by later changes pin the same path themselves; the catalog
-- gate (tests.unpinned_definers) refuses any other value.
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/definer_search_path/pin.sql

COMMIT;
