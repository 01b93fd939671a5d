-- Deploy pgcoord:lease_batches
-- coord.acquire_locks(paths[], ttl, mode, reason): several leases in one call and
-- one transaction, all or nothing, each path decided and audited as acquire_lock
-- (issue 17: per lease, one round trip and one commit for the batch instead of one
-- each). The reason batch_refused marks the paths of a refused batch that were not
-- themselves the cause.
BEGIN;
SET LOCAL ROLE coord_owner;

INSERT INTO coord_private.reason_codes (code, outcome, description) VALUES
    ('batch_refused', 'refuse',
     'acquire_locks: another path of the same batch was refused, so no path of it was granted (all or nothing)');

\ir ../parts/lease_batches/coord.acquire_locks.sql
REVOKE ALL ON FUNCTION coord.acquire_locks(text[], interval, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.acquire_locks(text[], interval, text, text) TO coord_agent;

INSERT INTO coord_private.function_catalog
    (function_name, class, operation, required_trust, elevated_trust, callers, rationale) VALUES
    ('acquire_locks', 'write', 'acquire_lock', 2, NULL, '{coord_agent}',
     'write: several leases, all or nothing, each path decided as acquire_lock through the hook at trust 2 with its own audit event: the same operation as acquire_lock');

COMMIT;
