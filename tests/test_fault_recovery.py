"""Faults are part of the specification: INV-AUDIT-COMPLETE, INV-LOCK-EXCL, INV-CLAIM-UNIQ
(and INV-LOCK-FENCE, INV-AUDIT-IMMUTABLE) hold through killed sessions and server crashes.

On a cluster of this module's own (a temporary directory; the shared test cluster is
never touched; durable commits, see tests/faults.py), six agents, each its own LOGIN
role with its own connection and thread, run a mixed workload for RUN_SECONDS: leases
on overlapping paths (acquire, renew, release; exclusive and shared; 1-3 s TTLs, so
leases expire and are taken over), and a task queue (submit with dependencies, claim,
renew, complete, fail retryable or not, cancel; 1-3 s claims, so claims expire and
are reclaimed). Meanwhile a chaos thread terminates a random agent backend every few
hundred milliseconds (pg_terminate_backend as superuser; one in the middle of a call
when there is one), kills the server once with
SIGKILL of every server process and once with ``pg_ctl stop -m immediate``, and
restarts it each time (crash recovery, same port). Agents reconnect and go on; a call
whose connection died is *lost*: its client does not know whether it committed.

Afterwards, on the recovered server:

* every call answered with an event id has that event (a crash loses only what nobody
  was told), and every event nobody was told of belongs to a lost call (at most one
  each) — exactly one event per mutation;
* the rows and the trail agree: each lease row and each task row's state is what its
  proceeded events made it, and every proceeded event's change is there
  (tests/faults.py); coord.verify_audit() passes;
* INV-LOCK-EXCL: a monitor swept the lease table throughout, and checks it at the end;
* INV-CLAIM-UNIQ, INV-COMPLETE-OWNER, INV-DEPS from the trail (tests/invariants.py), and
  no two answered claims of one task share an attempt;
* INV-LOCK-FENCE: tokens strictly increase per overlapping path in commit order;
* the trail replays as a behaviour of the TLA+ model (tests/trace_validation.py).
"""
from __future__ import annotations

import random
import re
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from . import faults
from . import invariants as inv
from .helpers import connect, create_agent, role_dsn
from .trace_validation import validate_database

pytestmark = pytest.mark.timeout(240)

SEED = 20261207
N_AGENTS = 6
RUN_SECONDS = 20.0
CRASHES = ((0.30, "sigkill"), (0.65, "immediate"))   # (fraction of the run, how)
TASK_TYPE = "chaos"
PATHS = ["src/", "src/app/", "src/app/main.py", "src/app/util.py", "src/**/*.py", "src/lib/core.py",
         "docs/", "docs/index.md", "README.md"]
CONNECT_TIMEOUT = 3                  # seconds: a session of the chaos run gives up connecting
BENIGN_ERRORS = ("55P03", "40P01")   # lock timeout, deadlock: the statement failed, nothing committed


@dataclass
class Run:
    dsn: str
    roles: list[str]
    calls: list[faults.Call] = field(default_factory=list)
    terminations: int = 0
    crashes: list[tuple[str, float, float]] = field(default_factory=list)   # (how, killed at, ready at)
    monitor_sweeps: int = 0
    monitor_violations: list[str] = field(default_factory=list)
    thread_errors: list[str] = field(default_factory=list)
    started: float = 0.0
    checks: dict[str, list[str]] = field(default_factory=dict)   # final_checks on the recovered server
    phases: dict[str, float] = field(default_factory=dict)       # seconds: setup, run, checks


