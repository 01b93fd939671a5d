-- Deploy pgcoord:definer_settings
-- INV-DEFINER. Settings a caller can SET must not steer what the API decides or
-- how long it waits. Every SECURITY DEFINER function of the API pins:
--   * lock_timeout = 5s: no pgcoord call waits forever. A wait of more than 5 s for
--     one lock held by another transaction (an agent holding its transaction open
--     after an acquire on an overlapping line, say) fails with SQLSTATE 55P03
--     (lock_not_available) and changes nothing; the caller retries. The bound is per
--     lock wait: a call that queues behind several holders in turn may wait for
--     each (the attack suite measured at most 3 waits, ~15 s, for a queued acquire).
--   * standard_conforming_strings = on: PL/pgSQL bodies are compiled, and their
--     string literals read, under the caller's setting; with it off, a backslash in
--     a literal (a guardrail pattern's \s, say) meant something else and an agent's
--     `SET standard_conforming_strings = off` let `rm${IFS}-rf${IFS}/` past the
--     guardrails. A pinned setting holds during the call whatever the session SET;
--     helpers called from a definer run under it too.
-- This change creates no function: ALTER FUNCTION ... SET changes one setting and
-- leaves the others, so each definer keeps search_path = pg_catalog, pg_temp
-- (definer_search_path; the verify below checks it survived).
-- statement_timeout and idle_in_transaction_session_timeout are the DBA's, per login
-- role (README "Operations"): they concern the caller's whole statement and
-- session, which a function cannot pin. The attack suite (tests/test_hostile_agent.py)
-- sets every user-settable setting of pg_settings before calling the API.
-- Functions created later in the plan pin both themselves; the catalog gate
-- (tests.boundary_offenders, kind unpinned_setting) refuses a coord definer without.
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
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET lock_timeout = ''5s''', r.fn);
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET standard_conforming_strings = on', r.fn);
    END LOOP;
END
$$;

COMMIT;
