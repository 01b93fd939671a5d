"""pgcoord's Cedar evaluator, run by PL/Python inside PostgreSQL (INV-POLICY-EQ).

The one place that installs it is sql/plpython/install_cedar_evaluator.sql
(included by the changes cedar_engine, cedar_evaluator and approvals): it
compiles this file into the bodies of coord_private.cedar_probe,
coord_private.cedar_validate and coord_private.cedar_decide, which load it once
per session (into the function's SD) and call probe(), validate() or decide().

This code only gathers facts (the agent, its profile, the operation, the counts
in p_context) into Cedar entities and context, asks cedarpy, and maps the answer
to a reason code (approval_required with the approval_sources of the approval
forbids that matched, INV-APPROVAL); every rule lives in the Cedar policies
(coord_private.cedar_policies). `plpy` is passed in by the function bodies, so
that the pure parts import and test outside the server (tests/test_cedar_evaluator.py).
"""
import json
import re
import sys
from decimal import ROUND_CEILING, Decimal

try:
    import cedarpy
except Exception as exc:  # reported by probe(); validate() and decide() are not installed then
    cedarpy = None
    CEDARPY_IMPORT_ERROR = exc

I64_MAX = 2 ** 63 - 1
I64_MIN = -2 ** 63
WS = ' \t\n\r\v\f'
INT_RE = re.compile(r'[+-]?[0-9]+\Z')
NUM_RE = re.compile(r'[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z')
ERR_POLICY_RE = re.compile(r'policy `([^`]*)`')
ALLOW = cedarpy.Decision.Allow if cedarpy else None
DENY = cedarpy.Decision.Deny if cedarpy else None
RESERVED = {'id', 'precedence', 'source'}
APPROVAL = 'approval_required'
# Guardrail severities that become facts: a block match denies, an approve match asks
# for an approval (INV-APPROVAL); warn matches only warn.
GUARDED = ('block', 'approve')

class Raw(str):
    """A JSON number as written in jsonb's text form (what ->> returns)."""

DECODER = json.JSONDecoder(parse_int=Raw, parse_float=Raw)

class CastError(Exception):
    """A fact of p_context that PostgreSQL's cast would refuse: raised as that SQL error."""

    def __init__(self, sqlstate, message):
        super().__init__(message)
        self.sqlstate = sqlstate


