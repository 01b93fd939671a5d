"""`pgcoord mcp` driven by the official MCP SDK client (`mcp.Client`) over stdio, against the
real database: each agent runs its own server process connected as its own login role.

Two agents contend for a lease and for a task (a normal result: granted/claimed false,
the holders and when to retry); a reviewer is refused by policy and an agent sends bad
input (tool errors whose text starts with the reason code or SQLSTATE); each call's
audit event is looked up in the audit trail as an administrator. Also: the token cost
of tools/list against its budget, truthful annotations, read-only mode, toolset
selection, the resources, waiting, a start refused for an unregistered role, and a
session that survives its connection being dropped.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client as McpClient
from mcp import StdioServerParameters
from mcp_types import CallToolResult

from pgcoord import Client
from pgcoord.mcp_server import EXIT_NOT_AGENT, EXIT_UNREACHABLE, EXIT_USAGE

from .helpers import Database
from .invariant_catalogue import REPO

pytestmark = pytest.mark.asyncio

#: The token budget of tools/list with the default (core) toolsets: characters / 4.
TOOLS_LIST_TOKEN_BUDGET = 3000

CORE_TOOLS = {"my_status", "acquire_lease", "renew_lease", "release_lease", "check_leases", "submit_task",
              "claim_task", "renew_claim", "complete_task", "fail_task", "cancel_task", "list_tasks", "get_task",
              "check_command", "check_network"}
READ_ONLY_TOOLS = {"my_status", "check_leases", "list_tasks", "get_task", "check_command", "check_network"}


def server(dsn: str, *args: str, cli: bool = False) -> StdioServerParameters:
    """The server as an MCP client starts it: `python -m pgcoord.mcp_server --dsn ...`, or
    through the `pgcoord mcp` command (pgcoord.cli)."""
    module = ["-m", "pgcoord.cli", "mcp"] if cli else ["-m", "pgcoord.mcp_server"]
    return StdioServerParameters(command=sys.executable, args=[*module, "--dsn", dsn, *args], cwd=str(REPO))


@asynccontextmanager
async def connected(db: Database, role: str, *args: str, cli: bool = False) -> AsyncIterator[McpClient]:
    async with McpClient(server(db.role_dsn(role), *args, cli=cli), read_timeout_seconds=60) as client:
        yield client


def agent(db: Database, profile: str = "implementer") -> str:
    role = db.create_role("coord_agent")
    db.su.execute("SELECT coord.register_agent(%s, %s)", (role, profile))
    return role


def text(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def ok(result: CallToolResult) -> dict[str, Any]:
    """The structured result of a call that is not an error (validated by the SDK client
    against the tool's output schema); its text is the same as compact JSON."""
    assert not result.is_error, text(result)
    assert json.loads(text(result)) == result.structured_content
    return result.structured_content


def error(result: CallToolResult) -> str:
    assert result.is_error, result.structured_content
    return text(result)


def trail(admin: Client, event_id: int) -> dict[str, Any]:
    """One audit event, read by an administrator from coord.audit_trail."""
    rows = admin.query("SELECT actor, operation, resource, proceeded, reason FROM coord.audit_trail "
                       "WHERE event_id = %s", event_id)
    assert len(rows) == 1, f"no audit event {event_id}"
    return rows[0]


def events_of(admin: Client, actor: str) -> int:
    return admin.query("SELECT count(*) AS n FROM coord.audit_trail WHERE actor = %s", actor)[0]["n"]


# -- the surface -------------------------------------------------------------------------------


async def test_tools_list_is_lean_truthful_and_within_its_token_budget(module_db):
    role = agent(module_db)
    async with connected(module_db, role) as client:
        listed = await client.list_tools()
        resources = await client.list_resources()
    tokens = len(listed.model_dump_json(by_alias=True, exclude_none=True)) / 4
    print(f"tools/list: {len(listed.tools)} tools, {tokens:.0f} tokens (budget {TOOLS_LIST_TOKEN_BUDGET})")
    assert tokens <= TOOLS_LIST_TOKEN_BUDGET, f"tools/list costs {tokens:.0f} tokens > {TOOLS_LIST_TOKEN_BUDGET}"

    tools = {t.name: t for t in listed.tools}
    assert set(tools) == CORE_TOOLS
    for name, t in tools.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", name), name
        # each description opens with when to use the tool
        assert re.match(r"(Before|When|While|To|At) ", t.description or ""), (name, t.description)
        assert t.output_schema and t.output_schema.get("type") == "object", f"{name} has no structured output"
        # identity is the connection: no tool takes an agent, role or holder
        assert not set(t.input_schema.get("properties", {})) & {"agent", "role", "holder", "actor", "user"}, name
        a = t.annotations
        assert a is not None and a.open_world_hint is False, name
        assert a.read_only_hint is (name in READ_ONLY_TOOLS), name
        if not a.read_only_hint:
            assert a.destructive_hint is not None and a.idempotent_hint is not None, name
    destructive = {n for n, t in tools.items() if t.annotations.destructive_hint}
    assert destructive == {"release_lease", "fail_task", "cancel_task"}
    # acquiring again draws a new fencing token; a new claim or task is another one
    assert not any(tools[n].annotations.idempotent_hint for n in ("acquire_lease", "claim_task", "submit_task"))
    assert {str(r.uri) for r in resources.resources} == {
        "pgcoord://leases/mine", "pgcoord://leases", "pgcoord://tasks/mine", "pgcoord://queue", "pgcoord://audit/mine"}


async def test_read_only_mode_serves_only_the_tools_that_change_nothing(module_db):
    role = agent(module_db)
    async with connected(module_db, role, "--read-only", cli=True) as client:   # through `pgcoord mcp`
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == READ_ONLY_TOOLS
        assert all(t.annotations.read_only_hint for t in (await client.list_tools()).tools)
        refused = error(await client.call_tool("acquire_lease", {"path": "src/"}))
        assert "acquire_lease" in refused
        assert ok(await client.call_tool("check_leases", {"paths": ["src/"]})) == {"leases": []}
    assert module_db.scalar("SELECT count(*) FROM coord_private.locks WHERE holder = %s", role) == 0


async def test_toolsets_select_tools_and_resources(module_db):
    role = agent(module_db)
    async with connected(module_db, role, "--toolsets", "leases") as client:
        assert {t.name for t in (await client.list_tools()).tools} == {
            "acquire_lease", "renew_lease", "release_lease", "check_leases"}
        assert {str(r.uri) for r in (await client.list_resources()).resources} == {
            "pgcoord://leases/mine", "pgcoord://leases"}
    async with connected(module_db, role, "--toolsets", "tasks,checks", "--read-only") as client:
        assert {t.name for t in (await client.list_tools()).tools} == {
            "list_tasks", "get_task", "check_command", "check_network"}
    proc = subprocess.run([sys.executable, "-m", "pgcoord.mcp_server", "--toolsets", "leases,telepathy",
                           "--dsn", module_db.role_dsn(role)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == EXIT_USAGE and "unknown toolset telepathy" in proc.stderr, proc.stderr


# -- contention, policy, bad input, each with its audit event ----------------------------------


async def test_contention_policy_refusal_and_bad_input_with_their_audit_events(module_db):
    a, b, reviewer = agent(module_db), agent(module_db), agent(module_db, "reviewer")
    admin = module_db.admin()
    task_type = f"build_{a[-6:]}"
    async with connected(module_db, a) as ca, connected(module_db, b) as cb, connected(module_db, reviewer) as cr:
        # a lease, then the other agent's overlapping request: contention is a result
        grant = ok(await ca.call_tool("acquire_lease", {"path": "src/api/", "ttl": 120, "reason": "refactor"}))
        assert grant["granted"] is True and grant["path"] == "src/api/" and grant["token"] > 0
        assert trail(admin, grant["event_id"]) == {"actor": a, "operation": "acquire_lock", "resource": "src/api/",
                                                   "proceeded": True, "reason": "allowed"}

        busy = ok(await cb.call_tool("acquire_lease", {"path": "src/api/users.py"}))
        assert busy["granted"] is False and busy["reason"] == "lock_held_by_other" and busy["token"] is None
        assert [(h["holder"], h["path"]) for h in busy["holders"]] == [(a, "src/api/")]
        assert busy["holders"][0]["expires_at"] == grant["expires_at"]
        assert 0 < busy["retry_after_s"] <= 120 and "wait" in busy["next"]
        assert trail(admin, busy["event_id"]) == {"actor": b, "operation": "acquire_lock",
                                                  "resource": "src/api/users.py", "proceeded": False,
                                                  "reason": "lock_held_by_other"}

        seen = ok(await cb.call_tool("check_leases", {"paths": ["src/api/users.py"]}))["leases"]
        assert [(x["holder"], x["token"]) for x in seen] == [(a, grant["token"])]

        # a task, claimed by one agent; the other finds nothing claimable: a result too
        submitted = ok(await ca.call_tool("submit_task", {"task_type": task_type, "description": "compile",
                                                          "input": {"target": "api"}}))
        assert submitted["existing"] is False
        assert trail(admin, submitted["event_id"])["operation"] == "submit_task"
        claim = ok(await cb.call_tool("claim_task", {"types": [task_type]}))
        assert claim["claimed"] is True and claim["task_id"] == submitted["task_id"]
        assert claim["input"] == {"target": "api"} and claim["claim_token"] == 1
        assert trail(admin, claim["event_id"]) | {"resource": None} == {
            "actor": b, "operation": "claim_task", "resource": None, "proceeded": True, "reason": "allowed"}
        none = ok(await ca.call_tool("claim_task", {"types": [task_type]}))
        assert none["claimed"] is False and none["reason"] == "task_not_claimable" and none["task_id"] is None
        assert trail(admin, none["event_id"]) | {"resource": None} == {
            "actor": a, "operation": "claim_task", "resource": None, "proceeded": False,
            "reason": "task_not_claimable"}

        # the claimer completes; completing again is refused: a tool error with the reason code
        done = ok(await cb.call_tool("complete_task", {"task_id": claim["task_id"],
                                                       "claim_token": claim["claim_token"], "result": {"ok": True}}))
        assert done["status"] == "completed"
        assert trail(admin, done["event_id"])["operation"] == "complete_task"
        again = error(await cb.call_tool("complete_task", {"task_id": claim["task_id"],
                                                           "claim_token": claim["claim_token"]}))
        assert again.startswith("task_terminal: ") and "Next: " in again
        refused_event = int(re.search(r"audit event (\d+)", again).group(1))
        assert trail(admin, refused_event)["reason"] == "task_terminal"
        task = ok(await ca.call_tool("get_task", {"task_id": claim["task_id"]}))
        assert task["status"] == "completed" and task["result"] == {"ok": True} and task["submitter"] == a

        # a reviewer (trust 1) may not lease: refused by policy, a tool error starting with the code
        denied = error(await cr.call_tool("acquire_lease", {"path": "docs/"}))
        assert denied.startswith("trust_too_low: "), denied
        assert "do not retry" in denied
        event = int(re.search(r"audit event (\d+)", denied).group(1))
        assert trail(admin, event) == {"actor": reviewer, "operation": "acquire_lock", "resource": "docs/",
                                       "proceeded": False, "reason": "trust_too_low"}

        # bad input: the database's SQLSTATE (nothing changed, so nothing recorded), and
        # arguments the input schema rejects (never sent)
        before = events_of(admin, a)
        bad_path = error(await ca.call_tool("acquire_lease", {"path": "../etc/passwd"}))
        assert bad_path.startswith("PC003: invalid_path"), bad_path
        assert "Nothing was changed" in bad_path
        bad_ttl = error(await ca.call_tool("acquire_lease", {"path": "src/x.py", "ttl": 0}))
        assert bad_ttl.startswith("PC004: ttl_out_of_range"), bad_ttl
        bad_type = error(await ca.call_tool("acquire_lease", {"path": "src/x.py", "ttl": "soon"}))
        assert bad_type.startswith("PC002: invalid_argument: ttl"), bad_type
        unknown = error(await ca.call_tool("get_task", {"task_id": 987654321}))
        assert unknown.startswith("PC005: unknown_task"), unknown
        assert events_of(admin, a) == before

        # checks answer with their decision (recorded too)
        blocked = ok(await ca.call_tool("check_command", {"text": "rm -rf / --no-preserve-root"}))
        assert blocked["blocked"] is True and blocked["matches"], blocked
        assert trail(admin, blocked["event_id"])["reason"] == "guardrail_blocked"
        net = ok(await ca.call_tool("check_network", {"target": "https://unlisted.example/x"}))
        assert net == {"allowed": False, "domain": "unlisted.example", "reason": "domain_denied",
                       "event_id": net["event_id"]}

        # releasing ends the contention
        released = ok(await ca.call_tool("release_lease", {"path": "src/api/"}))
        assert trail(admin, released["event_id"])["operation"] == "release_lock"
        assert ok(await cb.call_tool("acquire_lease", {"path": "src/api/users.py"}))["granted"] is True
        gone = error(await ca.call_tool("release_lease", {"path": "src/api/"}))
        assert gone.startswith("lock_not_held: "), gone

        # what each agent holds, as a tool and as resources
        status = ok(await cb.call_tool("my_status", {}))
        assert (status["role"], status["profile"], status["trust_level"]) == (b, "implementer", 2)
        assert [x["path"] for x in status["leases"]] == ["src/api/users.py"] and status["claims"] == []
        mine = json.loads((await cb.read_resource("pgcoord://leases/mine")).contents[0].text)
        assert [(x["path"], x["holder"]) for x in mine] == [("src/api/users.py", b)]
        audit = json.loads((await ca.read_resource("pgcoord://audit/mine")).contents[0].text)
        assert audit[0]["operation"] == "release_lock" and {e["reason"] for e in audit} >= {
            "allowed", "task_not_claimable", "guardrail_blocked", "domain_denied", "lock_not_held"}


async def test_check_command_takes_an_optional_workspace_and_cwd(module_db):
    """The input schema of check_command offers workspace and cwd, neither required."""
    role = agent(module_db)
    async with connected(module_db, role) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    schema = tools["check_command"].input_schema
    assert {"text", "paths", "workspace", "cwd"} <= set(schema["properties"])
    assert schema.get("required") == ["text"]
    assert "workspace" in (tools["check_command"].description or "")


async def test_check_command_resolves_paths_against_workspace_and_cwd(module_db):
    """(needs the four-argument coord.check_guardrails) workspace and cwd reach the shell
    analyser; an invalid one is a PC002 tool error."""
    role = agent(module_db)
    admin = module_db.admin()
    async with connected(module_db, role) as client:
        outside = ok(await client.call_tool("check_command", {"text": "rm -rf /srv/app/build"}))
        assert outside["blocked"] is True, outside
        inside = ok(await client.call_tool("check_command", {"text": "rm -rf /srv/app/build",
                                                             "workspace": "/srv/app", "cwd": "/srv/app"}))
        assert inside["blocked"] is False and inside["reason"] == "allowed", inside
        assert trail(admin, inside["event_id"])["operation"] == "check_guardrails"
        etc = ok(await client.call_tool("check_command", {"text": "rm -rf etc", "cwd": "/"}))
        assert etc["blocked"] is True and etc["matches"], etc
        bad = error(await client.call_tool("check_command", {"text": "ls", "cwd": "relative"}))
        assert bad.startswith("PC002"), bad


async def test_a_shadowed_denial_is_a_result_the_server_does_not_decide(db):
    """In shadow mode the database lets the reviewer's lease proceed and says why it would
    have been denied; the server passes that on rather than deciding anything."""
    reviewer = agent(db, "reviewer")
    admin = db.admin()
    admin.set_enforcement_mode("shadow", "test: the server does not decide")
    async with connected(db, reviewer) as client:
        grant = ok(await client.call_tool("acquire_lease", {"path": "docs/"}))
    assert grant["granted"] is True and grant["reason"] in {"trust_too_low", "limit_exceeded"}
    assert trail(admin, grant["event_id"])["proceeded"] is True


# -- waiting, resources, tasks life cycle -------------------------------------------------------


async def test_INV_RECLAIM_a_waiting_claim_takes_over_an_expired_claim_long_before_its_wait_ends(module_db):
    """No notification comes when a dead agent's claim runs out. claim_task with wait
    retries every wait / 5 s (at least every second), so with a 12 s wait it takes over a
    claim that ran out after 2 s at its second or third try, about 5 s in; at the
    client's default 15 s poll it would try only once more, as the wait ends (12 s)."""
    a, b = agent(module_db), agent(module_db)
    task_type = f"reclaim_{a[-6:]}"
    async with connected(module_db, a) as ca, connected(module_db, b) as cb:
        submitted = ok(await ca.call_tool("submit_task", {"task_type": task_type}))
        first = ok(await ca.call_tool("claim_task", {"types": [task_type], "lease": 2}))   # a dies holding it
        assert first["claimed"] and first["task_id"] == submitted["task_id"]
        started = time.monotonic()
        taken = ok(await asyncio.wait_for(cb.call_tool("claim_task", {"types": [task_type], "wait": 12}), 30))
        took = time.monotonic() - started
        assert taken["claimed"] is True and taken["task_id"] == submitted["task_id"] and taken["claim_token"] == 2
        assert took < 9, f"taken over after {took:.1f} s of a 12 s wait: the wait polled too seldom"


async def test_INV_LOCK_EXPIRY_the_fleet_toolset_heartbeat_discover_and_lease_status(module_db):
    a, b = agent(module_db), agent(module_db)
    async with connected(module_db, a, "--toolsets", "fleet,leases") as ca, \
            connected(module_db, b, "--toolsets", "fleet") as cb:
        assert {t.name for t in (await cb.list_tools()).tools} == {"heartbeat", "discover_agents", "lease_status"}
        beat = ok(await ca.call_tool("heartbeat", {"status": "busy", "capabilities": ["mcp"]}))
        assert beat["stale_after_s"] == 90 and beat["reason"] == "allowed"
        assert trail(module_db.admin(), beat["event_id"])["operation"] == "heartbeat"
        found = ok(await cb.call_tool("discover_agents", {"capability": "mcp"}))["agents"]
        assert [(x["role_name"], x["liveness"], x["reported_status"]) for x in found] == [(a, "live", "busy")]
        bad = error(await ca.call_tool("heartbeat", {"capabilities": ["bad name with spaces"]}))
        assert bad.startswith("PC002") or "PC002" in bad, bad
        path = f"mcp/{a}/"
        ok(await ca.call_tool("acquire_lease", {"path": path}))
        ok(await ca.call_tool("release_lease", {"path": path}))
        grants = ok(await ca.call_tool("lease_status", {}))["grants"]
        assert [(g["path"], g["state"], g["cause"]) for g in grants] == [(path, "lost", "released")]
        assert ok(await cb.call_tool("lease_status", {}))["grants"] == []


async def test_INV_RLS_the_handoffs_toolset_writes_and_reads_handoffs(module_db):
    a, b = agent(module_db), agent(module_db)
    async with connected(module_db, a, "--toolsets", "handoffs") as ca, \
            connected(module_db, b, "--toolsets", "handoffs", "--read-only") as cb:
        assert {t.name for t in (await cb.list_tools()).tools} == {"read_handoffs"}
        written = ok(await ca.call_tool("write_handoff", {"summary": "schema migrated", "next_steps": ["backfill"],
                                                          "files": ["db/"]}))
        assert trail(module_db.admin(), written["event_id"])["operation"] == "write_handoff"
        found = ok(await cb.call_tool("read_handoffs", {"agent": a}))["handoffs"]
        assert [(h["handoff_id"], h["summary"], h["next_steps"]) for h in found] == \
            [(written["handoff_id"], "schema migrated", ["backfill"])]
        bad = error(await ca.call_tool("write_handoff", {"summary": ""}))
        assert "PC00" in bad, bad


async def test_INV_RLS_the_memory_toolset(module_db):
    a, b = agent(module_db), agent(module_db)
    async with connected(module_db, a, "--toolsets", "memory") as ca, connected(module_db, b, "--toolsets", "memory",
                                                                                "--read-only") as cb:
        assert {t.name for t in (await cb.list_tools()).tools} == {"recall", "skills"}
        kept = ok(await ca.call_tool("remember", {"event_type": "incident", "summary": f"disk full on runner {a}",
                                                  "tags": ["ci"], "lessons": ["prune caches"]}))
        assert trail(module_db.admin(), kept["event_id"])["operation"] == "remember"
        found = ok(await cb.call_tool("recall", {"text": f"disk full {a}"}))["memories"]
        assert found and found[0]["memory_id"] == kept["memory_id"] and found[0]["lessons"] == ["prune caches"]
        counted = ok(await ca.call_tool("record_skill_outcome", {"skill": f"prune-{a}", "succeeded": True}))
        assert counted["attempts"] == 1
        listed = ok(await cb.call_tool("skills", {"prefix": f"prune-{a}"}))["skills"]
        assert [(x["skill"], x["success_rate"]) for x in listed] == [(f"prune-{a}", 1.0)]
        bad = error(await ca.call_tool("remember", {"event_type": "x", "summary": ""}))
        assert "PC00" in bad, bad


async def test_wait_is_granted_when_the_holder_releases_and_a_claim_when_a_task_arrives(module_db):
    a, b = agent(module_db), agent(module_db)
    task_type = f"deploy_{a[-6:]}"
    async with connected(module_db, a) as ca, connected(module_db, b) as cb:
        assert ok(await ca.call_tool("acquire_lease", {"path": "infra/", "ttl": 600}))["granted"]
        waiting = asyncio.ensure_future(cb.call_tool("acquire_lease", {"path": "infra/main.tf", "wait": 30}))
        claiming = asyncio.ensure_future(ca.call_tool("claim_task", {"types": [task_type], "wait": 30}))
        await asyncio.sleep(1.0)
        assert not waiting.done() and not claiming.done()
        # the waits run on their own connections: the server still answers meanwhile
        assert ok(await cb.call_tool("check_leases", {"paths": ["infra/"]}))["leases"]
        ok(await ca.call_tool("release_lease", {"path": "infra/"}))
        submitted = ok(await cb.call_tool("submit_task", {"task_type": task_type}))
        grant = ok(await asyncio.wait_for(waiting, 30))
        assert grant["granted"] is True and grant["path"] == "infra/main.tf"
        claim = ok(await asyncio.wait_for(claiming, 30))
        assert claim["claimed"] is True and claim["task_id"] == submitted["task_id"]

        renewed = ok(await ca.call_tool("renew_claim", {"task_id": claim["task_id"],
                                                        "claim_token": claim["claim_token"], "lease": 600}))
        assert renewed["claim_expires_at"] > claim["claim_expires_at"]
        claims = json.loads((await ca.read_resource("pgcoord://tasks/mine")).contents[0].text)
        assert [t["task_id"] for t in claims] == [claim["task_id"]]
        queue = json.loads((await cb.read_resource("pgcoord://queue")).contents[0].text)
        assert claim["task_id"] in [t["task_id"] for t in queue]
        failed = ok(await ca.call_tool("fail_task", {"task_id": claim["task_id"], "claim_token": claim["claim_token"],
                                                     "error": "flaky", "retryable": True}))
        assert failed["status"] == "pending"
        listed = ok(await cb.call_tool("list_tasks", {"types": [task_type]}))["tasks"]
        assert [(t["task_id"], t["status"]) for t in listed] == [(claim["task_id"], "pending")]
        cancelled = ok(await cb.call_tool("cancel_task", {"task_id": claim["task_id"], "reason": "not needed"}))
        assert cancelled["status"] == "cancelled"
        renewed_lease = ok(await cb.call_tool("renew_lease", {"path": "infra/main.tf", "ttl": 300}))
        assert renewed_lease["token"] == grant["token"]


# -- starting and staying up --------------------------------------------------------------------


def run_server(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pgcoord.mcp_server", *args], input="", capture_output=True,
                          text=True, timeout=60, env=env)


async def test_start_is_refused_with_a_clear_message_unless_the_role_is_a_registered_agent(module_db):
    unregistered = module_db.create_role("coord_agent")
    proc = run_server("--dsn", module_db.role_dsn(unregistered))
    assert proc.returncode == EXIT_NOT_AGENT, proc.stderr
    assert f"role {unregistered} is not a registered pgcoord agent" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""

    env = {k: v for k, v in os.environ.items() if k != "PGCOORD_DSN"}
    proc = run_server(env=env)
    assert proc.returncode == EXIT_USAGE and "pass --dsn or set PGCOORD_DSN" in proc.stderr
    proc = run_server(env={**env, "PGCOORD_DSN": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"})
    assert proc.returncode == EXIT_UNREACHABLE and "cannot connect to the database" in proc.stderr
    assert "Traceback" not in proc.stderr


async def test_the_session_survives_its_connection_being_dropped(module_db):
    role = agent(module_db)
    async with connected(module_db, role) as client:
        assert ok(await client.call_tool("my_status", {}))["role"] == role

        def terminate() -> int:
            return module_db.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE usename = %s AND pid <> pg_backend_pid()", role)
        assert terminate() == 1
        await asyncio.sleep(0.5)
        grant = ok(await client.call_tool("acquire_lease", {"path": "lib/", "ttl": 60}))
        assert grant["granted"] is True
        assert terminate() == 1
        await asyncio.sleep(0.5)
        assert [x["path"] for x in ok(await client.call_tool("my_status", {}))["leases"]] == ["lib/"]

        # dropped in the middle of a call (a wait, on its own connection): 08006, the outcome
        # unknown; the next call finds the server connected again
        other = agent(module_db)
        with module_db.connect(other) as holder:
            holder.acquire_lock("vendor/a.py", 60)
            waiting = asyncio.ensure_future(client.call_tool("acquire_lease", {"path": "vendor/a.py", "wait": 30}))
            await asyncio.sleep(1.0)
            assert terminate() == 2   # the session and the wait's own connection
            lost = error(await asyncio.wait_for(waiting, 30))
            assert lost.startswith("08006: connection_failure") and "outcome is unknown" in lost, lost
        assert ok(await client.call_tool("check_leases", {"paths": ["lib/"]}))["leases"]
