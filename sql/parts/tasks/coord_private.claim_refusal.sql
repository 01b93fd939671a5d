-- Why the caller may not act on its claim of t (NULL: it may). INV-COMPLETE-OWNER.
CREATE OR REPLACE FUNCTION coord_private.claim_refusal(t coord_private.tasks, p_token bigint)
RETURNS text LANGUAGE sql STABLE 
AS $$
    SELECT CASE
        WHEN t.status IN ('completed', 'failed', 'cancelled') THEN 'task_terminal'
        WHEN t.status <> 'claimed' OR t.claimed_by <> session_user OR t.claim_token <> p_token THEN 'not_claim_owner'
        WHEN t.claim_expires_at <= coord_private.current_time() THEN 'claim_expired'
    END
$$;
COMMENT ON FUNCTION coord_private.claim_refusal(coord_private.tasks, bigint) IS
    'INV-COMPLETE-OWNER: task_terminal, not_claim_owner or claim_expired, or NULL when the caller holds the current live claim';
