-- The native engine with the third verdict (INV-APPROVAL). Every rule keeps its
-- place; where the engine answered 'allowed' it now answers 'approval_required'
-- when an approval source applies: static ones from the compiled row (profile,
-- elevation), request ones here (an elevated call of a profile that approves
-- elevation, a guardrail match of severity approve). A denial found anywhere first
-- still wins: deny > approval_required > allow.
-- 'allowed', or 'approval_required' with its sources (sorted, each once).
CREATE FUNCTION coord_private.allow_or_ask(p_context jsonb, p_sources text[])
RETURNS coord_private.decision
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN pg_catalog.cardinality(p_sources) = 0
                THEN ROW(true, 'allowed', 'native', p_context)::coord_private.decision
                ELSE ROW(false, 'approval_required', 'native', p_context || pg_catalog.jsonb_build_object(
                         'approval_sources', (SELECT pg_catalog.to_jsonb(pg_catalog.array_agg(DISTINCT x ORDER BY x))
                                                FROM pg_catalog.unnest(p_sources) x)))::coord_private.decision END
$$;
COMMENT ON FUNCTION coord_private.allow_or_ask(jsonb, text[]) IS
    'the native engine''s answer where it would allow: allowed, or approval_required with its sorted approval sources';

CREATE OR REPLACE FUNCTION coord_private.native_decide(p_actor text, p_operation text, p_resource text, p_context jsonb)
RETURNS coord_private.decision
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v coord_private.agent_operation_policy;
    v_category text;
    v_in coord_private.request_facts;
    v_sources text[];
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
    v_sources := v.approval_sources;

    -- Many operations carry none of the request facts (a release, a session): then no
    -- request-dependent rule can refuse, and none of them is set up.
    IF NOT p_context ?| ARRAY['live_locks', 'claimed_tasks', 'lease_seconds', 'files_modified',
                              'guardrail_matches', 'network_verdict', 'elevated'] THEN
        IF pg_catalog.cardinality(v_sources) = 0 THEN
            RETURN ROW(true, 'allowed', 'native', v.context)::coord_private.decision;
        END IF;
        RETURN coord_private.allow_or_ask(v.context, v_sources);
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
    IF NOT p_context ?| ARRAY['guardrail_matches', 'network_verdict', 'elevated'] THEN
        RETURN coord_private.allow_or_ask(v.context, v_sources);
    END IF;
    -- Guardrails: a match of severity block applies below its exempt trust level, or
    -- at every level when the pattern's category always applies; a match of severity
    -- approve, applying the same way, asks for an approval.
    IF p_context->'guardrail_matches' <> '[]'::jsonb THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(p_context->'guardrail_matches') m
                    WHERE m->>'severity' = 'block'
                      AND ((m->>'always')::boolean OR v.trust_level < (m->>'exempt_trust')::integer)) THEN
            RETURN ROW(false, 'guardrail_blocked', 'native', v.context)::coord_private.decision;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(p_context->'guardrail_matches') m
                    WHERE m->>'severity' = 'approve'
                      AND ((m->>'always')::boolean OR v.trust_level < (m->>'exempt_trust')::integer)) THEN
            v_sources := v_sources || 'guardrail'::text;
        END IF;
    END IF;
    -- Network policy: the API function resolved the domain against the rules.
    IF v_in.network_verdict <> 'allow' THEN
        RETURN ROW(false, 'domain_denied', 'native', v.context)::coord_private.decision;
    END IF;
    IF v_in.elevated AND v.trust_level < 3 THEN
        IF NOT coalesce(v.approve_elevation, false) THEN
            RETURN ROW(false, 'trust_too_low', 'native', v.context || pg_catalog.jsonb_build_object('elevated', true))::coord_private.decision;
        END IF;
        v_sources := v_sources || 'elevation'::text;
    END IF;

    RETURN coord_private.allow_or_ask(v.context, v_sources);
END
$$;
COMMENT ON FUNCTION coord_private.native_decide(text, text, text, jsonb) IS
    'the native policy engine: registration, suspension, profile (fail closed), allow/block lists, trust, limits, guardrails, network, elevation; approval_required where it would allow and an approval source applies (INV-APPROVAL)';

