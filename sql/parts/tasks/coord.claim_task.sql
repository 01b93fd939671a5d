CREATE OR REPLACE FUNCTION coord.claim_task(p_types text[] DEFAULT NULL, p_lease interval DEFAULT '5 minutes')
RETURNS TABLE (ok boolean, reason text, task_id bigint, claim_token bigint, claim_expires_at timestamptz,
               task_type text, description text, input jsonb, priority integer, attempt integer, event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v_lease numeric := coord_private.require_ttl(p_lease);
BEGIN
    PERFORM coord_private.require_types(p_types);
    PERFORM coord_private.require_read_committed();
    RETURN QUERY SELECT * FROM coord_private.claim_one(p_types, v_lease);
END
$$;
COMMENT ON FUNCTION coord.claim_task(text[], interval) IS
    'agent: claim the highest-priority, oldest claimable task of the given types (TLA+ ClaimTask/Reclaim); returns its claim token (the attempt number). INV-CLAIM-UNIQ, INV-DEPS. Errors PC001, PC002, PC004, PC015';
