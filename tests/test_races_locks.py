"""Races on file leases with real parallel sessions (INV-LOCK-EXCL, INV-LOCK-FENCE, INV-LOCK-EXPIRY).

Every agent is its own LOGIN role with its own connection, driven by its own thread
(16 at once). Exclusivity is proven by witnesses outside the database as well as by
the database's own state and audit trail:

* an in-process registry of who holds what, updated after a grant returns and
  before the release is sent, checked on every registration (check-then-assert);
* (grant-returned, release-sent) intervals of exclusive grants on one path, which
  must not overlap;
* superuser queries while the race runs (a holder checks the table after its grant;
  a monitor thread sweeps INV-LOCK-EXCL continuously);
* the audit trail afterwards: grants' fencing tokens strictly increase in commit
  order over overlapping paths (TLA+ AcquireLock / ReleaseLock, INV-LOCK-FENCE).

Fixed seeds; each test makes thousands of calls.
"""
from __future__ import annotations

import itertools
import random
import re
import threading
import time
from collections import Counter
from typing import Any

import pytest

from . import invariants as inv
from .helpers import background, run_parallel

pytestmark = pytest.mark.race

SEED = 20261122
N_AGENTS = 16


# -- INV-LOCK-EXCL: one path ---------------------------------------------------------

ONE_PATH = "src/app/main.py"
ROUNDS_ONE_PATH = 140


def test_INV_LOCK_EXCL_sixteen_agents_one_path(db):
    """16 agents race acquire/release on one file: at any instant at most one holder."""
    agents = [db.agent("implementer") for _ in range(N_AGENTS)]
    guard = threading.Lock()
    holding: list[str] = []                   # the in-process witness
    intervals: list[tuple[float, float, int, str, int]] = []
    violations: list[str] = []
    calls: Counter[str] = Counter()

    def worker(i: int) -> None:
        role, client = agents[i]
        rng = random.Random(SEED * 100 + i)
        for _ in range(ROUNDS_ONE_PATH):
            r = client.acquire_lock(ONE_PATH, 60, raise_on_refusal=False)
            with guard:
                calls["acquire_lock"] += 1
            if not r["ok"]:
                holders = r["holders"]
                if r["reason"] != "lock_held_by_other" or len(holders) != 1 or holders[0]["holder"] == role:
                    violations.append(f"{role}: refusal {r['reason']} with holders {holders}")
                time.sleep(rng.random() * 0.002)
                continue
            granted = time.perf_counter()
            with guard:
                holding.append(role)
                if len(holding) != 1:
                    violations.append(f"{role} granted token {r['token']} while {holding[:-1]} hold {ONE_PATH}")
            if not client.check_fence(ONE_PATH, r["token"]):
                violations.append(f"{role}: check_fence false for its own live token {r['token']}")
            time.sleep(rng.random() * 0.001)
            with guard:
                holding.remove(role)
            released = time.perf_counter()
            rel = client.release_lock(ONE_PATH, raise_on_refusal=False)
            with guard:
                calls["release_lock"] += 1
                intervals.append((granted, released, r["token"], role, r["event_id"]))
            if not rel["ok"]:
                violations.append(f"{role}: release of its own live lock refused: {rel['reason']}")
            if client.check_fence(ONE_PATH, r["token"]):
                violations.append(f"{role}: check_fence still true for released token {r['token']}")

    run_parallel([lambda i=i: worker(i) for i in range(N_AGENTS)])
    inv.check(violations, "INV-LOCK-EXCL (in-process witness)")

    # Intervals between a grant returning and its release being sent never overlap.
    intervals.sort()
    for (_g1, r1, t1, a1, _), (g2, _r2, t2, a2, _) in itertools.pairwise(intervals):
        assert g2 > r1, f"{a2} (token {t2}) was granted at {g2} before {a1} (token {t1}) released at {r1}"
    assert len(intervals) >= 200, f"only {len(intervals)} grants: the race did not exercise the lock"

    # The audit trail: one event per call; grants in commit order carry increasing
    # tokens, and each grant after the first follows a release by the previous holder.
    grants = [e for e in db.audit_events("acquire_lock") if e["proceeded"]]
    releases = [e for e in db.audit_events("release_lock") if e["proceeded"]]
    assert len(db.audit_events("acquire_lock")) == calls["acquire_lock"]
    assert len(db.audit_events("release_lock")) == calls["release_lock"]
    assert {e["event_id"] for e in grants} == {iv[4] for iv in intervals}
    tokens = [int(e["context"]["token"]) for e in grants]
    assert tokens == sorted(set(tokens)), "grant tokens are not strictly increasing in commit order"
    release_ids = [(e["event_id"], e["actor"]) for e in releases]
    for prev, nxt in itertools.pairwise(grants):
        assert any(prev["event_id"] < eid < nxt["event_id"] and actor == prev["actor"] for eid, actor in release_ids), \
            f"grant event {nxt['event_id']} to {nxt['actor']} without a release by {prev['actor']} since its grant"
    inv.check(inv.inv_lock_fence(db.su), "INV-LOCK-FENCE")
    inv.check(inv.inv_lock_excl(db.su), "INV-LOCK-EXCL")
    inv.check(inv.verify_audit(db.su), "audit chain")


