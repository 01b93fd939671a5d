-- As audit_api made it (audit_verification replaces it, and its revert restores this).
CREATE OR REPLACE FUNCTION coord.verify_audit(
    OUT ok boolean, OUT chains_checked integer, OUT events_checked bigint,
    OUT first_bad_event_id bigint, OUT first_bad_chain integer, OUT first_bad_seq bigint, OUT problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    SELECT pg_catalog.count(DISTINCT e.chain_id), pg_catalog.count(*)
      INTO chains_checked, events_checked
      FROM coord_private.audit_events e;
    SELECT p.event_id, p.chain_id, p.seq, p.problem
      INTO first_bad_event_id, first_bad_chain, first_bad_seq, problem
      FROM coord_private.audit_problems() p
     WHERE p.problem IS NOT NULL
     ORDER BY p.event_id NULLS LAST, p.chain_id, p.seq
     LIMIT 1;
    ok := problem IS NULL;
END
$$;
COMMENT ON FUNCTION coord.verify_audit() IS
    'coord_auditor: recompute every hash chain; ok, or the first bad event (lowest id) and what is wrong with it (INV-AUDIT-IMMUTABLE)';
