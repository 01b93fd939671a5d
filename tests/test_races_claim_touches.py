"""Conflict-aware claims under real concurrency (INV-CLAIM-TOUCH, INV-LOCK-EXCL,
INV-LOCK-FENCE, INV-CLAIM-UNIQ; change claim_touches, issue 15).

16 agents, each its own LOGIN role and connection on its own thread, released together
by a barrier, for a few seconds: they submit tasks that touch 1-3 paths of a small,
overlapping path space (files, directories, globs), claim them with lease_touches
(leases on every touch taken with the claim) or without, renew, complete, fail
(retryably or not) or abandon their claims (1-3 s leases, so claims expire and are
taken over or settled), and acquire, release or abandon leases of their own
(exclusive or shared) on the same paths directly.

Nothing the clients saw is taken as truth. The checks:

* a monitor sweeps the tables while the race runs: no two live conflicting leases of
  different holders overlap (INV-LOCK-EXCL, claim leases included), no other agent
  holds a live lease overlapping a touch a live claim holds its lease on, and no
  lease a claim granted is left belonging to no claim (INV-CLAIM-TOUCH);
* afterwards the audit trail alone is replayed against the model's transitions
  (tests/trace_validation.py, extended here with ClaimWithLeases): every grant,
  direct or with a claim, found no live conflicting lease of another agent
  (INV-LOCK-EXCL) and got a token above every earlier overlapping grant
  (INV-LOCK-FENCE); every claim of a task with touches found no live lease of
  another agent overlapping them (INV-CLAIM-TOUCH); claims, renewals and
  completions follow the claim rules (INV-CLAIM-UNIQ, INV-COMPLETE-OWNER);
* each task is claimed at most once per attempt (trail and clients agree), and no
  lease row stays linked to a claim that ended.

The last tests seed defects into their own databases (a claim that does not look
for conflicts; a claim that judges them without the coordination locks) and check
that the same race reports them.
"""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any

import psycopg
import pytest

from . import invariants as inv
from . import trace_validation as tv
from .helpers import background, run_parallel

pytestmark = pytest.mark.race

SEED = 20261215
N_AGENTS = 16
RUN_SECONDS = 6.0
TASK_TYPE = "ct.race"
PATHS = [
    "src/", "src/api/", "src/api/x.py", "src/api/y.py", "src/**/*.py", "src/web/", "src/web/app.js",
    "docs/", "docs/guide.md", "*.md", "README.md", "lib/", "lib/a.c", "lib/**/*.c", "lib/b/",
]


# -- the race -------------------------------------------------------------------------

def _claim(conn, lease: float, lease_touches: bool) -> dict[str, Any]:
    return conn.execute("SELECT * FROM coord.claim_task(%s, make_interval(secs => %s), %s)",
                        ([TASK_TYPE], lease, lease_touches)).fetchone()


