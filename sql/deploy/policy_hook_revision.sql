-- Deploy pgcoord:policy_hook_revision
-- The policy hook, revised for issue 12 (one redefinition for both concerns):
-- (1) On a standby a pgcoord mutation failed with whatever PostgreSQL met first
-- (25006 "cannot execute nextval() in a read-only transaction"). Every mutation
-- and decision now says what is wrong before doing anything: PC020
-- (read_only_server), from the two places every one of them passes before its
-- first write: require_read_committed (leases and tasks, before any token draw)
-- and the policy hook. Reads (views, check_locks, check_fence, verify_audit) work
-- on a standby as before.
-- (2) The clock is the time of the call (clock_after_locks), so a decision's
-- judgements and the event's recorded time ('at') are different readings. A caller
-- that judged liveness at a reading of its own passes it as context 'at', and the
-- hook records that instead of a later reading: the trail then says exactly which
-- leases and claims were live when the database judged them
-- (tests/trace_validation.py replays it against the model).
BEGIN;
SET LOCAL ROLE coord_owner;

INSERT INTO coord_private.error_codes (sqlstate, name, description) VALUES
    ('PC020', 'read_only_server', 'the server is a standby (in recovery): mutations and decisions need the primary');

CREATE FUNCTION coord_private.refuse_on_standby()
RETURNS void LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PC020',
        MESSAGE = 'pgcoord cannot change anything on a standby server',
        DETAIL = 'this server is in recovery (a streaming or archive replica): it answers reads; every mutation and every decision, whose audit event is a write, needs the primary; nothing was changed',
        HINT = 'connect to the primary (libpq: target_session_attrs=read-write)';
END
$$;
COMMENT ON FUNCTION coord_private.refuse_on_standby() IS 'raises PC020 (read_only_server): mutations and decisions need the primary';

CREATE OR REPLACE FUNCTION coord_private.require_read_committed()
RETURNS void LANGUAGE plpgsql STABLE 
AS $$
BEGIN
    IF pg_catalog.pg_is_in_recovery() THEN
        PERFORM coord_private.refuse_on_standby();
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC015',
            MESSAGE = pg_catalog.format('pgcoord mutations need READ COMMITTED, not %s', pg_catalog.current_setting('transaction_isolation')),
            DETAIL = 'conflicts are checked after taking coordination locks: an older snapshot could miss a grant that just committed',
            HINT = 'call pgcoord in autocommit or in a READ COMMITTED transaction';
    END IF;
END
$$;
COMMENT ON FUNCTION coord_private.require_read_committed() IS 'raises PC020 on a standby and PC015 unless the transaction is READ COMMITTED';

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

COMMIT;
