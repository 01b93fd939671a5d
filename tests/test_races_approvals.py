"""Approvals under real concurrency (INV-APPROVAL; change approvals, issue 15;
docs/approvals.md, formal/Approvals.tla).

A grant is single use, bound to its requester (session_user), operation, resource,
argument digest and policy version, and never decided by its requester. Here every
agent, approver and admin is its own LOGIN role with sessions of its own, on threads
released together by barriers:

* the use race: 16 agents each hold one grant and make the identical call from two
  sessions at once, each in a transaction opened before any call starts, none
  committing until every call has returned or waits for a lock (so, had the use not
  locked the grant, both calls would have read it granted). Four other agents make
  the very same call (same arguments, so the same digest) at the same instant.
  Exactly one call per grant proceeds (reason approved), the other is asked again;
  the others' calls never use a grant that is not theirs. Repeated for rounds.
* the decision race: for each pending request an approver agent's approve, a
  coord_admin member's approve, another approver's reject (for some) and the
  requester's own approve (from a second session of its role; two requesters are
  approvers themselves) are released together, request by request; then the
  requesters retry from two sessions at once. A request is decided once (or
  approved then revoked), never by its requester, and used at most once, only
  while granted.
* a free-running race of requesters retrying, approvers approving, rejecting and
  revoking at random.

Nothing the clients saw is taken as truth: approval_violations() reads the trail and
the rows. Every 'approved' event names a distinct approval whose row is used by
exactly that event, with the event's actor as requester, the event's operation,
resource, argument digest and policy version; every used row has its event; every
request event has its row; each request's proceeding decisions are [approve],
[reject] or [approve, reject (revoked)], none by its requester; a use follows the
grant and precedes any revocation. The clients' observations must agree with it.

The seeded defects, each in the test's own database: the use reads the grant without
FOR UPDATE (coord_private.authorize_approval), and the decisions skip the pending
check (coord_private.check_approval). The same races must report them.

And the NOTIFY: an approver LISTENing on pgcoord_approvals hears each request's id at
its commit (not a rolled-back one) and each decision; the requester hears the
decision on its own channel.
"""
from __future__ import annotations

import json
import random
import re
import threading
import time
import traceback
from collections import Counter, defaultdict
from typing import Any

import psycopg
import pytest
from psycopg import sql

from .helpers import background, run_parallel, wait_until

pytestmark = pytest.mark.race

N_AGENTS = 16
N_THIEVES = 4
STATEMENT_TIMEOUT = "30s"
DEADLINE = 60.0
TASK_TYPE = "ap.race"
SUBMIT = "SELECT ok, reason, event_id, task_id FROM coord.submit_task(%s, %s)"
APPROVABLE = ("acquire_lock", "force_release_lock", "cancel_task", "submit_task")
DECISIONS = ("approve", "approve_as_admin", "reject", "reject_as_admin")


# -- set-up -----------------------------------------------------------------------------

def session(db, role: str, autocommit: bool = True) -> psycopg.Connection:
    return db.session(role, autocommit=autocommit, options=f"-c statement_timeout={STATEMENT_TIMEOUT}")


def close_all(conns) -> None:
    for c in conns:
        try:
            c.cancel()
        except Exception:  # noqa: BLE001 - best effort: the connection may be gone
            pass
        c.close()