def race(db, seconds: float, seed: int = SEED, defect_may_deadlock: bool = False) -> dict[str, Any]:
    """Run the race; returns the clients' tallies (calls, claims seen, monitor findings).

    defect_may_deadlock: for a seeded defect that drops the coordination locks, whose
    lock order is what keeps claim_task and acquire_lock from deadlocking. A deadlock
    (40P01) then ends one call of that worker and is counted, not raised; the
    correct code never sets it, so a deadlock there still fails the race."""
    if not db.scalar("SELECT count(*) FROM coord_private.profiles WHERE name = 'ct_roomy'"):
        db.roomy_profile("ct_roomy")
    roles = []
    for _ in range(N_AGENTS):
        role = db.create_role("coord_agent")
        db.su.execute("SELECT coord.register_agent(%s, 'ct_roomy')", (role,))
        roles.append(role)
    guard = threading.Lock()
    calls: Counter[str] = Counter()
    claims: Counter[tuple[int, int]] = Counter()
    violations: list[str] = []
    stop = threading.Event()
    sweeps = [0]
    deadline = time.monotonic() + seconds

    def submit(conn, rng: random.Random) -> None:
        touches = rng.sample(PATHS, rng.choice([1, 1, 2, 3]))
        r = conn.execute("SELECT * FROM coord.submit_task(%s, 'race', p_max_attempts => 3, p_touches => %s)",
                         (TASK_TYPE, touches)).fetchone()
        assert r["ok"], r

    def monitor() -> None:
        with db.session() as su:
            while not stop.is_set():
                found = inv.inv_lock_excl(su) + claim_touch_violations(su)
                violations.extend(f"monitor: {v}" for v in found)
                sweeps[0] += 1
                time.sleep(0.005)

    def worker(i: int) -> None:
        rng = random.Random(seed * 100 + i)
        mine: Counter[str] = Counter()
        seen: list[tuple[int, int]] = []
        with db.session(roles[i]) as conn:
            for _ in range(4):
                submit(conn, rng)
            while time.monotonic() < deadline:
                try:
                    step(conn, rng, mine, seen)
                except psycopg.errors.DeadlockDetected:
                    if not defect_may_deadlock:
                        raise
                    mine["deadlock (seeded defect)"] += 1
        with guard:
            calls.update(mine)
            claims.update(seen)

    def step(conn, rng: random.Random, mine: Counter[str], seen: list[tuple[int, int]]) -> None:
        r = rng.random()
        if r < 0.12:
            submit(conn, rng)
            mine["submit_task"] += 1
        elif r < 0.60:
            leasing = rng.random() < 0.8
            c = _claim(conn, rng.choice([1, 2, 3]), leasing)
            mine["claim_task"] += 1
            if not c["ok"]:
                return
            seen.append((c["task_id"], c["attempt"]))
            tid, tok = c["task_id"], c["claim_token"]
            time.sleep(rng.random() * 0.01)
            if rng.random() < 0.3:
                conn.execute("SELECT * FROM coord.renew_claim(%s, %s, make_interval(secs => %s))",
                             (tid, tok, rng.choice([2, 3])))
                mine["renew_claim"] += 1
                time.sleep(rng.random() * 0.01)
            end = rng.random()
            if end < 0.65:
                conn.execute("SELECT * FROM coord.complete_task(%s, %s)", (tid, tok))
                mine["complete_task"] += 1
            elif end < 0.80:
                conn.execute("SELECT * FROM coord.fail_task(%s, %s, 'retry', true)", (tid, tok))
                mine["fail_task"] += 1
            elif end < 0.85:
                conn.execute("SELECT * FROM coord.fail_task(%s, %s, 'broken')", (tid, tok))
                mine["fail_task"] += 1
            # else: abandoned; it expires, then is taken over or settled
        else:
            path = rng.choice(PATHS)
            mode = "shared" if rng.random() < 0.3 else "exclusive"
            g = conn.execute("SELECT * FROM coord.acquire_lock(%s, make_interval(secs => %s), %s)",
                             (path, rng.choice([1, 2, 3]), mode)).fetchone()
            mine["acquire_lock"] += 1
            if g["ok"]:
                time.sleep(rng.random() * 0.01)
                if rng.random() < 0.9:
                    conn.execute("SELECT * FROM coord.release_lock(%s)", (path,))
                    mine["release_lock"] += 1
        if rng.random() < 0.1:
            time.sleep(rng.random() * 0.01)

    with background(stop, monitor):
        run_parallel([lambda i=i: worker(i) for i in range(N_AGENTS)], timeout=seconds + 120)
    return {"roles": roles, "calls": calls, "claims": claims, "violations": violations, "sweeps": sweeps[0]}


