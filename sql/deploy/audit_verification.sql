-- Deploy pgcoord:audit_verification
-- The audit trail's two costs issue 17 measured (figures in bench/README.md):
--   * The foreign key from audit_events.reason to the reason catalogue took a KEY
--     SHARE lock on one catalogue row per event: a tuple lock (a WAL record and a
--     dirtied page; 112 of the 3,394 WAL bytes of an acquire+release) on every
--     mutating call, and a multixact whenever two writers' events named the same
--     reason at once, as they mostly do ('allowed'). coord.verify_audit judges the
--     reason's existence instead, with the rest of the trail.
--   * verify_audit judged the chains with two window sorts over the whole trail in
--     one process; it now joins each event to its predecessor, which a parallel
--     hash join answers, and checks each head with one index probe (104,000 to
--     225,000 events/s at 10^6 events on 2 cores).
BEGIN;
SET LOCAL ROLE coord_owner;

ALTER TABLE coord_private.audit_events DROP CONSTRAINT audit_events_reason_fkey;

\ir ../parts/audit_verification/coord_private.audit_problems.sql

-- RETURN QUERY, because PostgreSQL runs no query in parallel that its caller asked
-- for a bounded number of rows: a PL/pgSQL SELECT INTO, or a SQL function's result.
CREATE FUNCTION coord_private.first_audit_problem()
RETURNS TABLE (event_id bigint, chain_id integer, seq bigint, problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
        SELECT p.event_id, p.chain_id, p.seq, p.problem
          FROM coord_private.audit_problems() p
         WHERE p.problem IS NOT NULL
         ORDER BY p.event_id NULLS LAST, p.chain_id, p.seq
         LIMIT 1;
END
$$;
COMMENT ON FUNCTION coord_private.first_audit_problem() IS
    'the first inconsistency of the audit chains (lowest event id), judged in parallel; no row when there is none';

CREATE OR REPLACE FUNCTION coord.verify_audit(
    OUT ok boolean, OUT chains_checked integer, OUT events_checked bigint,
    OUT first_bad_event_id bigint, OUT first_bad_chain integer, OUT first_bad_seq bigint, OUT problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
-- Almost no row passes the problem filter, which the planner cannot know: at the
-- default tuple cost it judges gathering the workers' rows dearer than one process
-- doing all the hashing. JIT compiles the expressions on every call and gains
-- nothing back (the time is in sha256 and the joins). The predecessor join's hash
-- table fits in memory at 10^6 events with 64 MB (in 16 batches at the default). With
-- it, the planner may find a nested loop (an index probe per event for its
-- predecessor) cheaper than the hash join; measured, it is not (6.6 s against 4.6 s
-- at 10^6 events): nested loops stay for the heads' probes only, which have no other
-- plan.
SET parallel_tuple_cost = 0.001
SET jit = off
SET work_mem = '64MB'
SET enable_nestloop = off
AS $$
BEGIN
    SELECT pg_catalog.count(*) INTO events_checked FROM coord_private.audit_events e;
    SELECT pg_catalog.count(*) INTO chains_checked
      FROM (SELECT DISTINCT e.chain_id FROM coord_private.audit_events e) c;
    SELECT p.event_id, p.chain_id, p.seq, p.problem
      INTO first_bad_event_id, first_bad_chain, first_bad_seq, problem
      FROM coord_private.first_audit_problem() p;
    ok := problem IS NULL;
END
$$;
COMMENT ON FUNCTION coord.verify_audit() IS
    'coord_auditor: recompute every hash chain (in parallel); ok, or the first bad event (lowest id) and what is wrong with it, a reason the catalogue does not hold included (INV-AUDIT-IMMUTABLE)';

COMMIT;
