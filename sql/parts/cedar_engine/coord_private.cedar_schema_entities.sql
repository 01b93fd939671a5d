-- coord_private.cedar_schema_entities() as the cedar_engine change released it: the
-- static part of the Cedar schema before approvals (policies/schema.cedarschema
-- holds the current one). Included by sql/parts/cedar_engine/schema.sql, and by
-- the revert of approvals (sql/parts/approvals/cedar_revert.sql) to bring it back.
CREATE OR REPLACE FUNCTION coord_private.cedar_schema_entities()
RETURNS text
LANGUAGE sql IMMUTABLE
AS $fn$ SELECT $cedar_schema$// pgcoord Cedar schema: the entity types and the request context of the Cedar
// policy engine (INV-POLICY-EQ). The actions are not listed here: every operation
// of coord_private.operations is an action, generated from the catalog by
// coord_private.cedar_schema() and appended to this text, e.g.
//   action "acquire_lock" in ["category:agent", "min_trust:2"]
//     appliesTo { principal: Agent, resource: [File, Domain, Task, Session, Agent, Profile, Resource], context: Facts };
// with the action groups "category:agent", "category:admin", "category:system"
// and "min_trust:0" .. "min_trust:4".

// The facts of one decision: the operation's name and the counts and verdicts
// the API function measured (the native engine reads the same keys of p_context).
type Facts = {
    // the operation (the action's id), for the profile's allow and block lists
    "operation": String,
    // live leases the caller holds (acquire_lock)
    "live_locks"?: Long,
    // tasks the caller has claimed (claim_task)
    "claimed_tasks"?: Long,
    // the requested lease length in whole seconds, rounded up
    "lease_seconds"?: Long,
    // files the task modifies
    "files_modified"?: Long,
    // a block-severity guardrail match whose category applies at every trust level
    "guardrail_block_always"?: Bool,
    // the highest exempt trust among block-severity guardrail matches
    "guardrail_block_exempt_trust"?: Long,
    // the network policy's verdict on the domain ("allow" or anything else)
    "network_verdict"?: String,
    // the operation is elevated (e.g. acting on another agent's lease or task)
    "elevated"?: Bool,
};

// A PostgreSQL group role of pgcoord; an Agent is in Role::"coord_admin" when its
// login role is a member of coord_admin (gathered for admin operations).
entity Role;

// A row of coord_private.profiles (the only source of trust, INV-TRUST).
entity Profile = {
    "trust": Long,
    // absent: every operation its trust permits
    "allowed_operations"?: Set<String>,
    "blocked_operations": Set<String>,
    "max_locks": Long,
    "max_claimed_tasks": Long,
    "max_lease_seconds": Long,
    "max_file_modifications": Long,
};

// The session user of a decision (any login role); registered when it is a row of
// coord_private.agents.
entity Agent in [Role] = {
    "registered": Bool,
    // active or suspended (registered agents)
    "status"?: String,
    // absent when the agent has no resolvable profile (fail closed)
    "profile"?: Profile,
    // the role is a superuser (gathered for admin operations)
    "superuser"?: Bool,
};

// Resources: the p_resource of a mutation intent, typed by operation
// (coord_private.cedar_resource_type).
entity File;      // a lease path (locks)
entity Domain;    // a network domain
entity Task;      // a task of the queue
entity Session;   // an agent session
entity Resource;  // anything else: a setting, a mode, a profile name, a policy version
$cedar_schema$::text $fn$;
COMMENT ON FUNCTION coord_private.cedar_schema_entities() IS
    'the entity types and the request context (Facts) of the Cedar schema, in Cedar schema syntax';
