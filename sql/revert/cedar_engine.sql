-- Revert pgcoord:cedar_engine
-- Back to the native engine; coord_private.cedar_decide gets the PC011 body of the
-- policy change again (CREATE OR REPLACE keeps its owner, coord_owner). The
-- plpython3u extension stays: it is database-wide and may serve others.
BEGIN;
UPDATE coord_private.settings
   SET policy_engine = 'native', updated_at = pg_catalog.now(), updated_by = session_user
 WHERE policy_engine = 'cedar';

DROP VIEW coord.cedar_policies;
DROP FUNCTION coord.cedar_engine();
DROP FUNCTION coord.set_cedar_policies(text, text);
DROP FUNCTION coord.set_policy_engine(text, text);
DROP FUNCTION coord_private.cedar_available();
DROP FUNCTION coord_private.cedar_validate(text);
DROP FUNCTION coord_private.cedar_probe();
DROP FUNCTION coord_private.cedar_schema();
DROP FUNCTION coord_private.cedar_resource_type(text);
DROP FUNCTION coord_private.cedar_schema_entities();
DROP TABLE coord_private.cedar_policies;

\ir ../parts/policy/coord_private.cedar_decide.sql

UPDATE coord_private.error_codes
   SET description = 'a guardrail or domain pattern is invalid or unsafe'
 WHERE sqlstate = 'PC012';
-- Audit events reference reason codes: a code some event used stays.
DELETE FROM coord_private.reason_codes rc
 WHERE rc.code IN ('not_permitted', 'policy_error')
   AND NOT EXISTS (SELECT 1 FROM coord_private.audit_events e WHERE e.reason = rc.code);
DELETE FROM coord_private.operations WHERE name IN ('set_policy_engine', 'set_cedar_policies');
COMMIT;
