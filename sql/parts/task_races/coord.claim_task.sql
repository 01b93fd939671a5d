CREATE OR REPLACE FUNCTION coord.claim_task(p_types text[] DEFAULT NULL, p_lease interval DEFAULT '5 minutes')
RETURNS TABLE (ok boolean, reason text, task_id bigint, claim_token bigint, claim_expires_at timestamptz,
               task_type text, description text, input jsonb, priority integer, attempt integer, event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v_lease numeric := coord_private.require_ttl(p_lease);
    v_failed bigint;
BEGIN
    PERFORM coord_private.require_types(p_types);
    PERFORM coord_private.require_read_committed();
    -- Settlement on sight (no job): up to five exhausted claims, each failed with its
    -- dependents settled, never waiting for a row. A dependent another transaction
    -- holds rolls that one back for the next claim to try; more than 100 dependents
    -- leave the task failed and its dependents to reap_expired.
    FOR v_failed IN SELECT coord_private.exhausted_claims(5) LOOP
        BEGIN
            IF coord_private.fail_exhausted_claim(v_failed) THEN
                BEGIN
                    PERFORM coord_private.settle_dependents(v_failed, 100);
                EXCEPTION WHEN program_limit_exceeded THEN
                    NULL;
                END;
            END IF;
        EXCEPTION WHEN lock_not_available THEN
            NULL;
        END;
    END LOOP;
    RETURN QUERY SELECT * FROM coord_private.claim_one(p_types, v_lease);
END
$$;
COMMENT ON FUNCTION coord.claim_task(text[], interval) IS
    'agent: claim the highest-priority, oldest claimable task of the given types (TLA+ ClaimTask/Reclaim); returns its claim token (the attempt number). First settles up to five tasks whose last attempt expired, and their dependents. INV-CLAIM-UNIQ, INV-DEPS. Errors PC001, PC002, PC004, PC015';
