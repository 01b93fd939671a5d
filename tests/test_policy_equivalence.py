"""INV-POLICY-EQ: the native and the Cedar engines make identical decisions on the
baseline profiles and policies, the third verdict approval_required included
(INV-APPROVAL: deny > approval_required > allow).

Hypothesis draws thousands of requests: a principal (a registered agent with
drawn profile attributes and status, an agent without a profile, an unregistered
role, a coord_admin, a superuser, a role that does not exist), an operation of
the catalog (plus synthetic ones of every category and minimum trust, and unknown
names), a resource and a context of facts (live locks, claimed tasks, lease
seconds, files modified, guardrail matches of severity block, approve and warn,
network verdict, elevated, noise, in the JSON spellings the native engine's casts
accept). The profile's attributes include its approval operations and whether it
approves elevation. The same request goes to coord_private.native_decide and
coord_private.cedar_decide (as superuser, on the same database state); allowed
and reason must be identical (and the limit a limit_exceeded names, and the
approval_sources an approval_required lists), or both must raise the same
SQLSTATE. Any difference fails and prints the request.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from .helpers import cedar_unavailable_reason

ROOT = Path(__file__).resolve().parent.parent
# The baseline in force on a fresh deploy (the approvals change stores it as a new
# version), and version 1 as cedar_engine released it.
BASELINE = (ROOT / "policies" / "baseline.cedar").read_text()
RELEASED_BASELINE = (ROOT / "sql" / "parts" / "cedar_engine" / "baseline.cedar").read_text()

# Synthetic operations added to the catalog for the test: every category and
# every minimum trust, so that the catalog-derived action groups are exercised.
SYNTHETIC_OPS = [
    ("eq_agent_zero", "agent", 0), ("eq_agent_one", "agent", 1), ("eq_agent_two", "agent", 2),
    ("eq_agent_three", "agent", 3), ("eq_agent_four", "agent", 4),
    ("eq_admin_one", "admin", 1), ("eq_system_four", "system", 4),
]
UNKNOWN_OPS = ["no_such_operation", "", "acquire-lock", "ACQUIRE_LOCK"]
PROFILE = "eq_profile"


def make_world(db) -> dict[str, Any]:
    """The fixed cast of principals and the operation catalog of the test."""
    reason = cedar_unavailable_reason(db)
    if reason:
        pytest.skip(reason)
    su = db.su
    for name, category, min_trust in SYNTHETIC_OPS:
        su.execute("INSERT INTO coord_private.operations (name, category, min_trust, description) "
                   "VALUES (%s, %s, %s, 'INV-POLICY-EQ test operation') ON CONFLICT DO NOTHING",
                   (name, category, min_trust))
    su.execute("INSERT INTO coord_private.profiles (name, trust_level) VALUES (%s, 2) ON CONFLICT DO NOTHING",
               (PROFILE,))
    plain = db.create_role("coord_agent", prefix="eq_plain")
    admin_agent = db.create_role("coord_agent, coord_admin", prefix="eq_admagent")
    unregistered = db.create_role("coord_agent", prefix="eq_unreg")
    admin_only = db.create_role("coord_admin", prefix="eq_admin")
    superuser = su.execute("SELECT current_user AS u").fetchone()["u"]
    ops = [r["name"] for r in su.execute("SELECT name FROM coord_private.operations ORDER BY name").fetchall()]
    agent_ops = [r["name"] for r in su.execute(
        "SELECT name FROM coord_private.operations WHERE category = 'agent' ORDER BY name").fetchall()]
    return {
        "mutable": [plain, admin_agent],          # registered (or not) per example, with the test profile
        "fixed": [unregistered, admin_only, superuser, "eq_no_such_role"],
        "ops": ops,
        "agent_ops": agent_ops,
    }


@pytest.fixture
def world(db) -> dict[str, Any]:
    return make_world(db)


@pytest.fixture(scope="module")
def shared_world(module_db) -> dict[str, Any]:
    return make_world(module_db)


# ------------------------------------------------------------------ strategies
def int_fact(lo: int, hi: int) -> st.SearchStrategy[Any]:
    """An integer fact as the API functions pass it, or in another spelling ->>'s cast accepts."""
    n = st.integers(lo, hi)
    return st.one_of(
        n, n,
        n.map(lambda v: f" {v} "),                       # text with blanks: ' 12 '::integer
        n.map(lambda v: f"+{v}" if v >= 0 else str(v)),
        st.none(),                                       # JSON null: ->> is NULL, the fact is absent
    )