class Agent:
    """One agent: its own role, connection and thread; what it believes it holds."""

    def __init__(self, run: Run, index: int, tasks: list[int], tasks_lock: threading.Lock, stop: threading.Event):
        self.run, self.role = run, run.roles[index]
        self.dsn = role_dsn(run.dsn, self.role)
        self.rng = random.Random(SEED * 10 + index)
        self.tasks, self.tasks_lock, self.stop = tasks, tasks_lock, stop
        self.conn: psycopg.Connection | None = None
        self.held: dict[str, int] = {}
        self.claims: dict[int, int] = {}
        self.submitted: list[int] = []
        self.n = 0

    def reconnect(self) -> bool:
        while not self.stop.is_set():
            try:
                self.conn = connect(self.dsn, connect_timeout=CONNECT_TIMEOUT)
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        return False

    def choose(self) -> tuple[str, dict[str, Any], str, tuple]:
        rng, r = self.rng, self.rng.random()
        if r < 0.08 and self.held:
            path = rng.choice(sorted(self.held))
            ttl = rng.choice([1, 2, 3])
            return "renew_lock", {"path": path}, "SELECT * FROM coord.renew_lock(%s, make_interval(secs => %s))", (path, ttl)
        if r < 0.22 and self.held:
            path = rng.choice(sorted(self.held))
            return "release_lock", {"path": path}, "SELECT * FROM coord.release_lock(%s)", (path,)
        if r < 0.37:
            with self.tasks_lock:
                recent = self.tasks[-12:]
            deps = rng.sample(recent, k=min(len(recent), rng.choice([0, 0, 1, 2])))
            self.n += 1
            key = f"{self.role}-{self.n}"
            return ("submit_task", {"key": key, "deps": deps},
                    "SELECT * FROM coord.submit_task(%s, %s, %s, %s, %s, %s, %s)",
                    (TASK_TYPE, f"step {self.n}", Jsonb({"n": self.n}), rng.randint(0, 3), deps, key, 3))
        if r < 0.52:
            lease = rng.choice([1, 2, 3])
            return ("claim_task", {}, "SELECT * FROM coord.claim_task(%s, make_interval(secs => %s))",
                    ([TASK_TYPE], lease))
        if r < 0.68 and self.claims:
            task_id = rng.choice(sorted(self.claims))
            token = self.claims[task_id]
            k = rng.random()
            if k < 0.2:
                return ("renew_claim", {"task_id": task_id},
                        "SELECT * FROM coord.renew_claim(%s, %s, make_interval(secs => %s))", (task_id, token, 2))
            if k < 0.7:
                return ("complete_task", {"task_id": task_id}, "SELECT * FROM coord.complete_task(%s, %s, %s)",
                        (task_id, token, Jsonb({"by": self.role})))
            return ("fail_task", {"task_id": task_id}, "SELECT * FROM coord.fail_task(%s, %s, %s, %s)",
                    (task_id, token, "chaos says no", k < 0.9))
        if r < 0.70 and self.submitted:
            task_id = rng.choice(self.submitted[-10:])
            return "cancel_task", {"task_id": task_id}, "SELECT * FROM coord.cancel_task(%s, %s)", (task_id, "chaos")
        path = rng.choice(PATHS)
        mode = "shared" if rng.random() < 0.25 else "exclusive"
        return ("acquire_lock", {"path": path, "mode": mode},
                "SELECT * FROM coord.acquire_lock(%s, make_interval(secs => %s), %s)", (path, rng.choice([1, 2, 3]), mode))

    def settle(self, call: faults.Call) -> None:
        """What the agent believes after the call (after a lost call: nothing it is unsure of)."""
        op, a, row, ok = call.op, call.args, call.row, call.status == "ok"
        if op == "acquire_lock":
            if ok:
                self.held[row["path"]] = row["token"]
            elif call.status == "lost":
                self.held.pop(a["path"], None)
        elif op == "renew_lock" and not ok:
            self.held.pop(a["path"], None)
        elif op == "release_lock":
            self.held.pop(a["path"], None)
        elif op == "submit_task" and ok:
            with self.tasks_lock:
                self.tasks.append(row["task_id"])
            self.submitted.append(row["task_id"])
        elif op == "claim_task" and ok:
            self.claims[row["task_id"]] = row["claim_token"]
        elif op in ("complete_task", "fail_task") or (op == "renew_claim" and not ok):
            self.claims.pop(a["task_id"], None)
        if op == "claim_task" and ok and self.rng.random() < 0.05:
            self.claims.pop(row["task_id"], None)    # abandon it: the claim expires and is reclaimed

    def loop(self) -> None:
        while not self.stop.is_set():
            if self.conn is None and not self.reconnect():
                return
            op, args, sql, params = self.choose()
            call = faults.Call(self.role, op, args, started=time.monotonic())
            try:
                call.row = dict(self.conn.execute(sql, params).fetchone())
                call.status = "ok" if call.row["ok"] else "refused"
            except psycopg.Error as exc:
                if faults.connection_lost(exc, self.conn):
                    call.status = "lost"
                    self.conn.close()
                    self.conn = None
                else:
                    call.status, call.error = "error", f"{exc.sqlstate}: {exc.diag.message_primary}"
            self.run.calls.append(call)
            self.settle(call)
            time.sleep(self.rng.random() * 0.003)
        if self.conn is not None:
            self.conn.close()


