"""Invariant checks against a pgcoord database, named by the IDs of DESIGN.md.

Every ``inv_*`` function takes a superuser connection (``db.su``: autocommit, dict
rows), reads the database (tables of ``coord_private``, the views and read
functions of ``coord``, the audit trail) and returns a list of violations, one
string each; an empty list means the invariant holds. ``check(...)`` asserts that
a list is empty. Scope arguments restrict a check to what one test did, so tests
can share a database:

* ``since_event``: only audit events with a larger ``event_id``;
* ``task_type``: only tasks of that type (and their audit events);
* ``holders`` / ``actors``: only those agent roles.

Event order: audit ``event_id``s come from an identity sequence, drawn inside the
mutation's transaction after its coordination locks were taken (advisory locks of
the anchor line for leases, the task row lock for claims and completions). Two
mutations that conflict are therefore serialised, and the later one commits
with the larger ``event_id``: ``event_id`` order is commit order for every pair of
events these checks compare.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import psycopg

TERMINAL = ("completed", "failed", "cancelled")
TASK_OPERATIONS = ("claim_task", "renew_claim", "complete_task", "fail_task", "cancel_task", "settle_task")


def check(violations: list[str], what: str = "") -> None:
    """Assert that a list of violations is empty (at most 20 shown)."""
    if violations:
        shown = "\n  ".join(violations[:20])
        more = f"\n  ... and {len(violations) - 20} more" if len(violations) > 20 else ""
        raise AssertionError(f"{what} violated ({len(violations)}):\n  {shown}{more}")


def db_now(su: psycopg.Connection) -> datetime:
    """pgcoord's clock (the test clock: real time plus the test offset)."""
    return su.execute("SELECT coord_private.current_time() AS t").fetchone()["t"]


def max_event_id(su: psycopg.Connection) -> int:
    return su.execute("SELECT coalesce(max(event_id), 0) AS m FROM coord_private.audit_events").fetchone()["m"]


def overlap_matrix(su: psycopg.Connection, paths: Iterable[str]) -> dict[tuple[str, str], bool]:
    """coord_private.paths_overlap for every ordered pair of the given paths."""
    ps = sorted(set(paths))
    rows = su.execute(
        "SELECT a, b, coord_private.paths_overlap(a, b) AS o FROM unnest(%s::text[]) a, unnest(%s::text[]) b",
        (ps, ps)).fetchall()
    return {(r["a"], r["b"]): r["o"] for r in rows}


# -- leases ------------------------------------------------------------------------

def inv_lock_excl(su: psycopg.Connection, holders: list[str] | None = None) -> list[str]:
    """INV-LOCK-EXCL: no two live locks of different holders overlap unless both are shared.

    One statement, so every row is judged at one instant of pgcoord's clock.
    """
    rows = su.execute(
        """
        SELECT a.path AS a_path, a.holder AS a_holder, a.mode AS a_mode, a.token AS a_token,
               b.path AS b_path, b.holder AS b_holder, b.mode AS b_mode, b.token AS b_token
          FROM coord_private.locks a
          JOIN coord_private.locks b ON a.lock_id < b.lock_id AND a.holder <> b.holder
         WHERE a.expires_at > coord_private.current_time()
           AND b.expires_at > coord_private.current_time()
           AND (a.mode = 'exclusive' OR b.mode = 'exclusive')
           AND coord_private.paths_overlap(a.path, b.path)
           AND (%(h)s::text[] IS NULL OR a.holder = ANY (%(h)s) OR b.holder = ANY (%(h)s))
        """, {"h": holders}).fetchall()
    return [f"live {r['a_mode']} {r['a_path']!r} of {r['a_holder']} (token {r['a_token']}) overlaps live "
            f"{r['b_mode']} {r['b_path']!r} of {r['b_holder']} (token {r['b_token']})" for r in rows]


