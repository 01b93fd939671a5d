"""Races on liveness (sql/deploy/liveness.sql): what a lost lease is recorded as, under
real parallel sessions (INV-LOCK-EXPIRY, INV-RLS, INV-AUDIT-COMPLETE).

A lease's loss is recorded by a trigger from who deleted it and whether it had expired.
Here the deletions race: a holder's release against an orchestrator's forced release of
the same lease, and several agents' acquires taking over the same expired lease. Each
lease must be recorded lost exactly once, with the cause of the deletion that actually
happened (the one whose call says it removed the row), and only its holder sees it.
"""
from __future__ import annotations

import json
import threading
from collections import Counter

import psycopg
import pytest
from psycopg import sql

from .helpers import run_parallel

pytestmark = pytest.mark.race

N = 16


def losses(db, role: str) -> list[dict]:
    with db.session(role) as s:
        return s.execute("SELECT * FROM coord.lease_status() WHERE kind = 'lease' AND state = 'lost'").fetchall()


def test_INV_LOCK_EXPIRY_release_against_force_release_records_the_winner_once(db):
    """16 holders release their lease while an orchestrator force-releases each at the
    same instant: whichever deleted the row names the cause (released / force_released),
    recorded once; the holder is told on its channel exactly when it was force-released."""
    holders = [db.agent() for _ in range(N)]
    leads = [db.agent("orchestrator") for _ in range(N)]
    channels = {}
    for i, (role, c) in enumerate(holders):
        c.acquire_lock(f"race/{i}/", 600)
        channels[role] = c.heartbeat().channel
    listeners = {}
    for role, _ in holders:
        conn = psycopg.connect(db.role_dsn(role), autocommit=True)
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channels[role])))
        listeners[role] = conn
    outcome: dict[int, dict] = {}
    guard = threading.Lock()

    def release(i: int) -> None:
        r = holders[i][1].release_lock(f"race/{i}/", raise_on_refusal=False)
        with guard:
            outcome.setdefault(i, {})["release"] = r

    def force(i: int) -> None:
        r = leads[i][1].force_release_lock(f"race/{i}/", "race", raise_on_refusal=False)
        with guard:
            outcome.setdefault(i, {})["force"] = r

    try:
        run_parallel([lambda i=i: release(i) for i in range(N)] + [lambda i=i: force(i) for i in range(N)])
        winners = Counter()
        for i, (role, _) in enumerate(holders):
            released_by_holder = outcome[i]["release"]["ok"]
            forced = [h for h in (outcome[i]["force"]["released"] or ()) if h["holder"] == role]
            assert released_by_holder != bool(forced), (i, outcome[i])     # exactly one of them deleted the row
            expected = "released" if released_by_holder else "force_released"
            winners[expected] += 1
            lost = losses(db, role)
            assert [(x["path"], x["cause"]) for x in lost] == [(f"race/{i}/", expected)], lost
            heard = [json.loads(n.payload) for n in listeners[role].notifies(timeout=1 if forced else 0.3)]
            assert [(h["cause"], h["path"]) for h in heard] == ([("force_released", f"race/{i}/")] if forced else [])
            # INV-RLS: nobody else sees this agent's loss
            other = holders[(i + 1) % N][0]
            assert all(x["path"] != f"race/{i}/" for x in losses(db, other))
        assert sum(winners.values()) == N
    finally:
        for conn in listeners.values():
            conn.close()


def test_INV_LOCK_EXPIRY_an_expired_lease_taken_over_by_racing_acquirers_is_lost_once(db):
    """16 expired leases, each contested by two agents acquiring overlapping paths at
    once (the lease's own path, a file under it): one acquire per lease wins, and each
    lease is shown lost exactly once: taken_over when the winner took its very path (the
    acquire tidies the expired row away), else expired (the row is still there, past
    its expiry, and covers nothing)."""
    holders = [db.agent() for _ in range(N)]
    takers = [db.agent() for _ in range(2 * N)]
    for i, (_, c) in enumerate(holders):
        c.acquire_lock(f"expire/{i}/", 60)
    db.advance_clock(61)
    results: dict[int, list] = {i: [] for i in range(N)}
    guard = threading.Lock()

    def take(k: int) -> None:
        i = k % N
        path = f"expire/{i}/" if k < N else f"expire/{i}/file.py"
        r = takers[k][1].acquire_lock(path, 600, raise_on_refusal=False)
        with guard:
            results[i].append(r)

    run_parallel([lambda k=k: take(k) for k in range(2 * N)])
    causes = Counter()
    for i, (role, _) in enumerate(holders):
        assert sum(1 for r in results[i] if r["ok"]) == 1, results[i]
        same_path_won = any(r["ok"] and r["path"] == f"expire/{i}/" for r in results[i])
        lost = losses(db, role)
        expected = "taken_over" if same_path_won else "expired"
        assert [(x["path"], x["cause"]) for x in lost] == [(f"expire/{i}/", expected)], (lost, results[i])
        causes[expected] += 1
    assert causes["taken_over"] > 0, causes
    # every decision was audited: 2N acquires, each exactly one event
    assert len([e for e in db.audit_events("acquire_lock") if e["actor"] in {t[0] for t in takers}]) == 2 * N


def test_INV_AUDIT_COMPLETE_concurrent_heartbeats_of_one_agent(db):
    """8 sessions of one agent beat at once: every call is audited, one liveness row,
    whose status is one of the reported ones."""
    role, _ = db.agent()
    clients = [db.connect(role) for _ in range(8)]
    statuses = ["active", "idle", "busy", "active", "idle", "busy", "active", "busy"]
    beats = run_parallel([lambda c=c, s=s: c.heartbeat(s, [s]) for c, s in zip(clients, statuses, strict=True)])
    assert all(b.ok for b in beats)
    assert len(db.audit_events("heartbeat", role)) == 8
    rows = db.su.execute("SELECT * FROM coord_private.agent_liveness WHERE role_name = %s", (role,)).fetchall()
    assert len(rows) == 1
    (seen,) = [a for a in clients[0].discover_agents() if a.role_name == role]
    assert seen.liveness == "live" and seen.reported_status in set(statuses)
    assert list(seen.capabilities) == [seen.reported_status]           # the last writer's status and capabilities
    for c in clients:
        c.close()
