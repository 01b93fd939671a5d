-- Deploy pgcoord:cedar_engine
-- The Cedar policy engine inside the database (INV-POLICY-EQ):
--   * coord_private.cedar_policies: the policy text, versioned (every change is a
--     new row; the latest version is in force), changed only through
--     coord.set_cedar_policies (coord_admin, validated, audited);
--   * the Cedar schema: entity types for agents, roles, profiles, files, domains,
--     tasks, sessions (coord_private.cedar_schema_entities) and one action per
--     operation of coord_private.operations (coord_private.cedar_schema);
--   * the baseline policies (version 1): exactly the rules of native_decide;
--   * coord_private.cedar_decide in PL/Python, evaluating with cedarpy: it reads the
--     latest version id on every call, parses a new version once per session, and
--     memoises decisions per version on the exact facts Cedar sees — installed
--     only where PL/Python and cedarpy are available (see the DO block below);
--     elsewhere it keeps raising PC011 and coord.set_policy_engine('cedar') is
--     refused, so the native engine stays in force;
--   * coord.set_policy_engine, coord.set_cedar_policies (coord_admin, audited),
--     coord.cedar_engine() and the view coord.cedar_policies (reads).
-- The schema and baseline text are also in policies/ (tests check they match).
BEGIN;
SET LOCAL ROLE coord_owner;

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('set_policy_engine',  'admin', 4, 'choose the policy engine (native or cedar)'),
    ('set_cedar_policies', 'admin', 4, 'store a new version of the Cedar policies');

-- Reasons only the Cedar engine gives (never on the baseline policies with the
-- facts the API functions pass). Kept by a revert while audit events use them.
INSERT INTO coord_private.reason_codes (code, outcome, description) VALUES
    ('not_permitted', 'deny', 'Cedar engine: no policy permits the operation (default deny)'),
    ('policy_error',  'deny', 'Cedar engine: a policy could not be evaluated, or names no reason code; fail closed')
ON CONFLICT (code) DO NOTHING;

UPDATE coord_private.error_codes
   SET description = 'a guardrail or domain pattern, or a Cedar policy set, is invalid or unsafe'
 WHERE sqlstate = 'PC012';

