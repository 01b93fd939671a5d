-- Deploy pgcoord:policy
-- The enforcement path of every mutation:
--   1. the API function normalises its input into a mutation intent
--      (agent = session_user, operation, resource, context) and raises PC* on bad input;
--   2. coord_private.decide asks the configured engine: allowed, reason, engine, context;
--   3. coord_private.authorize applies the enforcement mode and writes exactly one
--      audit event, in the mutation's transaction, before any side effect;
--   4. the API function mutates only when the verdict says proceed.
-- A refusal is a returned verdict, so its audit event commits with the transaction.
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
-- compiled per (agent, operation) into agent_operation_policy (see
-- compiled_policy.sql): one keyed read per decision instead of a three-table join.
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

-- The Cedar engine is not part of the spine: until the cedar_engine change replaces
-- this function with its PL/Python evaluator, asking for Cedar is an error (and
-- coord.set_policy_engine, which comes with that change, is the only way to ask).
CREATE FUNCTION coord_private.cedar_decide(p_actor text, p_operation text, p_resource text, p_context jsonb)
RETURNS coord_private.decision
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PC011', MESSAGE = 'the Cedar policy engine is not installed in this database',
        DETAIL = pg_catalog.format('cannot decide %s by %s', p_operation, p_actor),
        HINT = 'deploy the cedar_engine change (PL/Python and cedarpy), or set the engine back to native';
END
$$;
COMMENT ON FUNCTION coord_private.cedar_decide(text, text, text, jsonb) IS
    'the Cedar engine: unavailable until the cedar_engine change installs the PL/Python evaluator (PC011)';

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

-- THE policy hook. Every coord function that writes calls it before its first write.
-- p_refusal carries a coordination-invariant refusal the caller found (e.g.
-- lock_held_by_other): such refusals hold in every enforcement mode, because
-- shadowing them would break INV-LOCK-EXCL and friends.
CREATE FUNCTION coord_private.authorize(
    p_operation text, p_resource text, p_context jsonb DEFAULT '{}', p_refusal text DEFAULT NULL)
RETURNS coord_private.verdict
LANGUAGE plpgsql
AS $$
DECLARE
    v_mode text;
    v_engine text;
    v_decision coord_private.decision;
    v_outcome text;
    v_proceed boolean;
    v_reason text;
    v_ctx jsonb;
    v_event bigint;
BEGIN
    SELECT s.enforcement_mode, s.policy_engine INTO v_mode, v_engine FROM coord_private.settings s;
    -- The native engine is called directly, not through decide: one PL/pgSQL frame
    -- less on every mutation.
    IF v_engine = 'native' THEN
        v_decision := coord_private.native_decide((session_user::text COLLATE "default"), p_operation, p_resource,
                                                  coalesce(p_context, '{}'));
    ELSE
        v_decision := coord_private.decide((session_user::text COLLATE "default"), p_operation, p_resource,
                                           coalesce(p_context, '{}'), v_engine);
    END IF;

    IF NOT v_decision.allowed THEN
        SELECT rc.outcome INTO v_outcome FROM coord_private.reason_codes rc WHERE rc.code = v_decision.reason;
        v_proceed := v_mode <> 'enforce' AND v_outcome IS DISTINCT FROM 'refuse' AND p_refusal IS NULL;
        -- The reason is what actually stopped the mutation: outside enforce mode a
        -- policy denial does not, so a coordination refusal is named instead.
        v_reason := CASE WHEN v_mode <> 'enforce' AND v_outcome IS DISTINCT FROM 'refuse' AND p_refusal IS NOT NULL
                         THEN p_refusal ELSE v_decision.reason END;
    ELSIF p_refusal IS NOT NULL THEN
        v_reason := p_refusal;
        v_proceed := false;
    ELSE
        v_reason := 'allowed';
        v_proceed := true;
    END IF;

    -- 'at' is pgcoord's clock at the decision: with it, the trail alone says which
    -- leases were live, so recorded traces can be replayed against the model.
    v_ctx := coalesce(p_context, '{}') || pg_catalog.jsonb_build_object('decision', v_decision.context,
                                                                        'at', coord_private.current_time());
    IF p_refusal IS NOT NULL THEN
        v_ctx := v_ctx || pg_catalog.jsonb_build_object('refusal', p_refusal);
    END IF;
    v_event := coord_private.append_audit_event(p_operation, p_resource, v_decision.allowed, v_proceed,
                                                v_reason, v_decision.engine, v_mode, v_ctx);
    RETURN ROW(v_proceed, v_decision.allowed, v_reason, v_decision.engine, v_mode, v_event)::coord_private.verdict;
END
$$;
COMMENT ON FUNCTION coord_private.authorize(text, text, jsonb, text) IS
    'the policy hook (INV-BOUNDARY): decide, apply the enforcement mode, write exactly one audit event (INV-AUDIT-COMPLETE)';

COMMIT;
