-- Deploy pgcoord:reads_api
-- Read-only views and functions: the documented vocabularies, profiles, the
-- enforcement setting and the caller's own identity.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE VIEW coord.error_codes AS
    SELECT e.sqlstate, e.name, e.description FROM coord_private.error_codes e;
COMMENT ON VIEW coord.error_codes IS 'SQLSTATEs (class PC) pgcoord raises for bad input';

CREATE VIEW coord.reason_codes AS
    SELECT r.code, r.outcome, r.description FROM coord_private.reason_codes r;
COMMENT ON VIEW coord.reason_codes IS 'stable reason codes of policy decisions (allow / deny / refuse)';

CREATE VIEW coord.profiles AS
    SELECT p.name, p.trust_level, p.description, p.allowed_operations, p.blocked_operations,
           p.max_locks, p.max_claimed_tasks, p.max_lease_seconds, p.max_file_modifications
      FROM coord_private.profiles p;
COMMENT ON VIEW coord.profiles IS 'agent profiles with their trust levels and limits';

CREATE VIEW coord.operations AS
    SELECT o.name, o.category, o.min_trust, o.description FROM coord_private.operations o;
COMMENT ON VIEW coord.operations IS 'the operation catalog of the policy hook with minimum trust levels';

CREATE VIEW coord.enforcement AS
    SELECT s.enforcement_mode, s.policy_engine, s.updated_at, s.updated_by FROM coord_private.settings s;
COMMENT ON VIEW coord.enforcement IS 'the enforcement mode and the policy engine in force';

CREATE VIEW coord.agents AS
    SELECT a.role_name, a.profile, p.trust_level, a.status, a.registered_by, a.registered_at
      FROM coord_private.agents a LEFT JOIN coord_private.profiles p ON p.name = a.profile;
COMMENT ON VIEW coord.agents IS 'coord_admin: every registered agent with its profile and status';

CREATE FUNCTION coord.whoami(OUT role_name text, OUT registered boolean, OUT status text,
    OUT profile text, OUT trust_level integer)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT session_user::text, a.role_name IS NOT NULL, a.status, a.profile, p.trust_level
      FROM (SELECT 1) one
      LEFT JOIN coord_private.agents a ON a.role_name = (session_user::text COLLATE "default")
      LEFT JOIN coord_private.profiles p ON p.name = a.profile
$$;
COMMENT ON FUNCTION coord.whoami() IS
    'the calling session''s identity as pgcoord sees it (session_user, never an argument or GUC) and its effective trust';

GRANT SELECT ON coord.error_codes, coord.reason_codes, coord.profiles, coord.operations, coord.enforcement
    TO coord_agent, coord_admin, coord_auditor;
GRANT SELECT ON coord.agents TO coord_admin, coord_auditor;
REVOKE ALL ON FUNCTION coord.whoami() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.whoami() TO coord_agent, coord_admin, coord_auditor;

COMMIT;
