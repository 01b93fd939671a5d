-- Revert pgcoord:audit
BEGIN;
DROP TABLE coord_private.audit_events;
DROP FUNCTION coord_private.audit_events_immutable();
DROP FUNCTION coord_private.append_audit_event(text, text, boolean, boolean, text, text, text, jsonb);
DROP FUNCTION coord_private.audit_event_hash(bytea, integer, bigint, timestamptz, text, text, text, boolean, boolean, text, text, text, jsonb);
DROP FUNCTION coord_private.audit_genesis(integer);
DROP TABLE coord_private.audit_anchors;
DROP TABLE coord_private.audit_chain_heads;
COMMIT;
