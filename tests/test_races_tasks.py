"""Races on the task queue with real parallel sessions (INV-CLAIM-UNIQ, INV-COMPLETE-OWNER,
INV-DEPS, INV-AUDIT-COMPLETE).

16 worker agents (each its own LOGIN role, connection and thread) drain the queue
while tasks, some with dependencies, are still being submitted; stale claimers try to
complete after their claim expired and was reclaimed (pgcoord's clock is moved with
the test clock, tests/sql/test_clock.sql). In-process witnesses record who holds which
task; the database's rows and audit trail are checked afterwards against the
invariants (TLA+ SubmitTask, ClaimTask/Reclaim, RenewClaim, CompleteTask, FailTask,
SettleDependents). Fixed seeds; each test makes thousands of calls.
"""
from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest

from . import invariants as inv
from .helpers import background, run_parallel

pytestmark = pytest.mark.race

SEED = 4242
N_WORKERS = 16


@pytest.fixture
def racer(db):
    """A profile whose limits do not get in the way of a race."""
    return db.roomy_profile("racer")


def open_tasks(client, task_type: str | None = None) -> int:
    """Tasks still pending or claimed (effective status), as an agent reads the queue."""
    return client.query("SELECT count(*) AS n FROM coord.tasks WHERE status IN ('pending', 'claimed') "
                        "AND (%s::text IS NULL OR task_type = %s)", task_type, task_type)[0]["n"]


def check_task_invariants(db) -> None:
    inv.check(inv.inv_claim_uniq(db.su), "INV-CLAIM-UNIQ")
    inv.check(inv.inv_complete_owner(db.su), "INV-COMPLETE-OWNER")
    inv.check(inv.inv_deps(db.su), "INV-DEPS")
    inv.check(inv.verify_audit(db.su), "audit chain")