def inv_lock_fence(su: psycopg.Connection, since_event: int = 0,
                   actors: list[str] | None = None) -> list[str]:
    """INV-LOCK-FENCE: in event (= commit) order, every grant's token is larger than the
    token of every earlier grant of an overlapping path (the audit trail's proceeded
    acquire_lock events); tokens are unique; every current row of coord_private.locks
    is such a grant (same holder, path and token).
    """
    grants = su.execute(
        """
        SELECT event_id, actor, resource AS path, (context->>'token')::bigint AS token
          FROM coord_private.audit_events
         WHERE operation = 'acquire_lock' AND proceeded AND event_id > %(s)s
           AND (%(a)s::text[] IS NULL OR actor = ANY (%(a)s))
         ORDER BY event_id
        """, {"s": since_event, "a": actors}).fetchall()
    out: list[str] = []
    overlap = overlap_matrix(su, [g["path"] for g in grants])
    newest: dict[str, tuple[int, int]] = {}   # path -> (largest token granted so far, its event)
    seen: dict[int, int] = {}
    for g in grants:
        if g["token"] is None:
            out.append(f"grant event {g['event_id']} ({g['path']!r}) has no token")
            continue
        if g["token"] in seen:
            out.append(f"token {g['token']} granted twice (events {seen[g['token']]} and {g['event_id']})")
        seen[g["token"]] = g["event_id"]
        for q, (tok, ev) in newest.items():
            if overlap[(g["path"], q)] and g["token"] <= tok:
                out.append(f"grant event {g['event_id']} of {g['path']!r} got token {g['token']}, not above "
                           f"token {tok} of the earlier overlapping grant event {ev} of {q!r}")
        newest[g["path"]] = max(newest.get(g["path"], (0, 0)), (g["token"], g["event_id"]))
    granted = {(g["actor"], g["path"], g["token"]) for g in grants}
    rows = su.execute(
        """SELECT holder, path, token FROM coord_private.locks
            WHERE (%(a)s::text[] IS NULL OR holder = ANY (%(a)s))""", {"a": actors}).fetchall()
    min_token = min(seen, default=None)
    for r in rows:
        if min_token is not None and r["token"] >= min_token and (r["holder"], r["path"], r["token"]) not in granted:
            out.append(f"lock row {r['path']!r} of {r['holder']} with token {r['token']} matches no granted event")
    return out


def inv_lock_expiry(su: psycopg.Connection, holders: list[str] | None = None) -> list[str]:
    """INV-LOCK-EXPIRY: an expired lock is absent for every function, no job needed.

    At one instant (one statement): coord.live_locks lists no expired lock and every
    live one; coord.check_locks does not list an expired row still in the table and
    does list every live one; coord.check_fence is false for an expired token.
    """
    rows = su.execute(
        """
        SELECT l.path, l.holder, l.token, l.expires_at,
               l.expires_at > coord_private.current_time() AS live,
               EXISTS (SELECT 1 FROM coord.live_locks v WHERE v.token = l.token) AS in_view,
               EXISTS (SELECT 1 FROM coord.check_locks(ARRAY[l.path]) c WHERE c.token = l.token) AS listed,
               coord.check_fence(l.path, l.token) AS fence
          FROM coord_private.locks l
         WHERE %(h)s::text[] IS NULL OR l.holder = ANY (%(h)s)
        """, {"h": holders}).fetchall()
    out = []
    for r in rows:
        if r["live"] and not (r["in_view"] and r["listed"]):
            out.append(f"live lock {r['path']!r} of {r['holder']} (token {r['token']}) missing: "
                       f"live_locks={r['in_view']} check_locks={r['listed']}")
        if not r["live"] and (r["in_view"] or r["listed"] or r["fence"]):
            out.append(f"expired lock {r['path']!r} of {r['holder']} (token {r['token']}, expired {r['expires_at']}) "
                       f"still present: live_locks={r['in_view']} check_locks={r['listed']} check_fence={r['fence']}")
    bad = su.execute("SELECT count(*) AS n FROM coord.live_locks WHERE expires_at <= coord_private.current_time()"
                     ).fetchone()["n"]
    if bad:
        out.append(f"coord.live_locks shows {bad} expired lock(s)")
    return out


# -- tasks ---------------------------------------------------------------------------

def _task_ids(su: psycopg.Connection, task_type: str | None) -> list[int]:
    return [r["task_id"] for r in su.execute(
        "SELECT task_id FROM coord_private.tasks WHERE %(t)s::text IS NULL OR task_type = %(t)s ORDER BY task_id",
        {"t": task_type}).fetchall()]


def task_events(su: psycopg.Connection, task_type: str | None = None,
                since_event: int = 0) -> dict[int, list[dict[str, Any]]]:
    """Per task, its audit events (claim, renew, complete, fail, cancel, settle) in event order."""
    ids = [str(i) for i in _task_ids(su, task_type)]
    rows = su.execute(
        """
        SELECT event_id, actor, operation, resource, proceeded, reason, context
          FROM coord_private.audit_events
         WHERE operation = ANY (%(ops)s) AND resource = ANY (%(ids)s) AND event_id > %(s)s
         ORDER BY event_id
        """, {"ops": list(TASK_OPERATIONS), "ids": ids, "s": since_event}).fetchall()
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[int(r["resource"])].append(r)
    return out


