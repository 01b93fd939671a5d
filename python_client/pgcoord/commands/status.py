"""pgcoord status [--watch] — one screen: agents, live leases, queue depth, mode, audit health."""
from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table

from .common import EXIT_AUDIT, cell, options, out, run, show


def snapshot(c) -> dict[str, Any]:
    mode = c.enforcement()
    trail = c.verify_audit()
    queue = c.query("SELECT status, count(*) AS n FROM coord.tasks GROUP BY status ORDER BY status")
    return {
        "enforcement_mode": mode.enforcement_mode, "policy_engine": mode.policy_engine,
        "audit": {"ok": trail.ok, "events": trail.events_checked, "chains": trail.chains_checked,
                  "problem": trail.problem},
        "queue": {r["status"]: r["n"] for r in queue},
        "agents": [a.as_dict() for a in c.agents()],
        "leases": [lease.as_dict() for lease in c.live_locks()],
    }


def render(s: dict[str, Any]) -> Group:
    audit = s["audit"]
    head = Table.grid(padding=(0, 2))
    head.add_row("mode", s["enforcement_mode"], "engine", s["policy_engine"],
                 "audit", f"{'verified' if audit['ok'] else 'TAMPERED: ' + str(audit['problem'])} "
                          f"({audit['events']} events, {audit['chains']} chains)")
    head.add_row("queue", ", ".join(f"{k} {v}" for k, v in s["queue"].items()) or "empty")
    agents = Table(title="agents")
    for name in ("role_name", "profile", "trust_level", "status"):
        agents.add_column(name)
    for a in s["agents"]:
        agents.add_row(*(cell(a.get(n)) for n in ("role_name", "profile", "trust_level", "status")))
    leases = Table(title="live leases")
    for name in ("path", "mode", "holder", "token", "expires_at"):
        leases.add_column(name)
    for lease in s["leases"]:
        leases.add_row(*(cell(lease.get(n)) for n in ("path", "mode", "holder", "token", "expires_at")))
    return Group(head, agents, leases)


def status(ctx: typer.Context,
           watch: Annotated[bool, typer.Option("--watch", help="refresh until interrupted")] = False,
           interval: Annotated[float, typer.Option(help="seconds between refreshes")] = 2.0) -> None:
    """Agents, live leases, queue depth, enforcement mode and audit health (exit 4 if the trail fails)."""
    s = run(ctx, snapshot)
    if options(ctx).json:
        show(ctx, s)
    elif not watch:
        out.print(render(s))
    else:
        with Live(render(s), console=out, refresh_per_second=4) as live:
            try:
                while True:
                    time.sleep(interval)
                    s = run(ctx, snapshot)
                    live.update(render(s))
            except KeyboardInterrupt:
                pass
    if not s["audit"]["ok"]:
        raise typer.Exit(EXIT_AUDIT)
