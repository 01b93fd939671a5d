"""Hypothesis state machine of the coordination core against the real database.

The rules follow the actions of the TLA+ model (formal/Coordination.tla) one to one:
AcquireLock, RenewLock, ReleaseLock, Tick (advance pgcoord's clock: the test clock of
tests/sql/test_clock.sql, absent from a production deploy), SubmitTask, ClaimTask
(which is also Reclaim when the best claimable task's claim expired), RenewClaim,
CompleteTask, FailTask and CancelTask. The token-taking rules also run "stale": with a
claim token an earlier claim returned, after the task was reclaimed or finished.

A small Python model only generates arguments and predicts results where the
prediction is unambiguous. Time is pgcoord's clock read just before and just after
each call, so a lease is "surely live" or "surely expired" at the call, or the
prediction is skipped; the tests freeze the real part of the test clock
(freeze_clock), so only Tick moves time and every prediction is decided. After every
step the @invariant methods, named by the IDs of DESIGN.md, check the database itself
(tests/invariants.py).

One database serves every example (deploying one takes seconds); each example gets
three new agent roles, its own task type and its own top directory for leases, and
first moves the clock an hour ahead so that earlier examples' leases and claims are
long expired.
"""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from . import invariants as inv

PROFILES = ("implementer", "implementer", "orchestrator")
MAX_CLAIMED = {"implementer": 3, "orchestrator": 10}
PATHS = ("src/a.py", "src/b.py", "src/*.py", "src/", "src/lib/", "src/lib/c.py", "src/**/*.py", "docs/x.md")
# The overlap relation of PATHS, written out by hand (independently of the SQL).
OVERLAPS = {frozenset(p) for p in [
    ("src/a.py", "src/*.py"), ("src/a.py", "src/"), ("src/a.py", "src/**/*.py"),
    ("src/b.py", "src/*.py"), ("src/b.py", "src/"), ("src/b.py", "src/**/*.py"),
    ("src/*.py", "src/"), ("src/*.py", "src/**/*.py"),
    ("src/", "src/lib/"), ("src/", "src/lib/c.py"), ("src/", "src/**/*.py"),
    ("src/lib/", "src/lib/c.py"), ("src/lib/", "src/**/*.py"),
    ("src/lib/c.py", "src/**/*.py"),
]}
TERMINAL = inv.TERMINAL
OWN = st.sampled_from(["live", "live", "any", "drawn"])     # which lease to renew or release: see _own_path
WHICH = st.sampled_from(["live", "live", "current", "stale"])  # which claim to act on: see _claim_choice
OTHER = st.sampled_from([None, None, None, None, 1, 2])      # ... or with another agent's token


def overlaps(a: str, b: str) -> bool:
    return a == b or frozenset((a, b)) in OVERLAPS


def live(expires: datetime | None, t0: datetime, t1: datetime) -> bool | None:
    """Whether a lease is live at a call made between t0 and t1: True, False, or None (unsure)."""
    if expires is None or expires <= t0:
        return False
    if expires > t1:
        return True
    return None


@dataclass
class Lock:
    agent: int
    path: str
    mode: str
    token: int
    expires: datetime


@dataclass
class Task:
    task_id: int
    submitter: int
    deps: tuple[int, ...]
    priority: int
    max_attempts: int
    status: str = "pending"          # raw status as the model tracks it
    claimer: int | None = None
    attempts: int = 0
    expires: datetime | None = None


@dataclass
class Claim:
    """A claim the database granted: for stale variants and INV-CLAIM-UNIQ intervals."""
    task_id: int
    agent: int
    token: int
    start: datetime
    expires: datetime
    ended: datetime | None = None


@dataclass
class Calls:
    events: dict[int, tuple[str, str]] = field(default_factory=dict)
    unreturned_claim_refusals: int = 0
    settled: int = 0