def lease_fact() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(0, 100_000),
        st.integers(0, 90_000).map(lambda v: Decimal(v) + Decimal("0.5")),
        st.sampled_from([Decimal("3600.0001"), Decimal("3599.9999"), Decimal("600.0"), Decimal("0.001")]),
        st.sampled_from(["3600", "3600.5", " 86400.0 ", "1e3", "NaN", "Infinity", "-inf", "-5"]),
        st.none(),
    )


def bool_fact() -> st.SearchStrategy[Any]:
    return st.one_of(st.booleans(), st.sampled_from(["true", "false", "t", "f", "yes", "no", "on", "off", "1", "0",
                                                     " TRUE ", "Y"]), st.none())


guardrail_match = st.fixed_dictionaries(
    {"name": st.sampled_from(["rm_rf", "force_push", "drop_table", "aws_key"])},
    optional={
        "severity": st.sampled_from(["block", "block", "approve", "approve", "approve", "warn", "BLOCK", "APPROVE",
                                     None]),
        "always": bool_fact(),
        "exempt_trust": st.one_of(st.integers(0, 6), st.none(), st.integers(1, 5).map(str)),
    },
)

# (key, values, percent of requests that carry the fact)
FACTS = [
    ("live_locks", int_fact(-3, 70), 30),
    ("claimed_tasks", int_fact(-1, 12), 20),
    ("lease_seconds", lease_fact(), 30),
    ("files_modified", int_fact(0, 220), 20),
    ("guardrail_matches", st.lists(guardrail_match, max_size=3), 35),
    ("network_verdict", st.one_of(st.sampled_from(["allow", "allow", "deny", "ask", "", "ALLOW"]), st.none(),
                                  st.just(5), st.just(True)), 25),
    ("elevated", bool_fact(), 25),
    ("mode", st.just("exclusive"), 20),
    ("token", st.integers(1, 10**12), 20),
    ("holders", st.just([]), 10),
]


def chance(draw, percent: int) -> bool:
    return draw(st.integers(0, 99)) < percent


@st.composite
def requests(draw, world) -> dict[str, Any]:
    """One request and the database state it is decided on (weighted so that every rule is reached)."""
    ops, agent_ops = world["ops"], world["agent_ops"]
    if chance(draw, 12):
        operation = draw(st.sampled_from(UNKNOWN_OPS + [None]))
    else:
        operation = draw(st.sampled_from(agent_ops if chance(draw, 65) else ops))

    def op_list(percent_with_op: int, max_size: int) -> list[str]:
        chosen = draw(st.lists(st.sampled_from(ops), max_size=max_size, unique=True))
        if operation in ops and operation not in chosen and chance(draw, percent_with_op):
            chosen.append(operation)
        return chosen

    profile = {
        "trust_level": draw(st.integers(0, 4)),
        "allowed_operations": None if chance(draw, 65) else op_list(60, 6),
        "blocked_operations": [] if chance(draw, 75) else op_list(50, 4),
        "max_locks": draw(st.sampled_from([0, 1, 5, 20, 50])),
        "max_claimed_tasks": draw(st.sampled_from([0, 1, 3, 10])),
        "max_lease_seconds": draw(st.sampled_from([1, 60, 600, 3600, 86400])),
        "max_file_modifications": draw(st.sampled_from([0, 10, 100, 200])),
        "approval_operations": [] if chance(draw, 50) else op_list(60, 4),
        "approve_elevation": chance(draw, 40),
    }
    agent = {"registered": chance(draw, 85), "status": "active" if chance(draw, 85) else "suspended",
             "has_profile": chance(draw, 90)}
    actor = draw(st.sampled_from(world["mutable"] if chance(draw, 75) else world["fixed"]))
    resource = draw(st.one_of(st.sampled_from(["src/app.py", "docs/", "src/**/*.rs", "42", "cedar_policies", ""]),
                              st.none()))
    if chance(draw, 6):
        context = draw(st.sampled_from([None, [], ["live_locks"], "elevated", 7]))   # not an object: no facts
    else:
        context = {}
        for key, strategy, percent in FACTS:
            if chance(draw, percent):
                context[key] = draw(strategy)
    return {"actor": actor, "operation": operation, "resource": resource,
            "context": context, "profile": profile, "agent": agent}


