-- The hook's third verdict. When the engines answer approval_required in enforce
-- mode and no coordination refusal stops the call anyway, the hook either uses a
-- grant bound to exactly this call or records a request (authorize_approval).

-- What a grant is bound to besides the call: the requester's policy for the
-- operation as the engines see it: its compiled row (static rules, trust, limits,
-- approval sources), the engine and, for Cedar, the policy version. A change to
-- any of them makes a pending request ungrantable and a grant unusable (model:
-- Approvals.tla, a request made under an older policy cannot be granted).
-- Guardrail patterns and network rules are not part of it: they act on the
-- arguments, which the digest binds.
CREATE FUNCTION coord_private.approval_policy_version(p_requester text, p_operation text)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT s.policy_engine || ':'
           || CASE WHEN s.policy_engine = 'cedar'
                   THEN coalesce((SELECT pg_catalog.max(c.version) FROM coord_private.cedar_policies c)::text, '-')
                   ELSE '-' END || ':'
           || pg_catalog.md5(coalesce(
                  (SELECT ROW(p.reason, p.context, p.trust_level, p.max_locks, p.max_claimed_tasks,
                                          p.max_lease_seconds, p.max_file_modifications, p.approval_sources,
                                          p.approve_elevation)::text
                     FROM coord_private.agent_operation_policy p
                    WHERE p.role_name = p_requester AND p.operation = p_operation),
                  (SELECT ROW(p.reason, p.context, p.trust_level, p.max_locks, p.max_claimed_tasks,
                                          p.max_lease_seconds, p.max_file_modifications, p.approval_sources,
                                          p.approve_elevation)::text
                     FROM coord_private.agent_operation_policy_source p
                    WHERE p.role_name = p_requester AND p.operation = p_operation),
                  'unregistered'))
      FROM coord_private.settings s
$$;
COMMENT ON FUNCTION coord_private.approval_policy_version(text, text) IS
    'INV-APPROVAL: the requester''s policy for an operation (engine, Cedar version, compiled row) as one string a grant is bound to';

-- SHA-256 of the canonical text of the arguments (jsonb prints keys in one order,
-- without insignificant space, so equal arguments give equal digests).
CREATE FUNCTION coord_private.args_digest(p_args jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_args::text, 'UTF8')), 'hex') $$;
COMMENT ON FUNCTION coord_private.args_digest(jsonb) IS 'INV-APPROVAL: the digest of a call''s canonical arguments';

CREATE FUNCTION coord_private.authorize_approval(p_operation text, p_resource text, p_context jsonb,
                                                 p_decision coord_private.decision, p_mode text)
RETURNS coord_private.verdict
LANGUAGE plpgsql
AS $$
DECLARE
    v_args jsonb := p_context -> 'args';
    v_ctx jsonb;
    v_digest text;
    v_version text;
    v_grant coord_private.approvals;
    v_row coord_private.approvals;
    v_expired bigint[] := '{}';
    v_now timestamptz;
    v_event bigint;
    v_ttl interval;
    v_sources text[];
