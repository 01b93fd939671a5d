"""The typed Python client (pgcoord.Client) against the real database: typed results,
every SQLSTATE and refusal mapped to its exception, leases and claims held by a `with`
block (renewal, loss, release, settlement), and waiting on NOTIFY instead of polling
(wait_for_lease, wait_for_task, the worker loop), with real parallel sessions. The
database's notifications themselves (what is sent, to a second session) are checked
here too; what the triggers send inside one transaction is pgtap/23_notifications.sql."""
from __future__ import annotations

import dataclasses
import json
import re
import threading
import uuid
from datetime import datetime
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from pgcoord import (
    Claim,
    ClaimLost,
    Client,
    GuardrailCheck,
    LeaseGrant,
    LeaseLost,
    LeaseRenewal,
    LiveLease,
    LockHeld,
    Refusal,
    SubmittedTask,
    Task,
    TaskNotClaimable,
    Verdict,
    errors,
)
from pgcoord.results import Completion, Holder, Identity, Profile, SessionOpened

from .helpers import Database, wait_until
from .invariant_catalogue import REPO


def uid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class Background:
    """Run ``fn`` on a thread; ``result()`` joins it and returns its value or raises its error."""

    def __init__(self, fn: Any):
        self.value: Any = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.value = fn()
            except BaseException as exc:  # noqa: BLE001 - re-raised by result()
                self.error = exc
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def result(self, timeout: float = 60) -> Any:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"still running after {timeout} s"
        if self.error is not None:
            raise self.error
        return self.value


def reasons(db: Database, operation: str, actor: str) -> list[str]:
    return [e["reason"] for e in db.audit_events(operation, actor)]


# -- typed results ---------------------------------------------------------------------------


def test_INV_LOCK_FENCE_lease_calls_return_typed_frozen_results(module_db):
    role, a = module_db.agent()
    _, b = module_db.agent()
    p = uid("typed/") + "/"
    grant = a.acquire_lock(p, 60, reason="typed")
    assert isinstance(grant, LeaseGrant) and grant.ok and grant.reason == "allowed"
    assert (grant.path, grant.mode) == (p, "exclusive") and isinstance(grant.token, int)
    assert isinstance(grant.expires_at, datetime) and grant.expires_at.tzinfo is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        grant.token = 1  # type: ignore[misc]
    assert grant["token"] == grant.token and grant.get("nope") is None, "mapping access for dict-era callers"
    assert module_db.audit_events("acquire_lock", role)[-1]["event_id"] == grant.event_id

    renewal = a.renew_lock(p, 120)
    assert isinstance(renewal, LeaseRenewal) and renewal.token == grant.token and renewal.expires_at > grant.expires_at
    [live] = b.check_locks([p + "x.py"])
    assert isinstance(live, LiveLease) and (live.requested, live.path, live.holder, live.token) == (
        p + "x.py", p, role, grant.token)
    assert [x.path for x in b.live_locks(role)] == [p]
    assert b.check_fence(p + "x.py", grant.token) is True
    released = a.release_lock(p)
    assert isinstance(released, Verdict) and released.ok
    assert b.check_fence(p, grant.token) is False


def test_INV_COMPLETE_OWNER_task_calls_return_typed_results(module_db):
    _, sub = module_db.agent()
    _, w = module_db.agent()
    kind = uid("typed.")
    submitted = sub.submit_task(kind, "describe", {"n": 1}, priority=3)
    assert isinstance(submitted, SubmittedTask) and submitted.existing is False and submitted.guardrails == ()
    again = sub.submit_task(kind, "describe", {"n": 1}, idempotency_key=None)
    assert again.task_id != submitted.task_id
    claim = w.claim_task([kind], 60)
    assert isinstance(claim, Claim) and (claim.task_id, claim.task_type, claim.input, claim.priority, claim.attempt) == (
        submitted.task_id, kind, {"n": 1}, 3, 1)
    assert claim.claim_token == 1 and isinstance(claim.claim_expires_at, datetime)
    renewed = w.renew_claim(claim.task_id, claim.claim_token, 120)
    assert renewed.claim_expires_at > claim.claim_expires_at
    done = w.complete_task(claim.task_id, claim.claim_token, {"answer": 42})
    assert isinstance(done, Completion) and done.ok and done.task_id == claim.task_id
    task = sub.get_task(claim.task_id)
    assert isinstance(task, Task) and (task.status, task.result, task.claim_token, task.depends_on) == (
        "completed", {"answer": 42}, 1, ())
    assert [t.task_id for t in sub.list_tasks(types=[kind], status=["pending"])] == [again.task_id]
    failure = w.fail_task(*_claim(w, kind), "flaky", True)
    assert (failure.status, failure.settled) == ("pending", 0)
    assert w.claim_tasks(5, [kind], 60)[0].attempt == 2


def _claim(client: Client, kind: str) -> tuple[int, int]:
    c = client.claim_task([kind], 60)
    return c.task_id, c.claim_token


def test_identity_sessions_and_checks_are_typed(module_db):
    role, a = module_db.agent()
    me = a.whoami()
    assert isinstance(me, Identity) and (me.role_name, me.registered, me.profile, me.trust_level) == (
        role, True, "implementer", 2)
    profile = a.get_my_profile()
    assert isinstance(profile, Profile) and profile.name == "implementer" and profile.max_claimed_tasks == 3
    opened = a.register_session("typed", {"tool": "pytest"})
    assert isinstance(opened, SessionOpened) and isinstance(opened.session_id, uuid.UUID)
    assert [s.session_id for s in a.my_sessions()] == [opened.session_id]
    assert a.end_session(opened.session_id).ok
    assert a.my_audit_events(limit=1)[0].operation == "end_session"
    assert a.enforcement().enforcement_mode == "enforce"
    assert isinstance(a.now(), datetime)
    warned = a.check_guardrails("chmod 777 build/out")
    assert isinstance(warned, GuardrailCheck) and warned.ok and warned.blocked is False
    assert [(m.name, m.severity) for m in warned.guardrails] == [("fs_chmod_world_writable", "warn")]


