"""Approvals (INV-APPROVAL) through the Python client (sync and async), the command line
and the MCP server, against the real database.

An agent's call that a profile sends to approval (its approval list, or an elevation
below its trust under approve_elevation) is refused with ``approval_required``; the
client raises ApprovalRequired carrying the approval id (the refused call's audit
event). An approver (coord_admin, or an agent of trust 4), never the requester,
grants it; the identical call then proceeds once (reason ``approved``), another
argument is asked again, and a rejection, a revocation, an expiry or a policy change
leaves nothing to use. wait_for_approval wakes on NOTIFY pgcoord_approvals. The CLI
lists, follows, approves and rejects with its exit codes, and sets which calls of a
profile need an approval; over MCP the refusal names
its approval_id and the read-only approval_status tool follows it, while deciding is
no agent tool.
"""
from __future__ import annotations

import asyncio
import json
import re
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from time import monotonic
from typing import Any

import pytest
from mcp import Client as McpClient
from mcp import StdioServerParameters
from mcp_types import CallToolResult

from pgcoord import (
    Approval,
    ApprovalDecision,
    ApprovalExpired,
    ApprovalNotFound,
    ApprovalNotPending,
    ApprovalRequired,
    ApprovalSelf,
    ApprovalStalePolicy,
    AsyncClient,
    Client,
    Denied,
    Refusal,
    TrustTooLow,
)
from pgcoord.commands import main
from pgcoord.commands.common import EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED

from .helpers import Database
from .invariant_catalogue import REPO

UNKNOWN_ID = 987654321987


def uid() -> str:
    return uuid.uuid4().hex[:8]


def profile(admin: Client, trust: int, operations: tuple[str, ...] = (), elevation: bool = False) -> str:
    """A profile of its own for one test (the module's database is shared)."""
    name = f"appr_{uid()}"
    admin.set_profile(name, trust, "INV-APPROVAL test profile")
    if operations or elevation:
        assert admin.set_profile_approvals(name, operations, elevation).ok
    return name


def admin_of(db: Database) -> tuple[str, Client]:
    role = db.create_role("coord_admin, coord_auditor", prefix="admin")
    return role, db.connect(role)


def event(db: Database, event_id: int) -> dict[str, Any]:
    return db.su.execute("SELECT actor, operation, resource, proceeded, reason, context "
                         "FROM coord_private.audit_events WHERE event_id = %s", (event_id,)).fetchone()


# -- the sync client ----------------------------------------------------------------------------


def test_INV_APPROVAL_an_elevated_force_release_waits_for_a_grant_that_is_used_once(module_db):
    admin_role, admin = admin_of(module_db)
    requester_role, requester = module_db.agent(profile(admin, 2, elevation=True))
    holder_role, holder = module_db.agent()
    path = f"approvals/{uid()}/held.py"
    holder.acquire_lock(path, 600)

    # trust 2 below force_release_lock's 3: asked for approval instead of denied
    with pytest.raises(ApprovalRequired) as raised:
        requester.force_release_lock(path, "stuck holder")
    first = raised.value
    assert isinstance(first, Denied) and first.approval_id == first.event_id and first.approval_id is not None
    assert first.refusal.approval_id == first.approval_id
    request = requester.approval_status(first.approval_id)
    assert isinstance(request, Approval)
    assert (request.state, request.requester, request.operation, request.resource, request.sources) == (
        "pending", requester_role, "force_release_lock", path, ("elevation",))
    assert request.args == {"path": path, "reason": "stuck holder"}
    assert request.decided_by is None and request.used_event_id is None and request.expires_at > request.requested_at
    assert event(module_db, first.approval_id)["reason"] == "approval_required"
    assert [x.holder for x in requester.live_locks(holder_role)] == [holder_role], "nothing was released"

    # repeating it before the grant replaces the request (approvers see one)
    again = requester.force_release_lock(path, "stuck holder", raise_on_refusal=False)
    assert isinstance(again, Refusal) and again.reason == "approval_required"
    approval_id = again.approval_id
    assert approval_id == again.event_id and approval_id > first.approval_id
    assert requester.approval_status(first.approval_id).state == "superseded"
    assert [a.approval_id for a in requester.approvals("pending")] == [approval_id]
    assert {a.approval_id for a in requester.approvals()} == {first.approval_id, approval_id}

    # an agent below approver trust cannot decide it
    with pytest.raises(TrustTooLow):
        holder.approve(approval_id)

    decision = admin.approve(approval_id, "the holder is gone")
    assert isinstance(decision, ApprovalDecision)
    assert (decision.ok, decision.reason, decision.approval_id, decision.state) == (
        True, "allowed", approval_id, "granted")
    assert decision.expires_at is not None and event(module_db, decision.event_id)["operation"] == "approve_as_admin"
    granted = requester.approval_status(approval_id)
    assert (granted.state, granted.decided_by, granted.note, granted.expires_at) == (
        "granted", admin_role, "the holder is gone", decision.expires_at)

    # another argument is another call: asked again, the grant stays unused
    other = requester.force_release_lock(path, "another reason", raise_on_refusal=False)
    assert isinstance(other, Refusal) and other.reason == "approval_required" and other.approval_id != approval_id
    assert requester.approval_status(approval_id).state == "granted"

    # the identical call proceeds and uses the grant up
    released = requester.force_release_lock(path, "stuck holder")
    assert (released.ok, released.reason) == (True, "approved")
    assert [h.holder for h in released.released] == [holder_role]
    used = requester.approval_status(approval_id)
    assert (used.state, used.used_event_id) == ("used", released.event_id)
    assert event(module_db, released.event_id)["context"]["approval_id"] == approval_id

    # single use: the same call once more (the holder leased the path again) asks again
    holder.acquire_lock(path, 600)
    with pytest.raises(ApprovalRequired) as once_more:
        requester.force_release_lock(path, "stuck holder")
    assert once_more.value.approval_id not in (approval_id, other.approval_id)
    assert [x.holder for x in requester.live_locks(holder_role)] == [holder_role]
    with pytest.raises(ApprovalNotPending):
        admin.approve(approval_id)
    reasons = [e["reason"] for e in module_db.audit_events("force_release_lock", requester_role)]
    assert reasons == ["approval_required"] * 3 + ["approved", "approval_required"]


