-- Verify pgcoord:task_races
-- (by name: later changes give claim_one and claim_task more arguments, claim_touches)
BEGIN;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                    WHERE p.pronamespace = 'coord_private'::regnamespace AND p.proname = 'claim_one'
                      AND pg_catalog.strpos(pg_catalog.pg_get_functiondef(p.oid), 'lock_agent_row') > 0)
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                       WHERE p.pronamespace = 'coord'::regnamespace AND p.proname = 'claim_task'
                         AND pg_catalog.strpos(pg_catalog.pg_get_functiondef(p.oid), 'exhausted_claims') > 0) THEN
        RAISE EXCEPTION 'verify task_races: claim limits or settlement on sight not in place';
    END IF;
    PERFORM coord_private.exhausted_claims(0);
END
$$;
ROLLBACK;