def chaos(run: Run, cluster, stop: threading.Event) -> None:
    rng = random.Random(SEED)
    crashes = list(CRASHES)
    su = None
    while True:
        elapsed = time.monotonic() - run.started
        if elapsed >= RUN_SECONDS:
            break
        time.sleep(rng.uniform(0.15, 0.45))
        if crashes and elapsed >= crashes[0][0] * RUN_SECONDS:
            _, how = crashes.pop(0)
            killed = time.monotonic()
            if su is not None:
                su.close()
                su = None
            if how == "sigkill":
                cluster.kill()
            else:
                cluster.stop(mode="immediate")
            cluster.start(port=cluster.port)      # crash recovery; the same DSN
            run.crashes.append((how, killed - run.started, time.monotonic() - run.started))
            continue
        try:
            if su is None:
                su = connect(run.dsn, connect_timeout=CONNECT_TIMEOUT)
            # preferably a backend in the middle of a call: its transaction dies half done
            r = su.execute("""SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity
                               WHERE usename = ANY (%s) AND pid <> pg_backend_pid()
                               ORDER BY state = 'active' DESC, random() LIMIT 1""",
                           (run.roles,)).fetchone()
            run.terminations += bool(r and r["t"])
        except psycopg.Error:
            su = None
    stop.set()
    if su is not None:
        su.close()


def monitor(run: Run, stop: threading.Event) -> None:
    """INV-LOCK-EXCL swept continuously (each sweep one statement: one instant)."""
    su = None
    while not stop.is_set():
        try:
            if su is None:
                su = connect(run.dsn, connect_timeout=CONNECT_TIMEOUT)
            found = inv.inv_lock_excl(su)
            run.monitor_sweeps += 1
            run.monitor_violations += [f"t={time.monotonic() - run.started:.2f}s {v}" for v in found]
        except psycopg.Error:
            su = None
            time.sleep(0.05)
        time.sleep(0.05)
    if su is not None:
        su.close()


def guarded(run: Run, fn, *args) -> None:
    try:
        fn(*args)
    except BaseException:  # noqa: BLE001 - reported by the tests
        run.thread_errors.append(traceback.format_exc())


@pytest.fixture(scope="module")
def run() -> Any:
    t0 = time.monotonic()
    with faults.PrivateClusters("faults") as clusters:
        cluster = clusters.new("server")
        dsn = faults.deploy_pgcoord(cluster)
        with connect(dsn) as su:
            roles = [create_agent(su, f"chaos_agent_{i}") for i in range(N_AGENTS)]
        result = Run(dsn=dsn, roles=roles)
        stop = threading.Event()
        tasks: list[int] = []
        tasks_lock = threading.Lock()
        agents = [Agent(result, i, tasks, tasks_lock, stop) for i in range(N_AGENTS)]
        threads = [threading.Thread(target=guarded, args=(result, a.loop), daemon=True) for a in agents]
        threads.append(threading.Thread(target=guarded, args=(result, monitor, result, stop), daemon=True))
        result.started = time.monotonic()
        result.phases["setup"] = result.started - t0
        for t in threads:
            t.start()
        guarded(result, chaos, result, cluster, stop)
        stop.set()
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads), "workload threads still running 30 s after the stop"
        result.phases["run"] = time.monotonic() - result.started
        with connect(dsn) as su:
            result.checks = final_checks(su, result)
        result.phases["checks"] = time.monotonic() - result.started - result.phases["run"]
        yield result