def fleet(db, requesters: int, leads: int = 0, approvers: int = 2, thieves: int = 0) -> dict[str, list[str]]:
    """Agents whose submit_task needs an approval (trust 2: ap_ask; trust 4 and thus
    approvers themselves: ap_lead), approver agents (administrator), one coord_admin
    member, and agents of ap_ask that only ever make others' calls (thieves)."""
    su = db.su
    for name, trust in (("ap_ask", 2), ("ap_lead", 4)):
        if not db.scalar("SELECT count(*) FROM coord_private.profiles WHERE name = %s", name):
            su.execute("SELECT * FROM coord.set_profile(%s, %s, 'INV-APPROVAL race', NULL, '{}', 1000, 1000, 3600, 100)",
                       (name, trust))
            r = su.execute("SELECT * FROM coord.set_profile_approvals(%s, ARRAY['submit_task'])", (name,)).fetchone()
            assert r["ok"], r

    def agents(n: int, profile: str) -> list[str]:
        out = []
        for _ in range(n):
            role = db.create_role("coord_agent")
            r = su.execute("SELECT * FROM coord.register_agent(%s, %s)", (role, profile)).fetchone()
            assert r["ok"], r
            out.append(role)
        return out

    return {"requesters": agents(requesters, "ap_ask") + agents(leads, "ap_lead"),
            "approvers": agents(approvers, "administrator"),
            "admins": [db.create_role("coord_admin", prefix="admin")],
            "thieves": agents(thieves, "ap_ask")}


def since(db) -> int:
    return db.scalar("SELECT coalesce(max(event_id), 0) FROM coord_private.audit_events")


# -- the invariant, from the trail and the rows ------------------------------------------

