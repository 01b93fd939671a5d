CREATE OR REPLACE FUNCTION coord.claim_tasks(p_limit integer, p_types text[] DEFAULT NULL, p_lease interval DEFAULT '5 minutes')
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
    r record;
    i integer := 0;
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING ERRCODE = CASE WHEN p_limit IS NULL THEN 'PC001' ELSE 'PC002' END,
            MESSAGE = 'limit must be between 1 and 1000',
            DETAIL = 'nothing was changed',
            HINT = 'see the function documentation: \df+ coord.claim_tasks';
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
    -- Each claim is its own decision with its own audit event; the batch stops at
    -- the first refusal (nothing left, or a limit).
    WHILE i < p_limit LOOP
        SELECT * INTO r FROM coord_private.claim_one(p_types, v_lease);
        EXIT WHEN NOT r.ok;
        ok := r.ok; reason := r.reason; task_id := r.task_id; claim_token := r.claim_token;
        claim_expires_at := r.claim_expires_at; task_type := r.task_type; description := r.description;
        input := r.input; priority := r.priority; attempt := r.attempt; event_id := r.event_id;
        RETURN NEXT;
        i := i + 1;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord.claim_tasks(integer, text[], interval) IS
    'agent: claim up to limit tasks at once, one audited claim each (stops at the first refusal); first settles up to five tasks whose last attempt expired, and their dependents. Errors PC001, PC002, PC004, PC015';
