CREATE OR REPLACE FUNCTION coord_private.fail_exhausted_claim(p_task_id bigint)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    vs coord_private.verdict;
    v_now timestamptz := coord_private.current_time();
BEGIN
    vs := coord_private.authorize('settle_task', p_task_id::text,
        pg_catalog.jsonb_build_object('settle_reason', 'attempts_exhausted'));
    IF vs.proceed THEN
        UPDATE coord_private.tasks x
           SET status = 'failed', settle_reason = 'attempts_exhausted', claim_expires_at = NULL,
               error = 'claim expired on the last allowed attempt', updated_at = v_now, finished_at = v_now
         WHERE x.task_id = p_task_id;
    END IF;
    RETURN vs.proceed;
END
$$;
COMMENT ON FUNCTION coord_private.fail_exhausted_claim(bigint) IS
    'INV-DEPS: fail (attempts_exhausted) one task whose last claim expired (locked by exhausted_claims), audited';