def test_INV_APPROVAL_self_approval_rejection_revocation_and_stale_policy_leave_nothing_to_use(module_db):
    _, admin = admin_of(module_db)
    # trust 4 makes the requester an approver too: only approval_self stops it
    own = profile(admin, 4, ("cancel_task",))
    requester_role, requester = module_db.agent(own)
    second_session = module_db.connect(requester_role)
    approver_role, approver = module_db.agent(profile(admin, 4))
    task = requester.submit_task(f"appr_{uid()}", "a task nobody needs")

    with pytest.raises(ApprovalRequired) as raised:
        requester.cancel_task(task.task_id, "not needed")
    approval_id = raised.value.approval_id
    request = requester.approval_status(approval_id)
    assert (request.sources, request.args) == (("profile",), {"task_id": task.task_id, "reason": "not needed"})

    # never by its requester, from any of its sessions
    for session in (requester, second_session):
        with pytest.raises(ApprovalSelf):
            session.approve(approval_id)
        with pytest.raises(ApprovalSelf):
            session.reject(approval_id)
    as_value = requester.approve(approval_id, raise_on_refusal=False)
    assert isinstance(as_value, Refusal) and as_value.reason == "approval_self" and as_value.approval_id is None
    assert requester.approval_status(approval_id).state == "pending"

    # rejected: nothing to use, nothing more to decide
    rejected = approver.reject(approval_id, "keep it")
    assert (rejected.ok, rejected.state, rejected.expires_at, rejected.approval_id) == (
        True, "rejected", None, approval_id)
    decided = requester.approval_status(approval_id)
    assert (decided.state, decided.decided_by, decided.note) == ("rejected", approver_role, "keep it")
    with pytest.raises(ApprovalNotPending):
        approver.approve(approval_id)
    with pytest.raises(ApprovalNotPending):
        approver.reject(approval_id)
    with pytest.raises(ApprovalRequired) as asked_again:
        requester.cancel_task(task.task_id, "not needed")

    # a grant revoked before its use is not used
    regranted = asked_again.value.approval_id
    assert approver.approve(regranted).state == "granted"
    assert approver.reject(regranted, "changed my mind").state == "rejected"
    with pytest.raises(ApprovalRequired) as after_revoke:
        requester.cancel_task(task.task_id, "not needed")

    # a request made under an older policy cannot be granted
    admin.set_profile_approvals(own, ("cancel_task",), True)
    with pytest.raises(ApprovalStalePolicy):
        approver.approve(after_revoke.value.approval_id)
    with pytest.raises(ApprovalRequired) as fresh:
        requester.cancel_task(task.task_id, "not needed")
    approver.approve(fresh.value.approval_id)
    cancelled = requester.cancel_task(task.task_id, "not needed")
    assert cancelled.reason == "approved" and requester.get_task(task.task_id).status == "cancelled"

    # unknown ids; another agent sees none of it, an approver all of it
    with pytest.raises(ApprovalNotFound):
        approver.approve(UNKNOWN_ID)
    assert requester.approval_status(UNKNOWN_ID) is None
    _, stranger = module_db.agent()
    assert stranger.approval_status(approval_id) is None and stranger.approvals() == []
    assert {approval_id, regranted, fresh.value.approval_id} <= {a.approval_id for a in approver.approvals()}