CREATE TABLE coord_private.cedar_policies (
    version     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    policy_text text NOT NULL CHECK (pg_catalog.length(policy_text) <= 1000000),
    reason      text NOT NULL,
    created_by  text NOT NULL DEFAULT session_user,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE coord_private.cedar_policies IS
    'versions of the Cedar policy set: every change is a new row, the latest version is in force (audited through coord.set_cedar_policies)';
ALTER TABLE coord_private.cedar_policies ENABLE ROW LEVEL SECURITY;

-- The static part of the Cedar schema (policies/schema.cedarschema).
CREATE FUNCTION coord_private.cedar_schema_entities()
RETURNS text
LANGUAGE sql IMMUTABLE
AS $fn$ SELECT $cedar_schema$// pgcoord Cedar schema: the entity types and the request context of the Cedar
// policy engine (INV-POLICY-EQ). The actions are not listed here: every operation
// of coord_private.operations is an action, generated from the catalog by
// coord_private.cedar_schema() and appended to this text, e.g.
//   action "acquire_lock" in ["category:agent", "min_trust:2"]
//     appliesTo { principal: Agent, resource: [File, Domain, Task, Session, Agent, Profile, Resource], context: Facts };
// with the action groups "category:agent", "category:admin", "category:system"
// and "min_trust:0" .. "min_trust:4".

// The facts of one decision: the operation's name and the counts and verdicts
// the API function measured (the native engine reads the same keys of p_context).
type Facts = {
    // the operation (the action's id), for the profile's allow and block lists
    "operation": String,
    // live leases the caller holds (acquire_lock)
    "live_locks"?: Long,
    // tasks the caller has claimed (claim_task)
    "claimed_tasks"?: Long,
    // the requested lease length in whole seconds, rounded up
    "lease_seconds"?: Long,
    // files the task modifies
    "files_modified"?: Long,
    // a block-severity guardrail match whose category applies at every trust level
    "guardrail_block_always"?: Bool,
    // the highest exempt trust among block-severity guardrail matches
    "guardrail_block_exempt_trust"?: Long,
    // the network policy's verdict on the domain ("allow" or anything else)
    "network_verdict"?: String,
    // the operation is elevated (e.g. acting on another agent's lease or task)
    "elevated"?: Bool,
};

// A PostgreSQL group role of pgcoord; an Agent is in Role::"coord_admin" when its
// login role is a member of coord_admin (gathered for admin operations).
entity Role;

// A row of coord_private.profiles (the only source of trust, INV-TRUST).
entity Profile = {
    "trust": Long,
    // absent: every operation its trust permits
    "allowed_operations"?: Set<String>,
    "blocked_operations": Set<String>,
    "max_locks": Long,
    "max_claimed_tasks": Long,
    "max_lease_seconds": Long,
    "max_file_modifications": Long,
};

// The session user of a decision (any login role); registered when it is a row of
// coord_private.agents.
entity Agent in [Role] = {
    "registered": Bool,
    // active or suspended (registered agents)
    "status"?: String,
    // absent when the agent has no resolvable profile (fail closed)
    "profile"?: Profile,
    // the role is a superuser (gathered for admin operations)
    "superuser"?: Bool,
};

// Resources: the p_resource of a mutation intent, typed by operation
// (coord_private.cedar_resource_type).
entity File;      // a lease path (locks)
entity Domain;    // a network domain
entity Task;      // a task of the queue
entity Session;   // an agent session
entity Resource;  // anything else: a setting, a mode, a profile name, a policy version
$cedar_schema$::text $fn$;
COMMENT ON FUNCTION coord_private.cedar_schema_entities() IS
    'the entity types and the request context (Facts) of the Cedar schema, in Cedar schema syntax';

-- The Cedar entity type of a mutation intent's resource, by operation.
CREATE FUNCTION coord_private.cedar_resource_type(p_operation text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN p_operation ~ 'lock' THEN 'File'
        WHEN p_operation ~ '(task|claim|reap)' THEN 'Task'
        WHEN p_operation ~ 'session' THEN 'Session'
        WHEN p_operation ~ '(network|domain)' THEN 'Domain'
        WHEN p_operation ~ 'agent' THEN 'Agent'
        WHEN p_operation ~ 'profile' THEN 'Profile'
        ELSE 'Resource' END
$$;
COMMENT ON FUNCTION coord_private.cedar_resource_type(text) IS
    'the Cedar entity type of the resource of an operation (File, Task, Session, Domain, Agent, Profile, Resource)';

-- The whole Cedar schema: the entity types and one action per operation of the
-- catalog, in its category's action group and its minimum trust's action group.
CREATE FUNCTION coord_private.cedar_schema()
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coord_private.cedar_schema_entities()
        || E'\n// Action groups, and one action per operation of coord_private.operations.\n'
        || E'action "category:agent", "category:admin", "category:system";\n'
        || E'action "min_trust:0", "min_trust:1", "min_trust:2", "min_trust:3", "min_trust:4";\n'
        || coalesce(pg_catalog.string_agg(pg_catalog.format(
               'action %s in ["category:%s", "min_trust:%s"] appliesTo { principal: Agent, '
               || 'resource: [File, Domain, Task, Session, Agent, Profile, Resource], context: Facts };',
               pg_catalog.to_json(o.name), o.category, o.min_trust), E'\n' ORDER BY o.name), '')
        || E'\n'
      FROM coord_private.operations o
$$;
COMMENT ON FUNCTION coord_private.cedar_schema() IS
    'the Cedar schema policies are validated against: the entity types and one action per operation of the catalog';

-- Version 1: the baseline policies (policies/baseline.cedar).
INSERT INTO coord_private.cedar_policies (policy_text, reason, created_by) VALUES (
$cedar_policies$// pgcoord baseline Cedar policies: exactly the rules of the native engine
// (coord_private.native_decide), INV-POLICY-EQ.
//
// Conventions the engine relies on (checked by coord.set_cedar_policies):
//   * every forbid carries @id("<reason code>"), a code of coord.reason_codes:
//     the reason of a denial is the @id of the forbid that determined it;
//   * @precedence("<n>") orders forbids when several match: the lowest wins,
//     which reproduces the native engine's rule order (a forbid without it
//     comes after every one with it, in text order);
//   * other annotations (@limit) are copied into the decision context.
// A denial with no matching forbid (no permit matched) is reason not_permitted;
// a policy that fails to evaluate denies with policy_error (fail closed).

// ------------------------------------------------------------------ permits
// A system operation is the consequence of an already authorised mutation.
@id("system_operations")
permit (principal, action in Action::"category:system", resource);

// Administrative operations: members of coord_admin, and superusers.
@id("admin_operations")
permit (principal in Role::"coord_admin", action in Action::"category:admin", resource);

@id("superuser_admin_operations")
permit (principal, action in Action::"category:admin", resource)
when { principal has superuser && principal.superuser };

// Agent operations: allowed unless a forbid below applies.
@id("agent_operations")
permit (principal, action in Action::"category:agent", resource);

// ------------------------------------------------------------------ forbids, in the native rule order
// An operation missing from the catalog is in no category: fail closed.
@id("unknown_operation")
@precedence("10")
forbid (principal, action, resource)
unless {
    action in Action::"category:agent" ||
    action in Action::"category:admin" ||
    action in Action::"category:system"
};

@id("not_admin")
@precedence("20")
forbid (principal, action in Action::"category:admin", resource)
unless {
    principal in Role::"coord_admin" ||
    (principal has superuser && principal.superuser)
};

@id("agent_not_registered")
@precedence("30")
forbid (principal, action in Action::"category:agent", resource)
unless { principal.registered };

@id("agent_suspended")
@precedence("40")
forbid (principal, action in Action::"category:agent", resource)
when { principal has status && principal.status != "active" };

// INV-TRUST: effective trust comes only from the profile; no profile, no trust.
@id("profile_unresolved")
@precedence("50")
forbid (principal, action in Action::"category:agent", resource)
unless { principal has profile };

@id("operation_blocked")
@precedence("60")
forbid (principal, action in Action::"category:agent", resource)
when {
    principal has profile &&
    principal.profile.blocked_operations.contains(context.operation)
};

@id("operation_not_allowed")
@precedence("70")
forbid (principal, action in Action::"category:agent", resource)
when {
    principal has profile &&
    principal.profile has allowed_operations &&
    !principal.profile.allowed_operations.contains(context.operation)
};

// The operation's minimum trust: its action group min_trust:<n>.
@id("trust_too_low")
@precedence("80")
forbid (principal, action in Action::"min_trust:1", resource)
when {
    action in Action::"category:agent" &&
    principal has profile && principal.profile.trust < 1
};

@id("trust_too_low")
@precedence("80")
forbid (principal, action in Action::"min_trust:2", resource)
when {
    action in Action::"category:agent" &&
    principal has profile && principal.profile.trust < 2
};

@id("trust_too_low")
@precedence("80")
forbid (principal, action in Action::"min_trust:3", resource)
when {
    action in Action::"category:agent" &&
    principal has profile && principal.profile.trust < 3
};

@id("trust_too_low")
@precedence("80")
forbid (principal, action in Action::"min_trust:4", resource)
when {
    action in Action::"category:agent" &&
    principal has profile && principal.profile.trust < 4
};

// Profile resource limits, against the counts the API function measured.
@id("limit_exceeded")
@precedence("90")
@limit("max_locks")
forbid (principal, action in Action::"category:agent", resource)
when {
    principal has profile && context has live_locks &&
    context.live_locks >= principal.profile.max_locks
};

@id("limit_exceeded")
@precedence("91")
@limit("max_claimed_tasks")
forbid (principal, action in Action::"category:agent", resource)
when {
    principal has profile && context has claimed_tasks &&
    context.claimed_tasks >= principal.profile.max_claimed_tasks
};

@id("limit_exceeded")
@precedence("92")
@limit("max_lease_seconds")
forbid (principal, action in Action::"category:agent", resource)
when {
    principal has profile && context has lease_seconds &&
    context.lease_seconds > principal.profile.max_lease_seconds
};

@id("limit_exceeded")
@precedence("93")
@limit("max_file_modifications")
forbid (principal, action in Action::"category:agent", resource)
when {
    principal has profile && context has files_modified &&
    context.files_modified > principal.profile.max_file_modifications
};

// Guardrails: a block-severity match applies below its exempt trust level, or at
// every level when its category always applies (credentials, keys).
@id("guardrail_blocked")
@precedence("100")
forbid (principal, action in Action::"category:agent", resource)
when {
    principal has profile &&
    ((context has guardrail_block_always && context.guardrail_block_always) ||
     (context has guardrail_block_exempt_trust &&
      principal.profile.trust < context.guardrail_block_exempt_trust))
};

// Network policy: the API function resolved the domain against the rules.
@id("domain_denied")
@precedence("110")
forbid (principal, action in Action::"category:agent", resource)
when { context has network_verdict && context.network_verdict != "allow" };

// Elevated operations need trust 3 (orchestrator and above).
@id("trust_too_low")
@precedence("120")
@elevated("true")
forbid (principal, action in Action::"category:agent", resource)
when {
    context has elevated && context.elevated &&
    principal has profile && principal.profile.trust < 3
};
$cedar_policies$,
    'baseline: the rules of the native engine (deploy of cedar_engine)', 'pgcoord');

-- Where PL/Python or cedarpy is missing these stand in (the DO block below
-- replaces them with the PL/Python versions when it can). coord_private.cedar_decide
-- keeps the PC011 body of the policy change until then.
CREATE FUNCTION coord_private.cedar_probe()
RETURNS jsonb
LANGUAGE sql STABLE
AS $$ SELECT '{"available": false, "reason": "the Cedar engine is not installed"}'::jsonb $$;
COMMENT ON FUNCTION coord_private.cedar_probe() IS
    'whether this database can run the Cedar engine: {"available": bool, "reason" or "cedarpy" version}';

CREATE FUNCTION coord_private.cedar_validate(p_policy_text text)
RETURNS text[]
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PC011', MESSAGE = 'the Cedar policy engine is not available in this database',
        DETAIL = pg_catalog.format('cannot validate %s characters of Cedar policies: %s',
                                   pg_catalog.length(p_policy_text), coord_private.cedar_probe()->>'reason'),
        HINT = 'install PL/Python and cedarpy (scripts/bootstrap.sh), then deploy the cedar_engine change again as a superuser';
END
$$;
COMMENT ON FUNCTION coord_private.cedar_validate(text) IS
    'the errors of a Cedar policy set against the schema and the engine''s conventions (empty array: valid)';

CREATE FUNCTION coord_private.cedar_available()
RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT coalesce((coord_private.cedar_probe()->>'available')::boolean, false) $$;
COMMENT ON FUNCTION coord_private.cedar_available() IS
    'true when the Cedar engine can run here (PL/Python and cedarpy installed, evaluator deployed)';

-- ---------------------------------------------------------------- admin API
CREATE FUNCTION coord.set_policy_engine(p_engine text, p_reason text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_old text;
    v_probe jsonb;
BEGIN
    IF p_engine IS NULL OR p_reason IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'engine and reason must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'every engine change states why, e.g. set_policy_engine(''cedar'', ''policy rollout'')';
    END IF;
    IF p_engine NOT IN ('native', 'cedar') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('unknown policy engine %L', pg_catalog.left(p_engine, 80)),
            DETAIL = 'nothing was changed', HINT = 'the engines are native and cedar';
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 OR pg_catalog.length(p_reason) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'reason must be 1 to 1000 characters',
            DETAIL = 'an engine change is audited with its reason; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.set_policy_engine';
    END IF;
    IF p_engine = 'cedar' THEN
        v_probe := coord_private.cedar_probe();
        IF NOT coalesce((v_probe->>'available')::boolean, false) THEN
            RAISE EXCEPTION USING ERRCODE = 'PC011',
                MESSAGE = 'the Cedar policy engine is not available in this database',
                DETAIL = pg_catalog.format('%s; the native engine stays in force', v_probe->>'reason'),
                HINT = 'install PL/Python (postgresql-plpython3-15) and cedarpy for the server''s /usr/bin/python3 '
                       '(scripts/bootstrap.sh), then deploy the cedar_engine change again as a superuser';
        END IF;
    END IF;
    SELECT s.policy_engine INTO v_old FROM coord_private.settings s;
    v := coord_private.authorize('set_policy_engine', p_engine,
        pg_catalog.jsonb_build_object('from', v_old, 'to', p_engine, 'why', p_reason, 'cedar', v_probe));
    IF v.proceed THEN
        UPDATE coord_private.settings
           SET policy_engine = p_engine, updated_at = pg_catalog.now(), updated_by = session_user;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_policy_engine(text, text) IS
    'coord_admin: choose the policy engine, native or cedar (refused with PC011 where the Cedar engine cannot run: the native engine stays in force); audited with its reason. Errors PC001, PC002, PC011';

CREATE FUNCTION coord.set_cedar_policies(p_policy_text text, p_reason text,
    OUT ok boolean, OUT reason text, OUT version bigint, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_errors text[];
    v_previous bigint;
BEGIN
    IF p_policy_text IS NULL OR p_reason IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'policy text and reason must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'the current text: SELECT policy_text FROM coord.cedar_policies WHERE is_current';
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 OR pg_catalog.length(p_reason) > 1000
       OR pg_catalog.length(p_policy_text) > 1000000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'reason must be 1 to 1000 characters, the policies at most 1000000',
            DETAIL = 'a policy change is audited with its reason; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.set_cedar_policies';
    END IF;
    IF NOT coord_private.cedar_available() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC011', MESSAGE = 'the Cedar policy engine is not available in this database',
            DETAIL = pg_catalog.format('Cedar policies cannot be validated: %s; nothing was changed',
                                       coord_private.cedar_probe()->>'reason'),
            HINT = 'install PL/Python and cedarpy (scripts/bootstrap.sh), then deploy the cedar_engine change again as a superuser';
    END IF;
    v_errors := coord_private.cedar_validate(p_policy_text);
    IF pg_catalog.cardinality(v_errors) > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC012',
            MESSAGE = pg_catalog.format('the Cedar policies are invalid (%s error%s)', pg_catalog.cardinality(v_errors),
                                        CASE WHEN pg_catalog.cardinality(v_errors) > 1 THEN 's' ELSE '' END),
            DETAIL = pg_catalog.left(pg_catalog.array_to_string(v_errors, E'\n'), 4000),
            HINT = 'validate against the schema of coord.cedar_engine(); every forbid needs @id("<reason code>"); nothing was changed';
    END IF;
    SELECT pg_catalog.max(c.version) INTO v_previous FROM coord_private.cedar_policies c;
    v := coord_private.authorize('set_cedar_policies', 'cedar_policies', pg_catalog.jsonb_build_object(
        'previous_version', v_previous, 'why', p_reason, 'characters', pg_catalog.length(p_policy_text),
        'sha256', pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_policy_text, 'UTF8')), 'hex')));
    IF v.proceed THEN
        INSERT INTO coord_private.cedar_policies (policy_text, reason, created_by)
        VALUES (p_policy_text, p_reason, session_user)
        RETURNING cedar_policies.version INTO set_cedar_policies.version;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_cedar_policies(text, text) IS
    'coord_admin: store a new version of the Cedar policies (in force at the next decision), after validating them against the schema (PC012 with the errors in DETAIL, nothing stored); audited with its reason and digest. Errors PC001, PC002, PC011, PC012';

CREATE FUNCTION coord.cedar_engine(OUT available boolean, OUT in_force boolean, OUT policy_version bigint,
    OUT detail jsonb, OUT schema text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
    SELECT coord_private.cedar_available(),
           (SELECT s.policy_engine = 'cedar' FROM coord_private.settings s),
           (SELECT pg_catalog.max(c.version) FROM coord_private.cedar_policies c),
           coord_private.cedar_probe(),
           coord_private.cedar_schema()
$$;
COMMENT ON FUNCTION coord.cedar_engine() IS
    'the Cedar engine: whether it can run here (detail says why not, or the cedarpy version), whether it is in force, the policy version in force, and the Cedar schema policies are validated against';

CREATE VIEW coord.cedar_policies AS
    SELECT c.version, c.version = (SELECT pg_catalog.max(x.version) FROM coord_private.cedar_policies x) AS is_current,
           c.policy_text, c.reason, c.created_by, c.created_at
      FROM coord_private.cedar_policies c;
COMMENT ON VIEW coord.cedar_policies IS 'every version of the Cedar policies; is_current marks the one in force';

REVOKE ALL ON FUNCTION coord.set_policy_engine(text, text), coord.set_cedar_policies(text, text),
    coord.cedar_engine() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.set_policy_engine(text, text), coord.set_cedar_policies(text, text) TO coord_admin;
GRANT EXECUTE ON FUNCTION coord.cedar_engine() TO coord_admin, coord_auditor;
GRANT SELECT ON coord.cedar_policies TO coord_admin, coord_auditor;

-- ---------------------------------------------------------------- the evaluator (PL/Python)
-- Installed as the deployer (an untrusted language needs a superuser), only when
-- plpython3u can be created and the server's Python imports cedarpy. CREATE OR
-- REPLACE keeps the owner of the stand-ins above, coord_owner. Otherwise the
-- reason is recorded in coord_private.cedar_probe() and reported as a WARNING.
RESET ROLE;
DO $deploy$
DECLARE
    v_reason text;
BEGIN
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'plpython3u') THEN
            RAISE EXCEPTION 'PL/Python (plpython3u) is not available on this server: install postgresql-plpython3-%',
                pg_catalog.current_setting('server_version_num')::integer / 10000;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'plpython3u')
           AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
            RAISE EXCEPTION 'plpython3u is not installed in this database and the deployer % is not a superuser', current_user;
        END IF;
        CREATE EXTENSION IF NOT EXISTS plpython3u;
        DO LANGUAGE plpython3u $py$