def test_check_guardrails_passes_workspace_and_cwd_by_name():
    """The workspace and cwd go by name (p_workspace, p_cwd), NULL when unknown, so their
    order in the signature does not matter and the call is always the four-argument one."""
    from pgcoord import calls
    plain = calls.check_guardrails("ls", ("a",))
    assert plain.query().as_string(None) == (
        'SELECT * FROM coord."check_guardrails"(%s, %s, "p_workspace" => %s, "p_cwd" => %s)')
    assert plain.params() == ["ls", ["a"], None, None]
    placed = calls.check_guardrails("rm -rf build", (), "/srv/app", None)
    assert placed.query().as_string(None) == (
        'SELECT * FROM coord."check_guardrails"(%s, %s, "p_workspace" => %s, "p_cwd" => %s)')
    assert placed.params() == ["rm -rf build", [], "/srv/app", None]
    assert calls.check_guardrails("ls", (), cwd="/").params() == ["ls", [], None, "/"]


def test_check_guardrails_resolves_paths_against_workspace_and_cwd(module_db):
    """(needs the four-argument coord.check_guardrails) The workspace and the cwd reach the
    shell analyser: inside the workspace a build directory may go, its root may not;
    from the directory /, `etc` is /etc; an invalid value is PC002, nothing decided."""
    _, a = module_db.agent()
    with pytest.raises(errors.GuardrailBlocked):
        a.check_guardrails("rm -rf /srv/app/build")                     # no workspace: outside
    ok = a.check_guardrails("rm -rf /srv/app/build", workspace="/srv/app")
    assert isinstance(ok, GuardrailCheck) and ok.ok and ok.blocked is False
    assert a.check_guardrails("rm -rf /home/x/proj/build", workspace="/home/x/proj").ok
    assert a.check_guardrails("rm -rf build", workspace="/srv/app", cwd="/srv/app/src").ok
    root = a.check_guardrails("rm -rf /srv/app", workspace="/srv/app", raise_on_refusal=False)
    assert isinstance(root, Refusal) and root.reason == "guardrail_blocked"
    assert a.check_guardrails("rm -rf etc").ok                            # today: relative, inside
    with pytest.raises(errors.GuardrailBlocked):
        a.check_guardrails("rm -rf etc", cwd="/")
    with pytest.raises(errors.GuardrailBlocked):
        a.check_guardrails("rm -rf etc", workspace="/home/x/proj", cwd="/")
    for bad in ({"workspace": "relative/dir"}, {"cwd": "src"}, {"cwd": "/" + "x" * 4096}):
        with pytest.raises(errors.InvalidArgument):
            a.check_guardrails("ls", **bad)


# -- refusals: typed, raised by default, returned when asked ----------------------------------------


def test_INV_LOCK_EXCL_a_refusal_names_the_holders_and_their_expiry(module_db):
    role_a, a = module_db.agent()
    role_b, b = module_db.agent()
    p = uid("held/") + "/"
    grant = a.acquire_lock(p, 60)
    with pytest.raises(LockHeld) as raised:
        b.acquire_lock(p + "x.py", 30)
    exc = raised.value
    assert isinstance(exc, errors.RefusedInEveryMode) and exc.reason == "lock_held_by_other" and exc.retryable
    assert exc.holders == (Holder(holder=role_a, path=p, mode="exclusive", expires_at=grant.expires_at),)
    assert exc.expires_at == grant.expires_at
    assert exc.event_id == module_db.audit_events("acquire_lock", role_b)[-1]["event_id"]
    assert exc.result["holders"][0]["holder"] == role_a, "the raw row stays readable"

    refusal = b.acquire_lock(p + "x.py", 30, raise_on_refusal=False)
    assert isinstance(refusal, Refusal) and not refusal.ok and refusal.operation == "acquire_lock"
    assert (refusal.reason, refusal.holders, refusal.expires_at, refusal.retryable) == (
        "lock_held_by_other", exc.holders, grant.expires_at, True)
    assert refusal.event_id == module_db.audit_events("acquire_lock", role_b)[-1]["event_id"] != exc.event_id


