"""One agent's profile limits under its own concurrent transactions (INV-LIMITS), and
lease renewals that race expiry in real time (INV-LOCK-EXCL, INV-LOCK-FENCE) — changes
lease_races and task_races, issue 12.

INV-LIMITS: an agent is one LOGIN role; here it opens many connections at once (as
one agent process with a connection pool would). Every connection opens its
transaction, all of them are released together by a barrier to make one limited call
each (acquire_lock on unrelated paths, or claim_task), and no transaction commits
before every call has either returned or is seen waiting for a lock
(pg_stat_activity). Counted in separate snapshots with nothing serialising them, each
call would see none of the others' grants and all would be granted; serialised on the
agent's limit slot (coord_private.agent_limit_slots), each waits for the previous transaction's commit
and counts its grant: exactly the profile's limit is granted, the rest refused with
limit_exceeded.

Renewals: a lease expires in real time (no test clock) while its holder's renewal is
in an explicit transaction opened earlier, or waits for the line lock of another
agent's open acquire transaction. Either way the expired lease must not be revived
(lock_not_held) and its token must fail check_fence.

Every connection has a statement_timeout; every wait has a deadline: a regression
fails, it never hangs.
"""
from __future__ import annotations

import threading
import time
import traceback
from typing import Any

import psycopg
import pytest

from . import invariants as inv
from .helpers import wait_until

pytestmark = pytest.mark.race

STATEMENT_TIMEOUT = "30s"
DEADLINE = 60.0          # seconds for any one phase of a race
N_LOCK_SESSIONS = 25
N_TASKS = 10
N_CLAIM_SESSIONS = 8


def session(db, role: str, autocommit: bool = False) -> psycopg.Connection:
    """A raw connection of an agent's login role (a transaction per explicit commit)."""
    return db.session(role, autocommit=autocommit, options=f"-c statement_timeout={STATEMENT_TIMEOUT}")


def close_all(conns: list[psycopg.Connection]) -> None:
    for c in conns:
        try:
            c.cancel()
        except Exception:  # noqa: BLE001 - best effort: the connection may be gone
            pass
        c.close()


def race_in_open_transactions(db, conns: list[psycopg.Connection], calls: list[tuple[str, tuple]]) -> tuple[list[dict], dict]:
    """Run calls[i] on conns[i] (non-autocommit), each in a transaction opened before any
    call starts (a barrier releases the calls together). No transaction commits until
    every call has returned or is waiting for a lock; then each commits as soon as its
    call returned. Returns the rows and what was seen just before the first commit."""
    n = len(conns)
    pids = [c.info.backend_pid for c in conns]
    barrier = threading.Barrier(n + 1)
    may_commit = threading.Event()
    returned = [threading.Event() for _ in range(n)]
    results: list[dict | None] = [None] * n
    errors: list[str] = []

    def worker(i: int) -> None:
        conn = conns[i]
        try:
            conn.execute("SELECT 1")                 # the transaction is open (psycopg BEGINs implicitly)
            barrier.wait(DEADLINE)
            results[i] = conn.execute(*calls[i]).fetchone()
            returned[i].set()
            if not may_commit.wait(DEADLINE):
                raise TimeoutError("never allowed to commit")
            conn.commit()
        except BaseException:  # noqa: BLE001 - reported below
            errors.append(f"session {i}:\n{traceback.format_exc()}")
            returned[i].set()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    try:
        barrier.wait(DEADLINE)                       # every transaction is open
        seen: dict[str, Any] = {}

        def every_call_started() -> bool:
            waiting = db.lock_waiters(pids)
            done = [i for i in range(n) if returned[i].is_set()]
            if all(i in done or pids[i] in waiting for i in range(n)):
                seen.update(returned=len(done), waiting=len(waiting), waiting_pids=sorted(waiting))
                return True
            return False

        wait_until(every_call_started, "every call to return or wait for a lock", DEADLINE)
        # what the waiters queue on (tuple locks name the row's table)
        seen["tuple_lock_tables"] = sorted({r["rel"] for r in db.su.execute(
            """SELECT relation::regclass::text AS rel FROM pg_locks
                WHERE locktype = 'tuple' AND pid = ANY (%s)""", (pids,)).fetchall()})
    finally:
        may_commit.set()
        end = time.monotonic() + DEADLINE
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"sessions still running after {DEADLINE} s"
    assert not errors, errors[0]
    return [r for r in results if r is not None], seen