import cedarpy
$py$;

        CREATE OR REPLACE FUNCTION coord_private.cedar_probe()
        RETURNS jsonb
        LANGUAGE plpython3u STABLE
        AS $py$
# coord_private.cedar_probe: can the server's Python run the Cedar engine?
# (The answer is kept for the session: importing and asking the package
# metadata costs a millisecond.)
if 'probe' not in SD:
    import json
    import sys
    try:
        import cedarpy
        from importlib import metadata
        SD['probe'] = json.dumps({'available': True, 'cedarpy': metadata.version('cedarpy'),
                                  'python': sys.version.split()[0]})
    except Exception as exc:
        return json.dumps({'available': False, 'reason': "the server's Python (%s) cannot import cedarpy: %s"
                                                         % (sys.version.split()[0], exc)})
return SD['probe']
$py$;

        CREATE OR REPLACE FUNCTION coord_private.cedar_validate(p_policy_text text)
        RETURNS text[]
        LANGUAGE plpython3u STABLE
        AS $py$
# coord_private.cedar_validate: the errors of a Cedar policy set (empty: valid).
# Checked: Cedar syntax, validation against coord_private.cedar_schema() (the
# entity types and the actions of the operation catalog), and the conventions
# of the engine: every forbid names its reason code with @id, @precedence is an
# integer, no templates.
import json
import re
import cedarpy