def _tasks(su: psycopg.Connection, task_type: str | None) -> dict[int, dict[str, Any]]:
    rows = su.execute(
        """
        SELECT t.*, v.status AS effective_status, v.claimed_by AS live_claimer,
               t.status = 'claimed' AND t.claim_expires_at > coord_private.current_time() AS claim_live
          FROM coord_private.tasks t JOIN coord.tasks v USING (task_id)
         WHERE %(t)s::text IS NULL OR t.task_type = %(t)s
        """, {"t": task_type}).fetchall()
    return {r["task_id"]: r for r in rows}


def _ends_claim(e: dict[str, Any]) -> str | None:
    """What a proceeded event does to the current claim: 'retry', 'terminal' or None."""
    op = e["operation"]
    if op == "fail_task":
        return "retry" if e["context"].get("next_status") == "pending" else "terminal"
    if op in ("complete_task", "cancel_task", "settle_task"):
        return "terminal"
    return None


def inv_claim_uniq(su: psycopg.Connection, task_type: str | None = None, since_event: int = 0,
                   claim_intervals: Mapping[int, list[tuple[str, datetime, datetime, datetime | None]]] | None = None
                   ) -> list[str]:
    """INV-CLAIM-UNIQ: a task is claimed by at most one agent at a time.

    From the audit trail, per task: granted claims carry attempts 1, 2, 3, ...; a new
    claim follows the previous one only once it ended (a retryable failure) or as a
    reclaim that names the previous claimer (the database judged that claim expired);
    no claim follows a terminal event; the task's attempt counter equals its number of
    granted claims; a claimed row's claimer and token are those of the last grant.

    ``claim_intervals`` (optional, from the test's own records of what the database
    returned): per task, (claimer, start, expiry after the last renewal, end or None)
    in claim order; each claim must start no earlier than the previous one expired or
    ended.
    """
    out: list[str] = []
    tasks = _tasks(su, task_type)
    for task_id, events in task_events(su, task_type, since_event).items():
        claimer, attempt, ended, terminal = None, 0, None, False
        for e in (x for x in events if x["proceeded"]):
            ctx = e["context"]
            if e["operation"] == "claim_task":
                if terminal:
                    out.append(f"task {task_id}: claim event {e['event_id']} by {e['actor']} after it was terminal")
                if int(ctx["attempt"]) != attempt + 1:
                    out.append(f"task {task_id}: claim event {e['event_id']} has attempt {ctx['attempt']}, expected {attempt + 1}")
                if claimer is not None and ended != "retry" and ctx.get("reclaim_from") != claimer:
                    out.append(f"task {task_id}: claim event {e['event_id']} by {e['actor']} while {claimer}'s claim "
                               f"(attempt {attempt}) had not ended (reclaim_from={ctx.get('reclaim_from')!r})")
                if ended == "retry" and ctx.get("reclaim_from") is not None:
                    out.append(f"task {task_id}: claim event {e['event_id']} names reclaim_from {ctx['reclaim_from']!r} "
                               f"after a retryable failure left it pending")
                claimer, attempt, ended = e["actor"], int(ctx["attempt"]), None
            else:
                what = _ends_claim(e)
                if what == "retry":
                    ended = "retry"
                elif what == "terminal":
                    terminal = True
        t = tasks.get(task_id)
        if t is None or since_event:
            continue
        if t["attempts"] != attempt:
            out.append(f"task {task_id}: attempts = {t['attempts']} but the trail has {attempt} granted claims")
        if t["status"] == "claimed" and (t["claimed_by"] != claimer or t["claim_token"] != attempt):
            out.append(f"task {task_id}: claimed by {t['claimed_by']} with token {t['claim_token']}, "
                       f"but the last granted claim is {claimer}'s attempt {attempt}")
    for task_id, claims in (claim_intervals or {}).items():
        for (a1, s1, x1, e1), (a2, s2, _x2, _e2) in itertools.pairwise(claims):
            free_at = min(x1, e1) if e1 is not None else x1
            if s2 < free_at:
                out.append(f"task {task_id}: {a2} claimed it at {s2} while {a1}'s claim from {s1} "
                           f"was live until {x1} (ended {e1})")
    return out


