-- Verify pgcoord:claim_touches
BEGIN;
SELECT task_id, touches FROM coord_private.task_touches WHERE false;
SELECT lock_id, task_id, claim_token FROM coord_private.claim_leases WHERE false;
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord_private.claim_one(text[], numeric, boolean, boolean)'::regprocedure),
                         'lock_lease_paths') = 0
       OR pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord.complete_task(bigint, bigint, jsonb)'::regprocedure),
                            'claim_lease_rows') = 0 THEN
        RAISE EXCEPTION 'verify claim_touches: conflict-aware claims or the release of claim leases not in place';
    END IF;
    IF NOT pg_catalog.has_function_privilege('coord_agent', 'coord.claim_task(text[], interval, boolean)', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('coord_agent',
                  'coord.submit_task(text, text, jsonb, integer, bigint[], text, integer, text[])', 'EXECUTE') THEN
        RAISE EXCEPTION 'verify claim_touches: agents must be able to submit and claim tasks with touches';
    END IF;
    PERFORM coord_private.normalize_touches(ARRAY['src/api/']);
END
$$;
ROLLBACK;