errors = []
schema = cedarpy.Schema.from_str(plpy.execute("SELECT coord_private.cedar_schema() AS s")[0]['s'])
codes = {r['code'] for r in plpy.execute(
    "SELECT rc.code FROM coord_private.reason_codes rc WHERE rc.outcome <> 'allow'")}
try:
    parsed = json.loads(cedarpy.policies_to_json_str(p_policy_text))
except ValueError as exc:
    return ['the policies do not parse: %s' % exc]

def label(pid, ann):
    return '%s @id(%s)' % (pid, json.dumps(ann['id'])) if ann.get('id') else pid

result = cedarpy.validate_policies(p_policy_text, schema)
names = result.id_annotations_by_policy_id
for e in result.errors:
    where = e.policy_id
    if where and names.get(where):
        where = '%s @id(%s)' % (where, json.dumps(names[where]))
    errors.append('%s: %s' % (where, e.error) if where else e.error)
for pid, p in parsed.get('staticPolicies', {}).items():
    ann = p.get('annotations') or {}
    if p['effect'] == 'forbid':
        if not ann.get('id'):
            errors.append('%s: a forbid needs @id("<reason code>"), the reason of the denials it decides' % pid)
        elif ann['id'] not in codes:
            errors.append('%s: @id(%s) is not a deny or refuse reason code of coord.reason_codes'
                          % (pid, json.dumps(ann['id'])))
    if 'precedence' in ann and not re.fullmatch(r'-?[0-9]{1,9}', ann['precedence'] or ''):
        errors.append('%s: @precedence(%s) is not an integer' % (label(pid, ann), json.dumps(ann['precedence'])))
