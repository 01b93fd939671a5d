-- the compiled policy's source view as policy made it (dropped and created again:
-- CREATE OR REPLACE cannot remove columns).
DROP VIEW coord_private.agent_operation_policy_source;
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
