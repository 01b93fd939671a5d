-- Verify pgcoord:task_races
BEGIN;
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord_private.claim_one(text[], numeric)'::regprocedure), 'lock_agent_row') = 0
       OR pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord.claim_task(text[], interval)'::regprocedure), 'exhausted_claims') = 0 THEN
        RAISE EXCEPTION 'verify task_races: claim limits or settlement on sight not in place';
    END IF;
    PERFORM coord_private.exhausted_claims(0);
END
$$;
ROLLBACK;
