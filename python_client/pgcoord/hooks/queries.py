"""The statements the hooks send, each answering with one JSON value.

Every rule is the database's: these ask ``coord.*`` (check_guardrails, check_locks,
check_fence, acquire_lock, check_network_access) and gather the answers into one JSON
object, so a decision costs one round trip on the connection the hook opened (more only
when leases are acquired one by one). Kept apart from the code that reads the answers
because pre-tool-use (decisions.py) and git pre-commit (pre_commit.py) share them.
"""
from __future__ import annotations

MAX_PATHS = 100                                # coord.check_locks takes at most 100 paths a call

# Per given path: the live leases overlapping it (check_locks) and, for the caller's
# own, whether the grant is still the newest overlapping one (check_fence).
_LEASE_ROWS = """(SELECT coalesce(json_agg(json_build_object(
        'given', p.path, 'requested', l.requested, 'path', l.path, 'mode', l.mode, 'holder', l.holder,
        'token', l.token, 'expires_at', l.expires_at,
        'fence', CASE WHEN l.holder = session_user::text THEN coord.check_fence(p.path, l.token) END)
        ORDER BY p.ord, l.token), '[]')
   FROM json_array_elements_text($1::json) WITH ORDINALITY p(path, ord)
  CROSS JOIN LATERAL coord.check_locks(ARRAY[p.path]) l)"""

EDIT_SQL = f"""SELECT json_build_object('me', session_user::text,
    'guard', (SELECT row_to_json(g)
                FROM coord.check_guardrails('', ARRAY(SELECT json_array_elements_text($1::json))) g),
    'leases', {_LEASE_ROWS})"""

LEASES_SQL = f"SELECT json_build_object('me', session_user::text, 'leases', {_LEASE_ROWS})"

PATH_GUARD_SQL = """SELECT row_to_json(g)
  FROM coord.check_guardrails('', ARRAY(SELECT json_array_elements_text($1::json))) g"""

ACQUIRE_SQL = """SELECT row_to_json(a)
  FROM coord.acquire_lock($1, make_interval(secs => $2::double precision), 'exclusive', $3) a"""

_NETWORK_ROWS = """(SELECT coalesce(json_agg(json_build_object('target', t.target, 'allowed', n.allowed,
        'reason', n.reason, 'domain', n.domain, 'rule', n.rule, 'event_id', n.event_id) ORDER BY t.ord), '[]')
   FROM json_array_elements_text($2::json) WITH ORDINALITY t(target, ord)
  CROSS JOIN LATERAL coord.check_network_access(t.target) n)"""

COMMAND_SQL = f"""SELECT json_build_object(
    'guard', (SELECT row_to_json(g) FROM coord.check_guardrails($1, '{{}}') g),
    'network', {_NETWORK_ROWS})"""

NETWORK_SQL = f"SELECT json_build_object('network', {_NETWORK_ROWS.replace('$2', '$1')})"
