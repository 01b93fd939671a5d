"""INV-AUDIT-COMPLETE and INV-AUDIT-IMMUTABLE with real concurrent sessions."""
from __future__ import annotations

import psycopg
import pytest

from pgcoord import errors

from .helpers import run_parallel


def test_INV_AUDIT_COMPLETE_concurrent_writers_each_get_exactly_one_event_and_the_trail_verifies(db):
    agents = [db.agent("implementer") for _ in range(16)]
    calls = 40

    def work(client):
        for i in range(calls):
            client.register_session(f"s{i}")

    before = db.scalar("SELECT count(*) FROM coord_private.audit_events")
    run_parallel([lambda c=c: work(c) for _, c in agents])
    assert db.scalar("SELECT count(*) FROM coord_private.audit_events") == before + 16 * calls
    per_agent = db.su.execute(
        "SELECT actor, count(*) AS n FROM coord_private.audit_events WHERE operation = 'register_session' "
        "GROUP BY actor").fetchall()
    assert sorted(r["n"] for r in per_agent) == [calls] * 16
    assert db.scalar("SELECT count(*) FROM coord_private.sessions") == 16 * calls
    auditor = db.auditor()
    v = auditor.verify_audit()
    assert v["ok"], v
    assert v["chains_checked"] >= 16, "each backend writes its own chain"


@pytest.mark.parametrize("statement", [
    "UPDATE coord_private.audit_events SET reason = 'allowed'",
    "DELETE FROM coord_private.audit_events",
    "TRUNCATE coord_private.audit_events",
    "UPDATE coord.audit_trail SET reason = 'allowed'",
])
def test_INV_AUDIT_IMMUTABLE_no_pgcoord_role_can_change_the_trail(db, statement):
    _, agent = db.agent("administrator")
    agent.register_session("x")
    admin, auditor = db.admin(), db.auditor()
    for client in (agent, admin, auditor):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            client.conn.execute(statement)
    # the owner itself is stopped by the triggers
    with db.su.transaction():
        db.su.execute("SET LOCAL ROLE coord_owner")
        if "coord.audit_trail" not in statement:
            with pytest.raises(psycopg.Error) as err:
                with db.su.transaction():
                    db.su.execute(statement)
            assert err.value.diag.sqlstate == "PC009"


def test_INV_AUDIT_IMMUTABLE_superuser_rewriting_a_whole_chain_is_caught_by_an_exported_digest(db):
    _, agent = db.agent("implementer")
    for i in range(5):
        agent.register_session(f"s{i}")
    auditor = db.auditor()
    digest = auditor.audit_digest()           # kept outside the database
    chain = db.scalar("SELECT chain_id FROM coord_private.audit_events WHERE actor <> 'postgres' LIMIT 1")
    # a superuser rewrites history and recomputes every hash of the chain and its head
    with db.su.transaction():
        db.su.execute("SET LOCAL session_replication_role = replica")
        db.su.execute("UPDATE coord_private.audit_events SET resource = 'rewritten' WHERE chain_id = %s", (chain,))
        rows = db.su.execute("SELECT event_id, seq FROM coord_private.audit_events WHERE chain_id = %s ORDER BY seq",
                             (chain,)).fetchall()
        prev = db.scalar("SELECT coord_private.audit_genesis(%s)", chain)
        for r in rows:
            new = db.su.execute(
                "UPDATE coord_private.audit_events e SET prev_hash = %s, hash = coord_private.audit_event_hash("
                "%s, chain_id, seq, occurred_at, actor, operation, resource, allowed, proceeded, reason, engine, mode,"
                " context) WHERE event_id = %s RETURNING hash", (prev, prev, r["event_id"])).fetchone()["hash"]
            prev = new
        db.su.execute("UPDATE coord_private.audit_chain_heads SET head_hash = %s WHERE chain_id = %s", (prev, chain))
    assert auditor.verify_audit()["ok"], "a consistent rewrite passes the internal check..."
    result = auditor.verify_audit_digest(digest)
    assert not result["ok"] and result["first_bad_chain"] == chain, "...and is caught by the exported digest"
    with pytest.raises(errors.InvalidDigest):
        tampered = dict(digest, chains={**digest["chains"], str(chain): {"seq": 1, "hash": "00" * 32}})
        auditor.verify_audit_digest(tampered)