def approval_violations(su, since_event: int) -> tuple[list[str], dict[str, Any]]:
    """INV-APPROVAL over everything after ``since_event``: the violations, and what was
    found (uses, decisions per request, rows) for the tests' own checks."""
    rows = {r["approval_id"]: r for r in su.execute(
        "SELECT * FROM coord_private.approvals WHERE approval_id > %s", (since_event,)).fetchall()}
    events = su.execute(
        """SELECT event_id, actor, operation, resource, allowed, proceeded, reason, context
             FROM coord_private.audit_events
            WHERE event_id > %s AND operation = ANY (%s) ORDER BY event_id""",
        (since_event, list(APPROVABLE + DECISIONS))).fetchall()
    out: list[str] = []
    uses: dict[int, list[dict]] = defaultdict(list)
    decisions: dict[int, list[dict]] = defaultdict(list)
    for e in events:
        ctx = e["context"]
        if e["reason"] == "approved":
            if not e["proceeded"] or e["operation"] not in APPROVABLE:
                out.append(f"event {e['event_id']}: reason approved on {e['operation']}, proceeded={e['proceeded']}")
            if "approval_id" not in ctx:
                out.append(f"event {e['event_id']}: approved without an approval_id")
                continue
            uses[int(ctx["approval_id"])].append(e)
        elif e["operation"] in DECISIONS and e["proceeded"]:
            decisions[int(e["resource"])].append(e)
        elif e["reason"] == "approval_required":
            r = rows.get(e["event_id"])
            if r is None:
                out.append(f"event {e['event_id']} ({e['operation']} by {e['actor']}) asked for approval but has no request row")
            elif (r["requester"], r["operation"], r["resource"], r["args_digest"], r["policy_version"]) != (
                    e["actor"], e["operation"], e["resource"], ctx.get("args_digest"), ctx.get("policy_version")):
                out.append(f"request {r['approval_id']} does not bind the call of its event: row "
                           f"{(r['requester'], r['operation'], r['resource'], r['args_digest'][:8])}, event "
                           f"{(e['actor'], e['operation'], e['resource'], str(ctx.get('args_digest'))[:8])}")

    def kind(d: dict) -> str:
        if d["operation"].startswith("approve"):
            return "approve"
        return "revoke" if d["context"].get("revoked") else "reject"

    for aid, ds in decisions.items():
        r = rows.get(aid)
        if r is None:
            out.append(f"decision event {ds[0]['event_id']} on approval {aid}, which has no row")
            continue
        kinds = [kind(d) for d in ds]
        if kinds not in (["approve"], ["reject"], ["approve", "revoke"]):
            out.append(f"approval {aid} decided {kinds} (events {[d['event_id'] for d in ds]}, actors "
                       f"{[d['actor'] for d in ds]})")
        for d in ds:
            if d["actor"] == r["requester"]:
                out.append(f"approval {aid} decided ({kind(d)}) by its own requester {r['requester']}")
    for aid, us in uses.items():
        r = rows.get(aid)
        if r is None:
            out.append(f"events {[u['event_id'] for u in us]} used approval {aid}, which has no row")
            continue
        if len(us) > 1:
            out.append(f"approval {aid} of {r['requester']} used {len(us)} times: events {[u['event_id'] for u in us]} "
                       f"by {[u['actor'] for u in us]}")
        for u in us:
            if u["actor"] != r["requester"]:
                out.append(f"approval {aid} of {r['requester']} used by another agent, {u['actor']} (event {u['event_id']})")
            if (u["operation"], u["resource"]) != (r["operation"], r["resource"]):
                out.append(f"approval {aid} for {r['operation']} {r['resource']} used by {u['operation']} {u['resource']}")
            if u["context"].get("args_digest") != r["args_digest"]:
                out.append(f"approval {aid} used by event {u['event_id']} for other arguments")
            if u["context"].get("policy_version") != r["policy_version"]:
                out.append(f"approval {aid} used by event {u['event_id']} under another policy version")
            ds = decisions.get(aid, [])
            granted = [d for d in ds if kind(d) == "approve"]
            if not granted or granted[0]["event_id"] > u["event_id"]:
                out.append(f"approval {aid} used by event {u['event_id']} before any approval of it")
            ended = [d for d in ds if kind(d) != "approve" and d["event_id"] < u["event_id"]]
            if ended:
                out.append(f"approval {aid} used by event {u['event_id']} after its {kind(ended[0])} "
                           f"(event {ended[0]['event_id']})")
        if r["state"] != "used" or r["used_event_id"] not in [u["event_id"] for u in us]:
            out.append(f"approval {aid}: row {r['state']} used_event_id={r['used_event_id']}, "
                       f"but used by events {[u['event_id'] for u in us]}")
    for aid, r in rows.items():
        kinds = [kind(d) for d in decisions.get(aid, [])]
        if r["state"] == "used" and aid not in uses:
            out.append(f"approval {aid} is used (event {r['used_event_id']}) but no approved event names it")
        if r["state"] in ("granted", "used") and kinds != ["approve"]:
            out.append(f"approval {aid} is {r['state']} but its decisions were {kinds}")
        if r["state"] == "granted" and aid in uses:
            out.append(f"approval {aid} is still granted though events {[u['event_id'] for u in uses[aid]]} used it")
        if r["state"] == "rejected" and kinds not in (["reject"], ["approve", "revoke"]):
            out.append(f"approval {aid} is rejected but its decisions were {kinds}")
        if r["state"] in ("pending", "superseded") and kinds:
            out.append(f"approval {aid} is {r['state']} but was decided {kinds}")
        if r["decided_by"] is not None and r["decided_by"] == r["requester"]:
            out.append(f"approval {aid} decided_by its requester {r['requester']}")
    refusals = su.execute(
        """SELECT e.event_id, e.actor, e.reason, a.requester FROM coord_private.audit_events e
             LEFT JOIN coord_private.approvals a ON a.approval_id::text = e.resource
            WHERE e.event_id > %s AND e.operation = ANY (%s) AND NOT e.proceeded""",
        (since_event, list(DECISIONS))).fetchall()
    for f in refusals:
        if f["reason"] == "approval_self" and f["actor"] != f["requester"]:
            out.append(f"event {f['event_id']}: {f['actor']} refused approval_self on {f['requester']}'s request")
    found = {"rows": rows, "uses": uses, "decisions": decisions,
             "refusals": Counter(f["reason"] for f in refusals),
             "kinds": Counter(k for ds in decisions.values() for k in (kind(d) for d in ds))}
    return out, found


def check(violations: list[str], what: str) -> None:
    if violations:
        shown = "\n  ".join(violations[:20])
        more = f"\n  ... and {len(violations) - 20} more" if len(violations) > 20 else ""
        raise AssertionError(f"{what} violated ({len(violations)}):\n  {shown}{more}")


# -- the use race -----------------------------------------------------------------------

