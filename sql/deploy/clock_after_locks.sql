-- Deploy pgcoord:clock_after_locks
-- INV-LOCK-EXCL, INV-LOCK-FENCE, INV-CLAIM-UNIQ. The database clock was now(),
-- the start of the caller's transaction. A liveness judgement made after waiting
-- for a coordination lock then used a time from before the wait: a renewal whose
-- transaction began before its lease expired revived it after another agent had
-- held the path in between (seen with explicit transactions and, in a 24-agent run,
-- with a renewal that merely waited on the line). The clock now reads the time
-- when it is called, so every statement after a lock judges by a time after it.
-- Time within one statement may advance between two calls; it never runs back
-- (unless the host's clock is stepped back, which pgcoord does not defend against:
-- README "Threat model").
-- PL/pgSQL, STABLE by declaration: a STABLE function may appear in index
-- conditions (evaluated once per scan), and an SQL body calling a volatile
-- function is never inlined, which would cost more per call than PL/pgSQL.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE OR REPLACE FUNCTION coord_private.current_time()
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN pg_catalog.clock_timestamp();
END
$$;
COMMENT ON FUNCTION coord_private.current_time() IS
    'the database clock every lease and expiry decision uses: the time of the call, so a judgement after a lock is taken uses a time after it (INV-LOCK-EXPIRY)';

COMMIT;