def inv_complete_owner(su: psycopg.Connection, task_type: str | None = None, since_event: int = 0,
                       terminal_seen: dict[int, str] | None = None) -> list[str]:
    """INV-COMPLETE-OWNER: only the current claimer with the current claim token completes,
    fails or renews; a terminal task never changes state.

    From the audit trail, per task: every proceeded complete/fail/renew is by the actor
    of the latest granted claim with that claim's attempt as its token (and, for a
    completion, the current token the database read); no proceeded event follows a
    terminal one; the row's status agrees with its last terminal event (completed <->
    one proceeded completion). ``terminal_seen`` (task -> effective status, kept by the
    caller across calls) catches a terminal status that later changes, including
    terminal states no event records (an exhausted claim is 'failed' by expiry).
    """
    out: list[str] = []
    tasks = _tasks(su, task_type)
    events_by_task = task_events(su, task_type, since_event)
    for task_id, events in events_by_task.items():
        claimer, attempt, terminal_event = None, 0, None
        completions = 0
        for e in (x for x in events if x["proceeded"]):
            ctx, op = e["context"], e["operation"]
            if terminal_event is not None:
                out.append(f"task {task_id}: proceeded {op} event {e['event_id']} by {e['actor']} after the "
                           f"terminal {terminal_event['operation']} event {terminal_event['event_id']}")
            if op == "claim_task":
                claimer, attempt = e["actor"], int(ctx["attempt"])
            elif op in ("complete_task", "fail_task", "renew_claim"):
                token = int(ctx["claim_token"])
                if e["actor"] != claimer or token != attempt:
                    out.append(f"task {task_id}: {op} event {e['event_id']} by {e['actor']} with token {token}, "
                               f"but the current claim is {claimer}'s attempt {attempt}")
                if op == "complete_task":
                    completions += 1
                    if ctx.get("current_token") is not None and int(ctx["current_token"]) != token:
                        out.append(f"task {task_id}: completion event {e['event_id']} token {token} "
                                   f"!= current token {ctx['current_token']}")
            if _ends_claim(e) == "terminal":
                terminal_event = e
        t = tasks.get(task_id)
        if t is None or since_event:
            continue
        if (t["status"] == "completed") != (completions == 1) or completions > 1:
            out.append(f"task {task_id}: status {t['status']} with {completions} proceeded completion event(s)")
        if t["status"] in TERMINAL and terminal_event is None and t["settle_reason"] != "attempts_exhausted":
            out.append(f"task {task_id}: status {t['status']} but no terminal event in the trail")
        if terminal_event is not None and t["status"] not in TERMINAL:
            out.append(f"task {task_id}: status {t['status']} after terminal event {terminal_event['event_id']}")
    for task_id, t in tasks.items():
        if t["status"] == "completed" and task_id not in events_by_task and not since_event:
            out.append(f"task {task_id}: completed without any event in the trail")
    if terminal_seen is not None:
        for task_id, t in tasks.items():
            before = terminal_seen.get(task_id)
            if before is not None and t["effective_status"] != before:
                out.append(f"task {task_id}: was {before}, now {t['effective_status']} (raw status {t['status']}, "
                           f"settle_reason {t['settle_reason']}, error {t['error']!r})")
            elif before is None and t["effective_status"] in TERMINAL:
                terminal_seen[task_id] = t["effective_status"]
    return out