def claim_touch_violations(su) -> list[str]:
    """INV-CLAIM-TOUCH at one instant (one statement, one clock reading): no other
    agent holds a live lease overlapping a touch of a live claim while the claim holds
    the live exclusive lease it took on that touch; and no lease row a claim granted
    is left without a claim (its holder may give it up: release_lock, or re-grant it
    with acquire_lock, which ends the row or makes it the holder's own)."""
    rows = su.execute(
        """
        SELECT t.task_id, t.claimed_by, l.path AS touch,
               (SELECT string_agg(o.holder || ' ' || o.mode || ' ' || o.path, ', ') FROM coord_private.locks o
                 WHERE o.holder <> t.claimed_by AND o.expires_at > n.now
                   AND coord_private.paths_overlap(o.path, l.path)) AS others
          FROM (SELECT coord_private.current_time() AS now) n,
               coord_private.tasks t
          JOIN coord_private.claim_leases c ON c.task_id = t.task_id AND c.claim_token = t.claim_token
          JOIN coord_private.locks l ON l.lock_id = c.lock_id
         WHERE t.status = 'claimed' AND t.claim_expires_at > n.now AND l.expires_at > n.now
        """).fetchall()
    out = [f"live claim of task {r['task_id']} by {r['claimed_by']} leasing {r['touch']!r} overlaps live {r['others']}"
           for r in rows if r["others"]]
    orphans = su.execute(
        """SELECT l.path, l.holder, l.reason FROM coord_private.locks l
            WHERE l.reason LIKE 'claim of task %%'
              AND NOT EXISTS (SELECT 1 FROM coord_private.claim_leases c WHERE c.lock_id = l.lock_id)""").fetchall()
    return out + [f"lease {r['path']} of {r['holder']} ({r['reason']}) belongs to no claim any more" for r in orphans]


# -- the trail, replayed --------------------------------------------------------------

class ClaimReplay(tv.Replay):
    """trace_validation's replay, with claims that lease their touches (TLA+
    ClaimWithLeases) and the leases that end or are renewed with a claim."""

    def _find(self, path: str, token: int) -> tuple[str, str] | None:
        return next((k for k, lock in self.locks.items() if k[0] == path and lock.token == token), None)

    def step(self, ev: dict[str, Any]) -> None:
        ctx, op, actor = ev["context"], ev["operation"], ev["actor"]
        at = datetime.fromisoformat(ctx["at"])
        for r in ctx.get("released_leases") or []:        # ended with a claim (or its takeover)
            key = self._find(r["path"], r["token"])
            if key is not None:
                del self.locks[key]
        if op == "claim_task":
            for touch in ctx.get("touches") or []:
                for (path, holder), lock in self.locks.items():
                    if holder != actor and lock.expires > at and (path, touch) in self.overlaps:
                        self.bad(ev, f"claimed while {holder} held live {lock.mode} {path} over touch {touch} "
                                     "(INV-CLAIM-TOUCH)")
        super().step(ev)
        if op == "claim_task":
            for g in ctx.get("leases") or []:
                path, token = g["path"], int(g["token"])
                for (p, holder), lock in self.locks.items():
                    if holder != actor and lock.expires > at and (p, path) in self.overlaps:
                        self.bad(ev, f"lease {path} granted with the claim while {holder} held live {lock.mode} {p} "
                                     "(INV-LOCK-EXCL)")
                for p, earlier in self.grants:
                    if (p, path) in self.overlaps and earlier >= token:
                        self.bad(ev, f"claim lease token {token} not above earlier grant {earlier} on {p} (INV-LOCK-FENCE)")
                self.grants.append((path, token))
                self.locks[(path, actor)] = tv.Lock(actor, "exclusive", token, datetime.fromisoformat(g["expires_at"]))
        elif op == "renew_claim":
            for r in ctx.get("renewed_leases") or []:
                key = self._find(r["path"], r["token"])
                if key is None or self.locks[key].expires <= at:
                    self.bad(ev, f"renewed claim lease {r['path']} (token {r['token']}) was not live")
                else:
                    self.locks[key].expires = max(self.locks[key].expires, datetime.fromisoformat(ctx["expires_at"]))


def replay(db) -> tuple[list[dict[str, Any]], list[str]]:
    trace = tv.fetch_trace(db.su)
    paths = set(PATHS) | {e["resource"] for e in trace if e["operation"].endswith("lock")}
    for e in trace:
        paths |= {g["path"] for g in e["context"].get("leases") or []}
        paths |= set(e["context"].get("touches") or [])
    r = ClaimReplay(tv.fetch_overlaps(db.su, paths), tv.fetch_deps(db.su))
    for ev in trace:
        r.step(ev)
    return trace, r.violations