# -- INV-LOCK-EXCL / INV-LOCK-FENCE: overlapping files, directories and globs ------------

OVERLAP_PATHS = [
    "src/", "src/api/", "src/api/x.py", "src/api/y.py", "src/**/*.py", "src/*.py", "src/main.py",
    "src/api/**", "src/api/*.py", "src/web/", "src/web/app.js", "src/**/*.js", "docs/", "docs/guide.md",
]
# Concrete files: a pair of patterns that both cover one of these certainly overlaps.
UNIVERSE = [
    "src/main.py", "src/util.py", "src/api/x.py", "src/api/y.py", "src/api/z.js", "src/api/v1/h.py",
    "src/web/app.js", "src/web/index.html", "src/web/deep/w.py", "docs/guide.md", "docs/api/ref.md", "README.md",
]
ROUNDS_OVERLAP = 90


def _pattern_regex(p: str) -> re.Pattern[str]:
    """A reference matcher, independent of the SQL: dir/ covers its subtree; * and ? stay
    within a segment; ** spans segments."""
    if p.endswith("/"):
        return re.compile(re.escape(p) + ".*")
    segs = p.split("/")
    out = ""
    for k, s in enumerate(segs):
        last = k == len(segs) - 1
        if s == "**":
            out += ".*" if last else "(?:.*/)?"
            continue
        out += "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in s)
        out += "" if last else "/"
    return re.compile(out)


