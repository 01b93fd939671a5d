-- Deploy pgcoord:compiled_policy
-- The native engine's static rules, compiled per (agent, agent operation).
--
-- Every mutation asks the native engine the same questions of catalog state that
-- changes only by administration: is the agent active, does its profile resolve,
-- is the operation blocked or outside the allow list, is the trust high enough?
-- Answering them from agents, operations and profiles costs a three-table join on
-- every call. Here they are answered once, when that state changes, into one row
-- per (agent, operation of category 'agent'); a decision reads one row by its key
-- and applies only the request-dependent rules (limits, guardrails, network,
-- elevation) to it.
--
-- Correctness rests on the compiled rows equalling their source at all times:
--   * agent_operation_policy_source is the only place the static rules are written;
--     compilation copies it, and native_decide reads the source directly for any
--     key it finds no compiled row for;
--   * triggers on agents, profiles and operations recompile the affected rows in
--     the same transaction, so a reader never sees a base change without its
--     compiled rows (and never sees them before it commits);
--   * recompilations serialise on one advisory lock and read the source with a
--     snapshot taken after that lock: of two concurrent changes (a profile edited
--     while an agent is moved to it), the later one recompiles with the earlier
--     one committed, so no stale row survives. This needs READ COMMITTED
--     snapshots, so a change to these tables refuses other isolation levels (PC015).
-- Missing rows cost speed, never correctness; stale rows are what the triggers
-- (and pgtap/07_compiled_policy.sql, which checks table = source after every kind
-- of change) rule out.
BEGIN;
SET LOCAL ROLE coord_owner;

-- The static rules, in the native engine's order (registration is implied: only
-- registered agents have rows; unknown, admin and system operations never do).
CREATE VIEW coord_private.agent_operation_policy_source AS
SELECT a.role_name,
       o.name AS operation,
       CASE WHEN a.status <> 'active' THEN 'agent_suspended'
            WHEN pr.name IS NULL THEN 'profile_unresolved'     -- INV-TRUST: no profile, no trust
            WHEN o.name = ANY (pr.blocked_operations) THEN 'operation_blocked'
            WHEN pr.allowed_operations IS NOT NULL AND NOT o.name = ANY (pr.allowed_operations)
                 THEN 'operation_not_allowed'
            WHEN pr.trust_level < o.min_trust THEN 'trust_too_low'
            ELSE 'allowed' END AS reason,
       CASE WHEN a.status <> 'active' THEN pg_catalog.jsonb_build_object('status', a.status)
            WHEN pr.name IS NULL THEN pg_catalog.jsonb_build_object('profile', a.profile)
            ELSE pg_catalog.jsonb_build_object('profile', pr.name, 'trust', pr.trust_level, 'min_trust', o.min_trust)
       END AS context,
       pr.trust_level, pr.max_locks, pr.max_claimed_tasks, pr.max_lease_seconds, pr.max_file_modifications
  FROM coord_private.agents a
 CROSS JOIN coord_private.operations o
  LEFT JOIN coord_private.profiles pr ON pr.name = a.profile
 WHERE o.category = 'agent';
COMMENT ON VIEW coord_private.agent_operation_policy_source IS
    'the native engine''s static rules per (registered agent, agent operation): the source agent_operation_policy is compiled from';

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