def _refusal_scenarios(db: Database) -> dict[str, Any]:
    """reason code -> a call (taking raise_on_refusal) that the database refuses with it."""
    admin = db.admin()
    _, a = db.agent()
    _, b = db.agent()
    _, reviewer = db.agent("reviewer")
    unregistered = db.connect(db.create_role("coord_agent"))
    role_s, suspended = db.agent()
    admin.set_agent_status(role_s, "suspended")
    gone_profile, blocked_profile, narrow_profile = uid("gone_"), uid("blocked_"), uid("narrow_")
    admin.set_profile(gone_profile, 2)
    admin.set_profile(blocked_profile, 2, blocked_operations=["acquire_lock"])
    admin.set_profile(narrow_profile, 2, allowed_operations=["claim_task"])
    profiled = {}
    for profile in (gone_profile, blocked_profile, narrow_profile):
        role = db.create_role("coord_agent")
        admin.register_agent(role, profile)
        profiled[profile] = db.connect(role)
    admin.drop_profile(gone_profile, "test: fail closed")
    kind = uid("refusals.")
    p = uid("refusals/") + "/"
    a.acquire_lock(p, 60)
    session = a.register_session("mine")
    claim = (a.submit_task(kind), a.claim_task([kind], 60))[1]
    done = (a.submit_task(kind + ".done"), a.claim_task([kind + ".done"], 60))[1]
    a.complete_task(done.task_id, done.claim_token)
    failed = (a.submit_task(kind + ".failed", max_attempts=1), a.claim_task([kind + ".failed"], 60))[1]
    a.fail_task(failed.task_id, failed.claim_token, "broken")
    return {
        "agent_not_registered": lambda r: unregistered.acquire_lock(uid("u/"), 30, raise_on_refusal=r),
        "agent_suspended": lambda r: suspended.acquire_lock(uid("s/"), 30, raise_on_refusal=r),
        "profile_unresolved": lambda r: profiled[gone_profile].acquire_lock(uid("g/"), 30, raise_on_refusal=r),
        "operation_blocked": lambda r: profiled[blocked_profile].acquire_lock(uid("b/"), 30, raise_on_refusal=r),
        "operation_not_allowed": lambda r: profiled[narrow_profile].acquire_lock(uid("n/"), 30, raise_on_refusal=r),
        "trust_too_low": lambda r: reviewer.acquire_lock(uid("r/"), 30, raise_on_refusal=r),
        "limit_exceeded": lambda r: b.acquire_lock(uid("l/"), 7200, raise_on_refusal=r),
        "session_not_owned": lambda r: b.end_session(session.session_id, raise_on_refusal=r),
        "lock_held_by_other": lambda r: b.acquire_lock(p, 30, raise_on_refusal=r),
        "lock_not_held": lambda r: b.release_lock(p, raise_on_refusal=r),
        "not_claim_owner": lambda r: b.complete_task(claim.task_id, claim.claim_token, raise_on_refusal=r),
        "task_terminal": lambda r: a.complete_task(done.task_id, done.claim_token, raise_on_refusal=r),
        "task_not_claimable": lambda r: b.claim_task([uid("none.")], raise_on_refusal=r),
        "dependency_failed": lambda r: a.submit_task(kind, depends_on=[failed.task_id], raise_on_refusal=r),
        "guardrail_blocked": lambda r: a.check_guardrails("rm -rf / --no-preserve-root", raise_on_refusal=r),
        "domain_denied": lambda r: a.check_network_access("https://exfiltrate.invalid/x", raise_on_refusal=r),
    }


def test_INV_BOUNDARY_refusals_from_the_database_raise_their_class_or_return_the_refusal(module_db):
    """Each refusal reachable through the agent API, provoked for real: by default the
    exception of its reason code (of the family of its outcome); with
    raise_on_refusal=False the typed Refusal with the same reason and its own event."""
    outcomes = {r["code"]: r["outcome"] for r in module_db.su.execute("SELECT code, outcome FROM coord.reason_codes")}
    scenarios = _refusal_scenarios(module_db)
    for reason, provoke in scenarios.items():
        cls = errors.REASON_EXCEPTIONS[reason]
        with pytest.raises(cls) as raised:
            provoke(True)
        assert raised.value.reason == reason and raised.value.outcome == outcomes[reason], reason
        assert isinstance(raised.value.event_id, int), reason
        refusal = provoke(False)
        assert isinstance(refusal, Refusal) and refusal.reason == reason, (reason, refusal)
        assert refusal.event_id is not None and refusal.event_id > raised.value.event_id, reason
    assert len(scenarios) >= 16


def test_INV_BOUNDARY_every_sqlstate_raises_its_class(module_db):
    """Every SQLSTATE of coord.error_codes, and PostgreSQL's 42501 and 55P03, raised by
    the server reaches the caller as its pgcoord exception with detail and hint."""
    su = module_db.connect("postgres")
    states = [r["sqlstate"] for r in module_db.su.execute("SELECT sqlstate FROM coord.error_codes ORDER BY 1")]
    for state in [*states, "42501", "55P03"]:
        cls = errors.SQLSTATE_EXCEPTIONS.get(state) or errors.POSTGRES_EXCEPTIONS[state]
        with pytest.raises(cls) as raised:
            su.query(f"DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '{state}', MESSAGE = 'm {state}', "
                     "DETAIL = 'the detail', HINT = 'the hint'; END $$")
        assert str(raised.value) == f"m {state}" and isinstance(raised.value.__cause__, psycopg.Error)
        if isinstance(raised.value, errors.InvalidInput):
            assert (raised.value.sqlstate, raised.value.detail, raised.value.hint) == (state, "the detail", "the hint")
    with pytest.raises(errors.InvalidInput) as newer:
        su.query("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'PC099', MESSAGE = 'newer'; END $$")
    assert type(newer.value) is errors.InvalidInput and newer.value.sqlstate == "PC099"
    with pytest.raises(psycopg.errors.DivisionByZero):
        su.query("SELECT 1 / 0")


def test_INV_BOUNDARY_bad_input_through_the_api_raises_its_class_and_changes_nothing(module_db):
    role, a = module_db.agent()
    before = len(module_db.audit_events("acquire_lock", role))
    with pytest.raises(errors.InvalidPath) as bad:
        a.acquire_lock("../etc/passwd", 30)
    assert bad.value.sqlstate == "PC003" and bad.value.condition == "invalid_path" and bad.value.hint
    with pytest.raises(errors.TtlOutOfRange):
        a.acquire_lock(uid("ttl/"), 0)
    with pytest.raises(errors.InvalidArgument):
        a.acquire_lock(uid("mode/"), 30, "sideways")  # type: ignore[arg-type]
    with pytest.raises(errors.UnknownTask):
        a.get_task(10**12)
    with pytest.raises(errors.NullArgument):
        a.call("register_session", None, {})
    with pytest.raises(errors.PermissionDenied):
        a.register_agent(role, "orchestrator")
    assert len(module_db.audit_events("acquire_lock", role)) == before
    conn = psycopg.connect(module_db.role_dsn(role))
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with pytest.raises(errors.IsolationNotSupported):
            Client(conn).acquire_lock(uid("iso/"), 30)
    finally:
        conn.close()


# -- connections: a passed connection, a pool -----------------------------------------------------