def test_INV_LOCK_EXCL_overlapping_directory_and_glob_races(db):
    """16 agents race on overlapping files, directories and globs (both modes): no two
    conflicting live grants ever coexist, and overlapping grants' tokens increase."""
    overlap = inv.overlap_matrix(db.su, OVERLAP_PATHS)
    # The database's overlap relation never misses a real overlap (a common concrete file).
    for a in OVERLAP_PATHS:
        for b in OVERLAP_PATHS:
            common = [f for f in UNIVERSE if _pattern_regex(a).fullmatch(f) and _pattern_regex(b).fullmatch(f)]
            if common:
                assert overlap[(a, b)], f"paths_overlap({a!r}, {b!r}) is false, but both cover {common[0]!r}"
    assert sum(overlap.values()) > len(OVERLAP_PATHS) * 3, "the path set barely overlaps"

    agents = [db.agent("implementer") for _ in range(N_AGENTS)]
    guard = threading.Lock()
    held: dict[str, list[tuple[str, str, int]]] = {role: [] for role, _ in agents}   # witness
    violations: list[str] = []
    calls: Counter[str] = Counter()
    stop = threading.Event()
    sweeps = [0]

    def conflicts(p: str, m: str, q: str, n: str) -> bool:
        return overlap[(p, q)] and (m == "exclusive" or n == "exclusive")

    def monitor() -> None:
        with db.session() as su:
            while not stop.is_set():
                violations.extend(f"monitor: {v}" for v in inv.inv_lock_excl(su))
                sweeps[0] += 1
                time.sleep(0.01)

    def worker(i: int) -> None:
        role, client = agents[i]
        rng = random.Random(SEED * 1000 + i)
        with db.session() as su:
            for _ in range(ROUNDS_OVERLAP):
                mine: list[tuple[str, str, int]] = []
                for path in rng.sample(OVERLAP_PATHS, 2 if rng.random() < 0.3 else 1):
                    mode = "shared" if rng.random() < 0.2 else "exclusive"
                    r = client.acquire_lock(path, 60, mode, raise_on_refusal=False)
                    with guard:
                        calls["acquire_lock"] += 1
                    if not r["ok"]:
                        hs = r["holders"]
                        if r["reason"] != "lock_held_by_other" or not hs:
                            violations.append(f"{role}: {mode} {path!r} refused {r['reason']} with holders {hs}")
                        for h in hs:
                            if h["holder"] == role or not conflicts(path, mode, h["path"], h["mode"]):
                                violations.append(f"{role}: {mode} {path!r} refused because of {h}")
                        continue
                    # External check: the table, read by a superuser right after the grant.
                    rows = su.execute(
                        """SELECT path, mode, holder, token FROM coord_private.locks
                            WHERE expires_at > coord_private.current_time()
                              AND (holder <> %(me)s AND coord_private.paths_overlap(path, %(p)s)
                                   AND (mode = 'exclusive' OR %(m)s = 'exclusive')
                                   OR holder = %(me)s AND path = %(p)s)""",
                        {"me": role, "p": path, "m": mode}).fetchall()
                    others = [x for x in rows if x["holder"] != role]
                    if others or [x["token"] for x in rows] != [r["token"]]:
                        violations.append(f"{role}: after its {mode} grant of {path!r} (token {r['token']}) the table has {rows}")
                    with guard:
                        for other, locks in held.items():
                            for (q, n, tok) in locks:
                                if other != role and conflicts(path, mode, q, n):
                                    violations.append(f"{role} granted {mode} {path!r} (token {r['token']}) while "
                                                      f"{other} holds {n} {q!r} (token {tok})")
                        held[role].append((path, mode, r["token"]))
                    mine.append((path, mode, r["token"]))
                time.sleep(rng.random() * 0.002)
                with guard:
                    held[role].clear()
                for path, _mode, _tok in mine:
                    rel = client.release_lock(path, raise_on_refusal=False)
                    with guard:
                        calls["release_lock"] += 1
                    if not rel["ok"]:
                        violations.append(f"{role}: release of its live {path!r} refused: {rel['reason']}")

    with background(stop, monitor):
        run_parallel([lambda i=i: worker(i) for i in range(N_AGENTS)])
    inv.check(violations, "INV-LOCK-EXCL (witnesses)")
    assert sweeps[0] >= 10, "the monitor barely ran"

    acquires = db.audit_events("acquire_lock")
    grants = [e for e in acquires if e["proceeded"]]
    assert len(acquires) == calls["acquire_lock"]
    assert len(db.audit_events("release_lock")) == calls["release_lock"]
    assert len(grants) >= 300 and len(grants) < len(acquires), \
        f"{len(grants)} grants of {len(acquires)} requests: the race was not contended"
    # Final sweep, and fencing over every overlapping pair in commit order.
    inv.check(inv.inv_lock_excl(db.su), "INV-LOCK-EXCL (final sweep)")
    inv.check(inv.inv_lock_fence(db.su), "INV-LOCK-FENCE")
    inv.check(inv.inv_lock_expiry(db.su), "INV-LOCK-EXPIRY")
    inv.check(inv.verify_audit(db.su), "audit chain")


# -- INV-LOCK-EXPIRY / INV-LOCK-FENCE: holders whose lease expired are fenced out ------------

EXPIRY_ROUNDS = 90
EXPIRY_TTL = 30


