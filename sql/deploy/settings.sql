-- Deploy pgcoord:settings
-- One row of settings: the enforcement mode and the policy engine. Changed only
-- through coord.set_enforcement_mode / coord.set_policy_engine (coord_admin, audited).
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE TABLE coord_private.settings (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    enforcement_mode text NOT NULL DEFAULT 'enforce' CHECK (enforcement_mode IN ('off', 'shadow', 'enforce')),
    policy_engine    text NOT NULL DEFAULT 'native' CHECK (policy_engine IN ('native', 'cedar')),
    updated_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_by       text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE coord_private.settings IS 'the single row of pgcoord settings (enforcement mode, policy engine)';
INSERT INTO coord_private.settings DEFAULT VALUES;
ALTER TABLE coord_private.settings ENABLE ROW LEVEL SECURITY;

\ir ../parts/settings/coord_private.current_time.sql

-- The same clock for readers of the coord views (which run their function calls
-- with the caller's privileges, so they cannot call coord_private directly).
CREATE FUNCTION coord.now()
RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = ''
AS $$ SELECT coord_private.current_time() $$;
COMMENT ON FUNCTION coord.now() IS 'the database clock pgcoord judges every lease and claim expiry by (INV-LOCK-EXPIRY)';
REVOKE ALL ON FUNCTION coord.now() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.now() TO coord_agent, coord_admin, coord_auditor;

COMMIT;