def test_a_passed_connection_stays_the_callers_and_each_call_commits(module_db):
    role, _ = module_db.agent()
    _, other = module_db.agent()
    conn = psycopg.connect(module_db.role_dsn(role))   # not autocommit
    try:
        with Client(conn) as c:
            p = uid("tx/") + ".py"
            c.acquire_lock(p, 30)
            assert [x.holder for x in other.check_locks([p])] == [role], "the call committed"
            with pytest.raises(LockHeld):
                other.acquire_lock(p, 30)
            c.release_lock(p)
        assert not conn.closed, "the client does not close a connection it was given"
    finally:
        conn.close()


def test_a_pooled_client_borrows_a_connection_per_call_and_holds_leases(module_db):
    role, _ = module_db.agent()
    _, other = module_db.agent()
    with ConnectionPool(module_db.role_dsn(role), kwargs={"autocommit": True}, min_size=1, max_size=4) as pool:
        c = Client(pool)
        assert c.whoami().role_name == role
        with pytest.raises(TypeError):
            c.conn  # noqa: B018 - the property raises
        p = uid("pool/") + "/"
        with c.lease(p, ttl=30) as lease:
            assert other.check_locks([p])[0].token == lease.token
            assert c.check_fence(p, lease.token)
        assert other.check_locks([p]) == []
        holder = other.acquire_lock(p, 30)
        waiter = Background(lambda: c.wait_for_lease(p, 30, ttl=30))
        wait_until(lambda: reasons(module_db, "acquire_lock", role).count("lock_held_by_other") >= 1, "the waiter")
        other.release_lock(p)
        assert waiter.result().token > holder.token


# -- a lease held by a `with` block ------------------------------------------------------------------


def test_INV_LOCK_EXCL_a_held_lease_is_renewed_past_its_ttl_and_released_on_exit(module_db):
    role, a = module_db.agent()
    _, b = module_db.agent()
    p = uid("held/") + "/"
    with a.lease(p, ttl=1.5, reason="a long job") as lease:
        assert (lease.path, lease.mode) == (p, "exclusive")
        wait_until(lambda: reasons(module_db, "renew_lock", role).count("allowed") >= 3, "three renewals", 30)
        assert b.acquire_lock(p + "x.py", 30, raise_on_refusal=False).reason == "lock_held_by_other", \
            "held after more than its TTL: the renewals kept it"
        assert a.check_fence(p, lease.token)
        assert lease.lost is None
    assert reasons(module_db, "release_lock", role) == ["allowed"]
    assert b.acquire_lock(p + "x.py", 30).ok, "released on exit"


def test_INV_LOCK_FENCE_a_force_released_lease_raises_lease_lost_at_the_next_call_and_on_exit(module_db):
    """The orchestrator force-releases the lease mid-block: the renewal connection hears
    the NOTIFY (before any renewal was due), the block's next call raises LeaseLost
    (once), and so does the exit, which releases nothing."""
    role, a = module_db.agent()
    _, orch = module_db.agent("orchestrator")
    p = uid("forced/") + "/"
    with pytest.raises(LeaseLost) as on_exit:
        with a.lease(p, ttl=600) as lease:
            orch.force_release_lock(p, "stuck agent")
            wait_until(lambda: lease.lost is not None, "the lease thread to see the force release", 30)
            with pytest.raises(LeaseLost) as at_call:
                a.whoami()
            assert (at_call.value.path, at_call.value.token, at_call.value.reason) == (p, lease.token, "lock_not_held")
            assert a.whoami().role_name == role, "reported once; the block may wind down"
            assert not a.check_fence(p, lease.token)
    assert on_exit.value is at_call.value
    assert reasons(module_db, "renew_lock", role) == [], "seen by NOTIFY, not by a renewal"
    assert reasons(module_db, "release_lock", role) == [], "nothing left to release"


def test_INV_LOCK_EXPIRY_a_lease_that_expired_unrenewed_is_lost_with_the_refusal(module_db):
    role, a = module_db.agent()
    p = uid("expired/") + "/"
    with pytest.raises(LeaseLost) as lost:
        with a.lease(p, ttl=2) as lease:
            wait_until(lambda: "allowed" in reasons(module_db, "renew_lock", role), "a first renewal", 30)
            module_db.advance_clock(60)   # the database's clock passes the expiry before the next renewal
            wait_until(lambda: lease.lost is not None, "the renewal to be refused", 30)
    assert lost.value.reason == "lock_not_held" and lost.value.refusal.operation == "renew_lock"
    renewals = reasons(module_db, "renew_lock", role)
    assert renewals[-1] == "lock_not_held" and renewals.count("lock_not_held") == 1, renewals
    assert reasons(module_db, "release_lock", role) == []


def test_a_held_lease_is_released_when_the_block_raises(module_db):
    role, a = module_db.agent()
    p = uid("raises/") + ".py"
    with pytest.raises(ZeroDivisionError):
        with a.lease(p, ttl=30):
            1 / 0  # noqa: B018
    assert reasons(module_db, "release_lock", role) == ["allowed"]
    assert a.live_locks(role) == []


def test_INV_LOCK_EXCL_a_lease_block_can_wait_for_the_path(module_db):
    _, a = module_db.agent()
    role_b, b = module_db.agent()
    p = uid("waitblock/") + ".py"
    a.acquire_lock(p, 60)

    def job() -> int:
        with b.lease(p, ttl=30, wait=30) as lease:
            return lease.token
    worker = Background(job)
    wait_until(lambda: "lock_held_by_other" in reasons(module_db, "acquire_lock", role_b), "b to be refused once")
    a.release_lock(p)
    assert worker.result() > 0
    assert reasons(module_db, "acquire_lock", role_b) == ["lock_held_by_other", "allowed"]


# -- a claim held by a `with` block ------------------------------------------------------------------


def test_INV_COMPLETE_OWNER_a_claim_block_completes_with_its_result(module_db):
    _, sub = module_db.agent()
    role, w = module_db.agent()
    kind = uid("claimblock.")
    t = sub.submit_task(kind, input={"n": 2})
    with w.claim([kind], lease=60) as task:
        assert (task.task_id, task.input, task.attempt) == (t.task_id, {"n": 2}, 1)
        task.result = {"double": task.input["n"] * 2}
    done = sub.get_task(t.task_id)
    assert (done.status, done.result) == ("completed", {"double": 4})
    assert reasons(module_db, "complete_task", role) == ["allowed"]


