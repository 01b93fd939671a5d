-- The approvals' reason codes and operations (inserted after the compiled policy
-- knows the new columns: each insert recompiles the rows of its operation).

INSERT INTO coord_private.reason_codes (code, outcome, description) VALUES
    ('approval_required',     'deny',   'no rule denies the call but one asks for an approval: a request was recorded (the approval id is the event id); retry the same call once it is granted'),
    ('approved',              'allow',  'the call needed an approval and used a grant made for exactly this caller, operation, resource, arguments and policy version'),
    ('not_approvable',        'deny',   'the call would need an approval, but its operation does not bind its arguments to one: denied (fail closed)'),
    ('approval_not_found',    'refuse', 'no approval request has this id'),
    ('approval_self',         'refuse', 'the requester cannot approve or reject its own request (compared by session user)'),
    ('approval_not_pending',  'refuse', 'the request is not pending (approve), or neither pending nor granted (reject)'),
    ('approval_expired',      'refuse', 'the request or its grant expired before it was decided or used'),
    ('approval_stale_policy', 'refuse', 'the requester''s policy changed since the request: its grant could never be used; the agent asks again'),
    ('not_approver',          'refuse', 'the caller is neither coord_admin nor an agent whose trust reaches the approve operation''s minimum');

-- approve / reject: agents at the operation's min_trust (4 by default: the
-- configured approver trust, changed like any operation's); coord_admin members
-- through the admin operations. An expiry is recorded in the event of the call that
-- met it (a use asking again: expired_grant; an approve or reject: approval_expired).
INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('approve',          'agent',  4, 'grant another agent''s pending approval request (approver trust)'),
    ('reject',           'agent',  4, 'reject another agent''s pending request, or revoke its unused grant (approver trust)'),
    ('approve_as_admin', 'admin',  4, 'grant a pending approval request as coord_admin'),
    ('reject_as_admin',  'admin',  4, 'reject a pending request, or revoke an unused grant, as coord_admin'),
    ('set_profile_approvals', 'admin', 4, 'choose which approvable operations need an approval for a profile''s agents'),
    ('set_approval_settings', 'admin', 4, 'choose how long approval requests and grants live');

-- The operations whose functions now pass their arguments (approvable_functions.sql).
INSERT INTO coord_private.approvable_operations (operation) VALUES
    ('acquire_lock'), ('force_release_lock'), ('cancel_task'), ('submit_task');


-- The operation catalog (INV-BOUNDARY): approve and reject are the one agent
-- operation coord_admin may also call (as approve_as_admin / reject_as_admin).
ALTER TABLE coord_private.function_catalog DROP CONSTRAINT function_catalog_agent_callers;
ALTER TABLE coord_private.function_catalog ADD CONSTRAINT function_catalog_agent_callers
    CHECK (class NOT IN ('write', 'elevated') OR callers = ARRAY['coord_agent']
           OR (class = 'elevated' AND operation IN ('approve', 'reject') AND callers = ARRAY['coord_agent', 'coord_admin']));
INSERT INTO coord_private.function_catalog
    (function_name, class, operation, required_trust, elevated_trust, callers, rationale) VALUES
    ('approval_status',       'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: one approval request and its effective state, to its requester, approvers and auditors; no hook, no audit event'),
    ('approve',               'elevated', 'approve', 4, NULL, '{coord_agent,coord_admin}',
     'elevated: grants another role''s approval request through the hook at the approve operation''s trust (4), or as coord_admin (approve_as_admin); never its own'),
    ('reject',                'elevated', 'reject', 4, NULL, '{coord_agent,coord_admin}',
     'elevated: rejects another role''s request or revokes its unused grant through the hook at the reject operation''s trust (4), or as coord_admin (reject_as_admin)'),
    ('set_profile_approvals', 'admin', 'set_profile_approvals', 4, NULL, '{coord_admin}',
     'admin: chooses which approvable operations need an approval for a profile''s agents; coord_admin only'),
    ('set_approval_settings', 'admin', 'set_approval_settings', 4, NULL, '{coord_admin}',
     'admin: sets how long approval requests and grants live; coord_admin only');
