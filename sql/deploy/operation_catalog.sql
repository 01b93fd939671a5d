-- Deploy pgcoord:operation_catalog
-- The operation catalog (issue 15, INV-BOUNDARY): every coord function, by name,
-- classified in one machine-read table, coord_private.function_catalog, read
-- through the view coord.function_catalog.
--   * class
--       read      writes nothing, calls no policy hook, writes no audit event: a
--                 lookup (check_locks, check_fence and check_write_coverage are
--                 lookups, not decisions, so they are reads)
--       write     an agent mutation or decision through coord_private.authorize at
--                 the agent's trust (min_trust 0 to 2). The checks that decide and
--                 record (check_guardrails, check_network_access: a verdict, an audit
--                 event and the hits or the decision row) go through the hook and
--                 write, so they are writes at trust 1, not reads
--       elevated  an agent operation whose min_trust is 3 or more (force_release_lock)
--       admin     callable by coord_admin alone; when it writes, it authorizes an
--                 operation of category admin (decided by coord_admin membership)
--   * operation       the policy operation the function authorizes (writers; one
--                     name may be shared: claim_tasks authorizes claim_task); the
--                     system operation settle_task a writer may record as a
--                     consequence is not its operation
--   * required_trust  that operation's min_trust (coord_private.operations), NULL
--                     for a read
--   * elevated_trust  the trust some calls need beyond required_trust: the engine's
--                     elevated rule (trust >= 3), applied when the function passes
--                     'elevated' to the hook (cancel_task: another agent's task)
--   * callers         the pgcoord group roles holding EXECUTE: admin exactly
--                     {coord_admin}, write and elevated exactly {coord_agent}
--   * rationale       one line: why this class
-- Keyed by function NAME, not signature: a change of arguments keeps the
-- classification; a new function needs a row in the change that creates it.
-- pgTAP 29_operation_catalog proves the catalog exhaustive and disjoint over the
-- live coord functions and equal to what the catalog gate (tests/sql/gate.sql) and
-- the policy engine enforce, and fails naming every unclassified function.
-- A classification changed without its rationale is refused: an UPDATE of class,
-- operation, required_trust, elevated_trust or callers must change the rationale
-- too (PC002, DETAIL and HINT; a rationale that differs only in case, spacing or
-- punctuation is not a new one).
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE TABLE coord_private.function_catalog (
    function_name  text PRIMARY KEY CHECK (function_name ~ '^[a-z][a-z0-9_]{0,62}$'),
    class          text NOT NULL CHECK (class IN ('read', 'write', 'elevated', 'admin')),
    operation      text REFERENCES coord_private.operations (name),
    required_trust integer CHECK (required_trust BETWEEN 0 AND 4),
    elevated_trust integer CHECK (elevated_trust BETWEEN 1 AND 4),
    callers        text[] NOT NULL
                   CHECK (pg_catalog.cardinality(callers) > 0
                          AND callers <@ ARRAY['coord_agent', 'coord_admin', 'coord_auditor']
                          AND pg_catalog.array_position(callers, NULL) IS NULL),
    rationale      text NOT NULL
                   CHECK (pg_catalog.length(pg_catalog.btrim(rationale)) BETWEEN 10 AND 300
                          AND rationale !~ '[[:cntrl:]]'),
    CONSTRAINT function_catalog_trust_with_operation CHECK ((operation IS NULL) = (required_trust IS NULL)),
    CONSTRAINT function_catalog_read CHECK (class <> 'read' OR (operation IS NULL AND elevated_trust IS NULL)),
    CONSTRAINT function_catalog_write CHECK (class <> 'write' OR (operation IS NOT NULL AND required_trust <= 2)),
    CONSTRAINT function_catalog_elevated CHECK (class <> 'elevated' OR (operation IS NOT NULL AND required_trust >= 3)),
    CONSTRAINT function_catalog_elevated_trust CHECK (elevated_trust IS NULL OR (class = 'write' AND elevated_trust > required_trust)),
    CONSTRAINT function_catalog_admin_callers CHECK ((class = 'admin') = (callers = ARRAY['coord_admin'])),
    CONSTRAINT function_catalog_agent_callers CHECK (class NOT IN ('write', 'elevated') OR callers = ARRAY['coord_agent'])
);
COMMENT ON TABLE coord_private.function_catalog IS
    'the operation catalog (INV-BOUNDARY): every coord function by name, its class (read, write, elevated, admin), operation, required trust, callers and a one-line rationale';
ALTER TABLE coord_private.function_catalog ENABLE ROW LEVEL SECURITY;

-- A classification changes only with its reason.
CREATE FUNCTION coord_private.function_catalog_rationale_guard()
RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (NEW.class, NEW.operation, NEW.required_trust, NEW.elevated_trust,
        ARRAY(SELECT DISTINCT c FROM pg_catalog.unnest(NEW.callers) c ORDER BY 1))
       IS DISTINCT FROM
       (OLD.class, OLD.operation, OLD.required_trust, OLD.elevated_trust,
        ARRAY(SELECT DISTINCT c FROM pg_catalog.unnest(OLD.callers) c ORDER BY 1))
       AND pg_catalog.lower(pg_catalog.regexp_replace(NEW.rationale, '[^[:alnum:]]+', '', 'g'))
         = pg_catalog.lower(pg_catalog.regexp_replace(OLD.rationale, '[^[:alnum:]]+', '', 'g')) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('the classification of coord.%s changed but its rationale did not', OLD.function_name),
            DETAIL  = pg_catalog.format('class %s -> %s, operation %s -> %s, required_trust %s -> %s, elevated_trust %s -> %s, callers %s -> %s; rationale kept: %s',
                          OLD.class, NEW.class, coalesce(OLD.operation, '-'), coalesce(NEW.operation, '-'),
                          coalesce(OLD.required_trust::text, '-'), coalesce(NEW.required_trust::text, '-'),
                          coalesce(OLD.elevated_trust::text, '-'), coalesce(NEW.elevated_trust::text, '-'),
                          OLD.callers, NEW.callers, OLD.rationale),
            HINT    = 'set rationale in the same UPDATE to the one line that explains the new classification (a change of case, spacing or punctuation is not one)';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION coord_private.function_catalog_rationale_guard() IS
    'trigger: refuses a change of a function''s classification (class, operation, trust, callers) that keeps its rationale (PC002)';
CREATE TRIGGER function_catalog_rationale_guard BEFORE UPDATE ON coord_private.function_catalog
    FOR EACH ROW EXECUTE FUNCTION coord_private.function_catalog_rationale_guard();

-- ---------------------------------------------------------------- the rows
INSERT INTO coord_private.function_catalog
    (function_name, class, operation, required_trust, elevated_trust, callers, rationale) VALUES
-- reads: no hook, no audit event, nothing written
    ('audit_digest',         'read', NULL, NULL, NULL, '{coord_admin,coord_auditor}',
     'read: the head of every audit chain, to keep outside the database; no hook, no audit event; the trail is for auditors and admins'),
    ('cedar_engine',         'read', NULL, NULL, NULL, '{coord_admin,coord_auditor}',
     'read: whether Cedar can run here and which policy version is in force; no hook, writes nothing; for those who set or review policy'),
    ('check_fence',          'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: whether a fencing token is still the newest live grant on a path; a lookup, no hook, no audit event, nothing locked'),
    ('check_locks',          'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: the live leases overlapping each path; a lookup, not a decision: no hook, no audit event'),
    ('check_write_coverage', 'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: whether the caller''s own live fenced leases cover each path, what the hooks ask; a lookup, not a decision: no hook, no audit event'),
    ('discover_agents',      'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: the registered agents with liveness and capabilities; stale changes nothing live, so no hook and no audit event'),
    ('get_my_profile',       'read', NULL, NULL, NULL, '{coord_agent}',
     'read: the calling agent''s own profile; no hook, no audit event; agents only (admins and auditors have no profile)'),
    ('get_task',             'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: one task as far as task visibility (INV-RLS) lets the caller see it; no hook, no audit event'),
    ('lease_status',         'read', NULL, NULL, NULL, '{coord_agent}',
     'read: the calling agent''s own live and lost leases and claims; no hook, no audit event; agents only'),
    ('now',                  'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: the database clock every expiry is judged by; no state, no hook'),
    ('read_handoffs',        'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: fleet-wide handoff notes as row level security shows them; no hook, no audit event'),
    ('verify_audit',         'read', NULL, NULL, NULL, '{coord_admin,coord_auditor}',
     'read: recomputes every hash chain and names the first bad event; writes nothing; auditors and admins only'),
    ('verify_audit_digest',  'read', NULL, NULL, NULL, '{coord_admin,coord_auditor}',
     'read: checks the trail against a digest exported earlier; writes nothing; auditors and admins only'),
    ('whoami',               'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: the session''s identity and effective trust as pgcoord sees them; no hook, no state'),
    ('recall',               'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: ranks the fleet''s episodic memories as row level security shows them; a lookup, no hook, no audit event'),
    ('get_working_memory',   'read', NULL, NULL, NULL, '{coord_agent}',
     'read: the working memory of one of the caller''s own open sessions; no hook, no audit event; agents only'),
    ('skills',               'read', NULL, NULL, NULL, '{coord_agent,coord_admin,coord_auditor}',
     'read: the fleet''s skills with their attempt and success counts; no hook, no audit event'),
-- writes: through the hook at the agent's trust
    ('register_session',     'write', 'register_session', 1, NULL, '{coord_agent}',
     'write: opens a session of the caller through the hook at trust 1; a session is the agent''s own state, so reviewers may open one'),
    ('end_session',          'write', 'end_session', 1, NULL, '{coord_agent}',
     'write: closes one of the caller''s sessions through the hook at trust 1; another agent''s session is refused'),
    ('heartbeat',            'write', 'heartbeat', 1, NULL, '{coord_agent}',
     'write: records the caller''s liveness through the hook at trust 1, so every agent that may act can be seen alive'),
    ('check_guardrails',     'write', 'check_guardrails', 1, NULL, '{coord_agent}',
     'write, a decision: the hook decides at trust 1 with the caller''s trust and the matches are recorded with its audit event, so it is no read'),
    ('check_network_access', 'write', 'network_access', 1, NULL, '{coord_agent}',
     'write, a decision: the hook decides network_access at trust 1 and the decision is recorded with its audit event, so it is no read'),
    ('acquire_lock',         'write', 'acquire_lock', 2, NULL, '{coord_agent}',
     'write: grants a lease through the hook at trust 2, under the profile''s limits'),
    ('renew_lock',           'write', 'renew_lock', 2, NULL, '{coord_agent}',
     'write: extends a live lease the caller holds through the hook at trust 2'),
    ('release_lock',         'write', 'release_lock', 2, NULL, '{coord_agent}',
     'write: ends a lease the caller holds through the hook at trust 2; ending another agent''s is force_release_lock'),
    ('submit_task',          'write', 'submit_task', 2, NULL, '{coord_agent}',
     'write: queues a task through the hook at trust 2, its description and input scanned by the guardrails'),
    ('claim_task',           'write', 'claim_task', 2, NULL, '{coord_agent}',
     'write: claims a task (and leases its touches) through the hook at trust 2; settling expired claims is recorded as settle_task'),
    ('claim_tasks',          'write', 'claim_task', 2, NULL, '{coord_agent}',
     'write: several claims, each decided as claim_task through the hook at trust 2: the same operation as claim_task'),
    ('renew_claim',          'write', 'renew_claim', 2, NULL, '{coord_agent}',
     'write: extends the caller''s current claim and its leases through the hook at trust 2'),
    ('complete_task',        'write', 'complete_task', 2, NULL, '{coord_agent}',
     'write: completes the task of the caller''s current claim through the hook at trust 2, its result scanned by the guardrails'),
    ('fail_task',            'write', 'fail_task', 2, NULL, '{coord_agent}',
     'write: fails or retries the task of the caller''s current claim through the hook at trust 2; dependents settle as settle_task'),
    ('cancel_task',          'write', 'cancel_task', 2, 3, '{coord_agent}',
     'write: the submitter cancels its own task through the hook at trust 2; another agent''s task is decided as elevated and needs trust 3'),
    ('write_handoff',        'write', 'write_handoff', 2, NULL, '{coord_agent}',
     'write: stores a handoff note the fleet reads through the hook at trust 2, its text scanned by the guardrails'),
    ('remember',             'write', 'remember', 2, NULL, '{coord_agent}',
     'write: records (or deduplicates) an episodic memory the fleet recalls through the hook at trust 2, its text scanned by the guardrails'),
    ('set_working_memory',   'write', 'set_working_memory', 1, NULL, '{coord_agent}',
     'write: sets a key of the caller''s own session memory through the hook at trust 1; nobody else reads it, as with register_session'),
    ('record_skill_outcome', 'write', 'record_skill_outcome', 2, NULL, '{coord_agent}',
     'write: counts an attempt of a skill in the fleet''s procedural memory through the hook at trust 2'),
-- elevated: an agent operation at trust 3 or more
    ('force_release_lock',   'elevated', 'force_release_lock', 3, NULL, '{coord_agent}',
     'elevated: ends other agents'' live leases on a path through the hook at trust 3 (orchestrator); an agent operation, not admin'),
-- admin: coord_admin alone
    ('register_agent',       'admin', 'register_agent', 4, NULL, '{coord_admin}',
     'admin: registers a login role with a profile, the source of its trust; only coord_admin decides who is an agent'),
    ('set_agent_profile',    'admin', 'set_agent_profile', 4, NULL, '{coord_admin}',
     'admin: assigns an agent''s profile and with it its trust; coord_admin only'),
    ('set_agent_status',     'admin', 'set_agent_status', 4, NULL, '{coord_admin}',
     'admin: suspends or reactivates an agent; coord_admin only'),
    ('set_enforcement_mode', 'admin', 'set_enforcement_mode', 4, NULL, '{coord_admin}',
     'admin: switches every decision between off, shadow and enforce; coord_admin only'),
    ('purge_audit',          'admin', 'purge_audit', 4, NULL, '{coord_admin}',
     'admin: retention removes audit events below an anchor; coord_admin only, itself audited'),
    ('reap_expired',         'admin', 'reap_expired', 4, NULL, '{coord_admin}',
     'admin: tidies every agent''s expired leases and exhausted claims; coord_admin only, and correctness never depends on it'),
    ('set_profile',          'admin', 'set_profile', 4, NULL, '{coord_admin}',
     'admin: creates or changes a profile''s trust and limits for all its agents; coord_admin only'),
    ('drop_profile',         'admin', 'drop_profile', 4, NULL, '{coord_admin}',
     'admin: removes a profile, leaving its agents to fail closed; coord_admin only'),
    ('set_policy_engine',    'admin', 'set_policy_engine', 4, NULL, '{coord_admin}',
     'admin: chooses the native or the Cedar engine for every decision; coord_admin only'),
    ('set_cedar_policies',   'admin', 'set_cedar_policies', 4, NULL, '{coord_admin}',
     'admin: stores the Cedar policies in force at the next decision; coord_admin only'),
    ('add_guardrail_pattern', 'admin', 'add_guardrail_pattern', 4, NULL, '{coord_admin}',
     'admin: adds or replaces a guardrail pattern every scan applies; coord_admin only'),
    ('remove_guardrail_pattern', 'admin', 'remove_guardrail_pattern', 4, NULL, '{coord_admin}',
     'admin: removes a guardrail pattern every scan applied; coord_admin only'),
    ('add_network_rule',     'admin', 'add_network_rule', 4, NULL, '{coord_admin}',
     'admin: adds or replaces a domain rule every network decision applies; coord_admin only'),
    ('remove_network_rule',  'admin', 'remove_network_rule', 4, NULL, '{coord_admin}',
     'admin: removes a domain rule every network decision applied; coord_admin only'),
    ('set_path_case',        'admin', 'set_path_case', 4, NULL, '{coord_admin}',
     'admin: changes how every lease path compares, only while no lease is live; coord_admin only'),
    ('set_stale_threshold',  'admin', 'set_stale_threshold', 4, NULL, '{coord_admin}',
     'admin: sets when discover_agents shows any agent as stale; coord_admin only');

-- ---------------------------------------------------------------- the view
CREATE VIEW coord.function_catalog AS
    SELECT c.function_name, c.class, c.operation, c.required_trust, c.elevated_trust, c.callers, c.rationale,
           ARRAY(SELECT p.oid::pg_catalog.regprocedure::text
                   FROM pg_catalog.pg_proc p
                  WHERE p.pronamespace = 'coord'::pg_catalog.regnamespace AND p.proname = c.function_name
                  ORDER BY 1) AS signatures
      FROM coord_private.function_catalog c;
COMMENT ON VIEW coord.function_catalog IS
    'the operation catalog (INV-BOUNDARY): every coord function by name, classified read, write, elevated or admin, with the operation it authorizes, its required trust (and elevated trust), the roles that may call it, a one-line rationale and its live signatures';
GRANT SELECT ON coord.function_catalog TO coord_agent, coord_admin, coord_auditor;

COMMIT;