class CoordinationMachine(RuleBasedStateMachine):
    """Set CoordinationMachine.db to the test's Database before running."""

    db: Any = None
    counter = itertools.count()
    outcomes: Counter[str] = Counter()     # (operation: reason) over every example, for the run's summary

    def __init__(self) -> None:
        super().__init__()
        db = type(self).db
        self.su = db.su
        db.advance_clock(3600)
        self.since = inv.max_event_id(self.su)
        n = next(self.counter)
        self.task_type = f"sm{n}_{db.name[-6:]}"
        # Every example leases under its own top directory: examples stay independent even
        # if the database kept an expired lease alive (Hypothesis replays need that).
        self.prefix = f"x{n}/"
        self.agents = [db.agent(p) for p in PROFILES]
        self.roles = [r for r, _ in self.agents]
        self.clients = [c for _, c in self.agents]
        self.locks: dict[tuple[int, str], Lock] = {}
        self.max_token: dict[str, int] = {}              # path -> largest token granted (model fence)
        self.tasks: dict[int, Task] = {}
        self.claims: list[Claim] = []
        self.calls = Calls()
        self.terminal_seen: dict[int, str] = {}
        self.last_now = inv.db_now(self.su)

    def teardown(self) -> None:
        for c in self.clients:
            c.close()

    # -- helpers ------------------------------------------------------------------------
    def now(self) -> datetime:
        self.last_now = inv.db_now(self.su)
        return self.last_now

    def record(self, agent: int, op: str, row: dict[str, Any]) -> None:
        assert row.get("event_id") is not None, f"{op} returned no audit event: {row}"
        type(self).outcomes[f"{op}:{row['reason']}"] += 1
        assert row["event_id"] not in self.calls.events, f"{op} returned event {row['event_id']} twice"
        self.calls.events[row["event_id"]] = (self.roles[agent], op)

    def effective(self, t: Task, t0: datetime, t1: datetime) -> str | None:
        """The task's status as the specification has it (expired claims applied), or None if unsure."""
        if t.status != "claimed":
            return t.status
        lv = live(t.expires, t0, t1)
        if lv is None:
            return None
        if lv:
            return "claimed"
        if t.attempts >= t.max_attempts:
            type(self).outcomes[f"model:exhausted:{self.task_type}:{t.task_id}"] = 1
            return "failed"
        return "pending"

    def dependents(self, task_id: int) -> list[int]:
        """Transitive dependents in the model."""
        out: list[int] = []
        frontier = [task_id]
        while frontier:
            x = frontier.pop()
            for t in self.tasks.values():
                if x in t.deps and t.task_id not in out:
                    out.append(t.task_id)
                    frontier.append(t.task_id)
        return out

    def settle(self, task_id: int, settled: int, t0: datetime, t1: datetime, what: str) -> None:
        """A task failed or was cancelled: the model settles its unfinished dependents."""
        todo = [self.tasks[d] for d in self.dependents(task_id)]
        states = [self.effective(t, t0, t1) for t in todo]
        if None not in states:
            expected = [t for t, s in zip(todo, states, strict=True) if s in ("pending", "claimed")]
            assert settled == len(expected), (
                f"{what}: the database settled {settled} dependents, the model expects "
                f"{[t.task_id for t in expected]} (INV-DEPS / INV-COMPLETE-OWNER)")
        for t in todo:
            if t.status in ("pending", "claimed"):
                self.end_claim(t, t0)
                t.status = "cancelled"
        self.calls.settled += settled

    def end_claim(self, t: Task, when: datetime) -> None:
        for c in reversed(self.claims):
            if c.task_id == t.task_id:
                if c.ended is None:
                    c.ended = when
                return

    def pick(self, items: list[Any], index: int) -> Any:
        return items[index % len(items)]

    # -- leases: TLA+ AcquireLock, RenewLock, ReleaseLock, Tick ---------------------------------
    @rule(agent=st.integers(0, 2), path=st.sampled_from(PATHS), ttl=st.integers(2, 15),
          mode=st.sampled_from(["exclusive", "exclusive", "shared"]))
    def AcquireLock(self, agent: int, path: str, ttl: int, mode: str) -> None:
        t0 = self.now()
        r = self.clients[agent].acquire_lock(self.prefix + path, ttl, mode, raise_on_refusal=False)
        t1 = self.now()
        self.record(agent, "acquire_lock", r)
        rivals = [lk for lk in self.locks.values() if lk.agent != agent and overlaps(lk.path, path)
                  and "exclusive" in (lk.mode, mode)]
        states = [live(lk.expires, t0, t1) for lk in rivals]
        if any(s is True for s in states):
            assert not r["ok"] and r["reason"] == "lock_held_by_other", \
                f"INV-LOCK-EXCL: {mode} {path!r} granted to agent {agent} over live {[lk for lk, s in zip(rivals, states, strict=True) if s]}: {r}"
            for lk, s in zip(rivals, states, strict=True):
                if s:
                    assert any(h["holder"] == self.roles[lk.agent] and h["path"] == self.prefix + lk.path for h in r["holders"]), \
                        f"refusal does not name the live holder {lk}: {r['holders']}"
        elif all(s is False for s in states):
            assert r["ok"], f"{mode} {path!r} refused to agent {agent} with no live rival: {r}"
        if not r["ok"]:
            assert r["reason"] == "lock_held_by_other" and r["holders"] and r["token"] is None, r
            return
        assert r["path"] == self.prefix + path, r
        newest = max((tok for p, tok in self.max_token.items() if overlaps(p, path)), default=0)
        assert r["token"] > newest, f"INV-LOCK-FENCE: token {r['token']} for {path!r} not above {newest}"
        assert t0 + timedelta(seconds=ttl) <= r["expires_at"] <= t1 + timedelta(seconds=ttl), r
        self.max_token[path] = r["token"]
        self.locks[(agent, path)] = Lock(agent, path, mode, r["token"], r["expires_at"])

    def _own_path(self, agent: int, path: str, own: str, index: int) -> str:
        """'live': one of the agent's live leases (else as 'any'); 'any': one of its leases,
        live or expired (else as 'drawn'); 'drawn': the drawn path."""
        mine = sorted(p for (a, p) in self.locks if a == agent)
        if own == "live":
            mine = [p for p in mine if self.locks[(agent, p)].expires > self.last_now] or mine
        return self.pick(mine, index) if own != "drawn" and mine else path

    @rule(agent=st.integers(0, 2), path=st.sampled_from(PATHS), own=OWN, index=st.integers(0, 7),
          ttl=st.integers(2, 15))
    def RenewLock(self, agent: int, path: str, own: str, index: int, ttl: int) -> None:
        path = self._own_path(agent, path, own, index)
        lk = self.locks.get((agent, path))
        t0 = self.now()
        r = self.clients[agent].renew_lock(self.prefix + path, ttl, raise_on_refusal=False)
        t1 = self.now()
        self.record(agent, "renew_lock", r)
        state = live(lk.expires if lk else None, t0, t1)
        if lk is not None and state is False:
            type(self).outcomes["model:renew_expired_lease"] += 1
        if state is True:
            assert r["ok"] and r["token"] == lk.token, f"renewal of a live lease {lk} refused or re-tokened: {r}"
        elif state is False:
            assert not r["ok"] and r["reason"] == "lock_not_held", \
                f"INV-LOCK-EXPIRY: renewal of an expired or absent lease of {path!r} by agent {agent}: {r}"
        if r["ok"]:
            assert lk is not None and t0 + timedelta(seconds=ttl) <= r["expires_at"] <= t1 + timedelta(seconds=ttl)
            lk.expires = r["expires_at"]
        else:
            assert r["reason"] == "lock_not_held", r

    @rule(agent=st.integers(0, 2), path=st.sampled_from(PATHS), own=OWN, index=st.integers(0, 7))
    def ReleaseLock(self, agent: int, path: str, own: str, index: int) -> None:
        path = self._own_path(agent, path, own, index)
        lk = self.locks.get((agent, path))
        t0 = self.now()
        r = self.clients[agent].release_lock(self.prefix + path, raise_on_refusal=False)
        t1 = self.now()
        self.record(agent, "release_lock", r)
        state = live(lk.expires if lk else None, t0, t1)
        if state is True:
            assert r["ok"], f"release of a live lease {lk} refused: {r}"
        elif state is False:
            assert not r["ok"] and r["reason"] == "lock_not_held", \
                f"INV-LOCK-EXPIRY: release of an expired or absent lease of {path!r} by agent {agent}: {r}"
        if r["ok"]:
            del self.locks[(agent, path)]
        else:
            assert r["reason"] == "lock_not_held", r

    @rule(seconds=st.sampled_from([1, 2, 3, 5, 8, 13, 21]))
    def Tick(self, seconds: int) -> None:
        type(self).db.advance_clock(seconds)

    # -- the task queue: TLA+ SubmitTask, ClaimTask/Reclaim, RenewClaim, CompleteTask, FailTask, CancelTask
    @initialize(agent=st.integers(0, 2), n=st.integers(1, 4),
                leases=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(PATHS), st.integers(2, 15)), max_size=3),
                claims=st.lists(st.tuples(st.integers(0, 2), st.integers(2, 15)), max_size=2))
    def Start(self, agent: int, n: int, leases: list[tuple[int, str, int]], claims: list[tuple[int, int]]) -> None:
        """Every example starts with work queued (SubmitTask, n times), some leases
        (AcquireLock) and some claims (ClaimTask): Hypothesis leaves out a random subset of
        the rules in each example, and the rules left need something to act on."""
        for k in range(n):
            self.SubmitTask(agent, [], k % 3 - 1, 1 + k % 3)
        for a, path, ttl in leases:
            self.AcquireLock(a, path, ttl, "exclusive")
        for a, lease in claims:
            self.ClaimTask(a, lease, 0)

    @rule(agent=st.integers(0, 2), deps=st.one_of(st.just([]), st.lists(st.integers(0, 50), min_size=1, max_size=2)),
          priority=st.integers(-1, 2), max_attempts=st.integers(1, 3))
    def SubmitTask(self, agent: int, deps: list[int], priority: int, max_attempts: int) -> None:
        ids = sorted(self.tasks)
        dep_ids = tuple(sorted({self.pick(ids, d) for d in deps})) if ids else ()
        t0 = self.now()
        r = self.clients[agent].submit_task(self.task_type, "", {}, priority, list(dep_ids), None, max_attempts,
                                            raise_on_refusal=False)
        t1 = self.now()
        self.record(agent, "submit_task", r)
        states = [self.effective(self.tasks[d], t0, t1) for d in dep_ids]
        if any(s in ("failed", "cancelled") for s in states):
            assert not r["ok"] and r["reason"] == "dependency_failed", \
                f"INV-DEPS: submit depending on failed/cancelled {dep_ids} ({states}) accepted: {r}"
        elif None not in states:
            assert r["ok"], f"submit refused with dependencies {dep_ids} in {states}: {r}"
        if r["ok"]:
            assert r["task_id"] not in self.tasks and not r["existing"]
            self.tasks[r["task_id"]] = Task(r["task_id"], agent, dep_ids, priority, max_attempts)
        else:
            assert r["reason"] == "dependency_failed" and r["task_id"] is None, r

    def _claim_prediction(self, agent: int, t0: datetime, t1: datetime,
                          taken: set[int]) -> tuple[str, int | None] | None:
        """(expected reason, expected task) of the next claim by agent, or None if unsure."""
        mine = [self.effective(t, t0, t1) for t in self.tasks.values() if t.claimer == agent and t.status == "claimed"]
        if None in mine:
            return None
        if mine.count("claimed") >= MAX_CLAIMED[PROFILES[agent]]:    # live claims, this batch's included
            return ("limit_exceeded", None)
        best = None
        for t in sorted(self.tasks.values(), key=lambda x: (-x.priority, x.task_id)):
            if t.task_id in taken:
                continue
            s = self.effective(t, t0, t1)
            if s is None:
                return None
            ready = all(self.tasks[d].status == "completed" for d in t.deps)
            if s == "pending" and ready:
                best = t.task_id
                break
        return ("allowed", best) if best is not None else ("task_not_claimable", None)

    def _apply_claim(self, agent: int, row: dict[str, Any], lease: int, t0: datetime, t1: datetime) -> None:
        t = self.tasks.get(row["task_id"])
        assert t is not None, f"claimed task {row['task_id']} is not one of this example's ({self.task_type})"
        before = self.effective(t, t0, t1)
        assert before != "claimed", f"INV-CLAIM-UNIQ: task {t.task_id} claimed by agent {agent} while agent " \
                                    f"{t.claimer}'s claim was surely live (until {t.expires})"
        assert before not in TERMINAL, f"INV-COMPLETE-OWNER: terminal ({before}) task {t.task_id} claimed"
        assert all(self.tasks[d].status == "completed" for d in t.deps), \
            f"INV-DEPS: task {t.task_id} claimed before its dependencies {t.deps} completed"
        assert row["claim_token"] == row["attempt"] == t.attempts + 1, f"claim token {row['claim_token']} after {t.attempts} attempts"
        start = row["claim_expires_at"] - timedelta(seconds=lease)
        assert t0 <= start <= t1, row
        t.status, t.claimer, t.attempts, t.expires = "claimed", agent, row["claim_token"], row["claim_expires_at"]
        self.claims.append(Claim(t.task_id, agent, row["claim_token"], start, row["claim_expires_at"]))

    def _settled_by_claim(self, agent: int, since_event: int, t0: datetime, t1: datetime) -> None:
        """ExhaustAttempts / SettleDependents without a job: a claim first fails tasks
        whose last attempt expired (of any type) and settles their dependents, one
        settle_task event each, in the claimer's name. The model follows the trail,
        checking each settlement is one the specification allows."""
        rows = self.su.execute(
            "SELECT resource, context ->> 'settle_reason' AS why FROM coord_private.audit_events "
            "WHERE event_id > %s AND actor = %s AND operation = 'settle_task' ORDER BY event_id",
            (since_event, self.roles[agent])).fetchall()
        for r in rows:
            self.calls.settled += 1
            t = self.tasks.get(int(r["resource"]))
            if t is None:
                continue                         # a task of another example
            if r["why"] == "attempts_exhausted":
                assert self.effective(t, t0, t1) in ("failed", None), \
                    f"INV-DEPS: a claim settled task {t.task_id} as exhausted, the model has it {self.effective(t, t0, t1)}"
                self.end_claim(t, t0)
                t.status = "failed"
            else:
                dead = [d for d in t.deps if self.tasks[d].status in ("failed", "cancelled")
                        or self.effective(self.tasks[d], t0, t1) in ("failed", "cancelled", None)]
                assert t.status in ("pending", "claimed") and dead, \
                    f"INV-DEPS: a claim settled task {t.task_id} ({t.status}) although no dependency failed"
                self.end_claim(t, t0)
                t.status = "cancelled"

    @rule(agent=st.integers(0, 2), lease=st.integers(2, 15), batch=st.sampled_from([0, 0, 0, 2, 3]))
    def ClaimTask(self, agent: int, lease: int, batch: int) -> None:
        client = self.clients[agent]
        since = self.su.execute("SELECT coalesce(max(event_id), 0) AS m FROM coord_private.audit_events").fetchone()["m"]
        t0 = self.now()
        if batch:
            rows = client.claim_tasks(batch, [self.task_type], lease)
        else:
            rows = [client.claim_task([self.task_type], lease, raise_on_refusal=False)]
        t1 = self.now()
        for row in rows:
            self.record(agent, "claim_task", row)
        self._settled_by_claim(agent, since, t0, t1)
        if batch and len(rows) < batch:
            self.calls.unreturned_claim_refusals += 1
        taken: set[int] = set()
        predictable = True
        for k in range(len(rows) + (1 if batch and len(rows) < batch else 0)):
            pred = self._claim_prediction(agent, t0, t1, taken) if predictable else None
            row = rows[k] if k < len(rows) else None
            if pred is None:
                predictable = False
            elif row is None:                      # a batch that stopped: its refusal is not returned
                assert pred[0] != "allowed", f"batch claim stopped although task {pred[1]} was claimable"
            elif pred[0] == "allowed":
                assert row["ok"] and row["task_id"] == pred[1], \
                    f"claim by agent {agent} returned {row['ok']} {row['reason']} task {row['task_id']}, expected task {pred[1]}"
            else:
                assert not row["ok"] and row["reason"] == pred[0], \
                    f"claim by agent {agent}: expected {pred[0]}, got {row['ok']} {row['reason']} task {row['task_id']}"
            if row is not None and row["ok"]:
                self._apply_claim(agent, row, lease, t0, t1)
                taken.add(row["task_id"])
            elif row is not None:
                assert row["reason"] in ("task_not_claimable", "limit_exceeded"), row
        if batch and len(rows) == batch:
            assert all(r["ok"] for r in rows)

    def _current(self, c: Claim) -> bool:
        t = self.tasks[c.task_id]
        return t.status == "claimed" and t.claimer == c.agent and t.attempts == c.token

    def _claim_choice(self, kind: str, index: int) -> tuple[Claim, bool]:
        """A claim to act on -- 'live': a task's current, unexpired claim; 'current': a task's
        current claim, expired or not; 'stale': a superseded or finished one (any claim when
        there is none of the kind) -- and whether it is stale."""
        pool = [c for c in self.claims if self._current(c) == (kind != "stale")]
        if kind == "live":
            pool = [c for c in pool if c.expires > self.last_now]
        c = self.pick(pool or self.claims, index)
        return c, not self._current(c)

    def _expect_claim_refusal(self, t: Task, agent: int, token: int, t0: datetime, t1: datetime) -> set[str] | None:
        """Reasons the database may give for acting on this claim (empty: it must proceed); None if unsure."""
        eff = self.effective(t, t0, t1)
        if eff is None:
            return None
        if eff in TERMINAL:
            # an exhausted claim (failed by expiry) may also be reported as expired or not owned
            return {"task_terminal", "claim_expired", "not_claim_owner"} if t.status == "claimed" else {"task_terminal"}
        if t.status != "claimed" or t.claimer != agent or t.attempts != token:
            return {"not_claim_owner"}
        return set() if eff == "claimed" else {"claim_expired"}

    def _token_call(self, op: str, agent: int, c: Claim, stale: bool, call) -> tuple[dict[str, Any], datetime, datetime] | None:
        t = self.tasks[c.task_id]
        t0 = self.now()
        r = call()
        t1 = self.now()
        self.record(agent, op, r)
        expected = self._expect_claim_refusal(t, agent, c.token, t0, t1)
        if stale:
            assert not r["ok"], f"INV-COMPLETE-OWNER: {op} of task {t.task_id} by agent {agent} with stale token {c.token} accepted"
        if expected is not None:
            if expected:
                assert not r["ok"] and r["reason"] in expected, \
                    f"INV-COMPLETE-OWNER: {op} of task {t.task_id} by agent {agent} token {c.token}: expected " \
                    f"{sorted(expected)}, got {r['ok']} {r['reason']} (model {t})"
            else:
                assert r["ok"], f"{op} of task {t.task_id} by its live claimer {agent} refused: {r} (model {t})"
        if not r["ok"]:
            assert r["reason"] in ("task_terminal", "not_claim_owner", "claim_expired"), r
        return r, t0, t1

    @precondition(lambda self: self.claims)
    @rule(which=WHICH, index=st.integers(0, 1000), other=OTHER, lease=st.integers(2, 15))
    def RenewClaim(self, which: str, index: int, other: int | None, lease: int) -> None:
        c, stale = self._claim_choice(which, index)
        agent = c.agent if other is None else (c.agent + other) % 3
        r, t0, t1 = self._token_call("renew_claim", agent, c, stale or other is not None,
                                     lambda: self.clients[agent].renew_claim(c.task_id, c.token, lease, raise_on_refusal=False))
        if r["ok"]:
            assert t0 + timedelta(seconds=lease) <= r["claim_expires_at"] <= t1 + timedelta(seconds=lease)
            self.tasks[c.task_id].expires = c.expires = r["claim_expires_at"]

    @precondition(lambda self: self.claims)
    @rule(which=WHICH, index=st.integers(0, 1000), other=OTHER)
    def CompleteTask(self, which: str, index: int, other: int | None) -> None:
        c, stale = self._claim_choice(which, index)
        agent = c.agent if other is None else (c.agent + other) % 3
        result = {"by": self.roles[agent], "token": c.token, "call": len(self.calls.events)}
        r, t0, t1 = self._token_call("complete_task", agent, c, stale or other is not None,
                                     lambda: self.clients[agent].complete_task(c.task_id, c.token, result, raise_on_refusal=False))
        if r["ok"]:
            t = self.tasks[c.task_id]
            t.status = "completed"
            self.end_claim(t, t0)
        got = self.su.execute("SELECT status, result FROM coord_private.tasks WHERE task_id = %s", (c.task_id,)).fetchone()
        if self.tasks[c.task_id].status == "completed":
            assert got["status"] == "completed"
            if r["ok"]:
                assert got["result"] == result, f"task {c.task_id}: result {got['result']}, expected {result}"
        if not r["ok"]:
            assert got["result"] is None or got["result"] != result, f"a refused completion wrote its result: {got}"

    @precondition(lambda self: self.claims)
    @rule(which=WHICH, index=st.integers(0, 1000), other=OTHER, retryable=st.booleans())
    def FailTask(self, which: str, index: int, other: int | None, retryable: bool) -> None:
        c, stale = self._claim_choice(which, index)
        agent = c.agent if other is None else (c.agent + other) % 3
        r, t0, t1 = self._token_call("fail_task", agent, c, stale or other is not None,
                                     lambda: self.clients[agent].fail_task(c.task_id, c.token, "boom", retryable,
                                                                           raise_on_refusal=False))
        if not r["ok"]:
            return
        t = self.tasks[c.task_id]
        self.end_claim(t, t0)
        expected = "pending" if retryable and t.attempts < t.max_attempts else "failed"
        assert r["status"] == expected, f"fail_task next status {r['status']}, expected {expected} ({t})"
        if expected == "pending":
            assert r["settled"] == 0
            t.status, t.claimer, t.expires = "pending", None, None
        else:
            t.status = "failed"
            self.settle(t.task_id, r["settled"], t0, t1, f"fail of task {t.task_id}")

    @precondition(lambda self: self.tasks)
    @rule(agent=st.integers(0, 2), index=st.integers(0, 1000))
    def CancelTask(self, agent: int, index: int) -> None:
        t = self.pick(sorted(self.tasks.values(), key=lambda x: x.task_id), index)
        t0 = self.now()
        r = self.clients[agent].cancel_task(t.task_id, "not needed", raise_on_refusal=False)
        t1 = self.now()
        self.record(agent, "cancel_task", r)
        eff = self.effective(t, t0, t1)
        if agent != t.submitter and PROFILES[agent] == "implementer":
            assert not r["ok"] and r["reason"] == "trust_too_low", f"cancel of another's task by an implementer: {r}"
        elif eff in TERMINAL:
            assert not r["ok"] and r["reason"] == "task_terminal", \
                f"INV-COMPLETE-OWNER: cancel of task {t.task_id} whose status is {eff} (raw {t.status}, " \
                f"attempts {t.attempts}/{t.max_attempts}, claim expired {t.expires}) was {r['ok']} {r['reason']}"
        elif eff is not None:
            assert r["ok"], f"cancel of {eff} task {t.task_id} by agent {agent} refused: {r}"
        if r["ok"]:
            self.end_claim(t, t0)
            t.status = "cancelled"
            self.settle(t.task_id, r["settled"], t0, t1, f"cancel of task {t.task_id}")
        else:
            assert r["reason"] in ("trust_too_low", "task_terminal"), r

    # -- invariants, checked against the database after every step ---------------------------
    @invariant()
    def inv_lock_excl(self) -> None:
        inv.check(inv.inv_lock_excl(self.su), "INV-LOCK-EXCL")

    @invariant()
    def inv_lock_fence(self) -> None:
        inv.check(inv.inv_lock_fence(self.su, self.since, self.roles), "INV-LOCK-FENCE")

    @invariant()
    def inv_lock_expiry(self) -> None:
        inv.check(inv.inv_lock_expiry(self.su, self.roles), "INV-LOCK-EXPIRY")

    @invariant()
    def inv_claim_uniq(self) -> None:
        intervals: dict[int, list[tuple[str, datetime, datetime, datetime | None]]] = {}
        for c in self.claims:
            intervals.setdefault(c.task_id, []).append((self.roles[c.agent], c.start, c.expires, c.ended))
        inv.check(inv.inv_claim_uniq(self.su, self.task_type, claim_intervals=intervals), "INV-CLAIM-UNIQ")

    @invariant()
    def inv_complete_owner(self) -> None:
        inv.check(inv.inv_complete_owner(self.su, self.task_type, terminal_seen=self.terminal_seen),
                  "INV-COMPLETE-OWNER")

    @invariant()
    def inv_deps(self) -> None:
        inv.check(inv.inv_deps(self.su, self.task_type), "INV-DEPS")

    @invariant()
    def inv_audit_complete(self) -> None:
        inv.check(inv.inv_audit_complete(self.su, self.roles, self.since, self.calls.events,
                                         self.calls.unreturned_claim_refusals, self.calls.settled),
                  "INV-AUDIT-COMPLETE")


