-- Approvers, requesters and admins: approve, reject, approval_status, the view
-- coord.approvals, and the admin settings.

-- An approver: a member of coord_admin, or a registered agent whose static policy
-- allows the operation approve outright (trust at its min_trust, not blocked, no
-- approval needed for it).
CREATE FUNCTION coord_private.is_approver(p_role text)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.pg_has_role(p_role, 'coord_admin', 'MEMBER')
        OR EXISTS (SELECT 1 FROM coord_private.agent_operation_policy_source p
                    WHERE p.role_name = p_role AND p.operation = 'approve'
                      AND p.reason = 'allowed' AND pg_catalog.cardinality(p.approval_sources) = 0)
$$;
COMMENT ON FUNCTION coord_private.is_approver(text) IS
    'INV-APPROVAL: coord_admin, or an agent whose trust reaches the approve operation''s min_trust (and is not blocked from it)';

-- approve and reject share their checks: lock the request, read the clock after
-- the lock, name what may not be decided (refusals: refused in every mode). Each
-- function then decides through the hook with its own operation (approve_as_admin /
-- reject_as_admin for coord_admin members) and records the outcome.
CREATE FUNCTION coord_private.check_approval(p_action text, p_approval_id bigint, p_note text,
    OUT request coord_private.approvals, OUT refusal text, OUT at timestamptz, OUT context jsonb)
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_approval_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = pg_catalog.format('%s: the approval id must not be NULL', p_action),
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'the approval id is the event id the refused call returned (coord.approvals lists them)';
    END IF;
    IF pg_catalog.length(p_note) > 2000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'approval note longer than 2000 characters',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = pg_catalog.format('see the function documentation: \df+ coord.%s', p_action);
    END IF;
    PERFORM coord_private.require_read_committed();
    SELECT * INTO request FROM coord_private.approvals a WHERE a.approval_id = p_approval_id FOR UPDATE;
    at := coord_private.current_time();
    refusal := CASE
        WHEN NOT coord_private.is_approver((session_user::text COLLATE "default")) THEN 'not_approver'
        WHEN request.approval_id IS NULL THEN 'approval_not_found'
        -- by session user, never current_user: SET ROLE to an approver role does not
        -- make a requester someone else
        WHEN request.requester = (session_user::text COLLATE "default") THEN 'approval_self'
        WHEN p_action = 'approve' AND request.state <> 'pending' THEN 'approval_not_pending'
        WHEN p_action = 'reject' AND request.state NOT IN ('pending', 'granted') THEN 'approval_not_pending'
        WHEN request.expires_at <= at THEN 'approval_expired'
        WHEN p_action = 'approve'
             AND request.policy_version <> coord_private.approval_policy_version(request.requester, request.operation)
             THEN 'approval_stale_policy'
        END;
    context := pg_catalog.jsonb_build_object('requester', request.requester, 'operation', request.operation,
                                             'resource', request.resource, 'args_digest', request.args_digest,
                                             'was', request.state, 'note', p_note, 'at', at)
        || CASE WHEN p_action = 'reject' AND request.state = 'granted'
                THEN pg_catalog.jsonb_build_object('revoked', true) ELSE '{}'::jsonb END;
END
$$;
COMMENT ON FUNCTION coord_private.check_approval(text, bigint, text) IS
    'INV-APPROVAL: lock one request and name why it may not be approved or rejected now: not an approver, unknown, the caller''s own (session user), not pending (reject: nor granted), expired (by the clock after the lock), or (approve) asked under another policy';

-- The outcome of a decided approve or reject: the row's new state (or expired, when
-- that was the refusal), and the approvers' and requester's notifications.
CREATE FUNCTION coord_private.record_approval_decision(p_action text, p_request coord_private.approvals,
    p_verdict coord_private.verdict, p_at timestamptz, p_note text, p_refusal text,
    OUT state text, OUT expires_at timestamptz)
LANGUAGE plpgsql
AS $$
DECLARE
    v_ttl interval;
BEGIN
    state := p_request.state; expires_at := p_request.expires_at;
    IF p_refusal = 'approval_expired' THEN
        -- the refusal's event records the expiry
        UPDATE coord_private.approvals a SET state = 'expired' WHERE a.approval_id = p_request.approval_id;
        state := 'expired';
    END IF;
    IF NOT p_verdict.proceed THEN
        RETURN;
    END IF;
    IF p_action = 'approve' THEN
        SELECT s.grant_ttl INTO v_ttl FROM coord_private.approval_settings s;
        state := 'granted';
        expires_at := p_at + v_ttl;
    ELSE
        state := 'rejected';
    END IF;
    UPDATE coord_private.approvals a
       SET state = record_approval_decision.state, expires_at = record_approval_decision.expires_at,
           decided_by = session_user, decided_at = p_at, note = p_note, decision_event_id = p_verdict.event_id
     WHERE a.approval_id = p_request.approval_id;
    PERFORM pg_catalog.pg_notify('pgcoord_approvals', p_request.approval_id::text || ' ' || state);
    PERFORM pg_catalog.pg_notify(coord_private.agent_channel(p_request.requester),
        pg_catalog.jsonb_build_object('kind', 'approval', 'approval_id', p_request.approval_id, 'state', state)::text);
