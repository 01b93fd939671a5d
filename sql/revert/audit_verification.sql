-- Revert pgcoord:audit_verification
-- audit_problems and verify_audit as they were (verify_audit with the
-- settings definer_search_path and definer_settings gave it), and the foreign key
-- from audit events to the reason catalogue (validated: an event appended meanwhile
-- with a reason the catalogue does not hold fails the revert).
BEGIN;
SET LOCAL ROLE coord_owner;

\ir ../parts/audit_api/coord.verify_audit.sql
ALTER FUNCTION coord.verify_audit() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION coord.verify_audit() SET lock_timeout = '5s';
ALTER FUNCTION coord.verify_audit() SET standard_conforming_strings = on;
DROP FUNCTION coord_private.first_audit_problem();
\ir ../parts/audit_api/coord_private.audit_problems.sql
ALTER TABLE coord_private.audit_events
    ADD CONSTRAINT audit_events_reason_fkey FOREIGN KEY (reason) REFERENCES coord_private.reason_codes (code);

COMMIT;
