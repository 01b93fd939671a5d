"""The statements the hooks send, each answering with one JSON value.

Every rule is the database's: these ask ``coord.*`` (check_guardrails,
check_write_coverage, acquire_lock, check_network_access) and gather the answers into one JSON
object, so a decision costs one round trip on the connection the hook opened (more only
when leases are acquired one by one). Kept apart from the code that reads the answers
because pre-tool-use (decisions.py) and git pre-commit (pre_commit.py) share them.
"""
from __future__ import annotations

MAX_PATHS = 100                                # coord.check_write_coverage takes at most 100 paths a call

# Per given path, in the order given: coord.check_write_coverage's answer (covered, its
# reason, the covering lease or the other holders). The rule is the database's.
_COVERAGE_ROWS = """(SELECT coalesce(json_agg(row_to_json(c) ORDER BY c.ord), '[]')
   FROM coord.check_write_coverage(ARRAY(SELECT p.path
                                           FROM json_array_elements_text($1::json) WITH ORDINALITY p(path, ord)
                                          ORDER BY p.ord)) WITH ORDINALITY
        c(path, normalized_path, covered, reason, lease_path, token, expires_at, holders, ord))"""

EDIT_SQL = f"""SELECT json_build_object('me', session_user::text,
    'guard', (SELECT row_to_json(g)
                FROM coord.check_guardrails('', ARRAY(SELECT json_array_elements_text($1::json))) g),
    'coverage', {_COVERAGE_ROWS})"""

COVERAGE_SQL = f"SELECT json_build_object('me', session_user::text, 'coverage', {_COVERAGE_ROWS})"

PATH_GUARD_SQL = """SELECT row_to_json(g)
  FROM coord.check_guardrails('', ARRAY(SELECT json_array_elements_text($1::json))) g"""

ACQUIRE_SQL = """SELECT row_to_json(a)
  FROM coord.acquire_lock($1, make_interval(secs => $2::double precision), 'exclusive', $3) a"""

_NETWORK_ROWS = """(SELECT coalesce(json_agg(json_build_object('target', t.target, 'allowed', n.allowed,
        'reason', n.reason, 'domain', n.domain, 'rule', n.rule, 'event_id', n.event_id) ORDER BY t.ord), '[]')
   FROM json_array_elements_text($2::json) WITH ORDINALITY t(target, ord)
  CROSS JOIN LATERAL coord.check_network_access(t.target) n)"""

COMMAND_SQL = f"""SELECT json_build_object(
    'guard', (SELECT row_to_json(g) FROM coord.check_guardrails($1, '{{}}', p_workspace => $3, p_cwd => $4) g),
    'network', {_NETWORK_ROWS})"""

NETWORK_SQL = f"SELECT json_build_object('network', {_NETWORK_ROWS.replace('$2', '$1')})"
