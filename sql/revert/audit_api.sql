-- Revert pgcoord:audit_api
BEGIN;
DROP FUNCTION coord.purge_audit(timestamptz, text);
DROP FUNCTION coord.verify_audit_digest(jsonb);
DROP FUNCTION coord.audit_digest();
DROP FUNCTION coord_private.digest_of_chains(jsonb);
DROP FUNCTION coord.verify_audit();
DROP FUNCTION coord_private.audit_problems();
DROP VIEW coord.my_audit_events;
DROP VIEW coord.audit_trail;
COMMIT;
