-- Revert pgcoord:lease_batches
-- Refused while the audit trail holds an event with the reason batch_refused: without
-- its catalogue row, coord.verify_audit() would report that event.
BEGIN;
SET LOCAL ROLE coord_owner;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM coord_private.audit_events e WHERE e.reason = 'batch_refused') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC009',
            MESSAGE = 'cannot revert lease_batches: the audit trail records batch_refused events',
            DETAIL = 'removing the reason code would make those events fail coord.verify_audit()',
            HINT = 'purge those events first (coord.purge_audit), or keep this change';
    END IF;
END
$$;
DELETE FROM coord_private.function_catalog WHERE function_name = 'acquire_locks';
DROP FUNCTION coord.acquire_locks(text[], interval, text, text);
DELETE FROM coord_private.reason_codes WHERE code = 'batch_refused';

COMMIT;
