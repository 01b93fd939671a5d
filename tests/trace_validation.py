"""Trace validation: replay the audit trail against the TLA+ model's transitions.

Every audit event whose mutation proceeded is a step; each must be a transition
that formal/Coordination.tla allows from the state the earlier steps built:

  AcquireLock(a, p, m)    no live lock of another agent overlaps p (shared+shared
                          excepted) and the token exceeds every earlier grant
                          overlapping p (INV-LOCK-EXCL, INV-LOCK-FENCE)
  RenewLock / ReleaseLock a holds a live lock on exactly p
  ClaimTask / Reclaim     t is pending, or claimed with an expired claim; its
                          dependencies all completed; attempt = previous + 1
  RenewClaim, CompleteTask, FailTask
                          a holds t's current claim (token = attempt), still live
  CancelTask, SettleDependents, ExhaustAttempts
                          t is not terminal

Event order is event_id order: conflicting steps are serialised by the same row
locks under which their events are written, so event_id order is a linearisation
of every pair of steps that touch common state. pgcoord's clock is the time of
each call, so a call's judgements and its event are different readings; the trail
records what was judged: context.at is the reading a holder's lease or claim was
judged live at (renew, release, complete, fail) or a reading after every
judgement that others' grants had expired (acquire, claim), and a grant's event
records the expiry it granted (context.expires_at). So expiry is judged exactly
as the database judged it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

OPERATIONS = ("acquire_lock", "renew_lock", "release_lock", "force_release_lock", "claim_task", "renew_claim",
              "complete_task", "fail_task", "cancel_task", "settle_task")


def fetch_trace(su) -> list[dict[str, Any]]:
    """The proceeded steps of the trail, in event order (su: a superuser connection with dict rows)."""
    return su.execute(
        "SELECT event_id, actor, operation, resource, context FROM coord_private.audit_events "
        "WHERE proceeded AND operation = ANY(%s) ORDER BY event_id", (list(OPERATIONS),)).fetchall()


def fetch_overlaps(su, paths: set[str]) -> set[tuple[str, str]]:
    rows = su.execute("SELECT a, b FROM unnest(%s::text[]) a, unnest(%s::text[]) b "
                      "WHERE coord_private.paths_overlap(a, b)", (sorted(paths), sorted(paths))).fetchall()
    return {(r["a"], r["b"]) for r in rows}


def fetch_deps(su) -> dict[int, set[int]]:
    deps: dict[int, set[int]] = {}
    for r in su.execute("SELECT task_id, depends_on FROM coord_private.task_deps").fetchall():
        deps.setdefault(r["task_id"], set()).add(r["depends_on"])
    return deps


def _granted_expiry(ctx: dict[str, Any], at: datetime, ttl_key: str) -> datetime:
    """The expiry an event granted: recorded by the database (context.expires_at),
    else (trails written before it was recorded) the decision time + the TTL."""
    if ctx.get("expires_at"):
        return datetime.fromisoformat(ctx["expires_at"])
    return at + timedelta(seconds=float(ctx[ttl_key]))


@dataclass
class Lock:
    holder: str
    mode: str
    token: int
    expires: datetime


@dataclass
class Task:
    status: str = "pending"
    claimer: str | None = None
    attempt: int = 0
    expires: datetime | None = None


@dataclass
class Replay:
    overlaps: set[tuple[str, str]]
    deps: dict[int, set[int]]
    locks: dict[tuple[str, str], Lock] = field(default_factory=dict)      # (path, holder) -> grant
    grants: list[tuple[str, int]] = field(default_factory=list)            # every (path, token) granted
    tasks: dict[int, Task] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def bad(self, ev: dict[str, Any], why: str) -> None:
        self.violations.append(f"event {ev['event_id']} {ev['operation']}({ev['actor']}, {ev['resource']}): {why}")

    def step(self, ev: dict[str, Any]) -> None:
        ctx, op, actor, res = ev["context"], ev["operation"], ev["actor"], ev["resource"]
        at = datetime.fromisoformat(ctx["at"])
        if op == "acquire_lock":
            mode, token = ctx["mode"], ctx["token"]
            for (path, holder), lock in self.locks.items():
                if holder != actor and lock.expires > at and (path, res) in self.overlaps \
                        and "exclusive" in (mode, lock.mode):
                    self.bad(ev, f"granted while {holder} held live {path} (INV-LOCK-EXCL)")
            for path, earlier in self.grants:
                if (path, res) in self.overlaps and earlier >= token:
                    self.bad(ev, f"token {token} not above earlier grant {earlier} on {path} (INV-LOCK-FENCE)")
            self.grants.append((res, token))
            self.locks[(res, actor)] = Lock(actor, mode, token, _granted_expiry(ctx, at, "ttl_seconds"))
        elif op in ("renew_lock", "release_lock"):
            lock = self.locks.get((res, actor))
            if lock is None or lock.expires <= at:
                self.bad(ev, "caller holds no live lock on the path")
            elif op == "renew_lock":
                lock.expires = _granted_expiry(ctx, at, "ttl_seconds")
            else:
                del self.locks[(res, actor)]
        elif op == "force_release_lock":
            for key in [k for k in self.locks if k[0] == res]:
                del self.locks[key]
        elif op == "claim_task":
            t = self.tasks.setdefault(int(res), Task())
            claimable = t.status == "pending" or (t.status == "claimed" and t.expires is not None and t.expires <= at)
            if not claimable:
                self.bad(ev, f"task {res} is {t.status} with a live claim of {t.claimer} (INV-CLAIM-UNIQ)")
            unmet = [d for d in self.deps.get(int(res), ()) if self.tasks.get(d, Task()).status != "completed"]
            if unmet:
                self.bad(ev, f"dependencies {unmet} not completed (INV-DEPS)")
            if ctx["attempt"] != t.attempt + 1:
                self.bad(ev, f"attempt {ctx['attempt']} after attempt {t.attempt}")
            t.status, t.claimer, t.attempt = "claimed", actor, ctx["attempt"]
            t.expires = _granted_expiry(ctx, at, "lease_seconds")
        elif op in ("renew_claim", "complete_task", "fail_task"):
            t = self.tasks.get(int(res))
            if t is None or t.status != "claimed" or t.claimer != actor or ctx["claim_token"] != t.attempt \
                    or t.expires is None or t.expires <= at:
                self.bad(ev, "caller does not hold the current live claim (INV-COMPLETE-OWNER)")
                return
            if op == "renew_claim":
                t.expires = _granted_expiry(ctx, at, "lease_seconds")
            elif op == "complete_task":
                t.status, t.expires = "completed", None
            else:
                t.status = "pending" if ctx.get("next_status") == "pending" else "failed"
                t.claimer, t.expires = (None, None) if t.status == "pending" else (t.claimer, None)
        elif op in ("cancel_task", "settle_task"):
            t = self.tasks.setdefault(int(res), Task())
            if t.status in ("completed", "failed", "cancelled"):
                self.bad(ev, f"terminal task {res} changed state (INV-COMPLETE-OWNER)")
            reason = ctx.get("settle_reason")
            t.status, t.expires = ("failed" if reason == "attempts_exhausted" else "cancelled"), None


def validate(trace: list[dict[str, Any]], overlaps: set[tuple[str, str]], deps: dict[int, set[int]]) -> list[str]:
    replay = Replay(overlaps, deps)
    for ev in trace:
        replay.step(ev)
    return replay.violations


def validate_database(su) -> tuple[int, list[str]]:
    trace = fetch_trace(su)
    paths = {e["resource"] for e in trace if e["operation"].endswith("lock")}
    return len(trace), validate(trace, fetch_overlaps(su, paths), fetch_deps(su))