# -- INV-LIMITS: live locks ------------------------------------------------------------

def test_INV_LIMITS_concurrent_acquires_of_one_agent_hold_max_locks(module_db):
    """25 connections of one implementer (max_locks 20) each acquire an unrelated path in
    transactions all open at once: at most 20 are granted, the rest refused
    limit_exceeded, and the later calls queue on the agent's limit slot."""
    db = module_db
    role, _ = db.agent("implementer")
    max_locks = db.scalar("SELECT max_locks FROM coord_private.profiles WHERE name = 'implementer'")
    assert max_locks < N_LOCK_SESSIONS, "the race must ask for more locks than the profile allows"
    conns = [session(db, role) for _ in range(N_LOCK_SESSIONS)]
    try:
        rows, seen = race_in_open_transactions(db, conns, [
            ("SELECT ok, reason, token FROM coord.acquire_lock(%s, '10 min')", (f"par{i}/x{i}.py",))
            for i in range(N_LOCK_SESSIONS)])
    finally:
        close_all(conns)

    granted = [r for r in rows if r["ok"]]
    refused = [r for r in rows if not r["ok"]]
    assert len(rows) == N_LOCK_SESSIONS
    assert len(granted) <= max_locks, (
        f"{len(granted)} of {N_LOCK_SESSIONS} concurrent acquires of one agent were granted; its profile allows "
        f"{max_locks} (before the first commit {seen['returned']} calls had returned, {seen['waiting']} waited)")
    assert len(granted) == max_locks, f"only {len(granted)} granted: serialised calls should fill the limit exactly"
    assert {r["reason"] for r in refused} == {"limit_exceeded"}, refused
    # the calls were serialised on the agent, not merely lucky: before any commit one
    # call had returned and every other one waited, queued on the agent's limit slot
    assert seen["returned"] == 1 and seen["waiting"] == N_LOCK_SESSIONS - 1, seen
    assert "coord_private.agent_limit_slots" in seen["tuple_lock_tables"], seen

    live = db.scalar("SELECT count(*) FROM coord.live_locks WHERE holder = %s", role)
    assert live == max_locks, f"{live} live locks of {role} (limit {max_locks})"
    events = db.audit_events("acquire_lock", actor=role)
    assert len(events) == N_LOCK_SESSIONS
    assert sum(e["proceeded"] for e in events) == max_locks
    for e in events:
        if not e["proceeded"]:
            assert e["reason"] == "limit_exceeded" and e["context"]["decision"]["limit"] == "max_locks", e
            assert e["context"]["live_locks"] == max_locks, e
    inv.check(inv.inv_lock_excl(db.su), "INV-LOCK-EXCL")
    inv.check(inv.inv_lock_fence(db.su), "INV-LOCK-FENCE")
    inv.check(inv.verify_audit(db.su), "audit chain")


# -- INV-LIMITS: claimed tasks -----------------------------------------------------------

