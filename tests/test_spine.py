"""The enforcement spine through real sessions: identity, policy hook, modes, reason codes, audit.

INV-TRUST, INV-BOUNDARY, INV-AUDIT-COMPLETE at the Python layer, each agent a real
login role on its own connection.
"""
from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pgcoord import errors


def audit_count(db) -> int:
    return db.scalar("SELECT count(*) FROM coord_private.audit_events")


def test_INV_TRUST_identity_is_the_session_user(db):
    role, agent = db.agent("implementer")
    assert agent.whoami().as_dict() == {"role_name": role, "registered": True, "status": "active",
                                        "profile": "implementer", "trust_level": 2}
    # nothing a client can set changes who it is
    agent.conn.execute("SELECT set_config('coord.agent', 'someone', false)")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        agent.conn.execute("SET SESSION AUTHORIZATION postgres")
    assert agent.whoami()["role_name"] == role


def test_INV_TRUST_unregistered_role_is_refused_and_audited(db):
    role = db.create_role("coord_agent")
    client = db.connect(role)
    before = audit_count(db)
    with pytest.raises(errors.NotRegistered) as refused:
        client.register_session("x")
    assert audit_count(db) == before + 1
    assert db.scalar("SELECT reason FROM coord_private.audit_events WHERE event_id = %s",
                     refused.value.event_id) == "agent_not_registered"


def test_INV_TRUST_deleted_profile_fails_closed(db):
    db.su.execute("INSERT INTO coord_private.profiles (name, trust_level) VALUES ('temp_profile', 4)")
    role, agent = db.agent("temp_profile")
    db.su.execute("DELETE FROM coord_private.profiles WHERE name = 'temp_profile'")
    with pytest.raises(errors.ProfileUnresolved):
        agent.register_session("x")


def test_suspended_agent_is_denied(db):
    role, agent = db.agent("implementer")
    admin = db.admin()
    admin.set_agent_status(role, "suspended")
    with pytest.raises(errors.Suspended):
        agent.register_session()
    admin.set_agent_status(role, "active")
    assert agent.register_session()["ok"]


@pytest.mark.parametrize("mode, proceeds", [("enforce", False), ("shadow", True), ("off", True)])
def test_modes_on_a_trust_denial(db, mode, proceeds):
    role, agent = db.agent("untrusted")
    admin = db.admin()
    admin.set_enforcement_mode(mode, f"test {mode}")
    before = audit_count(db)
    row = agent.register_session("m", raise_on_refusal=False)
    assert row["ok"] is proceeds and row["reason"] == "trust_too_low"
    assert audit_count(db) == before + 1, "INV-AUDIT-COMPLETE: exactly one event"
    ev = db.su.execute("SELECT allowed, proceeded, mode FROM coord_private.audit_events WHERE event_id = %s",
                       (row["event_id"],)).fetchone()
    assert ev == {"allowed": False, "proceeded": proceeds, "mode": mode}
    sessions = db.scalar("SELECT count(*) FROM coord_private.sessions WHERE agent = %s", role)
    assert sessions == (1 if proceeds else 0)


def test_INV_AUDIT_COMPLETE_refusal_inside_a_committed_transaction_keeps_its_event(db):
    role, agent = db.agent("untrusted")
    conn = psycopg.connect(db.role_dsn(role))
    try:
        with conn.transaction():
            row = conn.execute("SELECT * FROM coord.register_session('t')").fetchone()
        assert row[0] is False
    finally:
        conn.close()
    assert db.scalar("SELECT count(*) FROM coord_private.audit_events WHERE actor = %s AND reason = 'trust_too_low'",
                     role) == 1


def test_INV_AUDIT_COMPLETE_rolled_back_mutation_leaves_no_event(db):
    role, agent = db.agent("implementer")
    before = audit_count(db)
    conn = psycopg.connect(db.role_dsn(role))
    try:
        conn.execute("SELECT * FROM coord.register_session('rolled back')")
        conn.rollback()
    finally:
        conn.close()
    assert audit_count(db) == before
    assert db.scalar("SELECT count(*) FROM coord_private.sessions WHERE agent = %s", role) == 0


@pytest.mark.parametrize("call, exc", [
    (lambda a: a.call("register_session", None, {}), errors.NullArgument),
    (lambda a: a.register_session("x" * 201), errors.InvalidArgument),
    (lambda a: a.call("register_session", "x", Jsonb([1, 2])), errors.InvalidArgument),
    (lambda a: a.end_session("00000000-0000-0000-0000-000000000000"), errors.UnknownSession),
])
def test_bad_input_raises_typed_error_and_changes_nothing(db, call, exc):
    role, agent = db.agent("implementer")
    before = audit_count(db)
    with pytest.raises(exc) as err:
        call(agent)
    assert err.value.sqlstate.startswith("PC")
    assert audit_count(db) == before
    assert db.scalar("SELECT count(*) FROM coord_private.sessions") == 0


def test_admin_api_refuses_agents_and_bad_input(db):
    _, agent = db.agent("administrator")   # trust 4 as an agent is still not coord_admin
    with pytest.raises(errors.PermissionDenied):
        agent.set_enforcement_mode("off", "nope")
    admin = db.admin()
    with pytest.raises(errors.InvalidEnforcementMode):
        admin.set_enforcement_mode("loose", "why")
    with pytest.raises(errors.UnknownProfile):
        admin.register_agent(db.create_role("coord_agent"), "no_such_profile")
    with pytest.raises(errors.InvalidAgentRole):
        admin.register_agent(db.create_role("coord_auditor", prefix="notagent"), "implementer")
    assert db.scalar("SELECT enforcement_mode FROM coord_private.settings") == "enforce"


def test_session_of_another_agent_is_refused(db):
    _, a = db.agent("implementer")
    _, b = db.agent("implementer")
    sid = a.register_session("mine")["session_id"]
    with pytest.raises(errors.SessionNotOwned):
        b.end_session(sid)
    assert a.end_session(sid)["ok"]