def explain_claim_replay(su: psycopg.Connection, violations: list[str], calls: list[faults.Call]) -> list[str]:
    """For a replayed claim the model refuses (a live claim of another agent), how long
    before that claim's expiry by the trail (its last claim/renew event's 'at' + lease)
    the new claim's 'at' lies, and what the row's expiry was when granted (the time the
    database judged by is not in the trail; a few milliseconds mean the trail's 'at' is
    later than the clock reading the decision used, not two live claims)."""
    out = []
    for v in violations:
        m = re.match(r"event (\d+) claim_task\((\S+), (\d+)\): task \d+ is claimed with a live claim", v)
        if not m:
            out.append(v)
            continue
        event_id, task_id = int(m.group(1)), m.group(3)
        evs = su.execute(
            """SELECT event_id, operation, actor, context FROM coord_private.audit_events
                WHERE resource = %s AND proceeded AND operation IN ('claim_task', 'renew_claim')
                  AND event_id <= %s ORDER BY event_id DESC LIMIT 2""", (task_id, event_id)).fetchall()
        new, prev = evs[0], evs[1]
        trail_expiry = datetime.fromisoformat(prev["context"]["at"]) + timedelta(
            seconds=float(prev["context"]["lease_seconds"]))
        new_at = datetime.fromisoformat(new["context"]["at"])
        early = (trail_expiry - new_at).total_seconds() * 1000
        answer = next((c.row.get("claim_expires_at") for c in calls if c.event_id == prev["event_id"]), None)
        answered = ("unknown (its call lost the connection)" if answer is None else
                    f"{answer} ({(new_at - answer).total_seconds() * 1000:.3f} ms before the new claim's 'at')")
        out.append(f"{v} [the new claim's 'at' is {early:.3f} ms before the expiry the trail gives the previous "
                   f"{prev['operation']} event {prev['event_id']} by {prev['actor']} ('at' + lease); the expiry "
                   f"the database answered for it: {answered}; reclaim_from = {new['context'].get('reclaim_from')!r}]")
    return out


def final_checks(su: psycopg.Connection, run: Run) -> dict[str, list[str]]:
    """Every check on the recovered server, run once (the tests assert one group each)."""
    steps, replay = validate_database(su)
    replay = explain_claim_replay(su, replay, run.calls)
    answered = [c.event_id for c in run.calls if c.event_id is not None]
    unanswered = su.execute(
        """SELECT count(*) AS n FROM coord_private.audit_events
            WHERE actor = ANY (%s) AND operation <> 'settle_task' AND NOT (event_id = ANY (%s))""",
        (run.roles, answered)).fetchone()["n"]
    return {
        "lost_but_committed": [str(unanswered)],
        "answered_in_trail": faults.acknowledged_calls_in_trail(su, run.calls),
        "unanswered_accounted": faults.unanswered_events_accounted(su, run.calls, run.roles),
        "lease_rows": faults.lease_rows_match_trail(su),
        "task_rows": faults.task_rows_match_trail(su, TASK_TYPE),
        "verify_audit": inv.verify_audit(su),
        "lock_excl_now": inv.inv_lock_excl(su),
        "lock_fence": inv.inv_lock_fence(su),
        "claim_uniq": inv.inv_claim_uniq(su, TASK_TYPE),
        "complete_owner": inv.inv_complete_owner(su, TASK_TYPE),
        "deps": inv.inv_deps(su, TASK_TYPE),
        "replay": replay,
        "replay_steps": [str(steps)],
    }