def test_INV_RECLAIM_a_claim_block_that_raises_fails_retryably(module_db):
    _, sub = module_db.agent()
    role, w = module_db.agent()
    kind = uid("claimfail.")
    t = sub.submit_task(kind)
    with pytest.raises(RuntimeError, match="boom"):
        with w.claim([kind], lease=60):
            raise RuntimeError("boom")
    task = sub.get_task(t.task_id)
    assert (task.status, task.attempts, task.error) == ("pending", 1, "RuntimeError: boom")
    assert reasons(module_db, "fail_task", role) == ["allowed"]
    again = w.claim_task([kind], 60)
    assert (again.task_id, again.attempt) == (t.task_id, 2)


def test_INV_CLAIM_UNIQ_a_held_claim_is_renewed_past_its_lease(module_db):
    _, sub = module_db.agent()
    role, w = module_db.agent()
    _, rival = module_db.agent()
    kind = uid("claimrenew.")
    sub.submit_task(kind)
    with w.claim([kind], lease=1.5) as task:
        wait_until(lambda: reasons(module_db, "renew_claim", role).count("allowed") >= 3, "three renewals", 30)
        assert rival.claim_task([kind], raise_on_refusal=False).reason == "task_not_claimable"
        token = task.claim_token
    assert sub.get_task(task.task_id).status == "completed" and token == 1


def test_INV_COMPLETE_OWNER_a_cancelled_claim_raises_claim_lost_at_the_next_call_and_on_exit(module_db):
    sub_role, sub = module_db.agent()
    role, w = module_db.agent()
    _, orch = module_db.agent("orchestrator")
    kind = uid("claimlost.")
    t = sub.submit_task(kind)
    with pytest.raises(ClaimLost) as on_exit:
        with w.claim([kind], lease=1.5) as task:
            orch.cancel_task(t.task_id, "no longer needed")
            wait_until(lambda: task.lost is not None, "the renewal to be refused", 30)
            with pytest.raises(ClaimLost) as at_call:
                w.whoami()
            assert (at_call.value.task_id, at_call.value.reason) == (t.task_id, "task_terminal")
    assert on_exit.value is at_call.value
    assert reasons(module_db, "complete_task", role) == [], "a lost claim is not completed"
    assert sub.get_task(t.task_id).status == "cancelled"


def test_a_claim_block_with_nothing_claimable_raises_task_not_claimable(module_db):
    _, w = module_db.agent()
    with pytest.raises(TaskNotClaimable):
        with w.claim([uid("nothing.")]):
            pytest.fail("entered without a task")


# -- waiting instead of polling ------------------------------------------------------------------------


def test_INV_LOCK_EXCL_wait_for_lease_is_woken_by_the_release(module_db):
    """b waits (timeout 60 s) for a path a holds for 10 minutes; a releases it. b's
    wait ends with a grant after exactly one refused attempt, and its grant's event
    follows a's release: the NOTIFY woke it, not a timer (the lease nor the timeout
    had run out)."""
    role_a, a = module_db.agent()
    role_b, b = module_db.agent()
    p = uid("wake/") + "/"
    a.acquire_lock(p + "deep/file.py", 600)
    waiter = Background(lambda: b.wait_for_lease(p, 60, ttl=30))
    wait_until(lambda: "lock_held_by_other" in reasons(module_db, "acquire_lock", role_b), "b's first attempt")
    a.release_lock(p + "deep/file.py")
    grant = waiter.result()
    assert isinstance(grant, LeaseGrant) and grant.path == p
    attempts = module_db.audit_events("acquire_lock", role_b)
    assert [e["reason"] for e in attempts] == ["lock_held_by_other", "allowed"]
    assert attempts[1]["event_id"] > module_db.audit_events("release_lock", role_a)[-1]["event_id"]


def test_INV_RECLAIM_wait_for_lease_retries_when_the_holder_expires(module_db):
    """No release comes: b retries once the holder's lease expires by the database
    clock (the refusal told it when), one refused attempt and one grant."""
    _, a = module_db.agent()
    role_b, b = module_db.agent()
    p = uid("expiry/") + ".py"
    a.acquire_lock(p, 1)
    grant = b.wait_for_lease(p, 60, ttl=30)
    assert grant.ok
    assert reasons(module_db, "acquire_lock", role_b) == ["lock_held_by_other", "allowed"]


def test_INV_RECLAIM_a_waiting_claim_block_takes_over_an_expired_claim_within_its_poll_interval(module_db):
    """An expiry is a time, not a write: no notification comes when a dead agent's
    claim runs out. A waiting claim block also retries every ``poll_interval``
    seconds, so it takes the task over well within its 5 s wait (with the default
    15 s poll it would give up first)."""
    _, a = module_db.agent()
    _, b = module_db.agent()
    kind = uid("poll")
    a.submit_task(kind)
    first = a.claim_task([kind], lease=1)      # a dies holding it: nobody renews
    with b.claim([kind], wait=5, poll_interval=0.2) as task:
        assert task.task_id == first.task_id and task.claim_token == 2


def test_wait_for_lease_gives_up_after_its_timeout_and_not_on_a_policy_denial(module_db):
    _, a = module_db.agent()
    role_b, b = module_db.agent()
    _, reviewer = module_db.agent("reviewer")
    p = uid("timeout/") + ".py"
    a.acquire_lock(p, 600)
    with pytest.raises(LockHeld):
        b.wait_for_lease(p, 0.3)
    refusal = b.wait_for_lease(p, 0.3, raise_on_refusal=False)
    assert isinstance(refusal, Refusal) and refusal.reason == "lock_held_by_other"
    with pytest.raises(errors.TrustTooLow):
        reviewer.wait_for_lease(p, 600)   # no waiting: waiting cannot change a denial


