-- Deploy pgcoord:codes
-- The two documented, stable vocabularies of pgcoord:
--   * error codes: SQLSTATEs of class PC raised for bad input (the call changes nothing);
--   * reason codes: why the policy hook allowed, denied or refused a mutation
--     (returned as a result and recorded in the audit trail, never raised).
-- Both are tables so that every code carries its documentation and so that audit
-- events can reference reason codes by foreign key.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE TABLE coord_private.error_codes (
    sqlstate    text PRIMARY KEY CHECK (sqlstate ~ '^PC[0-9A-Z]{3}$'),
    name        text NOT NULL UNIQUE,
    description text NOT NULL
);
COMMENT ON TABLE coord_private.error_codes IS 'SQLSTATEs (class PC) pgcoord raises for bad input';

INSERT INTO coord_private.error_codes (sqlstate, name, description) VALUES
    ('PC001', 'null_argument',           'a required argument is NULL'),
    ('PC002', 'invalid_argument',        'an argument is malformed, empty, too long or out of its documented range'),
    ('PC003', 'invalid_path',            'a path is not relative, has .. or empty segments, control characters, or exceeds the maximum length'),
    ('PC004', 'ttl_out_of_range',        'a lease TTL is below the minimum or above the maximum (or the profile''s lease limit)'),
    ('PC005', 'unknown_task',            'no task has the given id'),
    ('PC006', 'unknown_profile',         'no profile has the given name'),
    ('PC007', 'unknown_agent',           'the role is not a registered agent'),
    ('PC008', 'invalid_enforcement_mode','the enforcement mode is not off, shadow or enforce'),
    ('PC009', 'audit_immutable',         'audit events cannot be updated, deleted or truncated'),
    ('PC010', 'invalid_agent_role',      'the role does not exist, cannot log in, or is not a member of coord_agent'),
    ('PC011', 'engine_unavailable',      'the requested policy engine cannot run in this database'),
    ('PC012', 'invalid_pattern',         'a guardrail or domain pattern is invalid or unsafe'),
    ('PC013', 'unknown_session',         'no session of this agent has the given id'),
    ('PC014', 'invalid_digest',          'an exported audit digest is malformed or was altered'),
    ('PC015', 'isolation_not_supported', 'pgcoord mutations need READ COMMITTED: a snapshot older than the coordination locks could miss a conflicting grant');

CREATE TABLE coord_private.reason_codes (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]*$'),
    outcome     text NOT NULL CHECK (outcome IN ('allow', 'deny', 'refuse')),
    description text NOT NULL
);
COMMENT ON TABLE coord_private.reason_codes IS
    'Stable reason codes of policy decisions: allow, deny (policy; subject to the enforcement mode) or refuse (a coordination invariant; refused in every mode)';

ALTER TABLE coord_private.error_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE coord_private.reason_codes ENABLE ROW LEVEL SECURITY;

INSERT INTO coord_private.reason_codes (code, outcome, description) VALUES
    ('allowed',                'allow',  'the policy engine allowed the mutation'),
    ('agent_not_registered',   'refuse', 'the session user is not a registered pgcoord agent'),
    ('agent_suspended',        'deny',   'the agent is registered but suspended'),
    ('profile_unresolved',     'deny',   'the agent''s profile could not be resolved: fail closed (INV-TRUST)'),
    ('unknown_operation',      'deny',   'the operation is not in the operation catalog: fail closed'),
    ('operation_blocked',      'deny',   'the agent''s profile blocks this operation'),
    ('operation_not_allowed',  'deny',   'the agent''s profile has an allow-list that omits this operation'),
    ('trust_too_low',          'deny',   'the profile''s trust level is below the operation''s minimum'),
    ('not_admin',              'deny',   'an administrative operation by a role that is not a coord_admin'),
    ('limit_exceeded',         'deny',   'a profile resource limit (live locks, claimed tasks) would be exceeded'),
    ('session_not_owned',      'refuse', 'the session does not belong to the calling agent'),
    ('lock_held_by_other',     'refuse', 'a live lock of another agent overlaps the requested path (INV-LOCK-EXCL)'),
    ('lock_not_held',          'refuse', 'the caller holds no live lock on the path (expired or never granted)'),
    ('not_claim_owner',        'refuse', 'the caller does not hold the task''s current claim (INV-COMPLETE-OWNER)'),
    ('claim_expired',          'refuse', 'the caller''s claim lease has expired (INV-RECLAIM)'),
    ('task_terminal',          'refuse', 'the task is completed, failed or cancelled and cannot change state'),
    ('task_not_claimable',     'refuse', 'no claimable task matched'),
    ('dependency_failed',      'refuse', 'a dependency failed or was cancelled, so the task was settled'),
    ('attempts_exhausted',     'refuse', 'the task''s claim expired after its last allowed attempt, so the task failed'),
    ('guardrail_blocked',      'deny',   'a guardrail pattern of severity block matched'),
    ('domain_denied',          'deny',   'the network policy denies the domain');

COMMIT;