def _summary(run: Run) -> str:
    by = Counter((c.op, c.status) for c in run.calls)
    ops = sorted({c.op for c in run.calls})
    lines = [f"{op}: " + ", ".join(f"{s} {by[(op, s)]}" for s in ("ok", "refused", "lost", "error") if by[(op, s)])
             for op in ops]
    lost = sum(1 for c in run.calls if c.status == "lost")
    crashes = ", ".join(f"{how} at {k:.1f} s (ready at {r:.1f} s)" for how, k, r in run.crashes)
    return (f"{len(run.calls)} calls, {run.terminations} backends terminated, crashes: {crashes}, "
            f"{run.monitor_sweeps} monitor sweeps; {lost} calls lost their connection, "
            f"{run.checks['lost_but_committed'][0]} of them had committed; "
            + ", ".join(f"{k} {v:.1f} s" for k, v in run.phases.items()) + "\n  " + "\n  ".join(lines))


def test_fault_run_did_what_it_claims(run):
    """Non-vacuity: both crashes happened, sessions were killed, work went on after each."""
    print("\n" + _summary(run))
    assert not run.thread_errors, run.thread_errors[0]
    assert [how for how, _, _ in run.crashes] == [how for _, how in CRASHES]
    assert run.terminations >= 20, run.terminations
    status = Counter(c.status for c in run.calls)
    assert status["lost"] >= 10 and status["ok"] >= 1000, status
    after_last = [c for c in run.calls if c.started > run.crashes[-1][2] and c.status == "ok"]
    assert len(after_last) >= 200, f"only {len(after_last)} successful calls after the last restart"
    done = Counter(c.op for c in run.calls if c.status == "ok")
    for op in ("acquire_lock", "renew_lock", "release_lock", "submit_task", "claim_task", "renew_claim",
               "complete_task", "fail_task", "cancel_task"):
        assert done[op] >= 5, f"too few successful {op} calls: {done}"
    errors = [f"{c.op} by {c.actor}: {c.error}" for c in run.calls if c.status == "error"]
    assert all(e.split(": ")[1][:5] in BENIGN_ERRORS for e in errors), errors[:10]
    assert run.monitor_sweeps >= 50, run.monitor_sweeps


def test_INV_AUDIT_COMPLETE_answered_mutations_survive_crashes(run):
    inv.check(run.checks["answered_in_trail"], "durability of answered calls (INV-AUDIT-COMPLETE)")


def test_INV_AUDIT_COMPLETE_one_event_per_call_through_faults(run):
    inv.check(run.checks["unanswered_accounted"], "INV-AUDIT-COMPLETE (events without calls)")


def test_INV_AUDIT_COMPLETE_lease_rows_and_trail_agree_after_recovery(run):
    inv.check(run.checks["lease_rows"], "INV-AUDIT-COMPLETE (lease rows vs trail)")


def test_INV_AUDIT_COMPLETE_task_rows_and_trail_agree_after_recovery(run):
    inv.check(run.checks["task_rows"], "INV-AUDIT-COMPLETE (task rows vs trail)")


def test_INV_AUDIT_IMMUTABLE_chains_verify_after_crash_recovery(run):
    inv.check(run.checks["verify_audit"], "coord.verify_audit() after crash recovery")


def test_INV_LOCK_EXCL_through_faults(run):
    inv.check(run.monitor_violations, "INV-LOCK-EXCL (monitor during the run)")
    inv.check(run.checks["lock_excl_now"], "INV-LOCK-EXCL (after the run)")


def test_INV_LOCK_FENCE_tokens_increase_per_path_through_faults(run):
    inv.check(run.checks["lock_fence"], "INV-LOCK-FENCE")
    tokens = [c.row["token"] for c in run.calls if c.op == "acquire_lock" and c.status == "ok"]
    repeated = [t for t, n in Counter(tokens).items() if n > 1]
    assert not repeated, f"tokens answered to two grants: {repeated[:10]}"