def test_INV_DEPS_the_worker_loop_claims_a_dependent_when_its_dependency_completes(module_db):
    """A worker waits for tasks of one type whose only task depends on another; a
    second agent completes the dependency. The worker claims the dependent once, after
    that completion, having tried exactly twice (the NOTIFY of the dependent becoming
    claimable woke it; poll_interval is longer than the test)."""
    _, sub = module_db.agent()
    role_w, w = module_db.agent()
    role_o, other = module_db.agent()
    kind = uid("loop.")
    first = sub.submit_task(kind + ".first")
    dependent = sub.submit_task(kind + ".then", input={"n": 7}, depends_on=[first.task_id])

    def work() -> list[int]:
        seen = []
        for task in w.tasks([kind + ".then"], timeout=60, limit=1, poll_interval=120):
            with task:
                task.result = {"seen": task.input["n"]}
                seen.append(task.task_id)
        return seen
    worker = Background(work)
    wait_until(lambda: "task_not_claimable" in reasons(module_db, "claim_task", role_w), "the worker to wait")
    c = other.claim_task([kind + ".first"], 60)
    other.complete_task(c.task_id, c.claim_token)
    assert worker.result() == [dependent.task_id]
    claims = module_db.audit_events("claim_task", role_w)
    assert [e["reason"] for e in claims] == ["task_not_claimable", "allowed"]
    assert claims[1]["event_id"] > module_db.audit_events("complete_task", role_o)[-1]["event_id"]
    assert sub.get_task(dependent.task_id).result == {"seen": 7}


def test_the_worker_loop_takes_tasks_as_they_come_and_stops_when_told(module_db):
    _, sub = module_db.agent()
    role_w, w = module_db.agent()
    kind = uid("stream.")
    stop = threading.Event()
    done: list[int] = []

    def work() -> None:
        for task in w.tasks([kind], stop=stop, poll_interval=120):
            with task:
                done.append(task.input["k"])
    worker = Background(work)
    for k in range(3):
        sub.submit_task(kind, input={"k": k})
        wait_until(lambda k=k: k in done, f"task {k} to be done")
    sub.submit_task(kind + ".other")   # another type: no wake-up, no attempt
    stop.set()
    worker.result()
    assert done == [0, 1, 2]
    attempts = reasons(module_db, "claim_task", role_w)
    assert attempts.count("allowed") == 3 and attempts.count("task_not_claimable") <= 4


def test_wait_for_task_claims_when_one_arrives_and_times_out_otherwise(module_db):
    _, sub = module_db.agent()
    role_w, w = module_db.agent()
    kind = uid("waittask.")
    with pytest.raises(TaskNotClaimable):
        w.wait_for_task([kind], 0.3)
    with pytest.raises(TaskNotClaimable):
        with w.claim([kind], wait=0.3):
            pytest.fail("entered without a task")
    before = reasons(module_db, "claim_task", role_w).count("task_not_claimable")
    waiter = Background(lambda: w.wait_for_task([kind], 60, lease=30, poll_interval=120))
    wait_until(lambda: reasons(module_db, "claim_task", role_w).count("task_not_claimable") > before, "the wait")
    t = sub.submit_task(kind)
    claim = waiter.result()
    assert claim.task_id == t.task_id
    assert reasons(module_db, "claim_task", role_w)[before:] == ["task_not_claimable", "allowed"]


# -- the notifications themselves ------------------------------------------------------------------------


def _received(conn: psycopg.Connection, want: int, prefix: str) -> list[tuple[str, str]]:
    got: list[tuple[str, str]] = []
    gen = conn.notifies(timeout=30)
    try:
        for n in gen:
            if n.payload.startswith(prefix):
                got.append((n.channel, n.payload))
            if len(got) >= want:
                break
    finally:
        gen.close()
    return got


def test_INV_RLS_notifications_carry_a_lease_path_or_a_task_type_only(module_db):
    """INV-RLS for notifications. A second session LISTENing hears, at commit: the path of each lease that ends,
    the type of each task that becomes claimable — and nothing for a grant, a claim,
    a completion without dependents, or a rolled-back release. No id, description,
    input or submitter in any payload."""
    role, a = module_db.agent()
    _, orch = module_db.agent("orchestrator")
    listener = module_db.session()
    try:
        listener.execute("LISTEN pgcoord_leases")
        listener.execute("LISTEN pgcoord_tasks")
        prefix = uid("nt")
        a.acquire_lock(f"{prefix}/a.py", 60)
        a.renew_lock(f"{prefix}/a.py", 60)
        with module_db.session(role, autocommit=False) as tx:   # a release rolled back sends nothing
            tx.execute("SELECT * FROM coord.release_lock(%s)", (f"{prefix}/a.py",))
            tx.rollback()
        a.release_lock(f"{prefix}/a.py")
        a.acquire_lock(f"{prefix}/dir/", 60)
        orch.force_release_lock(f"{prefix}/dir/", "test")
        first = a.submit_task(f"{prefix}.build", "secret description", {"secret": "s3cr3t"})
        a.submit_task(f"{prefix}.after", depends_on=[first.task_id])
        claim = a.claim_task([f"{prefix}.build"], 60)
        a.complete_task(claim.task_id, claim.claim_token, {"secret": "result"})
        again = a.claim_task([f"{prefix}.after"], 60)
        a.fail_task(again.task_id, again.claim_token, "flaky", True)
        got = _received(listener, 5, prefix)
        assert got == [("pgcoord_leases", f"{prefix}/a.py"), ("pgcoord_leases", f"{prefix}/dir/"),
                       ("pgcoord_tasks", f"{prefix}.build"), ("pgcoord_tasks", f"{prefix}.after"),
                       ("pgcoord_tasks", f"{prefix}.after")]
        extra = [(n.channel, n.payload) for n in listener.notifies(timeout=0.3) if n.payload.startswith(prefix)]
        assert extra == []
    finally:
        listener.close()


