"""Fault-test helpers: private clusters, crashes, replicas, and checks that hold
the database's rows and its audit trail to each other after faults.

The fault tests never use the shared test cluster (``.pgcoord/testcluster``, other
runs use it): each starts its own clusters under a fresh temporary directory with
:class:`PrivateClusters` and destroys them afterwards (they are
:class:`devtools.cluster.FaultCluster`: crashable, replicable, promotable). When this
process is root the servers run as the ``postgres`` OS user, as :mod:`pgcoord.cluster`
arranges.

Commits are durable (``synchronous_commit = on``): a commit acknowledged to a
client must survive a crash. ``fsync = off`` is kept for speed and is sound here,
because the faults kill server processes, never the kernel: WAL a commit wrote
stays in the page cache.

Checks follow ``tests/invariants.py``: each returns a list of violations.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from devtools.cluster import FaultCluster
from pgcoord import migrations
from pgcoord.cluster import with_dbname

from .helpers import connect, create_login_role

DURABLE_CONF = ("fsync = off", "synchronous_commit = on")


class PrivateClusters:
    """Clusters of one test module under one temporary directory; close() kills and removes them
    (set PGCOORD_KEEP_FAULT_CLUSTERS=1 to keep the directory, e.g. to read server logs).
    As a context manager it prints the tail of every server log when the block fails, then closes."""

    def __init__(self, prefix: str):
        self.base = Path(tempfile.mkdtemp(prefix=f"pgcoord-{prefix}-"))
        self.clusters: list[FaultCluster] = []

    def __enter__(self) -> PrivateClusters:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        try:
            if exc_type is not None:
                print(self.log_tails())
        finally:
            self.close()

    def new(self, name: str, extra_conf: tuple[str, ...] = DURABLE_CONF) -> FaultCluster:
        cluster = FaultCluster(self.base / name, extra_conf=extra_conf)
        self.clusters.append(cluster)
        cluster.start()
        return cluster

    def replica_of(self, primary: FaultCluster, name: str) -> FaultCluster:
        replica = primary.make_replica(self.base / name)
        self.clusters.append(replica)
        return replica

    def log_tails(self, lines: int = 30) -> str:
        out = []
        for c in self.clusters:
            if c.logfile.exists():
                tail = c.logfile.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {c.logfile} ---\n" + "\n".join(tail))
        return "\n".join(out)

    def close(self) -> None:
        for c in self.clusters:
            try:
                c.kill()
            except Exception:  # noqa: BLE001 - best effort: the directory goes anyway
                pass
        if os.environ.get("PGCOORD_KEEP_FAULT_CLUSTERS"):
            print(f"fault clusters kept in {self.base}")
            return
        shutil.rmtree(self.base, ignore_errors=True)


def deploy_pgcoord(cluster: FaultCluster, dbname: str = "pgcoord") -> str:
    """Create a database on the cluster and deploy the whole plan into it; its superuser DSN."""
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    dsn = with_dbname(cluster.dsn(), dbname)
    migrations.deploy(dsn)
    return dsn


def create_auditor(su: psycopg.Connection, role: str) -> str:
    return create_login_role(su, role, "coord_auditor")


def wait_for_replay(primary_su: psycopg.Connection, replica_dsn: str, timeout: float = 60.0) -> str:
    """Wait until the standby has replayed everything the primary has written so far."""
    lsn = primary_su.execute("SELECT pg_current_wal_lsn()::text AS lsn").fetchone()["lsn"]
    deadline = time.monotonic() + timeout
    with connect(replica_dsn) as conn:
        while True:
            r = conn.execute("SELECT pg_is_in_recovery() AS rec, pg_last_wal_replay_lsn() >= %s::pg_lsn AS done",
                             (lsn,)).fetchone()
            assert r["rec"], "the replica is not in recovery"
            if r["done"]:
                return lsn
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica did not replay up to {lsn} within {timeout}s")
            time.sleep(0.05)


def wait_until_primary(dsn: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with connect(dsn) as conn:
            if not conn.execute("SELECT pg_is_in_recovery() AS r").fetchone()["r"]:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"still in recovery after {timeout}s")
        time.sleep(0.05)


def connection_lost(exc: BaseException, conn: psycopg.Connection | None) -> bool:
    """Whether an error means the session is gone (terminated backend, crash, server down):
    the call's outcome is then unknown to the client (it may have committed)."""
    if conn is not None and (conn.broken or conn.closed):
        return True
    state = getattr(exc, "sqlstate", None) or ""
    return isinstance(exc, psycopg.OperationalError) and (state == "" or state[:2] in ("08", "57"))


