-- The approvals' columns (operations, profiles, guardrails), settings and request table.

-- Tables of their own, not columns of operations and profiles: a revert then
-- leaves those tables exactly as a deploy up to here makes them (a dropped column
-- keeps its number).

-- An operation is approvable when its function passes its arguments to the hook
-- (context key 'args'): only then can a grant be bound to exactly one call.
CREATE TABLE coord_private.approvable_operations (
    operation text PRIMARY KEY REFERENCES coord_private.operations (name) ON UPDATE CASCADE ON DELETE CASCADE
);
COMMENT ON TABLE coord_private.approvable_operations IS
    'operations whose functions pass every argument to the policy hook (context ''args''), so an approval can be bound to one call; written by the change that makes a function so, never by an admin';
ALTER TABLE coord_private.approvable_operations ENABLE ROW LEVEL SECURITY;

-- A profile's approval settings (no row: none).
CREATE TABLE coord_private.profile_approvals (
    profile             text PRIMARY KEY REFERENCES coord_private.profiles (name) ON UPDATE CASCADE ON DELETE CASCADE,
    approval_operations text[] NOT NULL DEFAULT '{}',
    approve_elevation   boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE coord_private.profile_approvals IS
    'per profile: the approvable agent operations that need an approval (coord.set_profile_approvals), and approve_elevation: an elevated request (an operation of min_trust >= 3, or an elevated call) below the needed trust asks for approval instead of being denied trust_too_low';
ALTER TABLE coord_private.profile_approvals ENABLE ROW LEVEL SECURITY;

-- Its changes recompile the policy rows of the profile's agents, like a change of
-- the profile itself (policy: recompile_policy_rows).
CREATE FUNCTION coord_private.recompile_profile_approvals()
RETURNS trigger LANGUAGE plpgsql
AS $$
DECLARE
    v_keys text[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        v_keys := v_keys || OLD.profile;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        v_keys := v_keys || NEW.profile;
    END IF;
    PERFORM coord_private.compile_agent_operation_policy(NULL, v_keys, NULL);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.recompile_profile_approvals() IS
    'trigger: a profile''s approval settings changed; recompile the policy rows of its agents';
CREATE TRIGGER profile_approvals_recompile_policy AFTER INSERT OR UPDATE OR DELETE ON coord_private.profile_approvals
    FOR EACH ROW EXECUTE FUNCTION coord_private.recompile_profile_approvals();
CREATE TRIGGER profile_approvals_truncate_recompile_policy AFTER TRUNCATE ON coord_private.profile_approvals
    FOR EACH STATEMENT EXECUTE FUNCTION coord_private.recompile_all();

-- A guardrail match of severity approve (below its exempt trust) asks for approval.
ALTER TABLE coord_private.guardrail_patterns DROP CONSTRAINT guardrail_patterns_severity_check;
ALTER TABLE coord_private.guardrail_patterns ADD CONSTRAINT guardrail_patterns_severity_check
    CHECK (severity IN ('block', 'warn', 'approve'));

CREATE TABLE coord_private.approval_settings (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    request_ttl interval NOT NULL DEFAULT '1 hour'
                CHECK (request_ttl BETWEEN '1 minute'::interval AND '7 days'::interval),
    grant_ttl   interval NOT NULL DEFAULT '15 minutes'
                CHECK (grant_ttl BETWEEN '10 seconds'::interval AND '1 day'::interval),
    updated_by  text NOT NULL DEFAULT session_user,
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE coord_private.approval_settings IS
    'one row: how long a pending approval request and an unused grant live (coord.set_approval_settings)';
INSERT INTO coord_private.approval_settings DEFAULT VALUES;
ALTER TABLE coord_private.approval_settings ENABLE ROW LEVEL SECURITY;

-- One row per approval request, written by the policy hook in the refused call's
-- transaction; its id is that call's audit event id.
CREATE TABLE coord_private.approvals (
    approval_id       bigint PRIMARY KEY,                  -- the refused call's audit event
    requester         text NOT NULL,                       -- session_user of the call
    operation         text NOT NULL,
    resource          text,
    args              jsonb NOT NULL,                      -- the arguments the function declared
    args_digest       text NOT NULL CHECK (args_digest ~ '^[0-9a-f]{64}$'),
    policy_version    text NOT NULL,                       -- the requester's policy at the request
    sources           text[] NOT NULL,                     -- why: profile, elevation, guardrail
    state             text NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'granted', 'rejected', 'used', 'expired', 'superseded')),
    requested_at      timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,                -- of the request while pending, of the grant once granted
    decided_by        text,
    decided_at        timestamptz,
    note              text CHECK (pg_catalog.length(note) <= 2000),
    decision_event_id bigint,
    used_event_id     bigint,
    CONSTRAINT approvals_decided CHECK ((state IN ('pending', 'superseded')) OR decided_at IS NOT NULL
                                        OR state = 'expired'),
    CONSTRAINT approvals_used CHECK ((state = 'used') = (used_event_id IS NOT NULL))
);
COMMENT ON TABLE coord_private.approvals IS
    'approval requests (INV-APPROVAL): bound to requester, operation, resource, args digest and policy version; single use';
-- The use path looks a grant up by its binding.
CREATE INDEX approvals_binding ON coord_private.approvals (requester, operation, args_digest) WHERE state IN ('pending', 'granted');
ALTER TABLE coord_private.approvals ENABLE ROW LEVEL SECURITY;
