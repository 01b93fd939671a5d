-- Deploy pgcoord:policy
-- The enforcement path of every mutation:
--   1. the API function normalises its input into a mutation intent
--      (agent = session_user, operation, resource, context) and raises PC* on bad input;
--   2. coord_private.decide asks the configured engine: allowed, reason, engine, context;
--   3. coord_private.authorize applies the enforcement mode and writes exactly one
--      audit event, in the mutation's transaction, before any side effect;
--   4. the API function mutates only when the verdict says proceed.
-- A refusal is a returned verdict, so its audit event commits with the transaction.
-- Sections: the decision types; the compiled policy (the native engine's static
-- rules per agent and operation); the engines, decide and the hook.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE TYPE coord_private.decision AS (
    allowed boolean,
    reason  text,
    engine  text,
    context jsonb
);
COMMENT ON TYPE coord_private.decision IS 'what a policy engine decides about one mutation intent';

CREATE TYPE coord_private.verdict AS (
    proceed  boolean,   -- the mutation may run
    allowed  boolean,   -- the engine's decision
    reason   text,      -- a code of coord_private.reason_codes
    engine   text,
    mode     text,
    event_id bigint     -- the audit event recording this decision
);
COMMENT ON TYPE coord_private.verdict IS 'the decision after the enforcement mode, with its audit event';

-- ==================================================================== compiled policy
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

-- Every recompilation draws a new generation, so an engine that keeps facts about
-- agents, profiles and operations between transactions (the Cedar engine) knows
-- they are still current by reading this one row. From a sequence, not a counter:
-- a value drawn by a recompilation that rolled back is never drawn again, so a
-- generation never names two different states.
CREATE SEQUENCE coord_private.policy_generations;
CREATE TABLE coord_private.policy_generation (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint NOT NULL
);
COMMENT ON TABLE coord_private.policy_generation IS
    'one row: the generation of the agents, profiles and operations, new with every recompilation of the compiled policy';
INSERT INTO coord_private.policy_generation (generation) VALUES (pg_catalog.nextval('coord_private.policy_generations'));
ALTER TABLE coord_private.policy_generation ENABLE ROW LEVEL SECURITY;

\ir ../parts/policy/coord_private.compile_agent_operation_policy.sql

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

-- ==================================================================== engines and the hook
-- The facts a request carries in its context, as the native engine reads them
-- (the API functions measure them; absent keys are NULL and pass every rule).
-- guardrail_matches is not among them: it is read as JSON where it is used, since a
-- JSON null there is malformed, not absent.
CREATE TYPE coord_private.request_facts AS (
    live_locks        integer,
    claimed_tasks     integer,
    lease_seconds     numeric,
    files_modified    integer,
    network_verdict   text,
    elevated          boolean
);
COMMENT ON TYPE coord_private.request_facts IS 'the request-dependent facts of a decision context, typed';