def calls_in_open_transactions(db, conns: list[psycopg.Connection], calls: list[tuple[str, tuple]]
                               ) -> tuple[list[dict | None], list[str], dict[str, int]]:
    """Run calls[i] on conns[i] (not autocommit), each in a transaction opened before any
    call starts; a barrier releases them together; no transaction commits until every
    call has returned or waits for a lock, then each commits once its call returned."""
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
                results[i] = conn.execute(*calls[i]).fetchone()
            finally:
                returned[i].set()
            if not may_commit.wait(DEADLINE):
                raise TimeoutError("never allowed to commit")
            conn.commit()
        except psycopg.Error as exc:
            conn.rollback()
            errors.append(f"session {i}: {exc.sqlstate} {exc}")
        except BaseException:  # noqa: BLE001 - reported below
            errors.append(f"session {i}:\n{traceback.format_exc()}")
            returned[i].set()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    seen: dict[str, int] = {}
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
    finally:
        may_commit.set()
        end = time.monotonic() + DEADLINE
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"sessions still running after {DEADLINE} s"
    return results, errors, seen


def approve_all(conns: list[psycopg.Connection], ids: list[int], seed: int) -> list[dict]:
    """Every approver session approves every id, each in its own shuffled order, all at once."""
    def approve(i: int, conn) -> list[dict]:
        order = list(ids)
        random.Random(seed * 31 + i).shuffle(order)
        return [dict(conn.execute("SELECT ok, reason FROM coord.approve(%s)", (a,)).fetchone(), approval_id=a)
                for a in order]
    return [r for rs in run_parallel([lambda i=i, c=c: approve(i, c) for i, c in enumerate(conns)]) for r in rs]


def use_race(db, rounds: int, seed: int = 20261207) -> dict[str, Any]:
    """16 agents, each with two sessions, race their identical call for their grant in
    open transactions; 4 other agents make the same call at the same instant. Between
    rounds the approvers (an administrator agent, a coord_admin member) approve every
    requester's newest request at once. Returns what the clients saw."""
    roles = fleet(db, N_AGENTS, approvers=1, thieves=N_THIEVES)
    start = since(db)
    description = "the nightly job"          # the same call, the same digest, for every agent
    call = (SUBMIT, (TASK_TYPE, description))
    requesters, thieves = roles["requesters"], roles["thieves"]
    first = [session(db, r) for r in requesters]
    pairs = [session(db, r, autocommit=False) for r in requesters for _ in range(2)]
    others = [session(db, r, autocommit=False) for r in thieves]
    approvers = [session(db, r) for r in roles["approvers"] + roles["admins"]]
    per_round: list[dict[str, Counter]] = []
    seen_waiting = 0
    decided: list[dict] = []
    errors: list[str] = []
    try:
        asked = run_parallel([lambda c=c: c.execute(*call).fetchone() for c in first])
        assert all(r["reason"] == "approval_required" for r in asked), asked
        pending = [r["event_id"] for r in asked]
        for rnd in range(rounds):
            decided += approve_all(approvers, pending, seed + rnd)
            conns = pairs + others
            results, errs, seen = calls_in_open_transactions(db, conns, [call] * len(conns))
            errors += errs
            seen_waiting += seen["waiting"]
            outcome: dict[str, Counter] = defaultdict(Counter)
            owners = [r for r in requesters for _ in range(2)] + thieves
            for owner, res in zip(owners, results, strict=True):
                outcome[owner][res["reason"] if res else "error"] += 1
            per_round.append(outcome)
            pending = [res["event_id"] for res in results[:2 * N_AGENTS] if res and res["reason"] == "approval_required"]
    finally:
        close_all(first + pairs + others + approvers)
    return {"roles": roles, "since": start, "per_round": per_round, "decided": decided, "errors": errors,
            "waiting": seen_waiting}