class Drain:
    """Shared state of a drain race: the in-process witness and call counters."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.in_hand: dict[int, str] = {}     # task -> worker holding its claim (witness)
        self.finished: dict[int, str] = {}    # task -> worker that completed or failed it
        self.violations: list[str] = []
        self.calls: Counter[str] = Counter()
        self.submitted: list[int] = []
        self.submitting = True

    def took(self, role: str, task_id: int, token: int) -> None:
        with self.guard:
            if task_id in self.in_hand:
                self.violations.append(f"{role} claimed task {task_id} (token {token}) held by {self.in_hand[task_id]}")
            if task_id in self.finished:
                self.violations.append(f"{role} claimed task {task_id} (token {token}) already finished by "
                                       f"{self.finished[task_id]}")
            self.in_hand[task_id] = role

    def done(self, role: str, task_id: int) -> None:
        with self.guard:
            self.in_hand.pop(task_id, None)
            self.finished[task_id] = role

    def count(self, op: str, n: int = 1) -> None:
        with self.guard:
            self.calls[op] += n


def claim_some(d: Drain, client, rng: random.Random, batch: bool, lease: int = 600) -> list[dict[str, Any]]:
    """One claim call (single or batch); returns the granted rows."""
    if batch:
        limit = rng.randint(1, 4)
        rows = client.claim_tasks(limit, lease=lease)
        d.count("claim_task", len(rows) + (1 if len(rows) < limit else 0))   # a short batch's refusal is audited too
        return rows
    r = client.claim_task(lease=lease, raise_on_refusal=False)
    d.count("claim_task")
    if not r["ok"] and r["reason"] != "task_not_claimable":
        d.violations.append(f"claim refused with {r['reason']}")
    return [r] if r["ok"] else []


# -- INV-CLAIM-UNIQ: workers drain M tasks ----------------------------------------------

M_TASKS = 600
PRESUBMITTED = 300


def test_INV_CLAIM_UNIQ_sixteen_workers_drain_tasks(db, racer):
    """16 workers (half claiming in batches) drain 600 tasks while the last 300 are still
    being submitted, a third of them depending on recent tasks that may be completing at
    that moment: every task is completed exactly once, by the one worker that claimed it,
    never before its dependencies."""
    submitter_role, submitter = db.agent(racer)
    workers = [db.agent(racer) for _ in range(N_WORKERS)]
    d = Drain()
    rng0 = random.Random(SEED)
    for k in range(PRESUBMITTED):
        r = submitter.submit_task("build", f"task {k}", {"k": k}, priority=rng0.randint(-5, 5))
        d.submitted.append(r["task_id"])
    d.count("submit_task", PRESUBMITTED)
    deadline = time.monotonic() + 120

    def submit_rest() -> None:
        rng = random.Random(SEED + 1)
        for k in range(PRESUBMITTED, M_TASKS):
            deps = rng.sample(d.submitted[-20:], rng.randint(1, 2)) if rng.random() < 0.35 else []
            r = submitter.submit_task("build", f"task {k}", {"k": k}, priority=rng.randint(-5, 5), depends_on=deps,
                                      raise_on_refusal=False)
            d.count("submit_task")
            if not r["ok"]:
                d.violations.append(f"submit {k} refused: {r['reason']}")
                continue
            d.submitted.append(r["task_id"])
            if k % 7 == 0:
                time.sleep(0.001)

    def work(i: int) -> None:
        role, client = workers[i]
        rng = random.Random(SEED * 100 + i)
        while time.monotonic() < deadline:
            with d.guard:
                if len(d.finished) == M_TASKS:
                    return
            rows = claim_some(d, client, rng, batch=i % 2 == 1)
            if not rows:
                time.sleep(0.003 + rng.random() * 0.003)
                continue
            for row in rows:
                d.took(role, row["task_id"], row["claim_token"])
            for row in rows:
                if rng.random() < 0.1:
                    rr = client.renew_claim(row["task_id"], row["claim_token"], 600, raise_on_refusal=False)
                    d.count("renew_claim")
                    if not rr["ok"]:
                        d.violations.append(f"{role}: renew of its live claim on {row['task_id']} refused: {rr['reason']}")
                r = client.complete_task(row["task_id"], row["claim_token"], {"by": role, "token": row["claim_token"]},
                                         raise_on_refusal=False)
                d.count("complete_task")
                if not r["ok"]:
                    d.violations.append(f"{role}: completion of its live claim on {row['task_id']} refused: {r['reason']}")
                d.done(role, row["task_id"])
        d.violations.append(f"worker {role} gave up with {len(d.finished)} of {M_TASKS} finished")

    run_parallel([submit_rest] + [lambda i=i: work(i) for i in range(N_WORKERS)], timeout=180)
    inv.check(d.violations, "INV-CLAIM-UNIQ (witness)")

    rows = db.su.execute("SELECT task_id, status, result, attempts FROM coord_private.tasks ORDER BY task_id").fetchall()
    assert len(rows) == M_TASKS
    assert Counter(r["status"] for r in rows) == {"completed": M_TASKS}
    claims = defaultdict(list)
    for e in db.audit_events("claim_task"):
        if e["proceeded"]:
            claims[int(e["resource"])].append(e["actor"])
    completions = defaultdict(list)
    for e in db.audit_events("complete_task"):
        assert e["proceeded"], f"a completion was refused: {e}"
        completions[int(e["resource"])].append(e["actor"])
    for r in rows:
        t = r["task_id"]
        assert claims[t] == [r["result"]["by"]], f"task {t}: claimed by {claims[t]}, result {r['result']}"
        assert completions[t] == [r["result"]["by"]], f"task {t}: completed by {completions[t]}"
        assert r["attempts"] == 1 and r["result"]["token"] == 1
        assert d.finished[t] == r["result"]["by"]
    deps = db.scalar("SELECT count(*) FROM coord_private.task_deps")
    assert deps >= 50, f"only {deps} dependencies: INV-DEPS was barely raced"
    # INV-AUDIT-COMPLETE: one event per call
    for op in ("submit_task", "claim_task", "complete_task", "renew_claim"):
        n = len(db.audit_events(op))
        assert n == d.calls[op], f"{op}: {n} events for {d.calls[op]} calls"
    assert d.calls["claim_task"] >= M_TASKS
    check_task_invariants(db)
    print(f"\ndrain: calls {dict(d.calls)}, {deps} dependencies")


# -- INV-DEPS: failures settle dependents while dependents are being submitted ------------

FAIL_TASKS = 400


def test_INV_DEPS_failures_settle_dependents_while_submitting(db, racer):
    """Workers complete, fail (terminal or retryable) and occasionally cancel tasks while a
    submitter adds dependents of recent tasks: a dependent submitted before its
    dependency failed is settled (cancelled, dependency_failed, one audit event each);
    one submitted after is refused; nothing is left pending or claimed; no task is
    claimed before its dependencies completed."""
    submitter_role, submitter = db.agent(racer)
    workers = [db.agent(racer) for _ in range(N_WORKERS)]
    d = Drain()
    refused_submits: list[tuple[int, list[int]]] = []
    settled = Counter()

    rng_submit = random.Random(SEED + 2)

    def submit_all() -> None:
        try:
            submit_tasks(FAIL_TASKS // 2, FAIL_TASKS)
        finally:
            d.submitting = False

    def submit_tasks(first: int, last: int) -> None:
        rng = rng_submit
        for k in range(first, last):
            recent = d.submitted[-15:]
            deps = rng.sample(recent, min(len(recent), rng.randint(1, 3))) if rng.random() < 0.5 else []
            r = submitter.submit_task("probe", f"task {k}", {"k": k}, priority=rng.randint(0, 3), depends_on=deps,
                                      max_attempts=2, raise_on_refusal=False)
            d.count("submit_task")
            if r["ok"]:
                d.submitted.append(r["task_id"])
            elif r["reason"] == "dependency_failed":
                refused_submits.append((k, deps))
            else:
                d.violations.append(f"submit {k} refused: {r['reason']}")
            if k % 40 == 39:
                # the submitter cancels one of its recent tasks now and then
                victim = rng.choice(d.submitted[-10:])
                c = submitter.cancel_task(victim, "changed my mind", raise_on_refusal=False)
                d.count("cancel_task")
                if c["ok"]:
                    settled["cancel"] += c["settled"]
                elif c["reason"] != "task_terminal":
                    d.violations.append(f"cancel of {victim} refused: {c['reason']}")

    def work(i: int) -> None:
        role, client = workers[i]
        rng = random.Random(SEED * 1000 + i)
        deadline = time.monotonic() + 120
        idle_since = None
        while time.monotonic() < deadline:
            rows = claim_some(d, client, rng, batch=i % 3 == 0)
            if not rows:
                if not d.submitting:
                    left = open_tasks(client)
                    if left == 0:
                        return
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > 5:
                        # INV-DEPS: whatever is still open can never be claimed: it waits on a
                        # dependency that failed or was cancelled, and was not settled.
                        d.violations.append(f"{role}: {left} tasks left open, none claimable for 5 s")
                        return
                time.sleep(0.002 + rng.random() * 0.002)
                continue
            idle_since = None
            for row in rows:
                d.took(role, row["task_id"], row["claim_token"])
            for row in rows:
                with d.guard:
                    d.in_hand.pop(row["task_id"], None)     # the witness lets go before the database does
                x = rng.random()
                if x < 0.12:
                    r = client.fail_task(row["task_id"], row["claim_token"], "boom", False, raise_on_refusal=False)
                    d.count("fail_task")
                    settled["fail"] += r.get("settled") or 0
                elif x < 0.24:
                    r = client.fail_task(row["task_id"], row["claim_token"], "flaky", True, raise_on_refusal=False)
                    d.count("fail_task")
                    settled["fail"] += r.get("settled") or 0
                else:
                    r = client.complete_task(row["task_id"], row["claim_token"], {"by": role}, raise_on_refusal=False)
                    d.count("complete_task")
                # The submitter may have cancelled the task (or a dependency) meanwhile.
                if not r["ok"] and r["reason"] != "task_terminal":
                    d.violations.append(f"{role}: own live claim on {row['task_id']} refused: {r['reason']}")
                with d.guard:
                    if 0.12 <= x < 0.24 and r.get("status") == "pending":
                        continue       # retryable: back in the queue, may be claimed again
                    d.finished[row["task_id"]] = role
        d.violations.append(f"worker {role} gave up")

    submit_tasks(0, FAIL_TASKS // 2)      # half the DAG is queued before the workers start
    run_parallel([submit_all] + [lambda i=i: work(i) for i in range(N_WORKERS)], timeout=180)
    inv.check(d.violations, "INV-DEPS (witness)")

    statuses = Counter(r["status"] for r in db.su.execute("SELECT status FROM coord_private.tasks").fetchall())
    assert statuses["pending"] == 0 and statuses["claimed"] == 0, statuses
    assert statuses["failed"] >= 10 and statuses["completed"] >= 100, statuses
    settled_rows = db.scalar("SELECT count(*) FROM coord_private.tasks WHERE settle_reason = 'dependency_failed'")
    assert settled_rows >= 10, f"only {settled_rows} dependents settled: the race did not exercise settlement"
    assert len(db.audit_events("settle_task")) == settled_rows == settled["fail"] + settled["cancel"]
    assert db.scalar("SELECT count(*) FROM coord_private.tasks WHERE attempts = 2") >= 5, "no retried task"
    for op in ("submit_task", "claim_task", "complete_task", "fail_task", "cancel_task"):
        n = len(db.audit_events(op))
        assert n == d.calls[op], f"{op}: {n} events for {d.calls[op]} calls"
    # A refused submit named a dependency that had failed or been cancelled before.
    for k, deps in refused_submits:
        assert db.scalar("SELECT count(*) FROM coord_private.tasks WHERE task_id = ANY (%s) AND status IN ('failed', 'cancelled')",
                         deps) >= 1, f"submit {k} refused although none of {deps} failed"
    check_task_invariants(db)
    print(f"\nsettle: calls {dict(d.calls)}, statuses {dict(statuses)}, settled {settled_rows}, "
          f"refused submits {len(refused_submits)}")


# -- INV-COMPLETE-OWNER: stale claimers after reclaim -------------------------------------

STALE_ROUNDS = 30
PAIRS = 8


def test_INV_COMPLETE_OWNER_stale_claimers_refused_after_reclaim(db):
    """Rounds of 8 stale claimers (lease 1 s) and 8 reclaimers, concurrently. After the
    clock passes the lease, the stale claimers' renew/complete race the reclaims
    (refused: claim_expired or not_claim_owner); once reclaimed, a stale completion is
    refused with not_claim_owner, also while the new claimer completes (then
    not_claim_owner or task_terminal); the task's result is the new claimer's."""
    submitter_role, submitter = db.agent("orchestrator")
    stale = [db.agent("implementer") for _ in range(PAIRS)]
    fresh = [db.agent("implementer") for _ in range(PAIRS)]
    violations: list[str] = []
    calls: Counter[str] = Counter()
    guard = threading.Lock()
    reasons: Counter[str] = Counter()

    def count(op: str) -> None:
        with guard:
            calls[op] += 1

    def expect_refused(r: dict[str, Any], allowed: set[str], what: str) -> None:
        with guard:
            reasons[r["reason"]] += 1
        if r["ok"] or r["reason"] not in allowed:
            violations.append(f"{what}: {r['ok']} {r['reason']} (expected one of {sorted(allowed)})")

    for rnd in range(STALE_ROUNDS):
        ids = [submitter.submit_task("job", f"round {rnd} #{k}", max_attempts=3)["task_id"] for k in range(PAIRS)]
        calls["submit_task"] += PAIRS

        def first_claim(k: int) -> dict[str, Any]:
            r = stale[k][1].claim_task(["job"], lease=1, raise_on_refusal=False)
            count("claim_task")
            return r

        first = run_parallel([lambda k=k: first_claim(k) for k in range(PAIRS)])
        assert all(r["ok"] and r["claim_token"] == 1 for r in first), first
        assert sorted(r["task_id"] for r in first) == ids, "the stale claimers did not get distinct tasks"
        owner_of = {r["task_id"]: k for k, r in enumerate(first)}
        db.advance_clock(2)

        reclaimed: dict[int, dict[str, Any]] = {}

        def reclaim(k: int) -> None:
            role, client = fresh[k]
            for _ in range(200):
                r = client.claim_task(["job"], lease=600, raise_on_refusal=False)
                count("claim_task")
                if r["ok"]:
                    with guard:
                        reclaimed[r["task_id"]] = {"k": k, **r}
                    return
                if r["reason"] != "task_not_claimable":
                    violations.append(f"reclaim refused {r['reason']}")
                time.sleep(0.002)        # a stale call holds the row for a moment (SKIP LOCKED)
            violations.append(f"round {rnd}: reclaimer {k} found nothing")

        def stale_race(k: int) -> None:
            r0 = first[k]
            client = stale[k][1]
            rr = client.renew_claim(r0["task_id"], r0["claim_token"], 60, raise_on_refusal=False)
            count("renew_claim")
            expect_refused(rr, {"claim_expired", "not_claim_owner"}, f"round {rnd}: stale renew")
            rc = client.complete_task(r0["task_id"], r0["claim_token"], {"by": stale[k][0]}, raise_on_refusal=False)
            count("complete_task")
            expect_refused(rc, {"claim_expired", "not_claim_owner"}, f"round {rnd}: stale completion racing reclaim")

        run_parallel([lambda k=k: reclaim(k) for k in range(PAIRS)] + [lambda k=k: stale_race(k) for k in range(PAIRS)])
        assert sorted(reclaimed) == ids, f"round {rnd}: reclaimed {sorted(reclaimed)} of {ids}"
        for r in reclaimed.values():
            assert r["claim_token"] == 2 and r["attempt"] == 2, r

        def stale_after_reclaim(k: int) -> None:
            r0 = first[k]
            rc = stale[k][1].complete_task(r0["task_id"], r0["claim_token"], {"by": stale[k][0]}, raise_on_refusal=False)
            count("complete_task")
            expect_refused(rc, {"not_claim_owner"}, f"round {rnd}: stale completion after reclaim")
            rf = stale[k][1].fail_task(r0["task_id"], r0["claim_token"], "stale", True, raise_on_refusal=False)
            count("fail_task")
            expect_refused(rf, {"not_claim_owner"}, f"round {rnd}: stale failure after reclaim")

        def fresh_renew(t: int) -> None:
            r = reclaimed[t]
            rr = fresh[r["k"]][1].renew_claim(t, r["claim_token"], 600, raise_on_refusal=False)
            count("renew_claim")
            if not rr["ok"]:
                violations.append(f"round {rnd}: renewal of a live reclaim refused: {rr['reason']}")

        run_parallel([lambda k=k: stale_after_reclaim(k) for k in range(PAIRS)] + [lambda t=t: fresh_renew(t) for t in ids])

        def fresh_complete(t: int) -> None:
            r = reclaimed[t]
            rc = fresh[r["k"]][1].complete_task(t, r["claim_token"], {"by": fresh[r["k"]][0]}, raise_on_refusal=False)
            count("complete_task")
            if not rc["ok"]:
                violations.append(f"round {rnd}: the new claimer's completion refused: {rc['reason']}")

        def stale_races_completion(k: int) -> None:
            r0 = first[k]
            rc = stale[k][1].complete_task(r0["task_id"], r0["claim_token"], {"by": stale[k][0]}, raise_on_refusal=False)
            count("complete_task")
            expect_refused(rc, {"not_claim_owner", "task_terminal"}, f"round {rnd}: stale completion racing the new one")

        run_parallel([lambda t=t: fresh_complete(t) for t in ids] + [lambda k=k: stale_races_completion(k) for k in range(PAIRS)])
        for t in ids:
            task = submitter.get_task(t)
            k = owner_of[t]
            assert task["status"] == "completed" and task["result"] == {"by": fresh[reclaimed[t]["k"]][0]}, \
                f"task {t}: {task['status']} {task['result']} (stale claimer {stale[k][0]})"
            late = stale[k][1].complete_task(t, 1, {"by": "late"}, raise_on_refusal=False)
            count("complete_task")
            expect_refused(late, {"task_terminal"}, f"round {rnd}: stale completion of a completed task")

    inv.check(violations, "INV-COMPLETE-OWNER")
    assert reasons["not_claim_owner"] >= STALE_ROUNDS * PAIRS * 2, reasons
    n_tasks = STALE_ROUNDS * PAIRS
    assert db.scalar("SELECT count(*) FROM coord_private.tasks WHERE status = 'completed' AND attempts = 2") == n_tasks
    for op in ("submit_task", "claim_task", "renew_claim", "complete_task", "fail_task"):
        n = len(db.audit_events(op))
        assert n == calls[op], f"{op}: {n} events for {calls[op]} calls"
    check_task_invariants(db)
    print(f"\nstale: calls {dict(calls)} ({sum(calls.values())}), refusals {dict(reasons)}")


# -- INV-COMPLETE-OWNER / INV-CLAIM-UNIQ: reclaims while the clock keeps moving -----------

CHAOS_TASKS = 400


def test_INV_COMPLETE_OWNER_reclaim_chaos_with_moving_clock(db, racer):
    """16 workers claim with 2-4 s leases and sometimes dawdle, while a ticker moves
    pgcoord's clock one second every few milliseconds: claims expire and are reclaimed
    mid-work. Every completion or failure that the database accepts came from the
    current claimer with the current token; every task ends completed exactly once,
    with the result of the claimer whose claim was current."""
    submitter_role, submitter = db.agent(racer)
    workers = [db.agent(racer) for _ in range(N_WORKERS)]
    for k in range(CHAOS_TASKS):
        submitter.submit_task("chaos", f"t{k}", priority=k % 4, max_attempts=100)
    violations: list[str] = []
    calls: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    accepted: dict[int, list[tuple[str, int]]] = defaultdict(list)
    grants: dict[int, dict[int, list[Any]]] = defaultdict(dict)   # task -> token -> [claimer, start, expiry, end]
    guard = threading.Lock()
    stop = threading.Event()
    ticks = [0]

    def ticker() -> None:
        while not stop.is_set():
            db.advance_clock(1)
            ticks[0] += 1
            time.sleep(0.004)

    def work(i: int) -> None:
        role, client = workers[i]
        rng = random.Random(SEED * 31 + i)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lease = rng.randint(2, 4)
            r = client.claim_task(["chaos"], lease=lease, raise_on_refusal=False)
            with guard:
                calls["claim_task"] += 1
                if r["ok"]:
                    start = r["claim_expires_at"] - timedelta(seconds=lease)
                    grants[r["task_id"]][r["claim_token"]] = [role, start, r["claim_expires_at"], None]
            if not r["ok"]:
                if r["reason"] != "task_not_claimable":
                    violations.append(f"claim refused {r['reason']}")
                if open_tasks(client, "chaos") == 0:
                    return
                time.sleep(0.002)
                continue
            time.sleep(rng.random() * 0.02)
            before = client.query("SELECT coord.now() AS t")[0]["t"]     # pgcoord's clock only moves forward
            if rng.random() < 0.1:
                res = client.fail_task(r["task_id"], r["claim_token"], "retry me", True, raise_on_refusal=False)
                op = "fail_task"
            else:
                res = client.complete_task(r["task_id"], r["claim_token"], {"by": role, "token": r["claim_token"]},
                                           raise_on_refusal=False)
                op = "complete_task"
            with guard:
                calls[op] += 1
                outcomes[res["reason"]] += 1
                if res["ok"]:
                    accepted[r["task_id"]].append((op, r["claim_token"]))
                    if before >= r["claim_expires_at"]:
                        violations.append(f"{role}: {op} of task {r['task_id']} accepted although its claim "
                                          f"expired at {r['claim_expires_at']}, before {before}")
                    if op == "fail_task":
                        # Retryable: the claim ended, and the next claim may even carry an earlier
                        # start (a claim's times are those of its transaction's start, which can
                        # precede this failure's commit): no ordering to check for this pair.
                        grants[r["task_id"]][r["claim_token"]][3] = datetime.min.replace(tzinfo=timezone.utc)
            if not res["ok"] and res["reason"] not in ("claim_expired", "not_claim_owner", "task_terminal"):
                violations.append(f"{role}: {op} refused with {res['reason']}")
        violations.append(f"worker {role} gave up")

    with background(stop, ticker):
        run_parallel([lambda i=i: work(i) for i in range(N_WORKERS)], timeout=180)
    inv.check(violations, "INV-COMPLETE-OWNER (witness)")

    rows = db.su.execute("SELECT task_id, status, result, attempts, claimed_by FROM coord_private.tasks").fetchall()
    assert Counter(r["status"] for r in rows) == {"completed": CHAOS_TASKS}
    for r in rows:
        done = [a for a in accepted[r["task_id"]] if a[0] == "complete_task"]
        assert len(done) == 1, f"task {r['task_id']}: {len(done)} accepted completions"
        # the result is that of the last claim: its claimer and its token
        assert r["result"]["token"] == r["attempts"] == done[0][1]
        assert r["result"]["by"] == r["claimed_by"]
    assert outcomes["claim_expired"] + outcomes["not_claim_owner"] >= 30, \
        f"too few stale attempts to prove anything: {outcomes}"
    assert db.scalar("SELECT count(*) FROM coord_private.tasks WHERE attempts > 1") >= 30
    for op in ("claim_task", "complete_task", "fail_task"):
        n = len(db.audit_events(op))
        assert n == calls[op], f"{op}: {n} events for {calls[op]} calls"
    # INV-CLAIM-UNIQ in time: a reclaim of an unfinished claim is stamped no earlier than
    # the expiry the database had returned for the previous claim.
    intervals = {t: [tuple(g[tok]) for tok in sorted(g)] for t, g in grants.items()}
    assert all(sorted(g) == list(range(1, len(g) + 1)) for g in grants.values()), "claim tokens are not 1, 2, 3, ..."
    inv.check(inv.inv_claim_uniq(db.su, claim_intervals=intervals), "INV-CLAIM-UNIQ")
    check_task_invariants(db)
    print(f"\nchaos: calls {dict(calls)}, outcomes {dict(outcomes)}, ticks {ticks[0]}")


# -- INV-CLAIM-UNIQ: a claim renewal in flight when the claim expires ----------------------

def test_INV_CLAIM_UNIQ_renewal_in_flight_at_expiry_vs_reclaim(db):
    """TLA+ RenewClaim against ClaimTask (Reclaim) at the instant a claim expires: the
    claimer's renewal starts while its claim is live and commits after the clock passed
    the expiry, with another agent trying to reclaim in between. Never both: the reclaim
    skips the row the renewal holds (SKIP LOCKED) and finds nothing, or the renewal is
    refused. (The lease counterpart, test_INV_LOCK_EXCL_renewal_in_flight_at_expiry_vs_takeover,
    shows the same interleaving on file leases.)"""
    holder, hc = db.agent("implementer")
    other, oc = db.agent("implementer")
    task = hc.submit_task("job")["task_id"]
    claim = hc.claim_task(["job"], lease=10)
    assert claim["task_id"] == task
    db.advance_clock(9)
    with db.session(holder, autocommit=False) as raw:
        renewal = raw.execute("SELECT * FROM coord.renew_claim(%s, %s, '30 seconds')",
                              (task, claim["claim_token"])).fetchone()
        db.advance_clock(2)
        reclaim = oc.claim_task(["job"], lease=30, raise_on_refusal=False)
        raw.commit()
    assert not (renewal["ok"] and reclaim["ok"]), f"renewal {renewal} and reclaim {reclaim} both succeeded"
    done = hc.complete_task(task, claim["claim_token"], {"by": holder}, raise_on_refusal=False)
    if reclaim["ok"]:
        assert not done["ok"]
    else:
        assert done["ok"], done
    check_task_invariants(db)


def test_INV_DEPS_crossing_settlements_both_finish(db):
    """Two failures whose dependency closures cross make their settlements lock the
    same rows in opposite orders; PostgreSQL fails one of them as a deadlock victim,
    and that walk starts again instead of failing the caller's fail_task.

    Orchestrated, not left to chance: A and B are roots, Z depends on B, X on A and Z,
    Y on A and B (so Z < X < Y). A superuser session holds Y; B's settlement locks Z
    and queues for Y; A's settlement locks X and queues for Y behind it. When Y is
    released, B's settlement takes Y and then needs X (its second level), while A's
    holds X and waits for Y: a cycle."""
    (_, a1), (_, a2) = db.agent("implementer"), db.agent("implementer")
    submitter = a1
    ids = {}
    ids["A"] = submitter.submit_task("x.root_a")["task_id"]
    ids["B"] = submitter.submit_task("x.root_b")["task_id"]
    ids["Z"] = submitter.submit_task("x.dep", depends_on=[ids["B"]])["task_id"]
    ids["X"] = submitter.submit_task("x.dep", depends_on=[ids["A"], ids["Z"]])["task_id"]
    ids["Y"] = submitter.submit_task("x.dep", depends_on=[ids["A"], ids["B"]])["task_id"]
    claim_a = a1.claim_task(["x.root_a"])
    claim_b = a2.claim_task(["x.root_b"])
    assert claim_a["task_id"] == ids["A"] and claim_b["task_id"] == ids["B"]

    holder = psycopg.connect(db.dsn, autocommit=False)
    results: dict[str, Any] = {}
    try:
        holder.execute("SELECT 1 FROM coord_private.tasks WHERE task_id = %s FOR UPDATE", (ids["Y"],))

        def fail(name, client, claim):
            try:
                results[name] = client.fail_task(claim["task_id"], claim["claim_token"], "boom", False,
                                                 raise_on_refusal=False)
            except psycopg.Error as exc:
                results[name] = {"error": exc.sqlstate}

        tb = threading.Thread(target=fail, args=("B", a2, claim_b))
        tb.start()
        time.sleep(0.5)            # B's settlement holds Z and waits for Y
        ta = threading.Thread(target=fail, args=("A", a1, claim_a))
        ta.start()
        time.sleep(0.5)            # A's settlement holds X and waits for Y
        holder.commit()            # Y goes to B's settlement, which then needs X
        tb.join(30)
        ta.join(30)
    finally:
        holder.close()

    assert results["A"].get("ok") is True and results["B"].get("ok") is True, results
    rows = db.su.execute("SELECT task_id, status, settle_reason FROM coord_private.tasks WHERE task_id = ANY(%s)",
                         ([ids["X"], ids["Y"], ids["Z"]],)).fetchall()
    assert all(r["status"] == "cancelled" and r["settle_reason"] == "dependency_failed" for r in rows), rows
    events = Counter(r["resource"] for r in db.su.execute(
        "SELECT resource FROM coord_private.audit_events WHERE operation = 'settle_task' AND proceeded").fetchall())
    # one settle event per settled task: the walk that was rolled back left none behind
    assert events == Counter({str(ids["X"]): 1, str(ids["Y"]): 1, str(ids["Z"]): 1}), events
    assert results["A"]["settled"] + results["B"]["settled"] == 3, results


def test_INV_DEPS_settlement_on_sight_never_stalls_or_burdens_a_claim(db):
    """A claim settles exhausted claims and their dependents on sight, but no agent can
    make that cost another agent's claim: (a) while an agent holds a dependent's row
    (an open submit depending on it) claims answer at once and the settlement waits
    for a later claim; (b) a task with more dependents than a claim settles (100) is
    failed by the claim, its dependents left to reap_expired, and the claim stays
    cheap. (The red team stalled every claim with (a) for 5 s and for 13 s with (b).)"""
    att_role, att = db.agent()
    _, victim = db.agent()
    admin = db.admin()

    def exhausted_root(kind: str, n_dependents: int) -> tuple[int, list[int]]:
        root = att.submit_task(f"hold_{kind}", "", {}, 0, [], None, 1)["task_id"]
        deps = [att.submit_task(f"hold_{kind}_dep", "", {}, 0, [root], None, 1)["task_id"]
                for _ in range(n_dependents)]
        assert att.claim_task([f"hold_{kind}"], 1, raise_on_refusal=False)["ok"]
        return root, deps

    def status(task_id: int) -> str:
        return db.scalar("SELECT status FROM coord_private.tasks WHERE task_id = %s", task_id)

    # (a) a held dependent
    root, (dep,) = exhausted_root("a", 1)
    db.advance_clock(2)
    hold = db.session(att_role, autocommit=False)
    try:
        hold.execute("SELECT * FROM coord.submit_task('hold_a_grand', '', '{}', 0, ARRAY[%s]::bigint[])", (dep,))
        t0 = time.monotonic()
        r = victim.claim_task(["nothing_here"], 60, raise_on_refusal=False)
        took = time.monotonic() - t0
        assert r["reason"] == "task_not_claimable" and took < 1.0, (r, took)
        assert status(root) == "claimed" and status(dep) == "pending", "the held settlement was rolled back"
    finally:
        hold.rollback()
        hold.close()
    victim.claim_task(["nothing_here"], 60, raise_on_refusal=False)
    assert (status(root), status(dep)) == ("failed", "cancelled"), "the next claim settled it"

    # (b) a fan-out beyond what a claim settles
    root, deps = exhausted_root("b", 120)
    db.advance_clock(2)
    t0 = time.monotonic()
    victim.claim_task(["nothing_here"], 60, raise_on_refusal=False)
    took = time.monotonic() - t0
    assert status(root) == "failed" and {status(d) for d in deps} == {"pending"}, "dependents left to reap_expired"
    assert took < 2.0, took
    t0 = time.monotonic()
    victim.claim_task(["nothing_here"], 60, raise_on_refusal=False)
    assert time.monotonic() - t0 < 0.5, "a later claim does not pay for the deferred settlement again"
    r = admin.conn.execute("SELECT * FROM coord.reap_expired()").fetchone()
    assert r["settled_tasks"] == 120 and {status(d) for d in deps} == {"cancelled"}, r