def ended_claim_links(su) -> list[str]:
    """Lease rows linked to a claim that is not its task's current claim (it ended)."""
    rows = su.execute(
        """SELECT c.task_id, c.claim_token, t.status, t.claim_token AS current_token, l.path, l.holder
             FROM coord_private.claim_leases c
             JOIN coord_private.tasks t ON t.task_id = c.task_id
             JOIN coord_private.locks l ON l.lock_id = c.lock_id
            WHERE t.status <> 'claimed' OR t.claim_token <> c.claim_token""").fetchall()
    return [f"lease {r['path']} of {r['holder']} still linked to claim {r['claim_token']} of task {r['task_id']} "
            f"({r['status']}, current claim {r['current_token']})" for r in rows]


# -- tests ----------------------------------------------------------------------------

COVERAGE_FLOORS = {"claims_with_leases": 60, "leased_skips": 100, "released_with_claims": 60,
                   "renewed_with_claims": 15, "takeovers": 2, "acquires_refused": 100, "monitor_sweeps": 50}
MAX_ROUNDS = 4  # a loaded machine reaches the floors in more rounds of the same race, not a weaker test


def coverage(db, trace: list[dict[str, Any]], sweeps: int, calls: Counter[str]) -> dict[str, Any]:
    """What contention the trail shows so far: the figures the floors judge."""
    claim_events = [e for e in trace if e["operation"] == "claim_task"]
    skips = Counter(s["why"] for e in claim_events for s in e["context"].get("skipped") or [])
    return {
        "calls": dict(calls), "monitor_sweeps": sweeps, "claims": len(claim_events),
        "claims_with_leases": sum(1 for e in claim_events if e["context"].get("leases")),
        "leased_skips": skips["leased"], "skips": dict(skips),
        "released_with_claims": sum(len(e["context"].get("released_leases") or []) for e in trace),
        "renewed_with_claims": sum(len(e["context"].get("renewed_leases") or []) for e in trace),
        "takeovers": sum(1 for e in claim_events if e["context"].get("reclaim_from")),
        "acquires_refused": db.scalar("SELECT count(*) FROM coord_private.audit_events "
                                      "WHERE operation = 'acquire_lock' AND reason = 'lock_held_by_other'"),
    }