-- Recompile the rows of the given agents, of the agents of the given profiles and
-- of the given operations (NULL: none of that kind).
CREATE FUNCTION coord_private.compile_agent_operation_policy(p_roles text[], p_profiles text[], p_operations text[])
RETURNS void LANGUAGE plpgsql
AS $$
DECLARE
    v_roles text[];
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC015',
            MESSAGE = pg_catalog.format('changing agents, profiles or operations needs READ COMMITTED, not %s',
                                        pg_catalog.current_setting('transaction_isolation')),
            DETAIL = 'the compiled policy is recomputed with a snapshot taken after its lock; an older snapshot could compile a stale row',
            HINT = 'make this change in autocommit or in a READ COMMITTED transaction';
    END IF;
    -- One lock for every recompilation. Everything below, the agents of a profile
    -- included, is read after it: while it is held no other change to these
    -- tables can commit (its own recompilation waits here first).
    PERFORM pg_catalog.pg_advisory_xact_lock(1885570817, 0);
    v_roles := coalesce(p_roles, '{}')
            || ARRAY(SELECT a.role_name FROM coord_private.agents a WHERE a.profile = ANY (coalesce(p_profiles, '{}')));
    DELETE FROM coord_private.agent_operation_policy p
     WHERE p.role_name = ANY (v_roles) OR p.operation = ANY (coalesce(p_operations, '{}'));
    INSERT INTO coord_private.agent_operation_policy
    SELECT s.role_name, s.operation, s.reason, s.context, s.trust_level, s.max_locks, s.max_claimed_tasks,
           s.max_lease_seconds, s.max_file_modifications
      FROM coord_private.agent_operation_policy_source s
     WHERE s.role_name = ANY (v_roles) OR s.operation = ANY (coalesce(p_operations, '{}'));
END
$$;
COMMENT ON FUNCTION coord_private.compile_agent_operation_policy(text[], text[], text[]) IS
    'recomputes the compiled policy rows of agents, of the agents of profiles, and of operations (serialised, READ COMMITTED only)';

-- Row trigger on agents, profiles and operations: recompile the rows of the
-- changed key, old and new (TG_ARGV[0] names the key column).
CREATE FUNCTION coord_private.recompile_policy_rows()
RETURNS trigger LANGUAGE plpgsql
AS $$
DECLARE
    v_keys text[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        v_keys := v_keys || (pg_catalog.to_jsonb(OLD) ->> TG_ARGV[0]);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        v_keys := v_keys || (pg_catalog.to_jsonb(NEW) ->> TG_ARGV[0]);
    END IF;
    -- (A renamed or deleted profile also changes agents.profile by cascade, which
    -- recompiles those agents again; the profile's own trigger covers edits that
    -- cascade nothing.)
    PERFORM coord_private.compile_agent_operation_policy(
        CASE TG_TABLE_NAME WHEN 'agents' THEN v_keys END,
        CASE TG_TABLE_NAME WHEN 'profiles' THEN v_keys END,
        CASE TG_TABLE_NAME WHEN 'operations' THEN v_keys END);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.recompile_policy_rows() IS
    'trigger: an agent, profile or operation changed; recompile the policy rows it affects';

CREATE FUNCTION coord_private.recompile_all()
RETURNS trigger LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM coord_private.compile_agent_operation_policy(NULL, NULL,
        ARRAY(SELECT p.operation FROM coord_private.agent_operation_policy p
              UNION SELECT o.name FROM coord_private.operations o));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.recompile_all() IS 'trigger: a base table was truncated; recompile every row';

CREATE TRIGGER agents_recompile_policy AFTER INSERT OR UPDATE OR DELETE ON coord_private.agents
    FOR EACH ROW EXECUTE FUNCTION coord_private.recompile_policy_rows('role_name');
CREATE TRIGGER profiles_recompile_policy AFTER INSERT OR UPDATE OR DELETE ON coord_private.profiles
    FOR EACH ROW EXECUTE FUNCTION coord_private.recompile_policy_rows('name');
CREATE TRIGGER operations_recompile_policy AFTER INSERT OR UPDATE OR DELETE ON coord_private.operations
    FOR EACH ROW EXECUTE FUNCTION coord_private.recompile_policy_rows('name');
CREATE TRIGGER agents_truncate_recompile_policy AFTER TRUNCATE ON coord_private.agents
    FOR EACH STATEMENT EXECUTE FUNCTION coord_private.recompile_all();
CREATE TRIGGER profiles_truncate_recompile_policy AFTER TRUNCATE ON coord_private.profiles
    FOR EACH STATEMENT EXECUTE FUNCTION coord_private.recompile_all();
CREATE TRIGGER operations_truncate_recompile_policy AFTER TRUNCATE ON coord_private.operations
    FOR EACH STATEMENT EXECUTE FUNCTION coord_private.recompile_all();

COMMIT;
