-- coord_private.agent_operation_policy as policy made it.
CREATE TABLE coord_private.agent_operation_policy (
    role_name              text NOT NULL,
    operation              text NOT NULL,
    reason                 text NOT NULL,     -- 'allowed' or the static refusal
    context                jsonb NOT NULL,    -- the decision context that refusal or grant records
    trust_level            integer,           -- NULL when the profile does not resolve
    max_locks              integer,
    max_claimed_tasks      integer,
    max_lease_seconds      integer,
    max_file_modifications integer,
    PRIMARY KEY (role_name, operation)
);
COMMENT ON TABLE coord_private.agent_operation_policy IS
    'compiled copy of agent_operation_policy_source, kept equal to it by triggers; read by native_decide';
ALTER TABLE coord_private.agent_operation_policy ENABLE ROW LEVEL SECURITY;