def test_INV_CLAIM_UNIQ_through_faults(run):
    inv.check(run.checks["claim_uniq"], "INV-CLAIM-UNIQ")
    claims = Counter((c.row["task_id"], c.row["claim_token"]) for c in run.calls if c.op == "claim_task" and c.status == "ok")
    inv.check([f"task {t} attempt {a} answered to {n} claimers" for (t, a), n in claims.items() if n > 1],
              "INV-CLAIM-UNIQ (answered claims)")
    inv.check(run.checks["complete_owner"], "INV-COMPLETE-OWNER")
    inv.check(run.checks["deps"], "INV-DEPS")


def test_trail_replays_as_a_behaviour_of_the_model_through_faults(run):
    """tests/trace_validation.py judges expiry by each event's context 'at' (README: 'each
    event records pgcoord's clock, so expiry is judged as the database judged it'). A
    refused step that the database allowed means the trail's 'at' is not the time the
    decision used (see explain_claim_replay)."""
    print(f"\nreplayed {run.checks['replay_steps'][0]} proceeded steps")
    inv.check(run.checks["replay"], "trace validation after faults")


def test_fault_checks_catch_forged_changes(run):
    """Non-vacuity: the row/trail checks report a change without its event and an event
    without its change (forged by a superuser inside a transaction that is rolled back)."""
    with connect(run.dsn) as su:
        assert all(not run.checks[k] for k in ("answered_in_trail", "lease_rows", "task_rows")), \
            "the run itself already violates; nothing to learn from forging"
        with su.transaction(force_rollback=True):
            lease = su.execute("SELECT token FROM coord_private.locks ORDER BY token DESC LIMIT 1").fetchone()
            su.execute("UPDATE coord_private.locks SET expires_at = expires_at + interval '10 s' WHERE token = %s",
                       (lease["token"],))
            assert any(f"token {lease['token']}" in v for v in faults.lease_rows_match_trail(su))
        with su.transaction(force_rollback=True):
            su.execute("DELETE FROM coord_private.locks WHERE token = %s", (lease["token"],))
            assert any(f"token {lease['token']}): the row is gone" in v for v in faults.lease_rows_match_trail(su))
        with su.transaction(force_rollback=True):
            t = su.execute("SELECT task_id FROM coord_private.tasks WHERE status = 'pending' LIMIT 1").fetchone()
            su.execute("UPDATE coord_private.tasks SET attempts = attempts + 1 WHERE task_id = %s", (t["task_id"],))
            assert any(f"task {t['task_id']}:" in v for v in faults.task_rows_match_trail(su, TASK_TYPE))
        with su.transaction(force_rollback=True):
            su.execute("""INSERT INTO coord_private.tasks (task_type, submitter, idempotency_key, max_attempts,
                                                          created_at, updated_at)
                          VALUES (%s, %s, 'forged', 3, now(), now())""", (TASK_TYPE, run.roles[0]))
            assert any("key 'forged'" in v for v in faults.task_rows_match_trail(su, TASK_TYPE))
        with su.transaction(force_rollback=True):
            c = next(c for c in reversed(run.calls) if c.op == "complete_task" and c.status == "ok")
            su.execute("SET LOCAL session_replication_role = replica")   # past the immutability triggers
            su.execute("DELETE FROM coord_private.audit_events WHERE event_id = %s", (c.event_id,))
            assert any(f"event {c.event_id}" in v for v in faults.acknowledged_calls_in_trail(su, run.calls))
            assert any(f"task {c.args['task_id']}:" in v for v in faults.task_rows_match_trail(su, TASK_TYPE))
        with su.transaction(force_rollback=True):
            c = next(c for c in run.calls if c.op == "acquire_lock" and c.status == "ok")
            # without the call's answer, and without the lost calls that could account for its event
            calls = [x for x in run.calls
                     if x is not c and not (x.actor == c.actor and x.op == c.op and x.status == "lost")]
            assert any(c.actor in v and "acquire_lock" in v for v in faults.unanswered_events_accounted(su, calls, run.roles))
