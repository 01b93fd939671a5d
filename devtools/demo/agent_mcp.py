"""Agent carol, through the MCP server: what a coding agent with pgcoord's MCP entry does.

The process is an MCP client (the official SDK's ``mcp.Client`` over stdio) that starts
``pgcoord mcp --dsn <her login>`` — the command ``pgcoord agent add`` printed for her —
and calls its tools: she claims a task, meets another agent's lease on the routes file
(``granted: false`` with the holder: contention is a result), waits for it with
``acquire_lease(wait=...)`` (the server LISTENs), completes; then a follow-up task she
submits needs a person's OK (the tool's error names the approval; she waits for it with
``approval_status``, toolset ``approvals``, and repeats the same call); later she checks
a command against the guardrails before running it (refused) and integrates.

    python -m devtools.demo.agent_mcp       (PGCOORD_DSN: her login; the conductor drives it)
"""
from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime
from typing import Any

from mcp import Client as McpClient
from mcp import StdioServerParameters

from pgcoord.cluster import project_root
from pgcoord.mcp_server.tools import DEFAULT_TOOLSETS

from . import workspace
from .agent_lead import RUN_ENV
from .executables import pgcoord
from .wire import await_go, emit, run_agent

LEASE_S = 60
#: What she means to run: `rm -rf tmp/build`, with a stray space.
CLEAN_UP = "rm -rf / tmp/build"
#: The core tools and the opt-in toolset that follows an approval request.
TOOLSETS = ",".join((*DEFAULT_TOOLSETS, "approvals"))
#: The follow-up task she finds the API change needs (which needs a person's OK).
FOLLOWUP_TYPE, FOLLOWUP = "followup", "write the API changelog"
FOLLOWUP_FILE = "docs/api-changelog.md"


class ToolFailed(RuntimeError):
    """A tool answered with an error (its text starts with the reason code or SQLSTATE)."""


def text_of(result: Any) -> str:
    return "".join(getattr(b, "text", "") for b in result.content)


