"""pgcoord lease acquire|renew|release|list|status — file leases as the connected agent."""
from __future__ import annotations

from typing import Annotated

import typer

from .common import run, show

app = typer.Typer(help="file leases (as the connected agent)", no_args_is_help=True)

LEASE_COLUMNS = ["path", "mode", "holder", "token", "expires_at", "kind", "reason"]


@app.command()
def acquire(ctx: typer.Context, path: str,
            ttl: Annotated[float, typer.Option(help="seconds the lease lasts unless renewed")] = 600,
            mode: Annotated[str, typer.Option(help="exclusive or shared")] = "exclusive",
            reason: Annotated[str, typer.Option(help="why (kept in the audit trail)")] = "") -> None:
    """Take a lease on a file, a subtree (dir/) or a glob; refused (exit 3) naming the holders."""
    grant = run(ctx, lambda c: c.acquire_lock(path, ttl, mode, reason))  # type: ignore[arg-type]
    show(ctx, grant, ["path", "mode", "token", "expires_at", "event_id"])


@app.command()
def renew(ctx: typer.Context, path: str,
          ttl: Annotated[float, typer.Option(help="seconds from now")] = 600) -> None:
    """Extend a live lease of yours (a lapsed one is gone: acquire again)."""
    show(ctx, run(ctx, lambda c: c.renew_lock(path, ttl)), ["path", "token", "expires_at", "event_id"])


@app.command()
def release(ctx: typer.Context, path: str) -> None:
    """Give a lease of yours back (waiting agents are notified)."""
    show(ctx, run(ctx, lambda c: c.release_lock(path)), ["ok", "reason", "event_id"])


@app.command("list")
def list_(ctx: typer.Context,
          holder: Annotated[str | None, typer.Option(help="only this agent's leases")] = None,
          mine: Annotated[bool, typer.Option("--mine", help="only the connected agent's leases")] = False) -> None:
    """The live leases."""
    def leases(c):
        who = c.whoami().role_name if mine else holder
        return c.live_locks(who)
    show(ctx, run(ctx, leases), LEASE_COLUMNS, title="live leases")


@app.command()
def status(ctx: typer.Context) -> None:
    """Your leases and claims: what is still live, and what was lost lately and why
    (expired, released, force_released, taken_over)."""
    show(ctx, run(ctx, lambda c: c.lease_status()),
         ["kind", "path", "task_id", "mode", "token", "expires_at", "state", "cause", "lost_at"],
         title="your leases and claims")