# -- the README's example -----------------------------------------------------------------------------------


def test_the_readme_ten_lines_of_python_run(module_db, monkeypatch):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Ten lines of Python.*?```python\n(.*?)```", readme, re.S)
    assert block, "README has no Ten lines of Python block"
    role, _ = module_db.agent()
    monkeypatch.setenv("AGENT_DSN", module_db.role_dsn(role))
    exec(compile(block.group(1), "README.md", "exec"), {})  # noqa: S102 - the README's own code
    assert reasons(module_db, "complete_task", role) == ["allowed"]
    assert reasons(module_db, "release_lock", role) == ["allowed"]


def test_results_read_as_mappings_for_dict_era_callers(module_db):
    _, a = module_db.agent()
    grant = a.acquire_lock(uid("compat/") + ".py", 30)
    assert set(grant.keys()) >= {"ok", "reason", "event_id", "path", "token", "expires_at"}
    assert grant["ok"] is True and "token" in grant and grant.as_dict()["token"] == grant.token
    with pytest.raises(KeyError):
        grant["holders"]  # noqa: B018


# -- liveness (sql/deploy/liveness.sql) ------------------------------------------------------


def test_INV_LOCK_EXPIRY_a_stale_agent_keeps_its_leases_until_they_expire(db):
    """heartbeat and discover_agents through the client: an agent that stops beating
    shows as stale, and its lease still holds another agent off until its own expiry."""
    role_a, a = db.agent()
    role_b, b = db.agent()
    beat = a.heartbeat("busy", ["python", "sql"])
    assert beat.ok and beat.stale_after.total_seconds() == 90 and beat.channel.startswith("pgcoord_agent_")
    assert a.acquire_lock("src/live/", 600).token > 0
    seen = {x.role_name: x for x in b.discover_agents()}
    assert seen[role_a].liveness == "live" and seen[role_a].reported_status == "busy"
    assert seen[role_a].capabilities == ("python", "sql") and seen[role_a].live_leases == 1
    assert seen[role_b].liveness == "never"
    assert [x.role_name for x in b.discover_agents(capability="python")] == [role_a]
    db.advance_clock(120)
    assert {x.role_name: x.liveness for x in b.discover_agents()}[role_a] == "stale"
    assert [x.role_name for x in b.discover_agents(status="stale")] == [role_a]
    with pytest.raises(LockHeld):
        b.acquire_lock("src/live/x.py", 60)
    db.advance_clock(600)
    assert b.acquire_lock("src/live/x.py", 60).ok


