-- Revert pgcoord:liveness
-- Everything the change made, dropped; the operations leave the catalog.
BEGIN;
SET LOCAL ROLE coord_owner;

DROP FUNCTION coord.set_stale_threshold(interval, text);
DROP FUNCTION coord.lease_status();
DROP FUNCTION coord.discover_agents(text, text);
DROP FUNCTION coord.heartbeat(text, text[]);

DROP TRIGGER tasks_record_claim_loss ON coord_private.tasks;
DROP TRIGGER locks_record_loss ON coord_private.locks;
DROP FUNCTION coord_private.record_claim_loss();
DROP FUNCTION coord_private.record_lease_loss();
DROP FUNCTION coord_private.record_loss(text, text, text, text, bigint, bigint, timestamptz, text, timestamptz);
DROP FUNCTION coord_private.agent_channel(text);
DROP FUNCTION coord_private.require_capabilities(text[]);
DROP FUNCTION coord_private.capability_valid(text);
DROP FUNCTION coord_private.max_capabilities();
DROP FUNCTION coord_private.lost_grants_cap();
DROP FUNCTION coord_private.lost_grants_retention();

DROP TABLE coord_private.lost_grants;
DROP TABLE coord_private.agent_liveness;
DROP TABLE coord_private.liveness_settings;

DELETE FROM coord_private.operations WHERE name IN ('heartbeat', 'set_stale_threshold');

COMMIT;