def test_INV_APPROVAL_sixteen_agents_race_identical_calls_for_their_grants(db):
    """Each round, each of 16 agents holds one grant and calls from two sessions at once
    (transactions open before the calls, no commit before every call returned or waits):
    exactly one call per agent proceeds (approved, a task submitted), the other waits on
    the grant's row and is asked again; four other agents' identical calls are asked for
    their own approval. Two approvers approving every request at once: one approval each.
    Trail and rows agree: each grant used once, by its requester, for its arguments."""
    rounds = 4
    run = use_race(db, rounds)
    assert not run["errors"], run["errors"]
    bad = []
    for rnd, outcome in enumerate(run["per_round"]):
        for role in run["roles"]["requesters"]:
            if outcome[role] != Counter({"approved": 1, "approval_required": 1}):
                bad.append(f"round {rnd}: {role}'s two identical calls ended {dict(outcome[role])}")
        for role in run["roles"]["thieves"]:
            if outcome[role] != Counter({"approval_required": 1}):
                bad.append(f"round {rnd}: another agent's identical call ended {dict(outcome[role])}")
    check(bad, "INV-APPROVAL (the clients: one use per grant, none by another agent)")
    violations, found = approval_violations(db.su, run["since"])
    check(violations, "INV-APPROVAL (trail and rows)")

    approvals = Counter(d["reason"] for d in run["decided"])
    assert approvals["allowed"] == N_AGENTS * rounds, approvals
    assert approvals["approval_not_pending"] == N_AGENTS * rounds, approvals
    assert len(found["uses"]) == N_AGENTS * rounds
    tasks = db.scalar("SELECT count(*) FROM coord_private.tasks WHERE task_type = %s", TASK_TYPE)
    assert tasks == N_AGENTS * rounds, f"{tasks} tasks for {N_AGENTS * rounds} grants"
    # not vacuous: the losers queued on the grants' rows
    assert run["waiting"] >= N_AGENTS * rounds // 2, run["waiting"]
    print(f"\nuses {len(found['uses'])}, approvals {dict(approvals)}, calls waiting at the commit gate {run['waiting']}")


def _without(db, fn: str, pattern: str, replacement: str) -> None:
    """Seed a defect into this test's database: fn's definition with pattern replaced."""
    src = db.scalar("SELECT pg_get_functiondef(%s::regprocedure)", fn)
    new, n = re.subn(pattern, replacement, src)
    assert n >= 1, f"{pattern!r} not found in {fn}"
    db.su.execute("SET ROLE coord_owner")
    db.su.execute(new)
    db.su.execute("RESET ROLE")


def test_INV_APPROVAL_use_race_catches_a_grant_used_without_its_row_lock(db):
    """The checks have teeth: in this test's own database the use reads the grant
    without FOR UPDATE. Both sessions of an agent then find it granted, and both use
    it: the same race must report it (the clients and the trail)."""
    _without(db, "coord_private.authorize_approval(text, text, jsonb, coord_private.decision, text)",
             r"\s+FOR UPDATE\n(\s+)LOOP", r"\n\1LOOP")
    run = use_race(db, 1)
    doubled = [f"{role}: {dict(o[role])}" for o in run["per_round"] for role in run["roles"]["requesters"]
               if o[role]["approved"] > 1]
    violations, _ = approval_violations(db.su, run["since"])
    print(f"\nseeded defect (no FOR UPDATE on the grant): {len(doubled)} agents used a grant twice; "
          f"{len(violations)} violations; first: {violations[:2]}")
    assert doubled and any("used 2 times" in v for v in violations), (doubled, violations[:5])


# -- the decision race ------------------------------------------------------------------

def decide_in_turn(name: str, action: str, conn_of, order: list[tuple[str, int]], rejected: set[int],
                   barrier: threading.Barrier) -> list[dict]:
    """One decider: for each request in order, wait for the others at the barrier, then
    decide it (the rejecter only those in ``rejected``) through conn_of(requester)."""
    out = []
    for owner, aid in order:
        barrier.wait(DEADLINE)
        if action == "reject" and aid not in rejected:
            continue
        r = conn_of(owner).execute(f"SELECT ok, reason FROM coord.{action}(%s)", (aid,)).fetchone()
        out.append({"who": name, "action": action, "approval_id": aid, "owner": owner, **r})
    return out