# -- what the clients saw -------------------------------------------------------------

@dataclass
class Call:
    """One API call as its client saw it. status: ok / refused (an answer came back),
    lost (the connection died: outcome unknown), error (an error came back: nothing committed)."""
    actor: str
    op: str
    args: dict[str, Any]
    status: str = "pending"
    row: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    started: float = 0.0

    @property
    def event_id(self) -> int | None:
        return self.row.get("event_id")


# -- checks: the rows and the trail after faults ------------------------------------------

def _events(su: psycopg.Connection, ops: Iterable[str], proceeded_only: bool = True) -> list[dict[str, Any]]:
    return su.execute(
        """SELECT event_id, actor, operation, resource, proceeded, reason, context
             FROM coord_private.audit_events
            WHERE operation = ANY (%s) AND (proceeded OR NOT %s)
            ORDER BY event_id""", (list(ops), proceeded_only)).fetchall()


def _at(ev: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(ev["context"]["at"])


def _secs(ev: dict[str, Any], key: str) -> timedelta:
    return timedelta(seconds=float(ev["context"][key]))


TOLERANCE = timedelta(milliseconds=500)   # between a function's clock reading and its event's 'at'


def acknowledged_calls_in_trail(su: psycopg.Connection, calls: Iterable[Call]) -> list[str]:
    """Durability: every call answered with an event id has that event, with the same actor,
    operation, outcome and reason (a crash may lose only what nobody was told)."""
    answered = [c for c in calls if c.status in ("ok", "refused") and c.event_id is not None]
    rows = {r["event_id"]: r for r in su.execute(
        "SELECT event_id, actor, operation, proceeded, reason FROM coord_private.audit_events WHERE event_id = ANY (%s)",
        ([c.event_id for c in answered],)).fetchall()}
    out = []
    for c in answered:
        r = rows.get(c.event_id)
        if r is None:
            out.append(f"{c.op} by {c.actor} was answered with event {c.event_id} (ok={c.row.get('ok')}), "
                       f"which is not in the trail")
        elif (r["actor"], r["operation"], r["proceeded"], r["reason"]) != (c.actor, c.op, c.row.get("ok"), c.row.get("reason")):
            out.append(f"{c.op} by {c.actor} answered ok={c.row.get('ok')} reason={c.row.get('reason')} with event "
                       f"{c.event_id}, which records {r['operation']} by {r['actor']} proceeded={r['proceeded']} "
                       f"reason={r['reason']}")
    return out


def unanswered_events_accounted(su: psycopg.Connection, calls: Iterable[Call], actors: list[str]) -> list[str]:
    """Exactly one event per call: an event of these agents that no answer named belongs to a
    call whose connection died (at most one such event per lost call of that actor and
    operation); settle_task events belong to the fail/cancel that caused them, and an
    answered fail/cancel reported how many it settled."""
    calls = list(calls)
    answered = {c.event_id for c in calls if c.event_id is not None}
    lost = Counter((c.actor, c.op) for c in calls if c.status == "lost")
    rows = su.execute(
        """SELECT event_id, actor, operation, resource, proceeded, context FROM coord_private.audit_events
            WHERE actor = ANY (%s) ORDER BY event_id""", (actors,)).fetchall()
    out = []
    extra: Counter[tuple[str, str]] = Counter()
    settles_by_cause: Counter[int] = Counter()
    exhausted: set[int] = set()
    for r in rows:
        if r["operation"] == "settle_task":
            # dependency_failed names its cause (the failed, cancelled or exhausted task);
            # attempts_exhausted (run inside a claim) names none
            if r["context"].get("cause") is not None:
                settles_by_cause[int(r["context"]["cause"])] += 1
            elif r["proceeded"] and r["context"].get("settle_reason") == "attempts_exhausted":
                exhausted.add(int(r["resource"]))
        elif r["event_id"] not in answered:
            extra[(r["actor"], r["operation"])] += 1
    for key, n in sorted(extra.items()):
        if n > lost[key]:
            out.append(f"{n} {key[1]} events of {key[0]} were never answered, but only {lost[key]} such calls lost "
                       f"their connection (an event without its call)")
    # the answered call that made a task terminal (a retryable failure settles nothing;
    # a task may still end later by exhaustion, inside somebody's claim)
    causes = {int(c.args["task_id"]): c for c in calls
              if c.status == "ok" and (c.op == "cancel_task" or (c.op == "fail_task" and c.row.get("status") == "failed"))}
    cause_events = {int(r["resource"]) for r in _events(su, ("fail_task", "cancel_task"))} | exhausted
    for cause, n in sorted(settles_by_cause.items()):
        if cause not in cause_events:
            out.append(f"{n} settle_task events name cause {cause}, which has no proceeded fail/cancel event "
                       f"and was not settled as exhausted")
        elif cause in causes and causes[cause].row.get("settled") != n:
            out.append(f"the {causes[cause].op} of task {cause} reported {causes[cause].row.get('settled')} settled "
                       f"dependents, the trail has {n} settle_task events for it")
    return out


def lease_rows_match_trail(su: psycopg.Connection) -> list[str]:
    """Every lease row is the mutation of a proceeded acquire_lock event (same holder, path,
    mode, token) and has the expiry its last proceeded acquire/renew event set (time + ttl); every grant
    in the trail whose row is gone was released (a proceeded release_lock of its token),
    replaced by its holder's re-grant of the path, or expired and tidied by a later grant
    of the path. Nothing else removes a lease row."""
    grants = {int(e["context"]["token"]): e for e in _events(su, ("acquire_lock",))}
    expiry: dict[int, datetime] = {t: _at(e) + _secs(e, "ttl_seconds") for t, e in grants.items()}
    renewed: dict[int, int] = {}
    for e in _events(su, ("renew_lock",)):
        t = e["context"].get("token")
        if t is not None and int(t) in expiry:
            # a renewal sets the expiry to its time + ttl (it may shorten the lease)
            expiry[int(t)] = _at(e) + _secs(e, "ttl_seconds")
            renewed[int(t)] = e["event_id"]
    released = {int(e["context"]["token"]): e["event_id"] for e in _events(su, ("release_lock",))
                if e["context"].get("token") is not None}
    by_path: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in grants.values():
        by_path[e["resource"]].append(e)
    rows = {r["token"]: r for r in su.execute(
        "SELECT path, mode, holder, token, expires_at FROM coord_private.locks").fetchall()}
    out = []
    for token, r in rows.items():
        g = grants.get(token)
        if g is None:
            out.append(f"lease row {r['path']!r} of {r['holder']} (token {token}) has no proceeded acquire_lock event")
            continue
        if (g["actor"], g["resource"], g["context"]["mode"]) != (r["holder"], r["path"], r["mode"]):
            out.append(f"lease row token {token} is {r['mode']} {r['path']!r} of {r['holder']}, its grant event "
                       f"{g['event_id']} says {g['context']['mode']} {g['resource']!r} of {g['actor']}")
        if token in released:
            out.append(f"lease row token {token} ({r['path']!r}) is still there, but release event "
                       f"{released[token]} removed it")
        want = expiry[token]
        if not (want - TOLERANCE <= r["expires_at"] <= want + TOLERANCE):
            out.append(f"lease row token {token} ({r['path']!r}) expires {r['expires_at']}, its events "
                       f"(grant {g['event_id']}, last renewal {renewed.get(token)}) say {want}")
    for token, g in grants.items():
        if token in rows or token in released:
            continue
        later = [e for e in by_path[g["resource"]] if e["event_id"] > g["event_id"]]
        if any(e["actor"] == g["actor"] for e in later):
            continue   # re-granted to the same holder: the new row replaced this one
        if any(_at(e) + TOLERANCE >= expiry[token] for e in later):
            continue   # expired, and a later grant of the exact path tidied it
        out.append(f"grant event {g['event_id']} ({g['resource']!r} of {g['actor']}, token {token}): the row is "
                   f"gone, but no release, re-grant or tidying grant explains it")
    return out


def task_rows_match_trail(su: psycopg.Connection, task_type: str) -> list[str]:
    """Every task row is the mutation of one proceeded submit_task event (matched by submitter
    and idempotency key, dependencies included), and its state is what its proceeded task
    events, replayed in event order, make it: status, attempts, claimer, claim token and
    claim expiry. A state change without its event, or an event without its change, shows."""
    out = []
    tasks = {r["task_id"]: r for r in su.execute(
        """SELECT t.*, ARRAY(SELECT d.depends_on FROM coord_private.task_deps d
                              WHERE d.task_id = t.task_id ORDER BY 1) AS deps
             FROM coord_private.tasks t WHERE t.task_type = %s""", (task_type,)).fetchall()}
    by_key = {(t["submitter"], t["idempotency_key"]): t for t in tasks.values()}
    submitted: set[tuple[str, str]] = set()
    for e in _events(su, ("submit_task",)):
        if e["resource"] != task_type or e["context"].get("existing_task") is not None:
            continue
        key = (e["actor"], e["context"].get("idempotency_key"))
        submitted.add(key)
        t = by_key.get(key)
        if t is None:
            out.append(f"submit event {e['event_id']} by {key[0]} (key {key[1]!r}) proceeded, but no task row has it")
        elif e["context"].get("task_id") is not None and int(e["context"]["task_id"]) != t["task_id"]:
            out.append(f"submit event {e['event_id']} names task {e['context']['task_id']}, but its row is task "
                       f"{t['task_id']}")
        elif sorted(t["deps"]) != sorted(e["context"].get("depends_on") or []):
            out.append(f"task {t['task_id']} depends on {t['deps']}, its submit event {e['event_id']} on "
                       f"{e['context'].get('depends_on')}")
    for key, t in by_key.items():
        if key not in submitted:
            out.append(f"task {t['task_id']} (submitter {key[0]}, key {key[1]!r}) has no proceeded submit event")

    state: dict[int, dict[str, Any]] = {
        i: {"status": "pending", "attempts": 0, "claimed_by": None, "token": None, "expires": None, "last": None}
        for i in tasks}
    for e in _events(su, ("claim_task", "renew_claim", "complete_task", "fail_task", "cancel_task", "settle_task")):
        if e["resource"] is None or int(e["resource"]) not in state:
            continue
        s, ctx, op = state[int(e["resource"])], e["context"], e["operation"]
        s["last"] = e["event_id"]
        if op == "claim_task":
            s.update(status="claimed", attempts=int(ctx["attempt"]), claimed_by=e["actor"], token=int(ctx["attempt"]),
                     expires=_at(e) + _secs(e, "lease_seconds"))
        elif op == "renew_claim":
            s["expires"] = _at(e) + _secs(e, "lease_seconds")
        elif op == "complete_task":
            s.update(status="completed", expires=None)
        elif op == "fail_task":
            s.update(status=ctx["next_status"], expires=None)
            if ctx["next_status"] == "pending":
                s["claimed_by"] = None
        elif op == "cancel_task":
            s.update(status="cancelled", expires=None)
        else:
            s.update(status="failed" if ctx.get("settle_reason") == "attempts_exhausted" else "cancelled", expires=None)
    for i, t in sorted(tasks.items()):
        s = state[i]
        got = (t["status"], t["attempts"])
        want = (s["status"], s["attempts"])
        if t["status"] == "claimed":
            got += (t["claimed_by"], t["claim_token"])
            want += (s["claimed_by"], s["token"])
        if got != want:
            out.append(f"task {i}: row has status/attempts/claimer/token {got}, its events (last {s['last']}) say {want}")
        elif t["status"] == "claimed" and not (s["expires"] - TOLERANCE <= t["claim_expires_at"] <= s["expires"] + TOLERANCE):
            out.append(f"task {i}: claim expires {t['claim_expires_at']}, its events (last {s['last']}) say {s['expires']}")
    return out
