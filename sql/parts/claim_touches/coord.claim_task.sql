CREATE FUNCTION coord.claim_task(p_types text[] DEFAULT NULL, p_lease interval DEFAULT '5 minutes',
                                 p_lease_touches boolean DEFAULT false)
RETURNS TABLE (ok boolean, reason text, task_id bigint, claim_token bigint, claim_expires_at timestamptz,
               task_type text, description text, input jsonb, priority integer, attempt integer, event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v_lease numeric := coord_private.require_ttl(p_lease);
    v_failed bigint;
BEGIN
    IF p_lease_touches IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'lease_touches must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.claim_task';
    END IF;
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
    RETURN QUERY SELECT c.ok, c.reason, c.task_id, c.claim_token, c.claim_expires_at, c.task_type, c.description,
                        c.input, c.priority, c.attempt, c.event_id
                   FROM coord_private.claim_one(p_types, v_lease, p_lease_touches, true) c;
END
$$;
COMMENT ON FUNCTION coord.claim_task(text[], interval, boolean) IS
    'agent: claim the highest-priority, oldest claimable task of the given types (TLA+ ClaimTask/Reclaim) whose touches no other agent leases (INV-CLAIM-TOUCH; lease_touches: also lease them exclusively, atomically, ending with the claim: TLA+ ClaimWithLeases); returns its claim token (the attempt number). First settles up to five tasks whose last attempt expired, and their dependents. INV-CLAIM-UNIQ, INV-DEPS. Errors PC001, PC002, PC004, PC015';