def freeze_clock(db) -> None:
    """Make pgcoord's clock in this test database move only when the machine ticks.

    tests/sql/test_clock.sql defines coord_private.current_time() as the real clock plus
    an offset. Here (a test database only) the real part is pinned to a constant, so the
    clock is exactly the sum of Tick's advances: lease expiry is predictable to the
    microsecond, and Hypothesis replays a sequence of rules to the same results (its
    shrinking needs that). The races keep the real clock.
    """
    db.su.execute("""
        CREATE OR REPLACE FUNCTION coord_private.current_time()
        RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE
        AS $$ SELECT '2030-01-01 00:00:00+00'::pg_catalog.timestamptz + (SELECT c.shift FROM tests.clock_offset c) $$""")
    a = inv.db_now(db.su)
    assert inv.db_now(db.su) == a
    db.advance_clock(1)
    assert inv.db_now(db.su) == a + timedelta(seconds=1)


STATEFUL_SETTINGS = settings(max_examples=30, stateful_step_count=40, deadline=None, derandomize=True,
                             database=None, suppress_health_check=list(HealthCheck), print_blob=False)


def test_INV_coordination_state_machine(db):
    """Every INV-* of the coordination core after every step of random rule sequences."""
    CoordinationMachine.db = db
    freeze_clock(db)
    # The hand-written overlap relation is the database's on this path set (also below a prefix).
    for prefix in ("", "x0/"):
        matrix = inv.overlap_matrix(db.su, [prefix + p for p in PATHS])
        for a in PATHS:
            for b in PATHS:
                o = matrix[(prefix + a, prefix + b)]
                assert o == overlaps(a, b), f"paths_overlap({prefix + a!r}, {prefix + b!r}) = {o}"
    CoordinationMachine.outcomes.clear()
    try:
        run_state_machine_as_test(CoordinationMachine, settings=STATEFUL_SETTINGS)
    finally:
        CoordinationMachine.db = None
    seen = Counter({k: v for k, v in CoordinationMachine.outcomes.items() if not k.startswith("model:")})
    exhausted = sum(1 for k in CoordinationMachine.outcomes if k.startswith("model:exhausted:"))
    print(f"\nstate machine: {sum(seen.values())} audited calls: {dict(sorted(seen.items()))}; "
          f"{exhausted} tasks seen failed by an expired last claim")


def test_INV_COMPLETE_OWNER_exhausted_task_stays_failed(db):
    """Replay of a sequence the state machine finds: a task whose last allowed claim
    expired is failed (coord.tasks says so, with no job run); cancelling it must be
    refused (task_terminal) and leave it failed."""
    CoordinationMachine.db = db
    freeze_clock(db)
    try:
        m = CoordinationMachine()
        try:
            m.SubmitTask(agent=0, deps=[], priority=0, max_attempts=1)
            m.ClaimTask(agent=1, lease=2, batch=0)
            m.Tick(seconds=3)
            m.inv_complete_owner()
            m.CancelTask(agent=0, index=0)
            m.inv_complete_owner()
        finally:
            m.teardown()
    finally:
        CoordinationMachine.db = None