def test_INV_LOCK_EXPIRY_expired_holder_is_fenced_out(db):
    """Rounds of 16 agents racing for one lease; pgcoord's clock then jumps past the TTL.
    In the next round the previous winner's renew, release and fence check race the new
    acquisitions: all refuse or answer false, whatever the order, and exactly one new
    agent wins. Paths alternate between a file and its directory, so expired rows of the
    other spelling stay in the table and must be ignored (no background job)."""
    agents = [db.agent("implementer") for _ in range(N_AGENTS)]
    violations: list[str] = []
    winners: list[tuple[int, str, str, int]] = []
    calls: Counter[str] = Counter()
    guard = threading.Lock()
    barrier = threading.Barrier(N_AGENTS)
    state: dict[str, tuple[int, str, int] | None] = {"prev": None}   # (agent index, path, token)

    def worker(i: int) -> None:
        role, client = agents[i]
        rng = random.Random(SEED * 7 + i)
        for rnd in range(EXPIRY_ROUNDS):
            path = "data/store.db" if rnd % 2 == 0 else "data/"
            p = state["prev"]
            if p is not None and p[0] == i:
                _, old_path, old_token = p
                # the stale holder, racing the new acquisitions below
                for op in rng.sample(["renew", "release", "fence"], 3):
                    if op == "renew":
                        r = client.renew_lock(old_path, 30, raise_on_refusal=False)
                    elif op == "release":
                        r = client.release_lock(old_path, raise_on_refusal=False)
                    else:
                        if client.check_fence(old_path, old_token) or client.check_fence("data/store.db", old_token):
                            violations.append(f"round {rnd}: check_fence true for expired token {old_token}")
                        continue
                    with guard:
                        calls[op + "_lock"] += 1
                    if r["ok"] or r["reason"] != "lock_not_held":
                        violations.append(f"round {rnd}: stale {op} of {old_path!r} by {role}: {r}")
            else:
                time.sleep(rng.random() * 0.001)
            r = client.acquire_lock(path, EXPIRY_TTL, raise_on_refusal=False)
            with guard:
                calls["acquire_lock"] += 1
                if r["ok"]:
                    winners.append((rnd, role, path, r["token"]))
                elif r["reason"] != "lock_held_by_other":
                    violations.append(f"round {rnd}: {role} refused {r['reason']}")
            if r["ok"]:
                if not client.check_fence("data/store.db", r["token"]):
                    violations.append(f"round {rnd}: winner's fence check false")
            barrier.wait()
            if i == 0:
                won = [w for w in winners if w[0] == rnd]
                if len(won) != 1:
                    violations.append(f"round {rnd}: {len(won)} winners {won}")
                else:
                    state["prev"] = (next(k for k, (ro, _) in enumerate(agents) if ro == won[0][1]), won[0][2], won[0][3])
                inv_rows = inv.inv_lock_expiry(db.su) + inv.inv_lock_excl(db.su)
                violations.extend(f"round {rnd}: {v}" for v in inv_rows)
                db.advance_clock(EXPIRY_TTL + 1)
            barrier.wait()

    run_parallel([lambda i=i: worker(i) for i in range(N_AGENTS)], timeout=240)
    inv.check(violations, "INV-LOCK-EXPIRY")
    assert len(winners) == EXPIRY_ROUNDS
    tokens = [w[3] for w in sorted(winners)]
    assert tokens == sorted(set(tokens)), "INV-LOCK-FENCE: round winners' tokens do not increase"
    assert sum(calls.values()) >= EXPIRY_ROUNDS * N_AGENTS
    assert len(db.audit_events("acquire_lock")) == calls["acquire_lock"]
    assert len(db.audit_events("renew_lock")) == calls["renew_lock"]
    assert len(db.audit_events("release_lock")) == calls["release_lock"]
    # the expired rows of the other spelling were never reaped, yet never counted
    assert db.scalar("SELECT count(*) FROM coord_private.locks WHERE expires_at <= coord_private.current_time()") >= 1
    inv.check(inv.inv_lock_fence(db.su), "INV-LOCK-FENCE")
    inv.check(inv.verify_audit(db.su), "audit chain")


# -- INV-LOCK-EXCL / INV-LOCK-EXPIRY: a renewal in flight when the lease expires ------------

@pytest.mark.parametrize("held, wanted", [("src/", "src/api/x.py"), ("lib/x.py", "lib/x.py")],
                         ids=["directory_vs_file", "same_file"])
def test_INV_LOCK_EXCL_renewal_in_flight_at_expiry_vs_takeover(db, held, wanted):
    """TLA+ RenewLock against AcquireLock at the instant a lease expires. The holder's
    renewal starts (its transaction) while the lease is live; before it commits, the
    clock passes the expiry and another agent acquires an overlapping path. Whatever the
    order, the two must not both end up holding live exclusive leases: either the
    takeover is refused or the renewal is.

    The renewal runs in an explicit READ COMMITTED transaction (as any client may call
    coord.renew_lock) so that the interleaving is deterministic; in autocommit the same
    interleaving needs the takeover to fall between the renewal's row read and its commit.
    """
    holder, hc = db.agent("implementer")
    taker, tc = db.agent("implementer")
    assert hc.acquire_lock(held, 10)["ok"]
    db.advance_clock(9)                                   # one second of the lease left
    with db.session(holder, autocommit=False) as raw:
        renewal = raw.execute("SELECT * FROM coord.renew_lock(%s, '30 seconds')", (held,)).fetchone()
        db.advance_clock(2)                               # the lease has now expired
        result: dict[str, Any] = {}
        t = threading.Thread(target=lambda: result.update(tc.acquire_lock(wanted, 30, raise_on_refusal=False)),
                             daemon=True)
        t.start()
        t.join(2)                                         # the takeover may wait for the renewal's row lock
        raw.commit()
    t.join(30)
    assert not t.is_alive()
    both = renewal["ok"] and result["ok"]
    inv.check(inv.inv_lock_excl(db.su), "INV-LOCK-EXCL")
    assert not both, f"renewal {renewal} and takeover {result} both succeeded"