BEGIN
    v_ctx := (coalesce(p_context, '{}') - 'args') || pg_catalog.jsonb_build_object('decision', p_decision.context,
        'at', coalesce(p_context -> 'at', pg_catalog.to_jsonb(coord_private.current_time())));
    -- Fail closed: an operation whose function does not pass its arguments cannot
    -- bind a grant to one call, so it cannot be approved.
    IF pg_catalog.jsonb_typeof(v_args) IS DISTINCT FROM 'object'
       OR NOT EXISTS (SELECT 1 FROM coord_private.approvable_operations o WHERE o.operation = p_operation) THEN
        v_event := coord_private.append_audit_event(p_operation, p_resource, false, false, 'not_approvable',
                                                    p_decision.engine, p_mode, v_ctx);
        RETURN ROW(false, false, 'not_approvable', p_decision.engine, p_mode, v_event)::coord_private.verdict;
    END IF;
    -- "The other waits, then finds it used" needs READ COMMITTED (a later snapshot).
    PERFORM coord_private.require_read_committed();
    v_digest := coord_private.args_digest(v_args);
    v_version := coord_private.approval_policy_version((session_user::text COLLATE "default"), p_operation);
    v_ctx := v_ctx || pg_catalog.jsonb_build_object('args_digest', v_digest, 'policy_version', v_version);
    -- The grants for exactly this call, locked (a concurrent identical call waits
    -- here, then no longer finds a grant it used), judged by the clock after the
    -- locks: the oldest unexpired one is used; expired ones are closed, and recorded
    -- in this call's event.
    v_grant := NULL;
    FOR v_row IN
        SELECT * FROM coord_private.approvals a
         WHERE a.requester = (session_user::text COLLATE "default") AND a.operation = p_operation
           AND a.resource IS NOT DISTINCT FROM p_resource AND a.args_digest = v_digest
           AND a.policy_version = v_version AND a.state = 'granted'
         ORDER BY a.approval_id
         FOR UPDATE
    LOOP
        v_now := coord_private.current_time();
        IF v_row.expires_at > v_now THEN
            v_grant := v_row;
            EXIT;
        END IF;
        UPDATE coord_private.approvals a SET state = 'expired' WHERE a.approval_id = v_row.approval_id;
        v_expired := v_expired || v_row.approval_id;
    END LOOP;
    v_now := coord_private.current_time();
    IF pg_catalog.cardinality(v_expired) > 0 THEN
        v_ctx := v_ctx || pg_catalog.jsonb_build_object('expired_grant', v_expired[1], 'expired_grants', v_expired);
    END IF;
    IF v_grant.approval_id IS NOT NULL THEN
        v_event := coord_private.append_audit_event(p_operation, p_resource, false, true, 'approved',
            p_decision.engine, p_mode, v_ctx || pg_catalog.jsonb_build_object('approval_id', v_grant.approval_id));
        UPDATE coord_private.approvals a SET state = 'used', used_event_id = v_event
         WHERE a.approval_id = v_grant.approval_id;
        RETURN ROW(true, false, 'approved', p_decision.engine, p_mode, v_event)::coord_private.verdict;
    END IF;

    -- No usable grant: this call's event is the request.
    v_event := coord_private.append_audit_event(p_operation, p_resource, false, false, 'approval_required',
                                                p_decision.engine, p_mode, v_ctx);
    SELECT s.request_ttl INTO v_ttl FROM coord_private.approval_settings s;
    v_sources := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(
                           CASE WHEN pg_catalog.jsonb_typeof(p_decision.context -> 'approval_sources') = 'array'
                                THEN p_decision.context -> 'approval_sources' ELSE '[]'::jsonb END));
    INSERT INTO coord_private.approvals (approval_id, requester, operation, resource, args, args_digest,
                                         policy_version, sources, requested_at, expires_at)
    VALUES (v_event, session_user, p_operation, p_resource, v_args, v_digest, v_version, v_sources,
            v_now, v_now + v_ttl);
    -- An identical request still pending is replaced by this one (approvers see one).
    UPDATE coord_private.approvals a SET state = 'superseded'
     WHERE a.requester = (session_user::text COLLATE "default") AND a.operation = p_operation
       AND a.resource IS NOT DISTINCT FROM p_resource AND a.args_digest = v_digest
       AND a.state = 'pending' AND a.approval_id <> v_event;
    PERFORM pg_catalog.pg_notify('pgcoord_approvals', v_event::text);
    RETURN ROW(false, false, 'approval_required', p_decision.engine, p_mode, v_event)::coord_private.verdict;
END
$$;
COMMENT ON FUNCTION coord_private.authorize_approval(text, text, jsonb, coord_private.decision, text) IS
    'INV-APPROVAL: the hook''s approval path: use the one grant bound to this call (single use, by the clock after its row lock), or record a request whose id is the event id; not_approvable when the call cannot be bound';

