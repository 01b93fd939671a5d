-- Deploy pgcoord:profiles
-- Profiles (trust level 0-4, allowed/blocked operations, resource limits) and the
-- operation catalog (each operation's minimum trust). Effective trust always comes
-- from the agent's profile (INV-TRUST).
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE TABLE coord_private.profiles (
    name                     text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    trust_level              integer NOT NULL CHECK (trust_level BETWEEN 0 AND 4),
    description              text NOT NULL DEFAULT '',
    allowed_operations       text[],               -- NULL: every operation its trust permits
    blocked_operations       text[] NOT NULL DEFAULT '{}',
    max_locks                integer NOT NULL DEFAULT 50  CHECK (max_locks >= 0),
    max_claimed_tasks        integer NOT NULL DEFAULT 5   CHECK (max_claimed_tasks >= 0),
    max_lease_seconds        integer NOT NULL DEFAULT 3600 CHECK (max_lease_seconds BETWEEN 1 AND 86400),
    max_file_modifications   integer NOT NULL DEFAULT 100 CHECK (max_file_modifications >= 0),
    created_at               timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE coord_private.profiles IS
    'agent profiles: trust 0 untrusted (nothing), 1 reads, 2 writes, 3 elevated operations, 4 admin';
ALTER TABLE coord_private.profiles ENABLE ROW LEVEL SECURITY;

INSERT INTO coord_private.profiles (name, trust_level, description, max_locks, max_claimed_tasks, max_lease_seconds) VALUES
    ('untrusted',     0, 'no operations at all',                                     0,   0,   60),
    ('reviewer',      1, 'reads, sessions and guardrail checks; no writes',          0,   0,  600),
    ('implementer',   2, 'takes leases and claims tasks; no elevated operations',   20,   3, 3600),
    ('orchestrator',  3, 'elevated operations: force release, cancel others'' tasks', 100, 10, 7200),
    ('administrator', 4, 'every agent operation',                                 1000, 100, 86400);

CREATE TABLE coord_private.operations (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z_]*$'),
    category    text NOT NULL CHECK (category IN ('agent', 'admin', 'system')),  -- system: a consequence of an already authorised mutation
    min_trust   integer NOT NULL CHECK (min_trust BETWEEN 0 AND 4),
    description text NOT NULL
);
COMMENT ON TABLE coord_private.operations IS
    'operation catalog of the policy hook: an operation missing here is denied (fail closed)';
ALTER TABLE coord_private.operations ENABLE ROW LEVEL SECURITY;

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('register_session',     'agent', 1, 'open a session of the calling agent'),
    ('end_session',          'agent', 1, 'close a session of the calling agent'),
    ('register_agent',       'admin', 4, 'register a login role as an agent with a profile'),
    ('set_agent_profile',    'admin', 4, 'assign a profile to an agent'),
    ('set_agent_status',     'admin', 4, 'suspend or reactivate an agent'),
    ('set_enforcement_mode', 'admin', 4, 'change the enforcement mode'),
    ('purge_audit',          'admin', 4, 'retention: remove old audit events, keeping verification working');

COMMIT;