for tid in parsed.get('templates', {}):
    errors.append('%s: templates (?principal, ?resource) are not supported' % tid)
return errors
$py$;

        CREATE OR REPLACE FUNCTION coord_private.cedar_decide(p_actor text, p_operation text, p_resource text, p_context jsonb)
        RETURNS coord_private.decision
        LANGUAGE plpython3u STABLE
        AS $py$
# coord_private.cedar_decide: the Cedar engine. This code only gathers facts
# (the agent, its profile, the operation, the counts in p_context) into Cedar
# entities and context, asks cedarpy, and maps the answer to a reason code;
# every rule lives in the Cedar policies (coord_private.cedar_policies).
E = SD.get('engine')
if E is None:
    import json
    import re
    from decimal import Decimal, ROUND_CEILING
    import cedarpy

    I64_MAX = 2 ** 63 - 1
    I64_MIN = -2 ** 63
    WS = ' \t\n\r\v\f'
    INT_RE = re.compile(r'[+-]?[0-9]+\Z')
    NUM_RE = re.compile(r'[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z')
    ERR_POLICY_RE = re.compile(r'policy `([^`]*)`')
    ALLOW = cedarpy.Decision.Allow
    DENY = cedarpy.Decision.Deny
    RESERVED = {'id', 'precedence'}

    class Raw(str):
        """A JSON number as written in jsonb's text form (what ->> returns)."""

    DECODER = json.JSONDecoder(parse_int=Raw, parse_float=Raw)

    def fail(sqlstate, message):
        plpy.error(message, sqlstate=sqlstate)

    def text_of(v):
        # p_context->>'key' for a present key: NULL for JSON null, the string,
        # the number as written, true/false, or the JSON text of an array/object.
        if v is None:
            return None
        if isinstance(v, bool):
            return 'true' if v else 'false'
        if isinstance(v, str):
            return str(v)
        return json.dumps(v)

    def to_int4(s):
        # text::integer, as PostgreSQL casts it
        t = s.strip(WS)
        if not INT_RE.match(t):
            fail('22P02', 'invalid input syntax for type integer: "%s"' % s)
        n = int(t)
        if n < -2 ** 31 or n > 2 ** 31 - 1:
            fail('22003', 'value "%s" is out of range for type integer' % s)
        return n

    def to_bool(s):
        # text::boolean, as PostgreSQL casts it (unique prefixes of true/false/yes/no, on/off, 1/0)
        t = s.strip(WS)
        low = t.lower() if t.isascii() else ''
        if low:
            c = low[0]
            if c == 't' and 'true'.startswith(low):
                return True
            if c == 'f' and 'false'.startswith(low):
                return False
            if c == 'y' and 'yes'.startswith(low):
                return True
            if c == 'n' and 'no'.startswith(low):
                return False
            if low == 'on':
                return True
            if low in ('of', 'off'):
                return False
            if low == '1':
                return True
            if low == '0':
                return False
        fail('22P02', 'invalid input syntax for type boolean: "%s"' % s)

    def ceil_long(s):
        # text::numeric, rounded up to whole seconds and clamped to Cedar's Long:
        # for an integer limit m, x > m exactly when ceil(x) > m (NaN sorts above
        # every number in PostgreSQL).
        t = s.strip(WS)
        low = t.lower()
        if low in ('nan', 'infinity', '+infinity', 'inf', '+inf'):
            return I64_MAX
        if low in ('-infinity', '-inf'):
            return I64_MIN
        if not NUM_RE.match(t):
            fail('22P02', 'invalid input syntax for type numeric: "%s"' % s)
        d = Decimal(t)
        if d.adjusted() >= 131072:
            fail('22003', 'value overflows numeric format')
        if d >= I64_MAX:
            return I64_MAX
        if d <= I64_MIN:
            return I64_MIN
        return int(d.to_integral_value(rounding=ROUND_CEILING))

    def facts_of(p_context):
        # the facts of p_context, read with the casts of the native engine
        facts = {}
        if p_context is None:
            return facts
        ctx = DECODER.decode(p_context)
        if not isinstance(ctx, dict):
            return facts
        for key in ('live_locks', 'claimed_tasks'):
            if key in ctx:
                t = text_of(ctx[key])
                if t is not None:
                    facts[key] = to_int4(t)
        if 'lease_seconds' in ctx:
            t = text_of(ctx['lease_seconds'])
            if t is not None:
                facts['lease_seconds'] = ceil_long(t)
        if 'files_modified' in ctx:
            t = text_of(ctx['files_modified'])
            if t is not None:
                facts['files_modified'] = to_int4(t)
        if 'guardrail_matches' in ctx:
            matches = ctx['guardrail_matches']
            if isinstance(matches, dict):
                fail('22023', 'cannot extract elements from an object')
            if not isinstance(matches, list):
                fail('22023', 'cannot extract elements from a scalar')
            always = False
            exempt = None
            for m in matches:
                if not isinstance(m, dict) or text_of(m.get('severity')) != 'block':
                    continue
                a = text_of(m.get('always'))
                if a is not None and to_bool(a):
                    always = True
                    continue
                e = text_of(m.get('exempt_trust'))
                if e is not None:
                    e = to_int4(e)
                    exempt = e if exempt is None else max(exempt, e)
            if always:
                facts['guardrail_block_always'] = True
            if exempt is not None:
                facts['guardrail_block_exempt_trust'] = exempt
        if 'network_verdict' in ctx:
            t = text_of(ctx['network_verdict'])
            if t is not None:
                facts['network_verdict'] = t
        if 'elevated' in ctx:
            t = text_of(ctx['elevated'])
            if t is not None:
                facts['elevated'] = to_bool(t)
        return facts

    def uses_resource(parsed):
        # whether any policy reads the resource (its scope or a condition): when
        # none does, decisions do not depend on it and the memo ignores it
        for p in parsed.values():
            if (p.get('resource') or {}).get('op') != 'All' or '"Var": "resource"' in json.dumps(p.get('conditions')):
                return True
        return False

    class Engine:
        # The facts of one request in one query (each SPI call costs about as much as
        # a small query): the latest policy version, the operation, the agent and its
        # profile, NULL where absent.
        FACTS = plpy.prepare("""
            SELECT (SELECT c.version FROM coord_private.cedar_policies c ORDER BY c.version DESC LIMIT 1) AS version,
                   o.category, o.min_trust, a.role_name IS NOT NULL AS registered,
                   a.status, p.name AS profile, p.trust_level, p.allowed_operations, p.blocked_operations,
                   p.max_locks, p.max_claimed_tasks, p.max_lease_seconds, p.max_file_modifications
              FROM (SELECT 1) one
              LEFT JOIN coord_private.operations o ON o.name = $1
              LEFT JOIN coord_private.agents a ON a.role_name = $2
              LEFT JOIN coord_private.profiles p ON p.name = a.profile""", ['text', 'text'])
        ADMIN = plpy.prepare("""
            SELECT pg_catalog.pg_has_role($1, 'coord_admin', 'MEMBER') AS coord_admin,
                   (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = $1) AS superuser""", ['text'])
        POLICY = plpy.prepare(
            "SELECT c.policy_text FROM coord_private.cedar_policies c WHERE c.version = $1", ['bigint'])
        # What every decision reads: the policy version in force, and the generation of
        # agents, profiles and operations, which says whether facts kept from earlier
        # transactions are still current (each SPI row costs about as much as a small
        # query, and FACTS, four tables and thirteen columns, three times this).
        CURRENT = plpy.prepare("""
            SELECT (SELECT c.version FROM coord_private.cedar_policies c ORDER BY c.version DESC LIMIT 1) AS version,
                   (SELECT g.generation FROM coord_private.policy_generation g) AS generation""", [])
        RESOURCE_TYPE = plpy.prepare("SELECT coord_private.cedar_resource_type($1) AS t", ['text'])
        CODES = plpy.prepare(
            "SELECT rc.code FROM coord_private.reason_codes rc WHERE rc.outcome <> 'allow'", [])

        def __init__(self):
            self.version = -1
            self.policies = None
            self.meta = {}
            self.uses_resource = True
            self.load_error = None
            self.generation = None
            self.facts = {}         # (agent, operation) -> FACTS, valid while the generation stays
            self.entities = {}      # facts of agent, profile, operation -> parsed Cedar entities
            self.decisions = {}     # every input Cedar sees -> the decision (cleared with each version)
            self.resource_types = {}

        def load(self, version):
            # the latest policy version, parsed once per session and version
            text = '' if version is None else self.POLICY.execute([version])[0]['policy_text']
            codes = {r['code'] for r in self.CODES.execute([])}
            self.load_error = None
            try:
                policies = cedarpy.PolicySet.from_str(text)
                parsed = json.loads(cedarpy.policies_to_json_str(text))['staticPolicies']
            except ValueError as exc:
                # validated when stored, so this is not expected: deny everything (fail closed)
                policies, parsed = cedarpy.PolicySet.from_str(''), {}
                self.load_error = 'policy version %s does not parse: %s' % (version, str(exc)[:300])
            meta = {}
            for pid, p in parsed.items():
                ann = p.get('annotations') or {}
                prec = ann.get('precedence')
                try:
                    prec = int(prec) if prec is not None else None
                except ValueError:
                    prec = None
                pos = int(pid[6:]) if pid.startswith('policy') and pid[6:].isdigit() else 1 << 30
                reason = ann.get('id')
                meta[pid] = {
                    'effect': p['effect'],
                    'reason': reason if reason in codes else 'policy_error',
                    'label': reason or pid,
                    'rank': (0, prec, pos) if prec is not None else (1, 0, pos),
                    'extra': {k: v for k, v in ann.items() if k not in RESERVED},
                }
            self.policies, self.meta, self.version = policies, meta, version
            self.uses_resource = uses_resource(parsed) or self.load_error is not None
            self.decisions = {}

        def resource_type(self, op):
            t = self.resource_types.get(op)
            if t is None:
                if len(self.resource_types) >= 1024:
                    self.resource_types.clear()
                t = self.resource_types[op] = self.RESOURCE_TYPE.execute([op])[0]['t']
            return t

        def entities_for(self, key, actor, op, f):
            ents = self.entities.get(key)
            if ents is not None:
                return ents
            out = []
            attrs = {'registered': f['registered']}
            if f['status'] is not None:
                attrs['status'] = f['status']
            if f['profile'] is not None:
                attrs['profile'] = {'__entity': {'type': 'Profile', 'id': f['profile']}}
                pattrs = {
                    'trust': f['trust_level'],
                    'blocked_operations': [x for x in f['blocked_operations'] or [] if x is not None],
                    'max_locks': f['max_locks'],
                    'max_claimed_tasks': f['max_claimed_tasks'],
                    'max_lease_seconds': f['max_lease_seconds'],
                    'max_file_modifications': f['max_file_modifications'],
                }
                if f['allowed_operations'] is not None:
                    pattrs['allowed_operations'] = [x for x in f['allowed_operations'] if x is not None]
                out.append({'uid': {'type': 'Profile', 'id': f['profile']}, 'attrs': pattrs, 'parents': []})
            if f['superuser'] is not None:
                attrs['superuser'] = f['superuser']
            parents = [{'type': 'Role', 'id': 'coord_admin'}] if f['coord_admin'] else []
            out.append({'uid': {'type': 'Agent', 'id': actor}, 'attrs': attrs, 'parents': parents})
            if f['category'] is not None:
                out.append({'uid': {'type': 'Action', 'id': op}, 'attrs': {}, 'parents': [
                    {'type': 'Action', 'id': 'category:' + f['category']},
                    {'type': 'Action', 'id': 'min_trust:%d' % f['min_trust']}]})
            ents = cedarpy.Entities.from_json_str(json.dumps(out))
            if len(self.entities) >= 1024:
                self.entities.clear()
            self.entities[key] = ents
            return ents

        def from_forbid(self, error):
            # the policy an evaluation error names, when it is (or may be) a forbid
            m = ERR_POLICY_RE.search(error)
            return m is None or self.meta.get(m.group(1), {}).get('effect', 'forbid') == 'forbid'

        def decide(self, p_actor, p_operation, p_resource, p_context):
            actor = '' if p_actor is None else p_actor
            op = '' if p_operation is None else p_operation
            now = self.CURRENT.execute([])[0]
            if now['version'] != self.version:
                self.load(now['version'])
            if now['generation'] != self.generation:
                self.facts, self.generation = {}, now['generation']
            # The facts, read in the caller's snapshot, or kept from an earlier read at
            # the same generation: every change to agents, profiles or operations
            # recompiles the policy and so draws a new one; FACTS runs after the
            # generation was read, so kept facts are never older than it says.
            # Role membership and superuser status (asked for admin operations only)
            # change without a new generation: they are read for every decision.
            key = (p_actor, p_operation)
            f = self.facts.get(key)
            if f is None:
                f = dict(self.FACTS.execute([p_operation, p_actor])[0])
                del f['version']
                if f['category'] != 'admin':
                    f['coord_admin'] = f['superuser'] = None
                    if len(self.facts) >= 1024:
                        self.facts.clear()
                    self.facts[key] = f
            if f['category'] == 'admin':
                f = dict(f, **self.ADMIN.execute([p_actor])[0])
            context = facts_of(p_context)
            context['operation'] = op
            ent_key = (actor, op, f['category'], f['min_trust'], f['registered'], f['status'], f['profile'],
                       f['trust_level'],
                       None if f['allowed_operations'] is None else tuple(f['allowed_operations']),
                       None if f['blocked_operations'] is None else tuple(f['blocked_operations']),
                       f['max_locks'], f['max_claimed_tasks'], f['max_lease_seconds'],
                       f['max_file_modifications'], f['coord_admin'], f['superuser'])
            resource = ('' if p_resource is None else p_resource) if self.uses_resource else None
            memo_key = (ent_key, resource, tuple(sorted(context.items())))
            result = self.decisions.get(memo_key)
            if result is None:
                result = self.evaluate(actor, op, p_resource, context, f, ent_key)
                if len(self.decisions) >= 4096:
                    self.decisions.clear()
                self.decisions[memo_key] = result
            return result

        def evaluate(self, actor, op, p_resource, context, f, ent_key):
            request = {
                'principal': {'type': 'Agent', 'id': actor},
                'action': {'type': 'Action', 'id': op},
                'resource': {'type': self.resource_type(op), 'id': '' if p_resource is None else p_resource},
                'context': context,
            }
            r = cedarpy.is_authorized(request, self.policies, self.entities_for(ent_key, actor, op, f))
            meta = self.meta
            errors = r.diagnostics.errors
            # An erroring forbid might have denied: fail closed. An erroring permit permits nothing.
            forbid_errors = [e for e in errors if self.from_forbid(e)]
            decided = list(r.diagnostics.reasons)
            dctx = {'policy_version': self.version}
            if f['profile'] is not None and f['category'] == 'agent':
                dctx.update(profile=f['profile'], trust=f['trust_level'], min_trust=f['min_trust'])
            if decided:
                dctx['policies'] = sorted(meta[p]['label'] if p in meta else p for p in decided)
            if r.decision == ALLOW and not forbid_errors and not self.load_error:
                return {'allowed': True, 'reason': 'allowed', 'engine': 'cedar', 'context': json.dumps(dctx)}
            forbids = [p for p in decided if meta.get(p, {}).get('effect') == 'forbid']
            if r.decision == DENY and forbids:
                chosen = min(forbids, key=lambda p: meta[p]['rank'])
                reason = meta[chosen]['reason']
                for k, v in meta[chosen]['extra'].items():
                    dctx.setdefault(k, v)
            elif errors or r.decision != DENY:
                reason = 'policy_error'
            else:
                reason = 'not_permitted'
            if errors:
                dctx['errors'] = [e[:300] for e in errors[:5]]
            if self.load_error:
                reason = 'policy_error'
                dctx['errors'] = [self.load_error]
            return {'allowed': False, 'reason': reason, 'engine': 'cedar', 'context': json.dumps(dctx)}

    E = SD['engine'] = Engine()
return E.decide(p_actor, p_operation, p_resource, p_context)
$py$;
        COMMENT ON FUNCTION coord_private.cedar_decide(text, text, text, jsonb) IS
            'the Cedar engine (PL/Python, cedarpy): the facts of the agent, its profile, the operation and p_context, evaluated against the latest coord_private.cedar_policies (parsed once per session and version; facts kept per policy generation; decisions memoised per version on the exact facts Cedar sees)';
    EXCEPTION WHEN OTHERS THEN
        v_reason := SQLERRM;
    END;
    IF v_reason IS NOT NULL THEN
        EXECUTE pg_catalog.format(
            'CREATE OR REPLACE FUNCTION coord_private.cedar_probe() RETURNS jsonb LANGUAGE sql STABLE AS %L',
            pg_catalog.format('SELECT %L::jsonb', pg_catalog.jsonb_build_object(
                'available', false, 'reason', 'not installed when cedar_engine was deployed: ' || v_reason)));
        RAISE WARNING 'pgcoord: the Cedar policy engine is unavailable (the native engine stays in force): %', v_reason;
    END IF;
END
$deploy$;
SET LOCAL ROLE coord_owner;

COMMIT;
