-- The compiled policy learns the static approval sources: an operation in the
-- profile's approval_operations ('profile'), and an operation of min_trust >= 3
-- below the agent's trust when the profile approves elevation ('elevation', which
-- replaces trust_too_low). Only a row whose static rules allow carries sources:
-- every static refusal still wins (deny > approval_required).
CREATE OR REPLACE VIEW coord_private.agent_operation_policy_source AS
SELECT s.role_name, s.operation, s.reason, s.context, s.trust_level, s.max_locks, s.max_claimed_tasks,
       s.max_lease_seconds, s.max_file_modifications,
       CASE WHEN s.reason = 'allowed' THEN s.sources ELSE '{}'::text[] END AS approval_sources,
       s.approve_elevation
  FROM (SELECT a.role_name,
               o.name AS operation,
               CASE WHEN a.status <> 'active' THEN 'agent_suspended'
                    WHEN pr.name IS NULL THEN 'profile_unresolved'     -- INV-TRUST: no profile, no trust
                    WHEN o.name = ANY (pr.blocked_operations) THEN 'operation_blocked'
                    WHEN pr.allowed_operations IS NOT NULL AND NOT o.name = ANY (pr.allowed_operations)
                         THEN 'operation_not_allowed'
                    WHEN pr.trust_level < o.min_trust AND NOT (coalesce(pa.approve_elevation, false) AND o.min_trust >= 3)
                         THEN 'trust_too_low'
                    ELSE 'allowed' END AS reason,
               CASE WHEN a.status <> 'active' THEN pg_catalog.jsonb_build_object('status', a.status)
                    WHEN pr.name IS NULL THEN pg_catalog.jsonb_build_object('profile', a.profile)
                    ELSE pg_catalog.jsonb_build_object('profile', pr.name, 'trust', pr.trust_level, 'min_trust', o.min_trust)
               END AS context,
               pr.trust_level, pr.max_locks, pr.max_claimed_tasks, pr.max_lease_seconds, pr.max_file_modifications,
               pg_catalog.array_remove(ARRAY[
                   CASE WHEN pr.trust_level < o.min_trust THEN 'elevation' END,
                   CASE WHEN o.name = ANY (pa.approval_operations) THEN 'profile' END], NULL) AS sources,
               CASE WHEN pr.name IS NOT NULL THEN coalesce(pa.approve_elevation, false) END AS approve_elevation
          FROM coord_private.agents a
         CROSS JOIN coord_private.operations o
          LEFT JOIN coord_private.profiles pr ON pr.name = a.profile
          LEFT JOIN coord_private.profile_approvals pa ON pa.profile = pr.name
         WHERE o.category = 'agent') s;
COMMENT ON VIEW coord_private.agent_operation_policy_source IS
    'the native engine''s static rules per (registered agent, agent operation), with the static approval sources: the source agent_operation_policy is compiled from';

ALTER TABLE coord_private.agent_operation_policy
    ADD COLUMN approval_sources text[] NOT NULL DEFAULT '{}',   -- static: 'elevation', 'profile' (sorted)
    ADD COLUMN approve_elevation boolean;                       -- the profile's flag, for elevated calls

CREATE OR REPLACE FUNCTION coord_private.compile_agent_operation_policy(p_roles text[], p_profiles text[], p_operations text[])
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
    -- One lock for every recompilation: the row lock on the one generation row
    -- (see coordination_locks); everything below is read after it.
    UPDATE coord_private.policy_generation SET generation = pg_catalog.nextval('coord_private.policy_generations');
    v_roles := coalesce(p_roles, '{}')
            || ARRAY(SELECT a.role_name FROM coord_private.agents a WHERE a.profile = ANY (coalesce(p_profiles, '{}')));
    DELETE FROM coord_private.agent_operation_policy p
     WHERE p.role_name = ANY (v_roles) OR p.operation = ANY (coalesce(p_operations, '{}'));
    INSERT INTO coord_private.agent_operation_policy
        (role_name, operation, reason, context, trust_level, max_locks, max_claimed_tasks, max_lease_seconds,
         max_file_modifications, approval_sources, approve_elevation)
    SELECT s.role_name, s.operation, s.reason, s.context, s.trust_level, s.max_locks, s.max_claimed_tasks,
           s.max_lease_seconds, s.max_file_modifications, s.approval_sources, s.approve_elevation
      FROM coord_private.agent_operation_policy_source s
     WHERE s.role_name = ANY (v_roles) OR s.operation = ANY (coalesce(p_operations, '{}'));
END
$$;
COMMENT ON FUNCTION coord_private.compile_agent_operation_policy(text[], text[], text[]) IS
    'recomputes the compiled policy rows (static rules and approval sources) of agents, of the agents of profiles, and of operations (serialised, READ COMMITTED only)';