# ------------------------------------------------------------------ the two engines
# One round trip per request: set the database state (the test profile's
# attributes, the mutable agents' registration), then ask both engines, each in
# its own subtransaction so that an error is a result. As superuser, in pg_temp.
ROUND = """
CREATE FUNCTION pg_temp.eq_round(
    p_trust integer, p_allowed text[], p_blocked text[], p_max_locks integer, p_max_claimed integer,
    p_max_lease integer, p_max_files integer, p_approval_ops text[], p_approve_elevation boolean,
    p_mutable text[], p_register text, p_agent_profile text,
    p_status text, p_actor text, p_operation text, p_resource text, p_context jsonb)
RETURNS TABLE (engine text, allowed boolean, reason text, context jsonb, error_state text)
LANGUAGE plpgsql AS $$
DECLARE
    d coord_private.decision;
    e text;
BEGIN
    UPDATE coord_private.profiles
       SET trust_level = p_trust, allowed_operations = p_allowed, blocked_operations = p_blocked,
           max_locks = p_max_locks, max_claimed_tasks = p_max_claimed, max_lease_seconds = p_max_lease,
           max_file_modifications = p_max_files
     WHERE name = '%s';
    INSERT INTO coord_private.profile_approvals (profile, approval_operations, approve_elevation)
    VALUES ('%s', p_approval_ops, p_approve_elevation)
    ON CONFLICT (profile) DO UPDATE
       SET approval_operations = EXCLUDED.approval_operations, approve_elevation = EXCLUDED.approve_elevation;
    DELETE FROM coord_private.agents a WHERE a.role_name = ANY (p_mutable);
    IF p_register IS NOT NULL THEN
        INSERT INTO coord_private.agents (role_name, profile, status, registered_by)
        VALUES (p_register, p_agent_profile, p_status, 'INV-POLICY-EQ test');
    END IF;
    FOREACH e IN ARRAY ARRAY['native', 'cedar'] LOOP
        engine := e; allowed := NULL; reason := NULL; context := NULL; error_state := NULL;
        BEGIN
            IF e = 'native' THEN
                d := coord_private.native_decide(p_actor, p_operation, p_resource, p_context);
            ELSE
                d := coord_private.cedar_decide(p_actor, p_operation, p_resource, p_context);
            END IF;
            allowed := d.allowed; reason := d.reason; context := d.context;
            engine := d.engine;
        EXCEPTION WHEN OTHERS THEN
            error_state := SQLSTATE; reason := SQLERRM;
        END;
        RETURN NEXT;
    END LOOP;
END
$$
""" % (PROFILE, PROFILE)


def both_engines(su: psycopg.Connection, world: dict, req: dict) -> tuple[tuple, tuple]:
    p, a = req["profile"], req["agent"]
    register = req["actor"] if a["registered"] and req["actor"] in world["mutable"] else None
    rows = su.execute(
        "SELECT * FROM pg_temp.eq_round(%s, %s::text[], %s::text[], %s, %s, %s, %s, %s::text[], %s, %s::text[],"
        " %s, %s, %s, %s, %s, %s, %s::jsonb)",
        (p["trust_level"], p["allowed_operations"], p["blocked_operations"], p["max_locks"],
         p["max_claimed_tasks"], p["max_lease_seconds"], p["max_file_modifications"],
         p.get("approval_operations", []), p.get("approve_elevation", False), world["mutable"],
         register, PROFILE if a["has_profile"] else None, a["status"],
         req["actor"], req["operation"], req["resource"], to_json(req["context"]))).fetchall()
    out = []
    for r in rows:
        if r["error_state"] is not None:
            out.append(("error", r["error_state"], r["reason"]))
        else:
            out.append(("decision", r["allowed"], r["reason"], r["engine"], r["context"]))
    return out[0], out[1]


