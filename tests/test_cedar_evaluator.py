"""The Cedar evaluator as a Python module (sql/plpython/cedar_evaluator.py).

The database suites judge the evaluator through coord_private.cedar_decide; here
its pure parts are imported as the module they are: the casts it applies to the
facts of p_context must be PostgreSQL's own (checked against the server, value
by value), and the probe and the policy metadata work outside the server too.
"""
from __future__ import annotations

import importlib.util
import json

import psycopg
import pytest

from .invariant_catalogue import REPO

MODULE_PATH = REPO / "sql" / "plpython" / "cedar_evaluator.py"


@pytest.fixture(scope="module")
def evaluator():
    spec = importlib.util.spec_from_file_location("pgcoord_cedar_evaluator", MODULE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def server_cast(conn: psycopg.Connection, text: str, sql_type: str):
    """PostgreSQL's cast of text to sql_type: ("ok", value) or ("error", sqlstate)."""
    try:
        with conn.transaction():
            return "ok", conn.execute(f"SELECT %s::text::{sql_type}", (text,)).fetchone()[0]
    except psycopg.Error as exc:
        return "error", exc.sqlstate


def module_cast(fn, text: str):
    try:
        return "ok", fn(text)
    except Exception as exc:  # the module's CastError carries the SQLSTATE
        return "error", getattr(exc, "sqlstate", type(exc).__name__)


INTEGERS = ["0", "42", " 7 ", "-2147483648", "2147483647", "2147483648", "+5", "1e3", "", "x", "١٢", "0x10",
            "\t-3\n", "99999999999999999999"]
BOOLEANS = ["t", "tr", "true", "TRUE", " yes ", "y", "n", "no", "on", "of", "off", "o", "1", "0", "", "2", "truex",
            "İ"]
NUMERICS = ["1.2", "-1.2", "3", " 4.0 ", "1e2", ".5", "5.", "NaN", "Infinity", "-inf", "abc", "1e131072",
            "9223372036854775807", "9223372036854775808", "-9223372036854775809"]


@pytest.fixture(scope="module")
def conn(admin_dsn):
    with psycopg.connect(admin_dsn, autocommit=True) as c:
        yield c


@pytest.mark.parametrize("text", INTEGERS)
def test_INV_POLICY_EQ_integer_facts_cast_as_postgresql_does(evaluator, conn, text):
    assert module_cast(evaluator.to_int4, text) == server_cast(conn, text, "integer")


@pytest.mark.parametrize("text", BOOLEANS)
def test_INV_POLICY_EQ_boolean_facts_cast_as_postgresql_does(evaluator, conn, text):
    assert module_cast(evaluator.to_bool, text) == server_cast(conn, text, "boolean")


@pytest.mark.parametrize("text", NUMERICS)
def test_INV_POLICY_EQ_lease_seconds_round_up_as_postgresql_does(evaluator, conn, text):
    kind, value = server_cast(conn, text, "numeric")
    if kind == "ok":
        if value.is_nan() or value > evaluator.I64_MAX:
            value = evaluator.I64_MAX
        elif value < evaluator.I64_MIN:
            value = evaluator.I64_MIN
        else:
            value = int(conn.execute("SELECT ceil(%s::numeric)", (value,)).fetchone()[0])
    assert module_cast(evaluator.ceil_long, text) == (kind, value)


def test_INV_POLICY_EQ_facts_of_a_context(evaluator):
    context = json.dumps({
        "live_locks": 3, "claimed_tasks": "2", "lease_seconds": 1.5, "files_modified": 4, "elevated": "yes",
        "network_verdict": "deny", "unrelated": [1],
        "guardrail_matches": [{"severity": "block", "exempt_trust": 2}, {"severity": "block", "exempt_trust": 3},
                              {"severity": "warn", "always": True}],
    })
    assert evaluator.facts_of(context) == {
        "live_locks": 3, "claimed_tasks": 2, "lease_seconds": 2, "files_modified": 4, "elevated": True,
        "network_verdict": "deny", "guardrail_block_exempt_trust": 3,
    }
    assert evaluator.facts_of(json.dumps({"guardrail_matches": [{"severity": "block", "always": "on"}]})) == {
        "guardrail_block_always": True}
    # INV-APPROVAL: approve matches are facts of their own, read as block matches are
    assert evaluator.facts_of(json.dumps({"guardrail_matches": [
        {"severity": "approve", "exempt_trust": "3"}, {"severity": "approve", "always": True, "exempt_trust": "x"},
        {"severity": "block", "exempt_trust": 1}, {"severity": "warn", "exempt_trust": 4}]})) == {
        "guardrail_approve_exempt_trust": 3, "guardrail_approve_always": True, "guardrail_block_exempt_trust": 1}
    assert evaluator.facts_of(None) == {} and evaluator.facts_of("[1, 2]") == {}
    with pytest.raises(evaluator.CastError) as err:
        evaluator.facts_of(json.dumps({"guardrail_matches": {"severity": "block"}}))
    assert err.value.sqlstate == "22023"


def test_probe_reports_cedarpy(evaluator):
    if evaluator.cedarpy is None:
        pytest.skip(f"cedarpy is not importable in this Python: {evaluator.CEDARPY_IMPORT_ERROR}")
    session: dict = {}
    answer = json.loads(evaluator.probe(session))
    assert answer["available"] is True and answer["cedarpy"]
    assert evaluator.probe(session) is session["probe"], "the answer is kept for the session"


def test_uses_resource_sees_scope_and_conditions(evaluator):
    if evaluator.cedarpy is None:
        pytest.skip(f"cedarpy is not importable in this Python: {evaluator.CEDARPY_IMPORT_ERROR}")
    cedarpy = evaluator.cedarpy

    def parsed(text: str) -> dict:
        return json.loads(cedarpy.policies_to_json_str(text))["staticPolicies"]

    assert not evaluator.uses_resource(parsed("permit (principal, action, resource);"))
    assert evaluator.uses_resource(parsed('permit (principal, action, resource == File::"a");'))
    assert evaluator.uses_resource(parsed('permit (principal, action, resource) when { resource == File::"a" };'))