def test_INV_LIMITS_concurrent_claims_of_one_agent_hold_max_claimed_tasks(module_db):
    """10 claimable tasks; 8 connections of one implementer (max_claimed_tasks 3) each
    claim one in transactions all open at once: at most 3 are claimed, the rest refused
    limit_exceeded."""
    db = module_db
    role, client = db.agent("implementer")
    max_claimed = db.scalar("SELECT max_claimed_tasks FROM coord_private.profiles WHERE name = 'implementer'")
    assert max_claimed < N_CLAIM_SESSIONS < N_TASKS
    ids = [client.submit_task("limits.claim", f"task {k}")["task_id"] for k in range(N_TASKS)]
    conns = [session(db, role) for _ in range(N_CLAIM_SESSIONS)]
    try:
        rows, seen = race_in_open_transactions(db, conns, [
            ("SELECT ok, reason, task_id FROM coord.claim_task(ARRAY['limits.claim'], '10 min')", ())
            for _ in range(N_CLAIM_SESSIONS)])
    finally:
        close_all(conns)

    claimed = [r for r in rows if r["ok"]]
    refused = [r for r in rows if not r["ok"]]
    assert len(claimed) <= max_claimed, (
        f"{len(claimed)} of {N_CLAIM_SESSIONS} concurrent claims of one agent succeeded; its profile allows "
        f"{max_claimed} (before the first commit {seen['returned']} calls had returned, {seen['waiting']} waited)")
    assert len(claimed) == max_claimed, f"only {len(claimed)} claimed: serialised calls should fill the limit exactly"
    assert {r["reason"] for r in refused} == {"limit_exceeded"}, refused
    assert len({r["task_id"] for r in claimed}) == len(claimed) and {r["task_id"] for r in claimed} <= set(ids)

    held = db.scalar("""SELECT count(*) FROM coord_private.tasks
                         WHERE claimed_by = %s AND status = 'claimed' AND claim_expires_at > coord_private.current_time()""",
                     role)
    assert held == max_claimed, f"{held} tasks claimed by {role} (limit {max_claimed})"
    events = db.audit_events("claim_task", actor=role)
    assert sum(e["proceeded"] for e in events) == max_claimed
    assert sorted(e["reason"] for e in events if not e["proceeded"]) == ["limit_exceeded"] * (N_CLAIM_SESSIONS - max_claimed)
    inv.check(inv.inv_claim_uniq(db.su, task_type="limits.claim"), "INV-CLAIM-UNIQ")
    inv.check(inv.verify_audit(db.su), "audit chain")


# -- INV-LOCK-EXCL / INV-LOCK-FENCE: renewals racing real expiry ---------------------------

LEASE_S = 2
PAST_EXPIRY_S = 2.3


def test_INV_LOCK_FENCE_renewal_in_a_transaction_opened_before_expiry(module_db):
    """Agent A holds r2a/ for 2 s. A's second session opens a transaction while the lease
    is live and sleeps past its expiry; B takes and releases r2a/x.py; A's renewal in the
    old transaction is refused (lock_not_held) and A's token fails check_fence."""
    db, d = module_db, "r2a/"                        # a directory of this test's own
    a, ac = db.agent("implementer")
    _, bc = db.agent("implementer")
    start = time.monotonic()
    grant = ac.acquire_lock(d, LEASE_S)
    conns = [session(db, a)]
    try:
        a2 = conns[0]
        a2.execute("SELECT now()")                   # BEGIN; the lease is live
        assert a2.execute("SELECT count(*) AS n FROM coord.live_locks WHERE path = %s", (d,)).fetchone()["n"] == 1
        time.sleep(max(0.0, start + PAST_EXPIRY_S - time.monotonic()))
        taken = bc.acquire_lock(d + "x.py", 60)
        assert taken["token"] > grant["token"]
        bc.release_lock(d + "x.py")
        renewal = a2.execute("SELECT * FROM coord.renew_lock(%s, '5 s')", (d,)).fetchone()
        a2.commit()
    finally:
        close_all(conns)
    assert (renewal["ok"], renewal["reason"]) == (False, "lock_not_held"), \
        f"the expired {d} was renewed after B held {d}x.py: {renewal}"
    assert not bc.check_fence(d + "x.py", grant["token"]), "A's old token passes check_fence after B's newer grant"
    assert not bc.check_fence(d, grant["token"])
    assert db.scalar("SELECT count(*) FROM coord.live_locks WHERE path = %s", d) == 0
    inv.check(inv.inv_lock_excl(db.su), "INV-LOCK-EXCL")
    inv.check(inv.inv_lock_fence(db.su), "INV-LOCK-FENCE")