def decision_race(db, rounds: int, seed: int = 20261208) -> dict[str, Any]:
    """Each round every requester asks (one session); then, request by request, the
    deciders are released together by a barrier: an approver agent approves, a
    coord_admin member approves, another approver rejects (every other request), and
    the requester approves its own request from its second session; then every
    requester retries from both sessions at once."""
    roles = fleet(db, N_AGENTS - 2, leads=2, approvers=2)
    start = since(db)
    requesters = roles["requesters"]
    ones = {r: session(db, r) for r in requesters}
    twos = {r: session(db, r) for r in requesters}
    ap1, ap2 = (session(db, r) for r in roles["approvers"])
    adm = session(db, roles["admins"][0])
    rng = random.Random(seed)
    seen: dict[str, list] = {"decisions": [], "retries": [], "expect": []}
    try:
        for rnd in range(rounds):
            desc = f"round {rnd}"
            asked = run_parallel([lambda r=r, d=desc: (r, ones[r].execute(SUBMIT, (TASK_TYPE, d)).fetchone())
                                  for r in requesters])
            assert all(res["reason"] == "approval_required" for _, res in asked), asked
            order = [(r, res["event_id"]) for r, res in asked]
            rng.shuffle(order)
            rejected = {aid for i, (_, aid) in enumerate(order) if i % 2 == 0}
            barrier = threading.Barrier(4)
            deciders = [("approver", "approve", lambda _o: ap1), ("admin", "approve", lambda _o: adm),
                        ("rejecter", "reject", lambda _o: ap2), ("self", "approve", lambda o: twos[o])]
            results = run_parallel([lambda d=d, o=order, x=rejected, b=barrier: decide_in_turn(*d, o, x, b)
                                    for d in deciders])
            seen["decisions"] += [d for ds in results for d in ds]
            states = {r["approval_id"]: r["state"] for r in db.su.execute(
                "SELECT approval_id, state FROM coord_private.approvals WHERE approval_id = ANY (%s)",
                ([aid for _, aid in order],)).fetchall()}
            retried = run_parallel([lambda c=c, r=r, d=desc: (r, c.execute(SUBMIT, (TASK_TYPE, d)).fetchone())
                                    for r in requesters for c in (ones[r], twos[r])])
            seen["retries"] += [(rnd, r, res) for r, res in retried]
            seen["expect"] += [(rnd, owner, aid, states[aid]) for owner, aid in order]
    finally:
        close_all([*ones.values(), *twos.values(), ap1, ap2, adm])
    return {"roles": roles, "since": start, **seen}


