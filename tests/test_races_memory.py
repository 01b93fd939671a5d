"""Memory under real concurrency (change memory, issue 15; INV-AUDIT-COMPLETE, INV-RLS).

Deduplication: 16 agents, each its own LOGIN role and connection, remember the same
(event type, summary) at once. In the deterministic race every connection opens its
transaction first, a barrier releases the 16 calls together, and no transaction commits
before every call has either returned or is seen waiting for a lock (pg_stat_activity):
had the calls looked the key up in separate snapshots with nothing serialising them,
each would have found no memory and written its own. Serialised on the key's row of
coord_private.memory_lines, each waits for the previous commit and finds the memory:
exactly one row, seen 16 times by the 16 agents, one returned deduplicated = false, one
audit event per call, each naming that memory. A free-running race (autocommit, rounds
released by a barrier) must end the same way. The seeded defects show what the lock
and the UNIQUE constraint each do: without the lock the constraint turns the race into
unique violations (23505) the agents see; without both, sixteen copies.

Procedural memory: 16 connections of one agent (one row, INSERT ... ON CONFLICT DO
UPDATE serialising on it) and 16 agents (16 rows) record outcomes at once: attempts and
successes are exact. Working memory: 16 connections of one agent fill one session at
once: the 100-key bound holds (writes of a session serialise on its row).

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

from .helpers import run_parallel, wait_until

pytestmark = pytest.mark.race

STATEMENT_TIMEOUT = "30s"
DEADLINE = 60.0
N_AGENTS = 16
REMEMBER = "SELECT ok, reason, memory_id, deduplicated, event_id FROM coord.remember(%s, %s)"


def session(db, role: str, autocommit: bool = False) -> psycopg.Connection:
    return db.session(role, autocommit=autocommit, options=f"-c statement_timeout={STATEMENT_TIMEOUT}")


def close_all(conns: list[psycopg.Connection]) -> None:
    for c in conns:
        try:
            c.cancel()
        except Exception:  # noqa: BLE001 - best effort: the connection may be gone
            pass
        c.close()


def race_in_open_transactions(db, conns: list[psycopg.Connection], call: tuple[str, tuple]
                              ) -> tuple[list[dict | None], list[str], dict[str, Any]]:
    """Run ``call`` on every connection, each in a transaction opened before any call
    starts (a barrier releases them together); no transaction commits until every call
    has returned or waits for a lock, then each commits as soon as its call returned.
    Returns the rows (None for a failed call), the errors, and what was seen before the
    first commit."""
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
            conn.execute("SELECT 1")                 # the transaction is open
            barrier.wait(DEADLINE)
            try:
                results[i] = conn.execute(*call).fetchone()
            finally:
                returned[i].set()
            if not may_commit.wait(DEADLINE):
                raise TimeoutError("never allowed to commit")
            conn.commit()
        except psycopg.Error as exc:
            conn.rollback()
            errors.append(f"{exc.sqlstate}")
        except BaseException:  # noqa: BLE001 - reported below
            errors.append(f"session {i}:\n{traceback.format_exc()}")
            returned[i].set()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    seen: dict[str, Any] = {}
    try:
        barrier.wait(DEADLINE)

        def every_call_started() -> bool:
            waiting = db.lock_waiters(pids)
            done = [i for i in range(n) if returned[i].is_set()]
            if all(i in done or pids[i] in waiting for i in range(n)):
                seen.update(returned=len(done), waiting=len(waiting))
                return True
            return False

        wait_until(every_call_started, "every call to return or wait for a lock", DEADLINE)
        seen["tuple_lock_tables"] = sorted({r["rel"] for r in db.su.execute(
            """SELECT relation::regclass::text AS rel FROM pg_locks
                WHERE locktype = 'tuple' AND pid = ANY (%s)""", (pids,)).fetchall()})
    finally:
        may_commit.set()
        end = time.monotonic() + DEADLINE
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"sessions still running after {DEADLINE} s"
    return results, errors, seen


def agents(db, n: int = N_AGENTS, profile: str = "implementer") -> list[str]:
    roles = []
    for _ in range(n):
        role = db.create_role("coord_agent")
        db.su.execute("SELECT coord.register_agent(%s, %s)", (role, profile))
        roles.append(role)
    return roles


def memories_of(db, summary: str) -> list[dict]:
    return db.su.execute(
        """SELECT memory_id, agent, seen_count, seen_by, recurrence FROM coord_private.memories
            WHERE summary_digest = coord_private.memory_summary_digest(%s) ORDER BY memory_id""", (summary,)).fetchall()


# -- deduplication ----------------------------------------------------------------------

def test_INV_AUDIT_COMPLETE_sixteen_agents_remembering_one_event_at_once_leave_one_memory(module_db):
    """16 agents remember the same event in transactions all open at once: one memory,
    seen 16 times by all of them; the later calls queued on the key's memory line; one
    event per call, each naming the memory, exactly one of them not a duplicate."""
    db = module_db
    roles = agents(db)
    summary = "CI: the parser suite timed out on the shared runner"
    conns = [session(db, r) for r in roles]
    try:
        rows, errors, seen = race_in_open_transactions(db, conns, (REMEMBER, ("test_failure", summary)))
    finally:
        close_all(conns)
    assert not errors, errors
    assert all(r["ok"] and r["reason"] == "allowed" for r in rows), rows
    assert len({r["memory_id"] for r in rows}) == 1, "every agent got the same memory"
    assert sorted(r["deduplicated"] for r in rows) == [False] + [True] * (N_AGENTS - 1)
    assert seen["waiting"] >= 1 and "coord_private.memory_lines" in seen["tuple_lock_tables"], seen

    [memory] = memories_of(db, summary)
    assert memory["seen_count"] == N_AGENTS and sorted(memory["seen_by"]) == sorted(roles)
    assert memory["recurrence"] == 1
    events = [e for e in db.audit_events("remember") if e["actor"] in roles]
    assert sorted(e["event_id"] for e in events) == sorted(r["event_id"] for r in rows), \
        "INV-AUDIT-COMPLETE: one event per call, the one each call returned"
    assert {e["resource"] for e in events} == {str(memory["memory_id"])}
    assert sorted(e["context"]["deduplicated"] for e in events) == [False] + [True] * (N_AGENTS - 1)
    creator = next(e["actor"] for e in events if not e["context"]["deduplicated"])
    assert memory["agent"] == creator, "the author is the agent whose call wrote the memory"


def test_sixteen_agents_remembering_in_free_running_rounds_leave_one_memory_per_round(module_db):
    """Autocommit, 8 rounds of 16 agents released together by a barrier, one summary per
    round: one memory per round, seen 16 times."""
    db = module_db
    roles = agents(db)
    conns = [session(db, r, autocommit=True) for r in roles]
    try:
        for rnd in range(8):
            summary = f"round {rnd}: the migration lock wait exceeded 5 s"
            rows = run_parallel([lambda c=c, s=summary: c.execute(REMEMBER, ("migration", s)).fetchone() for c in conns])
            assert all(r["ok"] for r in rows), rows
            assert len({r["memory_id"] for r in rows}) == 1, (rnd, rows)
            [memory] = memories_of(db, summary)
            assert memory["seen_count"] == N_AGENTS, (rnd, memory)
    finally:
        close_all(conns)


def _remember_without_the_line_lock(db, drop_constraint: bool) -> None:
    """Seed the defect: coord.remember without its FOR UPDATE on coord_private.memory_lines
    (and, if asked, without the UNIQUE constraint behind it)."""
    src = db.scalar("SELECT pg_get_functiondef('coord.remember(text, text, jsonb, text, text[], text[])'::regprocedure)")
    lock = "PERFORM 1 FROM coord_private.memory_lines l WHERE l.line = coord_private.memory_line(v_type, v_digest) FOR UPDATE;"
    assert lock in src
    db.su.execute(src.replace(lock, "-- (seeded defect: no line lock)"))
    if drop_constraint:
        db.su.execute("ALTER TABLE coord_private.memories DROP CONSTRAINT memories_one_per_window")


@pytest.mark.parametrize("drop_constraint", [False, True], ids=["lock removed", "lock and constraint removed"])
def test_the_same_race_without_the_line_lock_fails(db, drop_constraint):
    """The race above against seeded defects: without the line lock every call looks the
    key up before any commits, finds nothing and inserts: the UNIQUE constraint turns
    that into unique violations (23505) the agents see, and without it sixteen copies."""
    _remember_without_the_line_lock(db, drop_constraint)
    roles = agents(db)
    summary = "CI: the parser suite timed out on the shared runner"
    conns = [session(db, r) for r in roles]
    try:
        rows, errors, _ = race_in_open_transactions(db, conns, (REMEMBER, ("test_failure", summary)))
    finally:
        close_all(conns)
    if drop_constraint:
        assert not errors, errors
        assert len(memories_of(db, summary)) == N_AGENTS, "without lock and constraint: one copy per agent"
    else:
        assert errors and set(errors) == {"23505"}, errors
        assert len(memories_of(db, summary)) == 1
        assert sum(r is not None for r in rows) == N_AGENTS - len(errors)


# -- procedural memory --------------------------------------------------------------------

def test_skill_counters_are_exact_under_sixteen_sessions(module_db):
    """16 connections of one agent (one row) and 16 agents (16 rows) record 12 outcomes
    each at once, every third a failure: attempts and successes are exact."""
    db = module_db
    role, _ = db.agent("implementer")
    roles = agents(db)
    one = [session(db, role, autocommit=True) for _ in range(N_AGENTS)]
    many = [session(db, r, autocommit=True) for r in roles]
    k = 12

    def record(conn: psycopg.Connection, skill: str) -> int:
        ok = 0
        for j in range(k):
            row = conn.execute("SELECT ok FROM coord.record_skill_outcome(%s, %s)", (skill, j % 3 != 0)).fetchone()
            ok += bool(row["ok"])
        return ok

    try:
        done = run_parallel([lambda c=c: record(c, "race:one-agent") for c in one]
                            + [lambda c=c: record(c, "race:many-agents") for c in many])
    finally:
        close_all(one + many)
    assert done == [k] * (2 * N_AGENTS)
    with db.session(roles[0]) as c:
        got = {r["skill"]: r for r in c.execute("SELECT * FROM coord.skills('race:')").fetchall()}
    expected_successes = N_AGENTS * sum(j % 3 != 0 for j in range(k))
    assert (got["race:one-agent"]["attempts"], got["race:one-agent"]["successes"], got["race:one-agent"]["agents"]) == \
        (N_AGENTS * k, expected_successes, 1)
    assert (got["race:many-agents"]["attempts"], got["race:many-agents"]["successes"], got["race:many-agents"]["agents"]) == \
        (N_AGENTS * k, expected_successes, N_AGENTS)
    assert len(db.audit_events("record_skill_outcome", role)) == N_AGENTS * k, "INV-AUDIT-COMPLETE: one event per outcome"


# -- working memory -----------------------------------------------------------------------

def test_INV_RLS_working_memory_key_bound_holds_under_sixteen_writers_of_one_session(module_db):
    """16 connections of one agent add 10 new keys each to one session at once: exactly
    100 are written, the other 60 refused with PC002; the session holds 100 keys."""
    db = module_db
    role, _ = db.agent("implementer")
    with db.session(role) as c:
        sid = c.execute("SELECT session_id FROM coord.register_session('race')").fetchone()["session_id"]
    conns = [session(db, role, autocommit=True) for _ in range(N_AGENTS)]

    def fill(i: int, conn: psycopg.Connection) -> tuple[int, int]:
        written = refused = 0
        for j in range(10):
            try:
                conn.execute("SELECT * FROM coord.set_working_memory(%s, %s, '1')", (sid, f"k{i}.{j}"))
                written += 1
            except psycopg.Error as exc:
                assert exc.sqlstate == "PC002", exc
                refused += 1
        return written, refused

    try:
        tallies = run_parallel([lambda i=i, c=c: fill(i, c) for i, c in enumerate(conns)])
    finally:
        close_all(conns)
    assert sum(w for w, _ in tallies) == 100 and sum(r for _, r in tallies) == 10 * N_AGENTS - 100
    assert db.scalar("SELECT count(*) FROM coord_private.working_memory WHERE session_id = %s", sid) == 100
    with db.session(role) as c:
        assert len(c.execute("SELECT * FROM coord.get_working_memory(%s)", (sid,)).fetchall()) == 100