def fail(sqlstate, message):
    raise CastError(sqlstate, message)

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
        # per severity: a match that always applies, and the highest exempt trust
        found = {s: [False, None] for s in GUARDED}
        for m in matches:
            severity = text_of(m.get('severity')) if isinstance(m, dict) else None
            if severity not in found:
                continue
            hit = found[severity]
            a = text_of(m.get('always'))
            if a is not None and to_bool(a):
                hit[0] = True
                continue
            e = text_of(m.get('exempt_trust'))
            if e is not None:
                e = to_int4(e)
                hit[1] = e if hit[1] is None else max(hit[1], e)
        for severity, (always, exempt) in found.items():
            if always:
                facts['guardrail_%s_always' % severity] = True
            if exempt is not None:
                facts['guardrail_%s_exempt_trust' % severity] = exempt
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
    def __init__(self, plpy):
        # The facts of one request in one query (each SPI call costs about as much as
        # a small query): the latest policy version, the operation, the agent and its
        # profile, NULL where absent.
        # The profile's approval settings live in coord_private.profile_approvals,
        # which the approvals change creates: this module is installed by
        # cedar_engine and cedar_evaluator before it exists, and stays installed when
        # approvals is reverted (the evaluator is not versioned by tag). So FACTS is
        # prepared for the tables that exist, again whenever the generation changes
        # (a deploy or revert of approvals recompiles the policy, which draws a new
        # one); without the table the columns are NULL and the baseline, which reads
        # them behind `has`, decides as before.
        self.plpy = plpy
        self.prepare_facts()
        self.ADMIN = plpy.prepare("""
            SELECT pg_catalog.pg_has_role($1, 'coord_admin', 'MEMBER') AS coord_admin,
                   (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = $1) AS superuser""", ['text'])
        self.POLICY = plpy.prepare(
            "SELECT c.policy_text FROM coord_private.cedar_policies c WHERE c.version = $1", ['bigint'])
        # What every decision reads: the policy version in force, and the generation of
        # agents, profiles and operations, which says whether facts kept from earlier
        # transactions are still current (each SPI row costs about as much as a small
        # query, and FACTS, four tables and fifteen columns, three times this).
        self.CURRENT = plpy.prepare("""
            SELECT (SELECT c.version FROM coord_private.cedar_policies c ORDER BY c.version DESC LIMIT 1) AS version,
                   (SELECT g.generation FROM coord_private.policy_generation g) AS generation""", [])
        self.RESOURCE_TYPE = plpy.prepare("SELECT coord_private.cedar_resource_type($1) AS t", ['text'])
        self.CODES = plpy.prepare(
            "SELECT rc.code FROM coord_private.reason_codes rc WHERE rc.outcome <> 'allow'", [])

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

    def prepare_facts(self):
        with_approvals = self.plpy.execute(
            "SELECT pg_catalog.to_regclass('coord_private.profile_approvals') IS NOT NULL AS t")[0]['t']
        if with_approvals:
            approvals = """CASE WHEN p.name IS NOT NULL THEN coalesce(pa.approval_operations, '{}') END
                               AS approval_operations,
                           CASE WHEN p.name IS NOT NULL THEN coalesce(pa.approve_elevation, false) END
                               AS approve_elevation"""
            join = "LEFT JOIN coord_private.profile_approvals pa ON pa.profile = p.name"
        else:
            approvals = "NULL::text[] AS approval_operations, NULL::boolean AS approve_elevation"
            join = ""
        self.FACTS = self.plpy.prepare("""
            SELECT (SELECT c.version FROM coord_private.cedar_policies c ORDER BY c.version DESC LIMIT 1) AS version,
                   o.category, o.min_trust, a.role_name IS NOT NULL AS registered,
                   a.status, p.name AS profile, p.trust_level, p.allowed_operations, p.blocked_operations,
                   p.max_locks, p.max_claimed_tasks, p.max_lease_seconds, p.max_file_modifications,
                   %s
              FROM (SELECT 1) one
              LEFT JOIN coord_private.operations o ON o.name = $1
              LEFT JOIN coord_private.agents a ON a.role_name = $2
              LEFT JOIN coord_private.profiles p ON p.name = a.profile
              %s""" % (approvals, join), ['text', 'text'])

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
                'source': ann.get('source'),
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
            # absent where the approvals change is not deployed (see FACTS)
            if f['approval_operations'] is not None:
                pattrs['approval_operations'] = [x for x in f['approval_operations'] if x is not None]
            if f['approve_elevation'] is not None:
                pattrs['approve_elevation'] = f['approve_elevation']
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
            if self.generation is not None:
                self.prepare_facts()
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
                   f['max_file_modifications'],
                   None if f['approval_operations'] is None else tuple(f['approval_operations']),
                   f['approve_elevation'], f['coord_admin'], f['superuser'])
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
            # INV-APPROVAL: deny > approval_required, whatever the @precedence: a
            # forbid @id("approval_required") decides only when no other forbid matched.
            denials = [p for p in forbids if meta[p]['reason'] != APPROVAL]
            chosen = min(denials or forbids, key=lambda p: meta[p]['rank'])
            reason = meta[chosen]['reason']
            for k, v in meta[chosen]['extra'].items():
                dctx.setdefault(k, v)
            if reason == APPROVAL:
                # The @source of every approval forbid that matched, sorted and each
                # once, as the native engine lists its approval sources. A forbid that
                # failed to evaluate might have denied, and an approval can be
                # granted: fail closed instead.
                if forbid_errors:
                    reason = 'policy_error'
                else:
                    dctx['approval_sources'] = sorted({meta[p]['source'] for p in forbids
                                                       if meta[p]['reason'] == APPROVAL and meta[p]['source']})
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



def probe(SD):
    """coord_private.cedar_probe: can the server's Python run the Cedar engine?
    (The answer is kept for the session: asking the package metadata costs a millisecond.)"""
    if 'probe' not in SD:
        try:
            if cedarpy is None:
                raise CEDARPY_IMPORT_ERROR
            from importlib import metadata
            SD['probe'] = json.dumps({'available': True, 'cedarpy': metadata.version('cedarpy'),
                                      'python': sys.version.split()[0]})
        except Exception as exc:
            return json.dumps({'available': False, 'reason': "the server's Python (%s) cannot import cedarpy: %s"
                                                             % (sys.version.split()[0], exc)})
    return SD['probe']


def label(pid, ann):
    return '%s @id(%s)' % (pid, json.dumps(ann['id'])) if ann.get('id') else pid


def validate(plpy, policy_text):
    """coord_private.cedar_validate: the errors of a Cedar policy set (empty: valid).
    Checked: Cedar syntax, validation against coord_private.cedar_schema() (the
    entity types and the actions of the operation catalog), and the conventions
    of the engine: every forbid names its reason code with @id, @precedence is an
    integer, no templates."""
    errors = []
    schema = cedarpy.Schema.from_str(plpy.execute("SELECT coord_private.cedar_schema() AS s")[0]['s'])
    codes = {r['code'] for r in plpy.execute(
        "SELECT rc.code FROM coord_private.reason_codes rc WHERE rc.outcome <> 'allow'")}
    try:
        parsed = json.loads(cedarpy.policies_to_json_str(policy_text))
    except ValueError as exc:
        return ['the policies do not parse: %s' % exc]
    result = cedarpy.validate_policies(policy_text, schema)
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


def decide(plpy, SD, actor, operation, resource, context):
    """coord_private.cedar_decide: the decision of the Cedar engine, a coord_private.decision.
    The engine (parsed policies, kept facts, memoised decisions) lives in the
    function's SD for the session."""
    engine = SD.get('engine')
    if engine is None:
        engine = SD['engine'] = Engine(plpy)
    try:
        return engine.decide(actor, operation, resource, context)
    except CastError as exc:
        plpy.error(str(exc), sqlstate=exc.sqlstate)