def test_INV_APPROVAL_approvers_race_to_decide_each_request_then_the_requester_retries(db):
    """Request by request, two approves (an approver agent, a coord_admin member), a
    reject (every other request) and the requester's own approve from a second session
    of its role race. Each request is decided once (or approved, then revoked), never by
    its requester (approval_self for the two requesters that are approvers); then of the
    requester's two identical retries exactly one uses a standing grant, none a
    rejected or revoked one."""
    rounds = 4
    run = decision_race(db, rounds)
    violations, found = approval_violations(db.su, run["since"])
    check(violations, "INV-APPROVAL (trail and rows)")

    leads = set(run["roles"]["requesters"][-2:])
    self_tries = [d for d in run["decisions"] if d["who"] == "self"]
    assert all(not d["ok"] for d in self_tries), [d for d in self_tries if d["ok"]]
    assert {d["reason"] for d in self_tries if d["owner"] in leads} == {"approval_self"}, self_tries
    bad = []
    uses_per_request = Counter()
    for rnd, owner, res in run["retries"]:
        if res["reason"] == "approved":
            uses_per_request[(rnd, owner)] += 1
    for rnd, owner, aid, state in run["expect"]:
        want = 1 if state == "granted" else 0
        if uses_per_request[(rnd, owner)] != want:
            bad.append(f"round {rnd}: {owner}'s request {aid} was {state} after the decisions; "
                       f"its two retries used a grant {uses_per_request[(rnd, owner)]} times")
        if state not in ("granted", "rejected"):
            bad.append(f"round {rnd}: request {aid} left {state} by the decisions")
    check(bad, "INV-APPROVAL (retries: one use of a standing grant, none of a rejected one)")
    granted = sum(1 for *_, s in run["expect"] if s == "granted")
    print(f"\ndecisions {dict(found['kinds'])}, refusals {dict(found['refusals'])}, "
          f"granted {granted} of {len(run['expect'])}, uses {len(found['uses'])}")
    # not vacuous: every kind of outcome happened
    assert found["kinds"]["approve"] >= 10 and found["kinds"]["reject"] >= 1 and found["kinds"]["revoke"] >= 1, found["kinds"]
    assert found["refusals"]["approval_not_pending"] >= N_AGENTS, found["refusals"]
    assert found["refusals"]["approval_self"] == 2 * rounds, found["refusals"]
    assert granted >= 4 and len(found["uses"]) == granted


def test_INV_APPROVAL_decision_race_catches_decisions_without_the_pending_check(db):
    """In this test's own database approve and reject no longer re-check that the
    request is pending (coord_private.check_approval without its approval_not_pending
    cases): the request is still locked, so the second decider waits, then decides
    again. The same race must report a request decided twice, or approved after its
    rejection and used."""
    _without(db, "coord_private.check_approval(text, bigint, text)",
             r"\n\s*WHEN p_action = '(?:approve|reject)' AND request\.state [^\n]*'approval_not_pending'", "")
    run = decision_race(db, 2)
    violations, _ = approval_violations(db.su, run["since"])
    print(f"\nseeded defect (no pending check): {len(violations)} violations; first: {violations[:3]}")
    assert any("decided ['approve', 'approve'" in v or "decided ['reject', 'approve'" in v
               or "after its reject" in v for v in violations), violations[:5]


# -- free running -----------------------------------------------------------------------

def test_INV_APPROVAL_free_running_requests_decisions_revocations_and_uses(db):
    """For a few seconds: 12 agents (two of them approvers themselves, each calling from
    one session and deciding from another) retry three different calls at random; two
    approver agents and a coord_admin member approve, reject and revoke what they see in
    coord.approvals at random, the approver-requesters their own requests too. The
    trail and rows must show no grant used twice, by another agent, for other
    arguments, after a rejection or revocation, and no decision by a requester; the
    clients' uses are the trail's."""
    roles = fleet(db, 10, leads=2, approvers=2)
    start = since(db)
    requesters = roles["requesters"]
    leads = requesters[-2:]
    deciders = roles["approvers"] + roles["admins"] + leads
    stop = threading.Event()
    guard = threading.Lock()
    client_uses: list[tuple[str, int]] = []
    tally: Counter[str] = Counter()
    deadline = time.monotonic() + 4.0

    def requester(i: int) -> None:
        rng = random.Random(100 + i)
        role = requesters[i]
        with session(db, role) as conn:
            while time.monotonic() < deadline:
                desc = rng.choice(["build", "test", "deploy"])
                r = conn.execute(SUBMIT, (TASK_TYPE, desc)).fetchone()
                with guard:
                    tally[f"call {r['reason']}"] += 1
                    if r["reason"] == "approved":
                        client_uses.append((role, r["event_id"]))
                time.sleep(rng.random() * 0.02)

    def decider(i: int) -> None:
        rng = random.Random(200 + i)
        with session(db, deciders[i]) as conn:
            while not stop.is_set():
                rows = conn.execute("""SELECT approval_id, state FROM coord.approvals
                                        WHERE state IN ('pending', 'granted') AND approval_id > %s""",
                                    (start,)).fetchall()
                for row in rng.sample(rows, min(len(rows), 4)):
                    if row["state"] == "pending":
                        action = "approve" if rng.random() < 0.7 else "reject"
                    elif rng.random() < 0.15:
                        action = "reject"                         # revoke an unused grant
                    else:
                        continue
                    r = conn.execute(f"SELECT ok, reason FROM coord.{action}(%s)", (row["approval_id"],)).fetchone()
                    with guard:
                        tally[f"{action} {r['reason']}"] += 1
                time.sleep(rng.random() * 0.01)

    with background(stop, *[lambda i=i: decider(i) for i in range(len(deciders))]):
        run_parallel([lambda i=i: requester(i) for i in range(len(requesters))], timeout=120)
    violations, found = approval_violations(db.su, start)
    check(violations, "INV-APPROVAL (trail and rows)")
    trail_uses = sorted((u["actor"], u["event_id"]) for us in found["uses"].values() for u in us)
    assert sorted(client_uses) == trail_uses, "the clients' uses and the trail's differ"
    print(f"\n{dict(tally)}; decisions {dict(found['kinds'])}")
    assert len(trail_uses) >= 20, tally
    assert found["kinds"]["reject"] >= 3 and found["kinds"]["revoke"] >= 1, found["kinds"]
    assert tally["approve approval_self"] + tally["reject approval_self"] >= 1, tally