def test_INV_CLAIM_TOUCH_sixteen_agents_claim_touching_tasks_and_lease_overlapping_paths(db):
    """16 agents: claims with and without lease_touches against direct leases on
    overlapping paths. The monitor, the replayed trail and the final tables agree:
    no claim beside another agent's overlapping lease, no two conflicting leases,
    tokens in grant order, one claim per task and attempt, no lease outliving its claim.

    The race is free-running, so how much contention one round produces depends on the
    machine's load: rounds of the same race (each with fresh agents, on the same tables
    and trail) run until every coverage floor is reached, at most MAX_ROUNDS. Every
    round is judged, and the whole trail is replayed after each."""
    roles: list[str] = []
    calls: Counter[str] = Counter()
    claims: Counter[tuple[int, int]] = Counter()
    sweeps = 0
    for round_no in range(MAX_ROUNDS):
        run = race(db, RUN_SECONDS, seed=SEED + round_no)
        roles += run["roles"]
        calls.update(run["calls"])
        claims.update(run["claims"])
        sweeps += run["sweeps"]
        inv.check(run["violations"], "INV-CLAIM-TOUCH / INV-LOCK-EXCL (monitor)")
        trace, violations = replay(db)
        inv.check(violations, "INV-CLAIM-TOUCH / INV-LOCK-EXCL / INV-LOCK-FENCE / INV-CLAIM-UNIQ (trail replayed)")
        figures = coverage(db, trace, sweeps, calls)
        short = {k: (figures[k], floor) for k, floor in COVERAGE_FLOORS.items() if figures[k] < floor}
        print(f"\nround {round_no + 1}: {figures}")
        if not short:
            break

    # Each task is claimed at most once per attempt: by the trail, and as the clients saw it.
    claim_events = [e for e in trace if e["operation"] == "claim_task"]
    per_attempt = Counter((int(e["resource"]), e["context"]["attempt"]) for e in claim_events)
    inv.check([f"task {t} attempt {a} claimed {n} times" for (t, a), n in per_attempt.items() if n > 1],
              "INV-CLAIM-UNIQ (trail)")
    inv.check([f"task {t} attempt {a} returned to {n} claims" for (t, a), n in claims.items() if n > 1],
              "INV-CLAIM-UNIQ (clients)")
    assert set(claims) == set(per_attempt), "the clients' claims and the trail's differ"

    inv.check(ended_claim_links(db.su), "INV-CLAIM-TOUCH (leases end with their claim)")
    inv.check(claim_touch_violations(db.su), "INV-CLAIM-TOUCH (final sweep)")
    inv.check(inv.inv_lock_excl(db.su), "INV-LOCK-EXCL (final sweep)")
    inv.check(inv.verify_audit(db.su), "audit chain")

    # Every call is audited once.
    all_events = Counter(r["operation"] for r in db.su.execute(
        "SELECT operation FROM coord_private.audit_events WHERE actor = ANY (%s)", (roles,)).fetchall())
    for op in ("claim_task", "acquire_lock", "release_lock", "complete_task", "renew_claim"):
        assert all_events[op] == calls[op], f"{op}: {calls[op]} calls, {all_events[op]} events"

    # Not vacuous: contention of every kind happened (within MAX_ROUNDS rounds).
    assert not short, f"coverage not reached in {MAX_ROUNDS} rounds (figure, floor): {short}"


def test_INV_CLAIM_TOUCH_race_catches_a_claim_that_ignores_leases(db):
    """The checks have teeth: in this test's own database a claim no longer looks for
    other agents' leases on its touches (coord_private.touch_conflicts finds none). The
    same race must report claims beside overlapping leases."""
    db.su.execute("SET ROLE coord_owner")
    db.su.execute("""CREATE OR REPLACE FUNCTION coord_private.touch_conflicts(p_paths text[])
                     RETURNS coord_private.locks[] LANGUAGE sql STABLE AS $$ SELECT NULL::coord_private.locks[] $$""")
    db.su.execute("RESET ROLE")
    run = race(db, 3.0)
    _, violations = replay(db)
    found = [v for v in violations + run["violations"] if "INV-CLAIM-TOUCH" in v or "INV-LOCK-EXCL" in v
             or "overlaps live" in v]
    print(f"\nseeded defect (no conflict search): {len(found)} violations; first: {found[:2]}")
    assert found, "claims that ignore other agents' leases went unnoticed"


def test_INV_CLAIM_TOUCH_race_catches_a_claim_judged_without_coordination_locks(db):
    """In this test's own database a claim judges its touches without the coordination
    locks acquire_lock takes (coord_private.lock_lease_paths does nothing): a claim and
    a concurrent acquire can then both judge the other absent. The race must report
    it (a lease granted with a claim beside another agent's, or a claim beside one)."""
    db.su.execute("SET ROLE coord_owner")
    db.su.execute("""CREATE OR REPLACE FUNCTION coord_private.lock_lease_paths(p_paths text[], p_wait boolean)
                     RETURNS boolean LANGUAGE sql AS $$ SELECT true $$""")
    db.su.execute("RESET ROLE")
    found: list[str] = []
    for attempt in range(3):
        run = race(db, 4.0, seed=SEED + attempt, defect_may_deadlock=True)
        _, violations = replay(db)
        found = violations + run["violations"]
        if found:
            break
    print(f"\nseeded defect (no coordination locks): {len(found)} violations, "
          f"{run['calls']['deadlock (seeded defect)']} deadlocks; first: {found[:2]}")
    assert found, "claims judged without coordination locks went unnoticed in three races"