def inv_deps(su: psycopg.Connection, task_type: str | None = None, since_event: int = 0) -> list[str]:
    """INV-DEPS: a task is never claimed before all its dependencies completed; a failed or
    cancelled dependency settles its dependents.

    Every granted claim event comes after a proceeded completion event of each
    dependency; a live claim's dependencies are all completed; a pending or claimed
    task's unmet_deps counts its dependencies not completed; a dependent of a failed or
    cancelled task is terminal (settled), and a task settled with dependency_failed
    has its settle_task audit event.
    """
    out: list[str] = []
    tasks = _tasks(su, task_type)
    deps: dict[int, list[int]] = defaultdict(list)
    for r in su.execute(
            """SELECT d.task_id, d.depends_on FROM coord_private.task_deps d
                 JOIN coord_private.tasks t USING (task_id)
                WHERE %(t)s::text IS NULL OR t.task_type = %(t)s""", {"t": task_type}).fetchall():
        deps[r["task_id"]].append(r["depends_on"])
    dep_status = {r["task_id"]: r["status"] for r in su.execute(
        "SELECT task_id, status FROM coord_private.tasks WHERE task_id = ANY (%s)",
        (sorted({d for ds in deps.values() for d in ds}),)).fetchall()}
    events = task_events(su, task_type, since_event)
    completed_at: dict[int, int] = {}
    for task_id, evs in events.items():
        for e in evs:
            if e["proceeded"] and e["operation"] == "complete_task":
                completed_at[task_id] = e["event_id"]
    if task_type is not None and any(d not in tasks for ds in deps.values() for d in ds):
        foreign = sorted({d for ds in deps.values() for d in ds if d not in tasks})
        for r in su.execute(
                """SELECT resource, min(event_id) AS e FROM coord_private.audit_events
                    WHERE operation = 'complete_task' AND proceeded AND resource = ANY (%s) GROUP BY resource""",
                ([str(d) for d in foreign],)).fetchall():
            completed_at[int(r["resource"])] = r["e"]
    for task_id, evs in events.items():
        for e in evs:
            if not (e["proceeded"] and e["operation"] == "claim_task"):
                continue
            for d in deps.get(task_id, []):
                if completed_at.get(d, 1 << 62) > e["event_id"]:
                    out.append(f"task {task_id}: claim event {e['event_id']} by {e['actor']} before dependency {d} "
                               f"completed (completion event {completed_at.get(d)})")
        settles = [e for e in evs if e["operation"] == "settle_task" and e["proceeded"]]
        if len(settles) > 1:
            out.append(f"task {task_id}: {len(settles)} settle events")
    for task_id, t in tasks.items():
        ds = deps.get(task_id, [])
        not_done = [d for d in ds if dep_status.get(d) != "completed"]
        if t["claim_live"] and not_done:
            out.append(f"task {task_id}: live claim by {t['claimed_by']} while dependencies {not_done} are not completed")
        if t["status"] in ("pending", "claimed") and t["unmet_deps"] != len(not_done):
            out.append(f"task {task_id}: unmet_deps = {t['unmet_deps']} but {len(not_done)} dependencies are not completed")
        dead = [d for d in ds if dep_status.get(d) in ("failed", "cancelled")]
        if dead and t["status"] in ("pending", "claimed"):
            out.append(f"task {task_id}: still {t['status']} although dependencies {dead} failed or were cancelled")
        if t["settle_reason"] == "dependency_failed":
            if not any(e["operation"] == "settle_task" and e["proceeded"] for e in events.get(task_id, [])) \
                    and not since_event:
                out.append(f"task {task_id}: settled (dependency_failed) without a settle_task audit event")
            if not dead:
                out.append(f"task {task_id}: settled (dependency_failed) but no dependency failed or was cancelled")
    return out


# -- the audit trail ------------------------------------------------------------------

def inv_audit_complete(su: psycopg.Connection, actors: list[str], since_event: int,
                       calls: Mapping[int, tuple[str, str]], unreturned_claim_refusals: int = 0,
                       settled: int = 0) -> list[str]:
    """INV-AUDIT-COMPLETE: exactly one audit event per API mutation call.

    ``calls`` maps each event_id an API call returned to (actor, operation). The events
    of ``actors`` after ``since_event`` must be exactly those, plus one refused
    claim_task event for each batch claim that stopped early without returning it
    (``unreturned_claim_refusals``), plus one settle_task event per settled dependent.
    """
    rows = su.execute(
        """SELECT event_id, actor, operation, proceeded FROM coord_private.audit_events
            WHERE event_id > %s AND actor = ANY (%s) ORDER BY event_id""", (since_event, actors)).fetchall()
    out: list[str] = []
    by_id = {r["event_id"]: r for r in rows}
    for eid, (actor, op) in calls.items():
        r = by_id.get(eid)
        if r is None:
            out.append(f"call {op} by {actor} returned event {eid}, which is not in the trail")
        elif (r["actor"], r["operation"]) != (actor, op):
            out.append(f"call {op} by {actor} returned event {eid}, which records {r['operation']} by {r['actor']}")
    extra = [r for r in rows if r["event_id"] not in calls]
    settles = [r for r in extra if r["operation"] == "settle_task"]
    refusals = [r for r in extra if r["operation"] == "claim_task" and not r["proceeded"]]
    others = [r for r in extra if r not in settles and r not in refusals]
    if len(settles) != settled:
        out.append(f"{len(settles)} settle_task events, but the calls reported {settled} settled tasks")
    if len(refusals) != unreturned_claim_refusals:
        out.append(f"{len(refusals)} unreturned claim refusals in the trail, expected {unreturned_claim_refusals}")
    for r in others:
        out.append(f"event {r['event_id']} ({r['operation']} by {r['actor']}) belongs to no call")
    return out


def verify_audit(su: psycopg.Connection) -> list[str]:
    """INV-AUDIT-IMMUTABLE (the chains still verify after the run)."""
    r = su.execute("SELECT * FROM coord.verify_audit()").fetchone()
    return [] if r["ok"] else [f"coord.verify_audit() failed: {r}"]