# -- NOTIFY ------------------------------------------------------------------------------

def test_INV_APPROVAL_an_approver_listening_on_pgcoord_approvals_hears_each_request(db):
    """An approver LISTENing on pgcoord_approvals gets the approval id of each request
    when its call commits (nothing for a call rolled back), and '<id> granted' /
    '<id> rejected' for each decision; the requester hears the decision on its own
    channel ({"kind": "approval", "approval_id", "state"})."""
    roles = fleet(db, 1, approvers=1)
    requester, approver = roles["requesters"][0], roles["approvers"][0]
    channel = db.scalar("SELECT coord_private.agent_channel(%s)", requester)
    with session(db, approver) as listener, session(db, requester) as mine, \
            session(db, requester) as req, session(db, approver) as ap:
        listener.execute("LISTEN pgcoord_approvals")
        mine.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

        def heard(conn, timeout: float = 5.0) -> list[str]:
            return [n.payload for n in conn.notifies(timeout=timeout, stop_after=1)]

        r1 = req.execute(SUBMIT, (TASK_TYPE, "listen 1")).fetchone()
        assert r1["reason"] == "approval_required", r1
        assert heard(listener) == [str(r1["event_id"])]

        with req.transaction(force_rollback=True):
            r2 = req.execute(SUBMIT, (TASK_TYPE, "listen 2")).fetchone()
            assert r2["reason"] == "approval_required"
        assert heard(listener, 0.5) == [], "a request rolled back was announced"
        assert db.scalar("SELECT count(*) FROM coord_private.approvals WHERE approval_id = %s", r2["event_id"]) == 0

        a = ap.execute("SELECT ok, reason FROM coord.approve(%s)", (r1["event_id"],)).fetchone()
        assert a["ok"], a
        assert heard(listener) == [f"{r1['event_id']} granted"]
        assert [json.loads(p) for p in heard(mine)] == [
            {"kind": "approval", "approval_id": r1["event_id"], "state": "granted"}]

        r3 = req.execute(SUBMIT, (TASK_TYPE, "listen 3")).fetchone()
        assert heard(listener) == [str(r3["event_id"])]
        ap.execute("SELECT ok FROM coord.reject(%s)", (r3["event_id"],))
        assert heard(listener) == [f"{r3['event_id']} rejected"]
        assert [json.loads(p) for p in heard(mine)] == [
            {"kind": "approval", "approval_id": r3["event_id"], "state": "rejected"}]

        used = req.execute(SUBMIT, (TASK_TYPE, "listen 1")).fetchone()
        assert used["reason"] == "approved", used
        assert heard(listener, 0.5) == [], "a use is not a request: nothing announced"
