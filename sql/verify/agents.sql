-- Verify pgcoord:agents
BEGIN;
SELECT role_name, profile, status, registered_by, registered_at FROM coord_private.agents WHERE false;
SELECT session_id, agent, label, client_info, backend_pid, started_at, ended_at FROM coord_private.sessions WHERE false;
ROLLBACK;
