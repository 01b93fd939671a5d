-- Deploy pgcoord:agents
-- Registered agents (login roles that are members of coord_agent) and their
-- sessions. Identity is the session user, never an argument or a GUC.
BEGIN;
SET LOCAL ROLE coord_owner;

-- Role names are compared with session_user, whose type (name) carries the "C"
-- collation; an index on a text column uses the default collation, so every lookup
-- by the caller's identity is written  = (session_user::text COLLATE "default")
-- (the same equality, and indexable). Passed to a PL/pgSQL function, session_user
-- would even make "C" the collation of every text parameter and variable inside it
-- (the call's input collation), so it is passed in that spelling too.
CREATE TABLE coord_private.agents (
    role_name     text PRIMARY KEY,
    profile       text REFERENCES coord_private.profiles (name) ON UPDATE CASCADE ON DELETE SET NULL,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    registered_by text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE coord_private.agents IS
    'registered agents; a NULL profile (profile deleted) makes every decision fail closed (INV-TRUST)';
ALTER TABLE coord_private.agents ENABLE ROW LEVEL SECURITY;
-- Defence in depth (INV-RLS): with a stray grant an agent would still see only itself.
CREATE POLICY agents_self ON coord_private.agents FOR SELECT USING (role_name = (session_user::text COLLATE "default"));

CREATE TABLE coord_private.sessions (
    session_id  uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    agent       text NOT NULL REFERENCES coord_private.agents (role_name),
    label       text NOT NULL DEFAULT '',
    client_info jsonb NOT NULL DEFAULT '{}',
    backend_pid integer NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
    started_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    ended_at    timestamptz
);
CREATE INDEX sessions_agent_idx ON coord_private.sessions (agent) WHERE ended_at IS NULL;
COMMENT ON TABLE coord_private.sessions IS 'agent sessions (an agent may run several)';
ALTER TABLE coord_private.sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY sessions_self ON coord_private.sessions FOR SELECT USING (agent = (session_user::text COLLATE "default"));

COMMIT;