async def call(mcp: McpClient, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await mcp.call_tool(tool, arguments)
    if result.is_error:
        raise ToolFailed(f"{tool}: " + text_of(result))
    return result.structured_content or {}


async def refused(mcp: McpClient, tool: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    """A call that is expected to be refused: the error's text and its structured data."""
    result = await mcp.call_tool(tool, arguments)
    if not result.is_error:
        raise ToolFailed(f"{tool}: proceeded, but a refusal was expected: {result.structured_content}")
    return text_of(result), result.structured_content or {}


async def go(step: str) -> None:
    await asyncio.to_thread(await_go, step)


def clock(text: str) -> str:
    """HH:MM:SS.fff of an ISO timestamp in a tool result."""
    return datetime.fromisoformat(text).strftime("%H:%M:%S.%f")[:-3]


async def session() -> None:
    repo = os.environ[workspace.ENV]
    run = os.environ[RUN_ENV]
    command = [*pgcoord(), "mcp", "--dsn", os.environ["PGCOORD_DSN"], "--toolsets", TOOLSETS]
    server = StdioServerParameters(command=command[0], args=command[1:], cwd=str(project_root()))
    async with McpClient(server, read_timeout_seconds=120) as mcp:
        tools = (await mcp.list_tools()).tools
        me = await call(mcp, "my_status")
        role = me["role"]
        emit("ready", f"[MCP, pid {os.getpid()}] started `pgcoord mcp --toolsets {TOOLSETS}` over stdio "
                      f"({len(tools)} tools); my_status: {role}, {me['profile']}, trust {me['trust_level']}", role=role)

        await go("claim")
        task = await call(mcp, "claim_task", types=["implement"], lease=LEASE_S)
        if not task["claimed"]:
            raise ToolFailed(f"claim_task: nothing claimed ({task['reason']})")
        tid, token = task["task_id"], task["claim_token"]
        emit("claimed", f"claim_task → #{tid} {task['description']!r} (claim token {token})", task_id=tid)
        own, shared = task["input"]["files"]
        grant = await call(mcp, "acquire_lease", path=own, ttl=LEASE_S, reason=f"task {tid}")
        emit("leased", f"acquire_lease {own} → granted (token {grant['token']})")

        await go("contend")
        busy = await call(mcp, "acquire_lease", path=shared, ttl=LEASE_S, reason=f"task {tid}: register routes")
        if busy["granted"]:
            raise ToolFailed(f"acquire_lease {shared}: granted, but another agent was expected to hold it")
        holders = [h["holder"] for h in busy["holders"]]
        emit("contended", f"acquire_lease {shared} → granted=false, reason {busy['reason']}, held by "
                          f"{', '.join(holders)} until {clock(busy['holders'][0]['expires_at'])}, "
                          f"retry_after_s={busy['retry_after_s']} (contention is a result, not an error)",
             holders=holders)
        emit("waiting", f"acquire_lease {shared} with wait=30 → blocks; the server LISTENs on pgcoord_leases")
        started = time.monotonic()
        grant = await call(mcp, "acquire_lease", path=shared, ttl=LEASE_S, reason=f"task {tid}", wait=30)
        waited = time.monotonic() - started
        if not grant["granted"]:
            raise ToolFailed(f"acquire_lease {shared} wait=30: not granted ({grant['reason']})")
        emit("granted", f"… granted after {waited:.2f} s (token {grant['token']}): woken by the NOTIFY of the release",
             waited=waited)
        for path in (own, shared):
            workspace.write(repo, path, f"# {task['description']} (task {tid}, by {role})")
        for path in (shared, own):
            await call(mcp, "release_lease", path=path)
        done = await call(mcp, "complete_task", task_id=tid, claim_token=token, result={"files": [own, shared]})
        emit("completed", f"writes {own} and {shared}, release_lease both, complete_task #{tid} → {done['status']}",
             task_id=tid)

        await go("followup")
        # the identical call twice: once refused for an approval, once more after the grant
        followup = dict(task_type=FOLLOWUP_TYPE, description=FOLLOWUP, input={"files": [FOLLOWUP_FILE]},
                        idempotency_key=f"{run}:followup")
        text, asked = await refused(mcp, "submit_task", **followup)
        approval_id = asked.get("approval_id")
        emit("approval-required", f"submit_task {FOLLOWUP_TYPE} {FOLLOWUP!r} → error {text.split(':', 1)[0]}: "
                                  f"approval {approval_id} requested for exactly this call (audit event "
                                  f"{asked.get('event_id')}; the error's data: approval_id, event_id, next)",
             text=text, **asked)
        emit("waiting", f"approval_status approval_id={approval_id} wait=30 → blocks; the server LISTENs on "
                        "pgcoord_approvals")
        started = time.monotonic()
        decided = await call(mcp, "approval_status", approval_id=approval_id, wait=30)
        waited = time.monotonic() - started
        emit("decided", f"… after {waited:.2f} s: state {decided['state']}, decided by {decided['decided_by']} "
                        f"({decided['note']!r}); next: {decided['next']}", waited=waited, **decided)
        submitted = await call(mcp, "submit_task", **followup)
        used = await call(mcp, "approval_status", approval_id=approval_id)
        emit("submitted", f"submit_task, the same arguments → #{submitted['task_id']}, reason {submitted['reason']} "
                          f"(audit event {submitted['event_id']}); approval {approval_id} is now {used['state']}",
             task_id=submitted["task_id"], reason=submitted["reason"], event_id=submitted["event_id"],
             approval_state=used["state"])
        task = await call(mcp, "claim_task", types=[FOLLOWUP_TYPE], lease=LEASE_S)
        if not task["claimed"]:
            raise ToolFailed(f"claim_task {FOLLOWUP_TYPE}: nothing claimed ({task['reason']})")
        tid, token = task["task_id"], task["claim_token"]
        emit("claimed", f"claim_task → #{tid} {task['description']!r}", task_id=tid)
        (path,) = task["input"]["files"]
        grant = await call(mcp, "acquire_lease", path=path, ttl=LEASE_S, reason=f"task {tid}")
        workspace.write(repo, path, f"# API changelog\n\n/users and /orders (task {tid}, by {role})")
        await call(mcp, "release_lease", path=path)
        done = await call(mcp, "complete_task", task_id=tid, claim_token=token, result={"files": [path]})
        emit("completed", f"acquire_lease {path} (token {grant['token']}), writes it, releases it, "
                          f"complete_task #{tid} → {done['status']}", task_id=tid)

        await go("integrate")
        task = await call(mcp, "claim_task", types=["integrate"], lease=LEASE_S, wait=30)
        if not task["claimed"]:
            raise ToolFailed(f"claim_task integrate: nothing claimed ({task['reason']})")
        tid, token = task["task_id"], task["claim_token"]
        emit("claimed", f"claim_task → #{tid} {task['description']!r} (both its dependencies are complete)",
             task_id=tid)
        check = await call(mcp, "check_command", text=CLEAN_UP)
        matches = ", ".join(f"{m['name']} ({m['severity']})" for m in check["matches"])
        emit("guardrail", f"check_command {CLEAN_UP!r} (a stray space) → blocked={str(check['blocked']).lower()}, "
                          f"reason {check['reason']}, {matches}, audit event {check['event_id']}: she does not run it",
             blocked=check["blocked"], reason=check["reason"], event_id=check["event_id"])
        (path,) = task["input"]["files"]
        grant = await call(mcp, "acquire_lease", path=path, ttl=LEASE_S, reason=f"task {tid}", wait=30)
        workspace.write(repo, f"{path}__init__.py", f"# {task['description']} (task {tid}, by {role})")
        await call(mcp, "release_lease", path=path)
        done = await call(mcp, "complete_task", task_id=tid, claim_token=token, result={"files": [path]})
        emit("completed", f"acquire_lease {path} (token {grant['token']}), writes {path}__init__.py, releases it, "
                          f"complete_task #{tid} → {done['status']}", task_id=tid)
    emit("done", "")


def main() -> None:
    asyncio.run(session())


if __name__ == "__main__":
    raise SystemExit(run_agent(main))
