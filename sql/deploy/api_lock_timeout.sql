-- Deploy pgcoord:api_lock_timeout
-- INV-DEFINER. No pgcoord call waits forever. Every SECURITY DEFINER function of
-- the API pins lock_timeout = 10s: a call that waits longer than that for a lock
-- held by another transaction (an agent holding its transaction open after an
-- acquire on an overlapping line, say) fails with SQLSTATE 55P03
-- (lock_not_available) and changes nothing; the caller retries. A pinned setting
-- holds during the call whatever the session SET (SET lock_timeout = 0 included).
-- statement_timeout and idle_in_transaction_session_timeout are the DBA's, per
-- login role (README "Operations"): they concern the caller's whole statement and
-- session, which a function cannot pin.
-- Functions created later in the plan pin it themselves; the catalog gate
-- (tests.boundary_offenders, kind unbounded_lock_wait) refuses a coord definer
-- without it.
BEGIN;
SET LOCAL ROLE coord_owner;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.oid::regprocedure AS fn
               FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'coord'::regnamespace AND p.prosecdef
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET lock_timeout = ''10s''', r.fn);
    END LOOP;
END
$$;

COMMIT;