def to_json(value: Any) -> str | None:
    """The context as JSON text (SQL NULL for None); Decimals as exact JSON numbers."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_json(v) or 'null'}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) or "null" for v in value) + "]"
    return json.dumps(value)


def decide(su: psycopg.Connection, engine: str, req: dict) -> tuple:
    try:
        row = su.execute(
            sql.SQL("SELECT allowed, reason, engine, context FROM coord_private.{}(%s, %s, %s, %s::jsonb)").format(
                sql.Identifier(f"{engine}_decide")),
            (req["actor"], req["operation"], req["resource"], to_json(req["context"]))).fetchone()
    except psycopg.Error as exc:
        return ("error", exc.sqlstate, str(exc).splitlines()[0])
    return ("decision", row["allowed"], row["reason"], row["engine"], row["context"])


def compare(su: psycopg.Connection, world: dict, req: dict) -> tuple:
    native, cedar = both_engines(su, world, req)
    shown = json.dumps({**req, "context": to_json(req["context"])}, indent=1, default=str)
    if native[0] == "error" or cedar[0] == "error":
        assert native[:2] == cedar[:2], (
            f"INV-POLICY-EQ: the engines differ on an error\nnative: {native}\ncedar:  {cedar}\nrequest: {shown}")
        return cedar
    assert (native[1], native[2]) == (cedar[1], cedar[2]), (
        f"INV-POLICY-EQ: native ({native[1]}, {native[2]}) != cedar ({cedar[1]}, {cedar[2]})\n"
        f"native context: {native[4]}\ncedar context: {cedar[4]}\nrequest: {shown}")
    assert native[3] == "native" and cedar[3] == "cedar"
    if native[2] == "limit_exceeded":
        assert native[4].get("limit") == cedar[4].get("limit"), (
            f"INV-POLICY-EQ: the limits named differ: {native[4]} / {cedar[4]}\nrequest: {shown}")
    # INV-APPROVAL: the same sources (sorted, each once), and only on approval_required.
    assert (native[4] or {}).get("approval_sources") == (cedar[4] or {}).get("approval_sources"), (
        f"INV-POLICY-EQ: the approval sources differ: {native[4]} / {cedar[4]}\nrequest: {shown}")
    if native[2] == "approval_required":
        sources = native[4].get("approval_sources")
        assert native[1] is False and sources and sources == sorted(set(sources)), (
            f"INV-APPROVAL: approval_required denies and lists its sources sorted: {native[4]}\nrequest: {shown}")
    return cedar


def outcome_key(outcome: tuple) -> str:
    """What a compared outcome counts as: the SQLSTATE, the reason, or approval_required
    with its sources (approval_required:elevation+profile)."""
    if outcome[0] == "error":
        return outcome[1]
    if outcome[2] == "approval_required":
        return "approval_required:" + "+".join(outcome[4]["approval_sources"])
    return outcome[2]


# ------------------------------------------------------------------ tests
def test_native_and_cedar_decide_identically(db, world):
    """INV-POLICY-EQ over 2000 drawn requests (fixed seed: derandomized)."""
    su = db.su
    su.execute(ROUND)
    seen: dict[str, int] = {}

    @settings(max_examples=2000, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(req=requests(world))
    def check(req):
        key = outcome_key(compare(su, world, req))
        seen[key] = seen.get(key, 0) + 1

    check()
    drawn = dict(seen)
    # Directed requests, one per late rule and per approval source, so that coverage
    # does not hang on what the fixed seed happens to draw (each is still compared
    # across both engines). (profile attributes, operation, context, expected key)
    permissive = {"trust_level": 2, "allowed_operations": None, "blocked_operations": [], "max_locks": 50,
                  "max_claimed_tasks": 10, "max_lease_seconds": 3600, "max_file_modifications": 100,
                  "approval_operations": [], "approve_elevation": False}
    asks = {"approval_operations": ["submit_task"]}
    elevates = {"approve_elevation": True}
    approve_match = {"name": "drop_table", "severity": "approve", "exempt_trust": 3}
    block_match = {"name": "rm_rf", "severity": "block", "always": True}
    directed = [
        ({}, "submit_task", {"guardrail_matches": [block_match]}, "guardrail_blocked"),
        ({}, "submit_task", {"guardrail_matches": [{"name": "force_push", "severity": "block", "exempt_trust": 3}]},
         "guardrail_blocked"),
        ({}, "submit_task", {"network_verdict": "deny"}, "domain_denied"),
        ({}, "submit_task", {"live_locks": 60}, "limit_exceeded"),
        # one source each
        (asks, "submit_task", {}, "approval_required:profile"),
        (elevates, "force_release_lock", {}, "approval_required:elevation"),          # min_trust 3, trust 2
        (elevates, "submit_task", {"elevated": True}, "approval_required:elevation"),
        ({}, "submit_task", {"guardrail_matches": [approve_match]}, "approval_required:guardrail"),
        ({}, "submit_task", {"guardrail_matches": [{"name": "aws_key", "severity": "approve", "always": True}]},
         "approval_required:guardrail"),
        # all of them, each once, sorted
        ({**asks, **elevates}, "submit_task", {"elevated": True, "guardrail_matches": [approve_match]},
         "approval_required:elevation+guardrail+profile"),
        # deny > approval_required: every denial still wins over every source
        ({**asks, **elevates}, "submit_task", {"elevated": True, "guardrail_matches": [approve_match, block_match]},
         "guardrail_blocked"),
        (asks, "submit_task", {"network_verdict": "deny"}, "domain_denied"),
        (asks, "submit_task", {"live_locks": 60}, "limit_exceeded"),
        ({**asks, "blocked_operations": ["submit_task"]}, "submit_task", {}, "operation_blocked"),
        (asks, "submit_task", {"elevated": True}, "trust_too_low"),                   # no approve_elevation
        ({}, "force_release_lock", {}, "trust_too_low"),
        ({**elevates, "trust_level": 1}, "acquire_lock", {}, "trust_too_low"),         # min_trust 2: not elevation
        # approve matches at or above their exempt trust, and warn matches, ask for nothing
        ({"trust_level": 3}, "submit_task", {"guardrail_matches": [approve_match]}, "allowed"),
        ({}, "submit_task", {"guardrail_matches": [{"name": "rm_rf", "severity": "warn", "always": True}]},
         "allowed"),
    ]
    wrong = []
    for attrs, operation, context, expected_key in directed:
        req = {"actor": world["mutable"][0], "operation": operation, "resource": "x", "context": context,
               "profile": {**permissive, **attrs},
               "agent": {"registered": True, "status": "active", "has_profile": True}}
        key = outcome_key(compare(su, world, req))
        seen[key] = seen.get(key, 0) + 1
        if key != expected_key:
            wrong.append(f"{attrs} {operation} {to_json(context)}: {key}, expected {expected_key}")
    assert not wrong, "directed requests decided otherwise than the rules say:\n" + "\n".join(wrong)
    print(f"INV-POLICY-EQ: {sum(seen.values())} requests decided identically; outcomes {dict(sorted(seen.items()))}")
    # Not vacuous: the draws reached every rule of the native engine, and the random
    # draws alone every approval source, and approval_required often.
    reasons = {key.split(":")[0] for key in seen}
    expected = {"allowed", "unknown_operation", "not_admin", "agent_not_registered", "agent_suspended",
                "profile_unresolved", "operation_blocked", "operation_not_allowed", "trust_too_low",
                "limit_exceeded", "guardrail_blocked", "domain_denied", "approval_required"}
    assert expected <= reasons, f"reasons never reached: {sorted(expected - reasons)}; seen {seen}"
    asked = {key: n for key, n in drawn.items() if key.startswith("approval_required:")}
    sources = {s for key in asked for s in key.split(":")[1].split("+")}
    assert sources == {"elevation", "guardrail", "profile"}, f"approval sources drawn: {sorted(sources)}; {drawn}"
    assert sum(asked.values()) >= 100, f"the random draws hardly reach approval_required: {drawn}"
    assert sum(seen.values()) >= 2000


MALFORMED = [
    ({"live_locks": "many"}, "22P02"),
    ({"live_locks": 3_000_000_000}, "22003"),
    ({"claimed_tasks": 1.5}, "22P02"),
    ({"lease_seconds": "ten"}, "22P02"),
    ({"files_modified": [1]}, "22P02"),
    ({"guardrail_matches": {"severity": "block"}}, "22023"),
    ({"guardrail_matches": None}, "22023"),
    ({"guardrail_matches": [{"severity": "block", "always": "maybe"}]}, "22P02"),
    ({"guardrail_matches": [{"severity": "block", "exempt_trust": "high"}]}, "22P02"),
    ({"elevated": "sometimes"}, "22P02"),
    ({"guardrail_matches": [{"severity": "approve", "always": "maybe"}]}, "22P02"),
    ({"guardrail_matches": [{"severity": "approve", "exempt_trust": "high"}]}, "22P02"),
]


def test_malformed_facts_raise_the_same_sqlstate(module_db, shared_world):
    """A fact the native engine cannot cast raises there; Cedar raises the same SQLSTATE.

    (Cedar reads every fact before it evaluates, so it raises on a malformed fact
    even where the native engine would have denied on an earlier rule first; the
    API functions never pass malformed facts.)"""
    su = module_db.su
    role = module_db.create_role("coord_agent", prefix="eq_malformed")
    su.execute("INSERT INTO coord_private.agents (role_name, profile, status, registered_by) "
               "VALUES (%s, 'administrator', 'active', 'test')", (role,))
    wrong = []
    for context, sqlstate in MALFORMED:
        req = {"actor": role, "operation": "acquire_lock", "resource": "src/x", "context": context}
        native, cedar = decide(su, "native", req), decide(su, "cedar", req)
        if native[:2] != ("error", sqlstate) or cedar[:2] != ("error", sqlstate):
            wrong.append(f"{to_json(context)}: expected {sqlstate}; native {native}; cedar {cedar}")
    assert not wrong, "\n".join(wrong)


def test_a_policy_change_reaches_other_sessions(module_db, shared_world):
    """The parsed policy set is cached per session and reloaded when a new version is stored."""
    db = module_db
    role = db.create_role("coord_agent", prefix="eq_cache")
    db.su.execute("INSERT INTO coord_private.agents (role_name, profile, status, registered_by) "
                  "VALUES (%s, 'implementer', 'active', 'test')", (role,))
    req = {"actor": role, "operation": "register_session", "resource": "s", "context": {}}
    with db.session() as other:
        assert decide(other, "cedar", req)[1:3] == (True, "allowed")     # the other session caches version 1
        baseline = BASELINE
        admin = db.admin()
        stored = admin.call("set_cedar_policies", baseline + '\n@id("operation_blocked") @precedence("65")\n'
                            'forbid (principal, action == Action::"register_session", resource);\n',
                            "test: block register_session")
        assert stored["ok"] and stored["version"] > 1
        assert decide(other, "cedar", req)[1:3] == (False, "operation_blocked")
        assert decide(other, "native", req)[1:3] == (True, "allowed")    # the native engine never reads them
        admin.call("set_cedar_policies", baseline, "test: back to the baseline")
        assert decide(other, "cedar", req)[1:3] == (True, "allowed")


def without_policy(policies: str, marker: str) -> str:
    """The policy text without the policy whose annotations start at marker."""
    start = policies.index(marker)
    end = policies.index("};", start) + 2
    return policies[:start] + policies[end:]


MUTANT_REQUEST = {"agent": {"registered": True, "status": "active", "has_profile": True},
                  "profile": {"trust_level": 2, "allowed_operations": None, "blocked_operations": [], "max_locks": 5,
                              "max_claimed_tasks": 1, "max_lease_seconds": 600, "max_file_modifications": 10,
                              "approval_operations": ["acquire_lock"], "approve_elevation": False}}


@pytest.mark.parametrize("marker, request_part, differs", [
    # a denial missing from Cedar: it allows what the native engine denies
    ('@id("domain_denied")', {"operation": "acquire_lock", "context": {"network_verdict": "deny"}},
     r"native \(False, domain_denied\) != cedar \(False, approval_required\)"),
    # an approval source missing from Cedar: it allows what needs an approval
    ('@id("approval_required")\n@precedence("1000")\n@source("profile")', {"operation": "acquire_lock", "context": {}},
     r"native \(False, approval_required\) != cedar \(True, allowed\)"),
    # one of two sources missing: the verdicts agree, the sources do not
    ('@id("approval_required")\n@precedence("1000")\n@source("guardrail")',
     {"operation": "acquire_lock", "context": {"guardrail_matches": [{"severity": "approve", "always": True}]}},
     r"the approval sources differ"),
])
def test_the_comparison_can_fail(module_db, shared_world, marker, request_part, differs):
    """Not vacuous: with a forbid taken out of the Cedar policies, the comparison
    reports the request it now decides differently."""
    db, su = module_db, module_db.su
    su.execute("DROP FUNCTION IF EXISTS pg_temp.eq_round")
    su.execute(ROUND)
    admin = db.admin()
    admin.call("set_cedar_policies", without_policy(BASELINE, marker), "test: a mutated policy set")
    req = {"actor": shared_world["mutable"][0], "resource": "src/x", **MUTANT_REQUEST, **request_part}
    try:
        with pytest.raises(AssertionError, match=differs):
            compare(su, shared_world, req)
    finally:
        admin.call("set_cedar_policies", BASELINE, "test: back to the baseline")
    compare(su, shared_world, req)


def test_policy_files_are_the_deployed_text(module_db):
    """policies/ holds the schema and the baseline in force after a fresh deploy (they
    must not drift); version 1 is the baseline cedar_engine released."""
    assert module_db.scalar("SELECT policy_text FROM coord_private.cedar_policies WHERE version = 1") == \
        RELEASED_BASELINE
    assert module_db.scalar("SELECT policy_text FROM coord.cedar_policies WHERE is_current") == BASELINE
    assert module_db.scalar("SELECT coord_private.cedar_schema_entities()") == \
        (ROOT / "policies" / "schema.cedarschema").read_text()