END
$$;
COMMENT ON FUNCTION coord_private.record_approval_decision(text, coord_private.approvals, coord_private.verdict, timestamptz, text, text) IS
    'INV-APPROVAL: apply a decided approve (granted, with the grant''s expiry) or reject (rejected), or mark an expired request; notify approvers (pgcoord_approvals) and the requester (its agent channel)';

CREATE FUNCTION coord.approve(p_approval_id bigint, p_note text DEFAULT NULL,
    OUT ok boolean, OUT reason text, OUT event_id bigint, OUT state text, OUT expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    c record;
    v coord_private.verdict;
BEGIN
    SELECT * INTO c FROM coord_private.check_approval('approve', p_approval_id, p_note);
    IF pg_catalog.pg_has_role(session_user, 'coord_admin', 'MEMBER') THEN
        v := coord_private.authorize('approve_as_admin', p_approval_id::text, c.context, c.refusal);
    ELSE
        v := coord_private.authorize('approve', p_approval_id::text, c.context, c.refusal);
    END IF;
    SELECT d.state, d.expires_at INTO state, expires_at
      FROM coord_private.record_approval_decision('approve', c.request, v, c.at, p_note, c.refusal) d;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.approve(bigint, text) IS
    'approver (coord_admin, or an agent at the approve operation''s trust, 4 by default): grant another role''s pending request; the grant is single use, bound to its call, and expires (approval_settings.grant_ttl). Refusals: not_approver, approval_not_found, approval_self, approval_not_pending, approval_expired, approval_stale_policy. Errors PC001, PC002, PC015 (INV-APPROVAL)';

CREATE FUNCTION coord.reject(p_approval_id bigint, p_note text DEFAULT NULL,
    OUT ok boolean, OUT reason text, OUT event_id bigint, OUT state text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    c record;
    v coord_private.verdict;
BEGIN
    SELECT * INTO c FROM coord_private.check_approval('reject', p_approval_id, p_note);
    IF pg_catalog.pg_has_role(session_user, 'coord_admin', 'MEMBER') THEN
        v := coord_private.authorize('reject_as_admin', p_approval_id::text, c.context, c.refusal);
    ELSE
        v := coord_private.authorize('reject', p_approval_id::text, c.context, c.refusal);
    END IF;
    SELECT d.state INTO state
      FROM coord_private.record_approval_decision('reject', c.request, v, c.at, p_note, c.refusal) d;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.reject(bigint, text) IS
    'approver: reject another role''s pending request, or revoke a grant not yet used (the event says revoked). Refusals as coord.approve. Errors PC001, PC002, PC015 (INV-APPROVAL)';

-- INV-RLS: a request is visible to its requester and to approvers and auditors.
-- The view reads the private table as its owner; the filter is session_user's
-- (security_barrier: no caller's function sees a row before the filter has run).
CREATE VIEW coord.approvals WITH (security_barrier = true) AS
SELECT a.approval_id, a.requester, a.operation, a.resource, a.args, a.sources,
       CASE WHEN a.state IN ('pending', 'granted') AND a.expires_at <= coord.now()
            THEN 'expired' ELSE a.state END AS state,
       a.requested_at, a.expires_at, a.decided_by, a.decided_at, a.note, a.used_event_id
  FROM coord_private.approvals a
 WHERE a.requester = (session_user::text COLLATE "default")
    OR pg_catalog.pg_has_role(session_user, 'coord_admin', 'MEMBER')
    OR pg_catalog.pg_has_role(session_user, 'coord_auditor', 'MEMBER')
    -- an approver agent (coord_private.is_approver, from the compiled policy)
    OR EXISTS (SELECT 1 FROM coord_private.agent_operation_policy p
                WHERE p.role_name = (session_user::text COLLATE "default") AND p.operation = 'approve'
                  AND p.reason = 'allowed' AND pg_catalog.cardinality(p.approval_sources) = 0);
COMMENT ON VIEW coord.approvals IS
    'approval requests (INV-APPROVAL): the caller''s own, or all for approvers and auditors; state pending, granted, rejected, used, expired or superseded (a pending request or unused grant past expires_at shows expired)';

CREATE FUNCTION coord.approval_status(p_approval_id bigint)
RETURNS SETOF coord.approvals
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$ SELECT * FROM coord.approvals a WHERE a.approval_id = p_approval_id $$;
COMMENT ON FUNCTION coord.approval_status(bigint) IS
    'requester or approver: one approval request and its effective state (no row when unknown or not visible); a read, no audit event (INV-APPROVAL)';

-- ---------------------------------------------------------------- admin
CREATE FUNCTION coord.set_profile_approvals(p_profile text, p_operations text[], p_approve_elevation boolean DEFAULT false,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    v_bad text[];
    v_ops text[];
BEGIN
    PERFORM coord_private.require_profile(p_profile);
    IF p_operations IS NULL OR p_approve_elevation IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'operations and approve_elevation must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed', HINT = 'an empty array: no operation needs approval';
    END IF;
    v_ops := ARRAY(SELECT DISTINCT x FROM pg_catalog.unnest(p_operations) x ORDER BY x);
    v_bad := ARRAY(SELECT x FROM pg_catalog.unnest(v_ops) x
                    WHERE x IS NULL OR NOT EXISTS (SELECT 1 FROM coord_private.approvable_operations o
                                                    JOIN coord_private.operations k ON k.name = o.operation
                                                   WHERE o.operation = x AND k.category = 'agent'));
    IF pg_catalog.cardinality(v_bad) > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('not approvable: %s', pg_catalog.array_to_string(v_bad, ', ', 'NULL')),
            DETAIL = 'only agent operations whose functions bind their arguments to a grant can need an approval; nothing was changed',
            HINT = 'approvable: ' || (SELECT pg_catalog.string_agg(o.operation, ', ' ORDER BY o.operation)
                                        FROM coord_private.approvable_operations o);
    END IF;
    PERFORM coord_private.require_read_committed();
    v := coord_private.authorize('set_profile_approvals', p_profile,
        pg_catalog.jsonb_build_object('operations', v_ops, 'approve_elevation', p_approve_elevation));
    IF v.proceed THEN
        INSERT INTO coord_private.profile_approvals AS pa (profile, approval_operations, approve_elevation)
        VALUES (p_profile, v_ops, p_approve_elevation)
        ON CONFLICT (profile) DO UPDATE
           SET approval_operations = EXCLUDED.approval_operations, approve_elevation = EXCLUDED.approve_elevation;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_profile_approvals(text, text[], boolean) IS
    'coord_admin: which approvable operations need an approval for a profile''s agents, and whether its elevated requests below trust ask for approval instead of being denied; audited. Errors PC001, PC002, PC006, PC015 (INV-APPROVAL)';

CREATE FUNCTION coord.set_approval_settings(p_request_ttl interval DEFAULT NULL, p_grant_ttl interval DEFAULT NULL,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    s coord_private.approval_settings;
BEGIN
    IF (p_request_ttl IS NOT NULL AND p_request_ttl NOT BETWEEN '1 minute'::interval AND '7 days'::interval)
       OR (p_grant_ttl IS NOT NULL AND p_grant_ttl NOT BETWEEN '10 seconds'::interval AND '1 day'::interval) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'approval lifetime out of range',
            DETAIL = 'a request lives 1 minute to 7 days, a grant 10 seconds to 1 day; nothing was changed',
            HINT = 'NULL keeps a setting';
    END IF;
    PERFORM coord_private.require_read_committed();
    SELECT * INTO s FROM coord_private.approval_settings FOR UPDATE;
    v := coord_private.authorize('set_approval_settings', NULL,
        pg_catalog.jsonb_build_object('request_ttl', coalesce(p_request_ttl, s.request_ttl),
                                      'grant_ttl', coalesce(p_grant_ttl, s.grant_ttl),
                                      'from', pg_catalog.jsonb_build_object('request_ttl', s.request_ttl, 'grant_ttl', s.grant_ttl)));
    IF v.proceed THEN
        UPDATE coord_private.approval_settings
           SET request_ttl = coalesce(p_request_ttl, request_ttl), grant_ttl = coalesce(p_grant_ttl, grant_ttl),
               updated_by = session_user, updated_at = pg_catalog.now();
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_approval_settings(interval, interval) IS
    'coord_admin: how long a pending approval request (1 min to 7 days, default 1 h) and an unused grant (10 s to 1 day, default 15 min) live; NULL keeps; audited. Errors PC002, PC015';

REVOKE ALL ON FUNCTION coord.approve(bigint, text), coord.reject(bigint, text), coord.approval_status(bigint),
    coord.set_profile_approvals(text, text[], boolean), coord.set_approval_settings(interval, interval) FROM PUBLIC;
REVOKE ALL ON TABLE coord.approvals FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.approve(bigint, text), coord.reject(bigint, text), coord.approval_status(bigint)
    TO coord_agent, coord_admin;
GRANT EXECUTE ON FUNCTION coord.approval_status(bigint) TO coord_auditor;
GRANT EXECUTE ON FUNCTION coord.set_profile_approvals(text, text[], boolean), coord.set_approval_settings(interval, interval)
    TO coord_admin;
GRANT SELECT ON coord.approvals TO coord_agent, coord_admin, coord_auditor;