def test_INV_APPROVAL_a_request_or_grant_past_its_expiry_cannot_be_used(db):
    _, admin = admin_of(db)
    assert admin.set_approval_settings(request_ttl=120, grant_ttl=30).ok
    _, requester = db.agent(profile(admin, 2, ("acquire_lock",)))
    path = f"expiry/{uid()}.py"

    with pytest.raises(ApprovalRequired) as raised:
        requester.acquire_lock(path, 60)
    request = requester.approval_status(raised.value.approval_id)
    assert request.expires_at - request.requested_at == timedelta(seconds=120)
    db.advance_clock(121)
    assert requester.approval_status(request.approval_id).state == "expired"
    assert requester.wait_for_approval(request.approval_id, 10).state == "expired"   # no wait for what is over
    with pytest.raises(ApprovalExpired):
        admin.approve(request.approval_id)

    with pytest.raises(ApprovalRequired) as again:
        requester.acquire_lock(path, 60)
    granted = admin.approve(again.value.approval_id)
    assert granted.expires_at - requester.now() <= timedelta(seconds=30)
    db.advance_clock(31)
    with pytest.raises(ApprovalRequired):
        requester.acquire_lock(path, 60)   # the grant expired unused: asked again
    assert requester.approval_status(again.value.approval_id).state == "expired"


