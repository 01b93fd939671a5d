CREATE OR REPLACE FUNCTION coord_private.fail_exhausted_claim(p_task_id bigint)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    vs coord_private.verdict;
    v_now timestamptz := coord_private.current_time();
    v_token bigint;
    v_ids bigint[];
    v_released jsonb;
BEGIN
    SELECT x.claim_token INTO v_token FROM coord_private.tasks x WHERE x.task_id = p_task_id;
    SELECT pg_catalog.array_agg(r.lock_id),
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('path', r.path, 'token', r.token) ORDER BY r.path COLLATE "C") FILTER (WHERE NOT r.shared)
      INTO v_ids, v_released
      FROM coord_private.claim_lease_rows(p_task_id, v_token, true) r;
    vs := coord_private.authorize('settle_task', p_task_id::text,
        pg_catalog.jsonb_build_object('settle_reason', 'attempts_exhausted')
        || CASE WHEN v_released IS NULL THEN '{}'::jsonb ELSE pg_catalog.jsonb_build_object('released_leases', v_released) END);
    IF vs.proceed THEN
        UPDATE coord_private.tasks x
           SET status = 'failed', settle_reason = 'attempts_exhausted', claim_expires_at = NULL,
               error = 'claim expired on the last allowed attempt', updated_at = v_now, finished_at = v_now
         WHERE x.task_id = p_task_id;
        IF v_ids IS NOT NULL THEN
            DELETE FROM coord_private.claim_leases c
             WHERE c.task_id = p_task_id AND c.claim_token = v_token AND c.lock_id = ANY (v_ids);
            DELETE FROM coord_private.locks l
             WHERE l.lock_id = ANY (v_ids)
               AND NOT EXISTS (SELECT 1 FROM coord_private.claim_leases c WHERE c.lock_id = l.lock_id);
        END IF;
    END IF;
    RETURN vs.proceed;
END
$$;
COMMENT ON FUNCTION coord_private.fail_exhausted_claim(bigint) IS
    'INV-DEPS, INV-CLAIM-TOUCH: fail (attempts_exhausted) one task whose last claim expired (locked by exhausted_claims), audited; the claim''s leases end with it';
