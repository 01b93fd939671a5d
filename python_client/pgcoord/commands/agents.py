"""pgcoord agent add|list|suspend|resume|stale-after — the fleet (as coord_admin); heartbeat and
discover (as any agent)."""
from __future__ import annotations

import json
import shlex
from typing import Annotated
from urllib.parse import quote, urlsplit, urlunsplit

import typer
from psycopg import sql

from .common import options, out, resolve_dsn, run, show

app = typer.Typer(help="the fleet's agents (as coord_admin)", no_args_is_help=True)


def agent_dsn(admin_dsn: str, role: str) -> str:
    """The admin's connection string with the agent's role as user (no password carried over)."""
    parts = urlsplit(admin_dsn)
    host = parts.hostname or ""
    netloc = f"{quote(role, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@app.command()
def add(ctx: typer.Context, role: str,
        profile: Annotated[str, typer.Option(help="its trust profile (coord.profiles)")] = "implementer",
        password: Annotated[str | None, typer.Option(help="a password for the new login role")] = None) -> None:
    """Create the login role, grant coord_agent, register it with a profile; print its DSN and MCP entry."""
    def create(c):
        with c.conn.transaction():
            exists = c.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", role)
            if not exists:
                statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role))
                if password is not None:
                    statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
                c.conn.execute(statement)
            c.conn.execute(sql.SQL("GRANT coord_agent TO {}").format(sql.Identifier(role)))
        return c.register_agent(role, profile)
    verdict = run(ctx, create)
    dsn = agent_dsn(resolve_dsn(options(ctx).dsn), role)
    entry = {"mcpServers": {"pgcoord": {"command": "pgcoord", "args": ["mcp", "--dsn", dsn]}}}
    if options(ctx).json:
        show(ctx, {"role": role, "profile": profile, "event_id": verdict.event_id, "dsn": dsn, "mcp": entry})
        return
    out.print(f"agent {role} registered with profile {profile} (audit event {verdict.event_id})", markup=False)
    out.print(f"connection string: {dsn}", markup=False)
    out.print(f"Claude Code: claude mcp add pgcoord -- pgcoord mcp --dsn {shlex.quote(dsn)}", markup=False)
    out.print(".mcp.json: " + json.dumps(entry), markup=False)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """The registered agents."""
    show(ctx, run(ctx, lambda c: c.agents()), ["role_name", "profile", "trust_level", "status", "registered_at"],
         title="agents")


@app.command()
def suspend(ctx: typer.Context, role: str) -> None:
    """Suspend an agent: every decision for it is a denial until resumed."""
    show(ctx, run(ctx, lambda c: c.set_agent_status(role, "suspended")), ["ok", "reason", "event_id"])


@app.command()
def resume(ctx: typer.Context, role: str) -> None:
    """Make a suspended agent active again."""
    show(ctx, run(ctx, lambda c: c.set_agent_status(role, "active")), ["ok", "reason", "event_id"])


@app.command()
def heartbeat(ctx: typer.Context,
              status: Annotated[str, typer.Option(help="active, idle or busy")] = "active",
              capability: Annotated[list[str] | None, typer.Option(
                  help="a capability to record (repeat for several; none given keeps the recorded ones)")] = None
              ) -> None:
    """As the connected agent: record that it is alive, its status and capabilities."""
    show(ctx, run(ctx, lambda c: c.heartbeat(status, capability)),  # type: ignore[arg-type]
         ["ok", "reason", "heartbeat_at", "stale_after", "channel", "event_id"])


@app.command()
def discover(ctx: typer.Context,
             capability: Annotated[str | None, typer.Option(help="only agents with this capability")] = None,
             status: Annotated[str | None, typer.Option(
                 help="only agents with this reported status (active, idle, busy) or liveness (live, stale, never)")
             ] = None) -> None:
    """The fleet with its liveness: live, stale (no heartbeat within the threshold) or never."""
    show(ctx, run(ctx, lambda c: c.discover_agents(capability, status)),
         ["role_name", "profile", "status", "reported_status", "liveness", "last_heartbeat", "capabilities",
          "live_leases", "live_claims"], title="agents")


@app.command("stale-after")
def stale_after(ctx: typer.Context, seconds: float,
                reason: Annotated[str, typer.Option(help="why (kept in the audit trail)")]) -> None:
    """As coord_admin: after how many seconds without a heartbeat an agent shows as stale."""
    show(ctx, run(ctx, lambda c: c.set_stale_threshold(seconds, reason)), ["ok", "reason", "previous", "event_id"])