# -- the async client ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_INV_APPROVAL_async_wait_for_approval_wakes_on_the_grant(module_db):
    admin_role = module_db.create_role("coord_admin", prefix="admin")
    admin = await AsyncClient.connect(module_db.role_dsn(admin_role))
    name = f"appr_{uid()}"
    await admin.set_profile(name, 2, "INV-APPROVAL async")
    assert (await admin.set_profile_approvals(name, ["submit_task"])).ok
    requester_role = module_db.create_role("coord_agent")
    module_db.su.execute("SELECT coord.register_agent(%s, %s)", (requester_role, name))
    approver_role = module_db.create_role("coord_agent")
    module_db.su.execute("SELECT coord.register_agent(%s, %s)", (approver_role, profile(module_db.admin(), 4)))
    requester = await AsyncClient.connect(module_db.role_dsn(requester_role))
    approver = await AsyncClient.connect(module_db.role_dsn(approver_role))
    task_type = f"appr_{uid()}"
    try:
        with pytest.raises(ApprovalRequired) as raised:
            await requester.submit_task(task_type, "deploy", {"env": "prod"})
        approval_id = raised.value.approval_id
        assert (await requester.approval_status(approval_id)).state == "pending"
        assert approval_id in {a.approval_id for a in await approver.approvals("pending")}
        assert [a.approval_id for a in await requester.approvals()] == [approval_id]

        still = await requester.wait_for_approval(approval_id, 0.3)
        assert still is not None and still.state == "pending"
        started = monotonic()
        waiting = asyncio.ensure_future(requester.wait_for_approval(approval_id, 60))
        await asyncio.sleep(0.5)
        assert not waiting.done()
        decision = await approver.approve(approval_id, "ship it")
        assert decision.state == "granted"
        granted = await asyncio.wait_for(waiting, 30)
        assert granted.state == "granted" and granted.decided_by == approver_role
        assert monotonic() - started < 20, "woken by the notification, not by the 60 s timeout"

        submitted = await requester.submit_task(task_type, "deploy", {"env": "prod"})
        assert submitted.reason == "approved" and submitted.existing is False
        assert (await requester.approval_status(approval_id)).used_event_id == submitted.event_id

        refusal = await requester.submit_task(task_type, "deploy", {"env": "prod"}, raise_on_refusal=False)
        assert isinstance(refusal, Refusal) and refusal.approval_id == refusal.event_id
        with pytest.raises(TrustTooLow):
            await requester.approve(refusal.approval_id)   # below approver trust (and its own)
        rejected = await approver.reject(refusal.approval_id, "once is enough")
        assert rejected.state == "rejected" and rejected.expires_at is None
        assert (await requester.wait_for_approval(refusal.approval_id, 5)).state == "rejected"
        assert await requester.wait_for_approval(UNKNOWN_ID, 0.5) is None
    finally:
        for c in (admin, requester, approver):
            await c.close()


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli(capsys):
    def run(dsn: str, *args: str) -> tuple[int, str, str]:
        code = main(["--dsn", dsn, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run


def test_INV_APPROVAL_the_cli_lists_follows_approves_and_rejects(module_db, cli):
    admin_role, admin = admin_of(module_db)
    role, _ = module_db.agent(profile(admin, 2, ("acquire_lock",)))
    as_admin, as_agent = module_db.role_dsn(admin_role), module_db.role_dsn(role)
    path = f"cli/{uid()}.py"

    code, _, err = cli(as_agent, "lease", "acquire", path, "--ttl", "60")
    assert code == EXIT_REFUSED and "approval_required" in err, err
    approval_id = int(re.search(r"approval (\d+) requested", err).group(1))
    assert f"pgcoord approvals status {approval_id}" in err and f"audit event {approval_id}" in err

    code, out, err = cli(as_admin, "--json", "approvals", "list", "--state", "pending")
    assert code == EXIT_OK, err
    row = next(a for a in json.loads(out) if a["approval_id"] == approval_id)
    assert (row["requester"], row["operation"], row["resource"], row["state"]) == (role, "acquire_lock", path,
                                                                                     "pending")
    assert row["args"]["path"] == path
    code, out, _ = cli(as_agent, "--json", "approvals", "status", str(approval_id))
    assert code == EXIT_OK and json.loads(out)["state"] == "pending"
    code, out, _ = cli(as_admin, "approvals", "list")
    assert code == EXIT_OK and "approvals" in out and str(approval_id) in out   # a table for people

    code, _, err = cli(as_agent, "approvals", "approve", str(approval_id))
    assert code == EXIT_REFUSED and "trust_too_low" in err, "an agent below approver trust cannot approve"
    code, out, err = cli(as_admin, "--json", "approvals", "approve", str(approval_id), "--note", "go ahead")
    assert code == EXIT_OK, err
    decision = json.loads(out)
    assert (decision["ok"], decision["state"], decision["approval_id"]) == (True, "granted", approval_id)
    code, _, err = cli(as_admin, "approvals", "approve", str(approval_id))
    assert code == EXIT_REFUSED and "approval_not_pending" in err

    code, out, err = cli(as_agent, "--json", "lease", "acquire", path, "--ttl", "60")
    assert code == EXIT_OK, err
    assert json.loads(out)["reason"] == "approved"
    code, out, _ = cli(as_agent, "--json", "approvals", "status", str(approval_id), "--wait", "1")
    assert code == EXIT_OK and json.loads(out)["state"] == "used"

    code, _, err = cli(as_agent, "lease", "acquire", f"cli/{uid()}.py", "--ttl", "60")
    second = int(re.search(r"approval (\d+) requested", err).group(1))
    code, out, err = cli(as_admin, "--json", "approvals", "reject", str(second), "--note", "no")
    assert code == EXIT_OK, err
    assert (json.loads(out)["state"], json.loads(out)["ok"]) == ("rejected", True)

    code, _, err = cli(as_agent, "approvals", "status", str(UNKNOWN_ID))
    assert code == EXIT_NOT_FOUND and f"no approval request {UNKNOWN_ID}" in err
    _, stranger = module_db.agent()
    code, _, _ = cli(module_db.role_dsn(stranger.whoami().role_name), "approvals", "status", str(approval_id))
    assert code == EXIT_NOT_FOUND, "another agent's request is not found"



def test_INV_APPROVAL_the_cli_sets_which_calls_of_a_profile_need_an_approval(module_db, cli):
    admin_role, admin = admin_of(module_db)
    name = profile(admin, 2)
    role, agent = module_db.agent(name)
    holder_role, holder = module_db.agent()
    as_admin, as_agent = module_db.role_dsn(admin_role), module_db.role_dsn(role)

    code, out, err = cli(as_admin, "--json", "approvals", "require", name, "submit_task", "acquire_lock",
                         "submit_task")
    assert code == EXIT_OK, err
    verdict = json.loads(out)
    assert (verdict["ok"], verdict["profile"], verdict["operations"], verdict["approve_elevation"]) == (
        True, name, ["acquire_lock", "submit_task"], False)
    assert event(module_db, verdict["event_id"])["operation"] == "set_profile_approvals"
    refused = agent.acquire_lock(f"require/{uid()}.py", 60, raise_on_refusal=False)
    assert isinstance(refused, Refusal) and refused.reason == "approval_required"

    # none listed: none needs one (a table for people); --elevation asks instead of trust_too_low
    code, out, err = cli(as_admin, "approvals", "require", name, "--elevation")
    assert code == EXIT_OK and name in out, err
    path = f"require/{uid()}.py"
    assert agent.acquire_lock(path, 60).reason == "allowed"
    holder.acquire_lock(f"{path}.held", 600)
    elevated = agent.force_release_lock(f"{path}.held", "stuck", raise_on_refusal=False)
    assert isinstance(elevated, Refusal) and elevated.reason == "approval_required"
    code, _, err = cli(as_admin, "approvals", "require", name)
    assert code == EXIT_OK, err
    with pytest.raises(TrustTooLow):
        agent.force_release_lock(f"{path}.held", "stuck")
    assert [x.holder for x in agent.live_locks(holder_role)] == [holder_role]

    # an operation that cannot bind its arguments, an unknown profile: bad input; an agent: no privilege
    code, _, err = cli(as_admin, "approvals", "require", name, "claim_task")
    assert code == EXIT_BAD_INPUT and "not approvable: claim_task" in err, err
    code, _, err = cli(as_admin, "approvals", "require", f"missing_{uid()}", "submit_task")
    assert code == EXIT_BAD_INPUT, err
    code, _, err = cli(as_agent, "approvals", "require", name)
    assert code == EXIT_REFUSED and "privilege" in err, err

# -- the MCP server -----------------------------------------------------------------------------


@asynccontextmanager
async def mcp_session(db: Database, role: str, *args: str) -> AsyncIterator[McpClient]:
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "pgcoord.mcp_server", "--dsn", db.role_dsn(role), *args], cwd=str(REPO))
    async with McpClient(params, read_timeout_seconds=60) as client:
        yield client


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    return result.structured_content


