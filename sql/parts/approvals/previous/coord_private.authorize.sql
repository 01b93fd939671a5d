-- coord_private.authorize as policy_hook_revision made it.
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

    -- 'at' is pgcoord's clock at the decision (the caller's own reading when it
    -- passed one): with it, the trail alone says which leases were live, so recorded
    -- traces can be replayed against the model.
    v_ctx := coalesce(p_context, '{}') || pg_catalog.jsonb_build_object('decision', v_decision.context,
        'at', coalesce(p_context -> 'at', pg_catalog.to_jsonb(coord_private.current_time())));
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
