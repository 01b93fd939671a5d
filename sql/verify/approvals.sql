-- Verify pgcoord:approvals
BEGIN;
SELECT approval_id, requester, operation, resource, args, args_digest, policy_version, sources, state,
       requested_at, expires_at, decided_by, decided_at, note, decision_event_id, used_event_id
  FROM coord_private.approvals WHERE false;
SELECT approval_id, state FROM coord.approvals WHERE false;
SELECT 'coord.approve(bigint, text)'::regprocedure, 'coord.reject(bigint, text)'::regprocedure,
       'coord.approval_status(bigint)'::regprocedure,
       'coord.set_profile_approvals(text, text[], boolean)'::regprocedure,
       'coord.set_approval_settings(interval, interval)'::regprocedure;
SELECT 1/(SELECT pg_catalog.count(*) FROM coord_private.reason_codes WHERE code = 'approval_required')::integer;
SELECT 1/(pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord_private.authorize(text, text, jsonb, text)'::regprocedure),
                            'authorize_approval') > 0)::integer;
ROLLBACK;