@pytest.mark.parametrize("b_releases", [True, False], ids=["b_releases", "b_keeps"])
def test_INV_LOCK_FENCE_renewal_waiting_on_the_line_while_the_lease_expires(module_db, b_releases):
    """Agent A holds r2b_*/ for 2 s. B opens a transaction whose acquire of r2b_*/x.py is
    refused (A's lease is live) but holds the line. A's renewal (autocommit) starts while the
    lease is live and waits for that line. The lease expires; B, still in its
    transaction, acquires r2b_*/x.py (granted now) and, in one variant, releases it; B
    commits. A's renewal then runs: refused with lock_not_held, A's token fails
    check_fence (a renewal judged by a time read before its wait would revive the lease)."""
    db, d = module_db, f"r2b_{'rel' if b_releases else 'keep'}/"   # a directory of this test's own
    a, ac = db.agent("implementer")
    b, _ = db.agent("implementer")
    start = time.monotonic()
    grant = ac.acquire_lock(d, LEASE_S)
    conns = [session(db, b), session(db, a, autocommit=True)]
    b_sess, a_sess = conns
    result: dict[str, Any] = {}
    try:
        first = b_sess.execute("SELECT ok, reason FROM coord.acquire_lock(%s, '1 min')", (d + "x.py",)).fetchone()
        assert (first["ok"], first["reason"]) == (False, "lock_held_by_other"), first

        def renew() -> None:
            try:
                result.update(a_sess.execute("SELECT * FROM coord.renew_lock(%s, '5 s')", (d,)).fetchone())
            except BaseException:  # noqa: BLE001 - reported below
                result["error"] = traceback.format_exc()

        t = threading.Thread(target=renew, daemon=True)
        t.start()
        pid = a_sess.info.backend_pid
        wait_until(lambda: pid in db.lock_waiters([pid]) or not t.is_alive(), f"A's renewal to wait for the {d} line",
                   deadline=5)
        assert t.is_alive(), f"A's renewal did not wait for B's line lock: {result}"
        assert db.scalar("SELECT count(*) FROM coord.live_locks WHERE path = %s", d) == 1, \
            "the lease expired before the renewal was seen waiting: the race was not exercised"
        time.sleep(max(0.0, start + PAST_EXPIRY_S - time.monotonic()))
        taken = b_sess.execute("SELECT ok, reason, token FROM coord.acquire_lock(%s, '1 min')", (d + "x.py",)).fetchone()
        assert taken["ok"], f"B was refused {d}x.py after A's lease expired: {taken}"
        if b_releases:
            assert b_sess.execute("SELECT ok FROM coord.release_lock(%s)", (d + "x.py",)).fetchone()["ok"]
        b_sess.commit()
        t.join(DEADLINE)
        assert not t.is_alive(), "A's renewal still running"
    finally:
        close_all(conns)
    assert "error" not in result, result.get("error")
    assert (result["ok"], result["reason"]) == (False, "lock_not_held"), \
        f"the renewal that waited while {d} expired and B took {d}x.py: {result}"
    with db.connect(b) as bc:
        assert not bc.check_fence(d + "x.py", grant["token"]), "A's old token passes check_fence after B's newer grant"
        assert bc.check_fence(d + "x.py", taken["token"]) is (not b_releases)
    assert db.scalar("SELECT count(*) FROM coord.live_locks WHERE path = %s", d) == 0
    inv.check(inv.inv_lock_excl(db.su), "INV-LOCK-EXCL")
    inv.check(inv.inv_lock_fence(db.su), "INV-LOCK-FENCE")


def test_INV_LIMITS_an_agents_open_transaction_does_not_stall_its_admin(module_db):
    """The limit serialisation must not reach the agents row an admin updates: while
    an agent holds a transaction open after an acquire and after a claim, a
    coord_admin suspends it and moves it to another profile at once (the red team
    saw both fail with 55P03 after 5 s when limits locked coord_private.agents)."""
    db = module_db
    role, _ = db.agent("implementer")
    admin = db.admin()
    hold = session(db, role, autocommit=False)
    try:
        hold.execute("SELECT * FROM coord.acquire_lock('adm_hold/a.py', '60 s')")
        hold.execute("SELECT * FROM coord.claim_task(ARRAY['adm_hold_none'])")
        t0 = time.monotonic()
        r1 = admin.conn.execute("SELECT * FROM coord.set_agent_status(%s, 'suspended')", (role,)).fetchone()
        r2 = admin.conn.execute("SELECT * FROM coord.set_agent_profile(%s, 'reviewer')", (role,)).fetchone()
        took = time.monotonic() - t0
        assert r1["ok"] is True and r2["ok"] is True, (r1, r2)
        assert took < 2.0, f"the admin waited {took:.1f} s for the agent's open transaction"
    finally:
        hold.rollback()
        hold.close()