CREATE OR REPLACE FUNCTION coord_private.authorize(
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
    IF pg_catalog.pg_is_in_recovery() THEN
        PERFORM coord_private.refuse_on_standby();
    END IF;
    SELECT s.enforcement_mode, s.policy_engine INTO v_mode, v_engine FROM coord_private.settings s;
    -- The engines are called directly, not through decide: one PL/pgSQL frame less
    -- on every mutation. decide handles (and fails closed on) any other setting.
    IF v_engine = 'native' THEN
        v_decision := coord_private.native_decide((session_user::text COLLATE "default"), p_operation, p_resource,
                                                  coalesce(p_context, '{}'));
    ELSIF v_engine = 'cedar' THEN
        v_decision := coord_private.cedar_decide((session_user::text COLLATE "default"), p_operation, p_resource,
                                                 coalesce(p_context, '{}'));
    ELSE
        v_decision := coord_private.decide((session_user::text COLLATE "default"), p_operation, p_resource,
                                           coalesce(p_context, '{}'), v_engine);
    END IF;

    IF NOT v_decision.allowed THEN
        -- INV-APPROVAL: a call that only needs an approval, in enforce mode, that
        -- nothing else stops, uses its grant or becomes a request.
        IF v_decision.reason = 'approval_required' AND v_mode = 'enforce' AND p_refusal IS NULL THEN
            RETURN coord_private.authorize_approval(p_operation, p_resource, p_context, v_decision, v_mode);
        END IF;
        SELECT rc.outcome INTO v_outcome FROM coord_private.reason_codes rc WHERE rc.code = v_decision.reason;
        v_proceed := v_mode <> 'enforce' AND v_outcome IS DISTINCT FROM 'refuse' AND p_refusal IS NULL;
        -- The reason is what actually stopped the mutation: outside enforce mode a
        -- policy denial does not, so a coordination refusal is named instead; nor
        -- does a needed approval, which is never asked for a call refused anyway.
        v_reason := CASE WHEN (v_mode <> 'enforce' OR v_decision.reason = 'approval_required')
                               AND v_outcome IS DISTINCT FROM 'refuse' AND p_refusal IS NOT NULL
                         THEN p_refusal ELSE v_decision.reason END;
    ELSIF p_refusal IS NOT NULL THEN
        v_reason := p_refusal;
        v_proceed := false;
    ELSE
        v_reason := 'allowed';
        v_proceed := true;
    END IF;

    -- 'at' is pgcoord's clock at the decision (the caller's own reading when it
    -- passed one): with it, the trail alone says which leases were live, so recorded
    -- traces can be replayed against the model. 'args' (an approvable operation's
    -- arguments) is recorded by its digest only when an approval is involved.
    v_ctx := (coalesce(p_context, '{}') - 'args') || pg_catalog.jsonb_build_object('decision', v_decision.context,
        'at', coalesce(p_context -> 'at', pg_catalog.to_jsonb(coord_private.current_time())));
    IF p_refusal IS NOT NULL THEN
        v_ctx := v_ctx || pg_catalog.jsonb_build_object('refusal', p_refusal);
    END IF;
    -- Shadow and off: the call proceeds; nobody is asked for what already happened.
    IF v_decision.reason = 'approval_required' AND v_proceed THEN
        v_ctx := v_ctx || pg_catalog.jsonb_build_object('would_require_approval', true);
    END IF;
    v_event := coord_private.append_audit_event(p_operation, p_resource, v_decision.allowed, v_proceed,
                                                v_reason, v_decision.engine, v_mode, v_ctx);
    RETURN ROW(v_proceed, v_decision.allowed, v_reason, v_decision.engine, v_mode, v_event)::coord_private.verdict;
END
$$;
COMMENT ON FUNCTION coord_private.authorize(text, text, jsonb, text) IS
    'the policy hook (INV-BOUNDARY): decide, apply the enforcement mode and approvals (INV-APPROVAL), write exactly one audit event (INV-AUDIT-COMPLETE)';