def test_INV_RLS_lease_status_says_how_a_lease_was_lost_to_its_holder_only(db):
    role_a, a = db.agent()
    _, b = db.agent()
    _, lead = db.agent("orchestrator")
    a.acquire_lock("docs/kept/", 600)
    a.acquire_lock("docs/taken/", 600)
    a.acquire_lock("docs/mine/", 600)
    channel = a.heartbeat().channel
    with db.session(role_a) as listener:
        listener.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(channel)))
        lead.force_release_lock("docs/taken/", "reassigned")
        a.release_lock("docs/mine/")
        heard = [json.loads(n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
    assert heard and heard[0]["cause"] == "force_released" and heard[0]["path"] == "docs/taken/"
    states = {(g.path, g.state, g.cause) for g in a.lease_status() if g.kind == "lease"}
    assert ("docs/kept/", "live", None) in states
    assert ("docs/taken/", "lost", "force_released") in states
    assert ("docs/mine/", "lost", "released") in states
    assert all(g.path not in ("docs/taken/", "docs/mine/", "docs/kept/") for g in b.lease_status())


# -- handoffs (sql/deploy/handoffs.sql) ------------------------------------------------------


def test_INV_RLS_a_handoff_is_written_for_the_fleet_and_read_newest_first(db):
    role_a, a = db.agent()
    _, b = db.agent()
    _, reviewer = db.agent("reviewer")
    first = a.write_handoff("parser half done", completed=["lexer"], in_progress=["parser"],
                            decisions=["keep the old AST"], next_steps=["finish the parser"], files=["src/parse/"])
    second = a.write_handoff("parser done", completed=["lexer", "parser"])
    assert first.ok and second.handoff_id > first.handoff_id
    seen = b.read_handoffs(role_a)
    assert [h.summary for h in seen] == ["parser done", "parser half done"]
    assert seen[1].files == ("src/parse/",) and seen[1].next_steps == ("finish the parser",)
    assert seen[1].session_id is None and seen[1].agent == role_a
    assert [h.handoff_id for h in reviewer.read_handoffs(role_a, limit=1)] == [second.handoff_id]
    with pytest.raises(errors.TrustTooLow):
        reviewer.write_handoff("a reviewer may not write one")
    with pytest.raises(errors.InvalidArgument):
        a.write_handoff("   ")
    assert len(b.read_handoffs(role_a)) == 2


# -- memory (sql/deploy/memory.sql) ------------------------------------------------------------


def test_INV_RLS_memory_episodes_for_the_fleet_working_memory_for_its_session(db):
    role_a, a = db.agent()
    role_b, b = db.agent()
    first = a.remember("fix", "flaky test fixed by pinning the clock", outcome="green",
                       lessons=["never read now() in tests"], tags=["tests", "clock"])
    again = a.remember("fix", "flaky test fixed by pinning the clock", tags=["tests", "clock"])
    assert first.ok and not first.deduplicated and again.deduplicated and again.memory_id == first.memory_id
    found = b.recall(text="flaky clock")
    assert [m.memory_id for m in found][:1] == [first.memory_id] and found[0].lessons == ("never read now() in tests",)
    assert [m.memory_id for m in b.recall(tags=["clock"])] == [first.memory_id]
    assert b.recall(tags=["nothing-like-it"]) == []
    session = a.register_session("work").session_id
    assert a.set_working_memory(session, "plan", {"step": 2}).keys == 1
    assert [(w.key, w.value) for w in a.get_working_memory(session)] == [("plan", {"step": 2})]
    with pytest.raises(errors.Refused):
        b.set_working_memory(session, "plan", {"step": 9})          # another agent's session
    assert [(w.key, w.value) for w in a.get_working_memory(session)] == [("plan", {"step": 2})]
    assert b.record_skill_outcome("migrate-db", True).attempts == 1
    assert a.record_skill_outcome("migrate-db", False, "needs the lock first").attempts == 2
    (skill,) = [s for s in b.skills("migrate") if s.skill == "migrate-db"]
    assert (skill.attempts, skill.successes, skill.my_attempts) == (2, 1, 1)


# -- conflict-aware claims (sql/deploy/claim_touches.sql) ------------------------------------------


def test_INV_CLAIM_TOUCH_a_claim_skips_a_task_another_agent_leases_and_can_lease_its_touches(db):
    role_a, a = db.agent()
    _, b = db.agent()
    kind = uid("touch")
    task = a.submit_task(kind, "refactor the api", touches=["src/api/"])
    a.acquire_lock("src/api/users.py", 600)
    with pytest.raises(TaskNotClaimable):
        b.claim_task([kind], lease_touches=True)           # skipped: a leases a touched file
    a.release_lock("src/api/users.py")
    claim = b.claim_task([kind], 300, lease_touches=True)
    assert claim.task_id == task.task_id
    held = [x.path for x in b.live_locks() if x.holder != role_a]
    assert held == ["src/api/"]
    with pytest.raises(LockHeld):
        a.acquire_lock("src/api/users.py", 60)             # the claim's lease holds others off
    b.complete_task(claim.task_id, claim.claim_token)
    assert [x.path for x in b.live_locks() if x.path == "src/api/"] == []      # it ended with the claim


# -- completions in a batch (issue 17) ------------------------------------------------------------


def test_INV_COMPLETE_OWNER_complete_tasks_completes_a_claimed_batch_each_with_its_own_decision(module_db):
    _, sub = module_db.agent()
    role, w = module_db.agent("orchestrator")       # (an implementer holds at most 3 claims)
    kind = uid("batchdone.")
    for n in range(6):
        sub.submit_task(kind, input={"n": n})
    claims = w.claim_tasks(6, [kind], 60)
    assert len(claims) == 6
    batch = [(c.task_id, c.claim_token, {"double": c.input["n"] * 2}) for c in claims[:5]]
    batch.append((claims[5].task_id, claims[5].claim_token + 1))  # a token that is not the claim's
    results = w.complete_tasks(batch)
    assert [type(r).__name__ for r in results] == ["Completion"] * 5 + ["Refusal"]
    assert all(r.ok for r in results[:5]) and results[5].reason == "not_claim_owner"
    for c in claims[:5]:
        t = sub.get_task(c.task_id)
        assert (t.status, t.result) == ("completed", {"double": c.input["n"] * 2})
    assert sub.get_task(claims[5].task_id).status == "claimed", "the refused completion changed nothing"
    assert reasons(module_db, "complete_task", role) == ["allowed"] * 5 + ["not_claim_owner"], \
        "INV-AUDIT-COMPLETE: one event per completion, refusals included"
    assert w.complete_tasks([]) == []


def test_complete_tasks_rolls_the_whole_batch_back_when_a_call_fails(module_db):
    _, sub = module_db.agent()
    role, w = module_db.agent()
    kind = uid("batchfail.")
    for n in range(3):
        sub.submit_task(kind, input={"n": n})
    claims = w.claim_tasks(3, [kind], 60)
    batch = [(c.task_id, c.claim_token, {"ok": True}) for c in claims]
    batch[1] = (claims[1].task_id, None, {"ok": True})           # a NULL token: PC001, not a refusal
    with pytest.raises(errors.InvalidInput) as err:
        w.complete_tasks(batch)
    assert err.value.sqlstate == "PC001"
    assert [sub.get_task(c.task_id).status for c in claims] == ["claimed"] * 3, "nothing of the batch completed"
    assert reasons(module_db, "complete_task", role) == [], "and nothing of it was audited"
    assert [r.ok for r in w.complete_tasks((c.task_id, c.claim_token) for c in claims)] == [True] * 3


def test_INV_LOCK_EXCL_acquire_locks_grants_all_or_raises_the_refusal_that_stopped_the_batch(module_db):
    role, a = module_db.agent()
    _, b = module_db.agent()
    base = uid("batch/")
    grants = a.acquire_locks([f"{base}/b.py", f"{base}/a.py"], 60, reason="typed batch")
    assert [g.path for g in grants] == [f"{base}/a.py", f"{base}/b.py"], "one grant per path, in path order"
    assert all(isinstance(g, LeaseGrant) and g.ok and g.mode == "exclusive" for g in grants)
    assert grants[0].token < grants[1].token
    events = module_db.audit_events("acquire_lock", role)[-2:]
    assert [e["event_id"] for e in events] == [g.event_id for g in grants], "each grant its own audit event"

    with pytest.raises(LockHeld) as raised:
        b.acquire_locks([f"{base}/c.py", f"{base}/a.py"], 60)
    assert raised.value.reason == "lock_held_by_other" and raised.value.refusal.holders[0].holder == role
    refusal = b.acquire_locks([f"{base}/c.py", f"{base}/a.py"], 60, raise_on_refusal=False)
    assert isinstance(refusal, Refusal) and refusal.reason == "lock_held_by_other"
    assert b.check_locks([f"{base}/c.py"]) == [], "nothing of a refused batch is granted"
    assert errors.REASON_EXCEPTIONS["batch_refused"] is errors.BatchRefused

    with pytest.raises(errors.InvalidArgument):
        a.acquire_locks([], 60)