-- The native engine: the baseline rules in PL/pgSQL, no extension needed.
-- Facts a rule needs about state (e.g. the caller's live lock count) arrive in
-- p_context from the API function; the engine reads only catalog tables.
-- The static rules (registration, status, profile, allow/block lists, trust) are
-- compiled per (agent, operation) into agent_operation_policy (above): one keyed read per decision instead of a three-table join.
CREATE FUNCTION coord_private.native_decide(p_actor text, p_operation text, p_resource text, p_context jsonb)
RETURNS coord_private.decision
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v coord_private.agent_operation_policy;
    v_category text;
    v_in coord_private.request_facts;
BEGIN
    SELECT * INTO v FROM coord_private.agent_operation_policy p
     WHERE p.role_name = p_actor AND p.operation = p_operation;
    IF NOT FOUND THEN
        -- No compiled row: an unknown, admin or system operation, or an actor that
        -- is not a registered agent (or, should a row be missing, the source).
        SELECT o.category INTO v_category FROM coord_private.operations o WHERE o.name = p_operation;
        IF NOT FOUND THEN
            RETURN ROW(false, 'unknown_operation', 'native', '{}'::jsonb)::coord_private.decision;
        END IF;
        -- A system operation is the consequence of a mutation that was itself authorised
        -- (e.g. settling the dependents of a failed task); it is recorded, not re-decided.
        IF v_category = 'system' THEN
            RETURN ROW(true, 'allowed', 'native', pg_catalog.jsonb_build_object('system', true))::coord_private.decision;
        END IF;
        IF v_category = 'admin' THEN
            IF pg_catalog.pg_has_role(p_actor, 'coord_admin', 'MEMBER')
               OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = p_actor) THEN
                RETURN ROW(true, 'allowed', 'native', pg_catalog.jsonb_build_object('admin', true))::coord_private.decision;
            END IF;
            RETURN ROW(false, 'not_admin', 'native', pg_catalog.jsonb_build_object('admin', false))::coord_private.decision;
        END IF;
        SELECT * INTO v FROM coord_private.agent_operation_policy_source s
         WHERE s.role_name = p_actor AND s.operation = p_operation;
        IF NOT FOUND THEN
            RETURN ROW(false, 'agent_not_registered', 'native', '{}'::jsonb)::coord_private.decision;
        END IF;
    END IF;
    -- Static refusals: agent_suspended, profile_unresolved (INV-TRUST: no profile,
    -- no trust), operation_blocked, operation_not_allowed, trust_too_low.
    IF v.reason <> 'allowed' THEN
        RETURN ROW(false, v.reason, 'native', v.context)::coord_private.decision;
    END IF;

    -- Many operations carry none of the request facts (a release, a session): then no
    -- request-dependent rule can refuse, and none of them is set up (each expression
    -- is initialised again in every transaction).
    IF NOT p_context ?| ARRAY['live_locks', 'claimed_tasks', 'lease_seconds', 'files_modified',
                              'guardrail_matches', 'network_verdict', 'elevated'] THEN
        RETURN ROW(true, 'allowed', 'native', v.context)::coord_private.decision;
    END IF;
    -- (A context that is not a JSON object carries no facts.)
    v_in := pg_catalog.jsonb_populate_record(NULL::coord_private.request_facts,
        CASE WHEN pg_catalog.jsonb_typeof(p_context) = 'object' THEN p_context END);
    -- Profile resource limits, against counts the API function measured.
    IF v_in.live_locks >= v.max_locks OR v_in.claimed_tasks >= v.max_claimed_tasks
       OR v_in.lease_seconds > v.max_lease_seconds OR v_in.files_modified > v.max_file_modifications THEN
        RETURN ROW(false, 'limit_exceeded', 'native', v.context || CASE
            WHEN v_in.live_locks >= v.max_locks
                THEN pg_catalog.jsonb_build_object('limit', 'max_locks', 'max', v.max_locks)
            WHEN v_in.claimed_tasks >= v.max_claimed_tasks
                THEN pg_catalog.jsonb_build_object('limit', 'max_claimed_tasks', 'max', v.max_claimed_tasks)
            WHEN v_in.lease_seconds > v.max_lease_seconds
                THEN pg_catalog.jsonb_build_object('limit', 'max_lease_seconds', 'max', v.max_lease_seconds)
            ELSE pg_catalog.jsonb_build_object('limit', 'max_file_modifications', 'max', v.max_file_modifications)
            END)::coord_private.decision;
    END IF;
    -- The remaining rules read facts most requests do not carry (a lease, a claim, a
    -- completion): behind one test, so that none of them is set up for those.
    IF NOT p_context ?| ARRAY['guardrail_matches', 'network_verdict', 'elevated'] THEN
        RETURN ROW(true, 'allowed', 'native', v.context)::coord_private.decision;
    END IF;
    -- Guardrails: the API function scanned its text and passed every match; a match
    -- of severity block applies below its exempt trust level, or at every level
    -- when the pattern's category always applies (credentials, keys).
    -- (The query runs only when there are matches: most requests carry none.)
    IF p_context->'guardrail_matches' <> '[]'::jsonb THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(p_context->'guardrail_matches') m
                    WHERE m->>'severity' = 'block'
                      AND ((m->>'always')::boolean OR v.trust_level < (m->>'exempt_trust')::integer)) THEN
            RETURN ROW(false, 'guardrail_blocked', 'native', v.context)::coord_private.decision;
        END IF;
    END IF;
    -- Network policy: the API function resolved the domain against the rules.
    IF v_in.network_verdict <> 'allow' THEN
        RETURN ROW(false, 'domain_denied', 'native', v.context)::coord_private.decision;
    END IF;
    IF v_in.elevated AND v.trust_level < 3 THEN
        RETURN ROW(false, 'trust_too_low', 'native', v.context || pg_catalog.jsonb_build_object('elevated', true))::coord_private.decision;
    END IF;

    RETURN ROW(true, 'allowed', 'native', v.context)::coord_private.decision;
END
$$;
COMMENT ON FUNCTION coord_private.native_decide(text, text, text, jsonb) IS
    'the native policy engine: registration, suspension, profile (fail closed), allow/block lists, trust, limits';

\ir ../parts/policy/coord_private.cedar_decide.sql

-- p_engine: the engine the caller already read from settings (authorize reads the
-- settings row once per mutation); NULL reads it here.
CREATE FUNCTION coord_private.decide(p_actor text, p_operation text, p_resource text, p_context jsonb,
                                     p_engine text DEFAULT NULL)
RETURNS coord_private.decision
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_engine text := p_engine;
BEGIN
    IF v_engine IS NULL THEN
        SELECT s.policy_engine INTO v_engine FROM coord_private.settings s;
    END IF;
    IF v_engine = 'native' THEN
        RETURN coord_private.native_decide(p_actor, p_operation, p_resource, p_context);
    END IF;
    -- coord_private.cedar_decide comes with the cedar_engine change, which is also
    -- the only way to select 'cedar'; any other setting fails closed.
    IF v_engine = 'cedar' THEN
        RETURN coord_private.cedar_decide(p_actor, p_operation, p_resource, p_context);
    END IF;
    RETURN ROW(false, 'unknown_operation', coalesce(v_engine, 'none'),
               pg_catalog.jsonb_build_object('error', 'engine not available'))::coord_private.decision;
END
$$;
COMMENT ON FUNCTION coord_private.decide(text, text, text, jsonb, text) IS 'dispatches a mutation intent to the configured policy engine';

\ir ../parts/policy/coord_private.authorize.sql

COMMIT;
