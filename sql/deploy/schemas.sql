-- Deploy pgcoord:schemas
-- coord: the public API (functions and views only).
-- coord_private: tables and internal helpers; no agent role has any privilege here.
-- Search paths: every SECURITY DEFINER function pins search_path = ''. Private
-- helpers (not definers, executable only by the owner) carry no SET clause: they
-- qualify every name and run inside the definer API functions, whose empty path
-- they inherit. A SET clause on them would block SQL-function inlining and cost a
-- search-path change on every call (measured: it tripled the cost of a lease).
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE SCHEMA coord;
CREATE SCHEMA coord_private;

COMMENT ON SCHEMA coord IS 'pgcoord public API: SQL functions and read-only views';
COMMENT ON SCHEMA coord_private IS 'pgcoord private state: tables and internal helpers, reachable only through coord';

REVOKE ALL ON SCHEMA coord FROM PUBLIC;
REVOKE ALL ON SCHEMA coord_private FROM PUBLIC;
GRANT USAGE ON SCHEMA coord TO coord_agent, coord_admin, coord_auditor;

-- Nothing the owner creates later is executable or readable by PUBLIC by default:
-- every grant in pgcoord is explicit.
ALTER DEFAULT PRIVILEGES FOR ROLE coord_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE coord_owner REVOKE USAGE ON TYPES FROM PUBLIC;

COMMIT;