@pytest.mark.asyncio
async def test_INV_APPROVAL_over_mcp_the_refusal_names_its_approval_and_approval_status_follows_it(module_db):
    admin_role, admin = admin_of(module_db)
    role, _ = module_db.agent(profile(admin, 2, ("acquire_lock",)))
    path = f"mcp/{uid()}/"
    async with mcp_session(module_db, role, "--toolsets", "all") as listing:
        every = {t.name for t in (await listing.list_tools()).tools}
        assert "approval_status" in every
        assert not [n for n in every if "approve" in n or "reject" in n], "deciding requests is no agent tool"
    async with mcp_session(module_db, role) as core:   # opt-in: the core tools/list stays within its budget
        assert "approval_status" not in {t.name for t in (await core.list_tools()).tools}
    async with mcp_session(module_db, role, "--toolsets", "leases,approvals") as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
        assert tools["approval_status"].annotations.read_only_hint is True

        refused = await mcp.call_tool("acquire_lease", {"path": path, "ttl": 120})
        assert refused.is_error
        data = refused.structured_content
        approval_id = data["approval_id"]
        assert data["reason"] == "approval_required" and data["event_id"] == approval_id
        assert "same call" in data["next"] and "approval_status" in data["next"]
        message = text_of(refused)
        assert message.startswith("approval_required: ") and f"Approval {approval_id} " in message, message

        pending = ok(await mcp.call_tool("approval_status", {"approval_id": approval_id}))
        assert pending["state"] == "pending" and "wait" in pending["next"]
        assert (pending["operation"], pending["resource"], pending["args"]["path"]) == ("acquire_lock", path, path)
        waiting = asyncio.ensure_future(mcp.call_tool("approval_status", {"approval_id": approval_id, "wait": 30}))
        await asyncio.sleep(0.5)
        assert not waiting.done()
        admin.approve(approval_id, "fine")
        granted = ok(await asyncio.wait_for(waiting, 30))
        assert (granted["state"], granted["decided_by"], granted["note"]) == ("granted", admin_role, "fine")
        assert "same call" in granted["next"]

        lease = ok(await mcp.call_tool("acquire_lease", {"path": path, "ttl": 120}))
        assert (lease["granted"], lease["reason"]) == (True, "approved")
        assert ok(await mcp.call_tool("approval_status", {"approval_id": approval_id}))["state"] == "used"

        unknown = await mcp.call_tool("approval_status", {"approval_id": UNKNOWN_ID})
        assert unknown.is_error and text_of(unknown).startswith("approval_not_found: ")
