-- Immutability: no UPDATE, DELETE or TRUNCATE, whatever privileges a role holds.
-- The only exception is retention (coord.purge_audit), which runs as the owner and
-- sets a transaction-local flag that no other role can act on (no role but the
-- owner has DELETE on the table at all).
CREATE OR REPLACE FUNCTION coord_private.audit_events_immutable()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND pg_catalog.current_setting('coord_private.audit_retention', true) = 'on'
       AND current_user = 'coord_owner' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'PC009',
        MESSAGE = pg_catalog.format('audit events are immutable: %s refused', TG_OP),
        DETAIL  = 'the pgcoord audit trail is append-only (INV-AUDIT-IMMUTABLE)',
        HINT    = 'retention is coord.purge_audit(before, reason), run by a coord_admin';
END
$$;
COMMENT ON FUNCTION coord_private.audit_events_immutable() IS 'trigger: refuses UPDATE, DELETE and TRUNCATE of audit events';
