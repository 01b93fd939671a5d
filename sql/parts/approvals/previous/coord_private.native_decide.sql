-- coord_private.native_decide as policy made it.
CREATE OR REPLACE FUNCTION coord_private.native_decide(p_actor text, p_operation text, p_resource text, p_context jsonb)
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
