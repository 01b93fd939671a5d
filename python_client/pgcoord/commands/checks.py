"""pgcoord check guardrails|network — ask the database before acting."""
from __future__ import annotations

from typing import Annotated

import typer

from .common import run, show

app = typer.Typer(help="guardrail and network checks (audited)", no_args_is_help=True)


@app.command()
def guardrails(ctx: typer.Context, text: str,
               paths: Annotated[list[str] | None, typer.Option("--path", help="a path the command touches")] = None,
               workspace: Annotated[str | None, typer.Option(
                   help="the checkout's root (absolute): the command's paths are resolved against it")] = None,
               cwd: Annotated[str | None, typer.Option(
                   help="the directory the command runs in (absolute)")] = None,
               ) -> None:
    """Scan a command or text; a blocking match is exit 3 naming the guardrails."""
    show(ctx, run(ctx, lambda c: c.check_guardrails(text, paths or (), workspace=workspace, cwd=cwd)),
         ["ok", "reason", "guardrails", "event_id"])


@app.command()
def network(ctx: typer.Context, target: str) -> None:
    """May the connected agent reach this URL or domain? A denial is exit 3."""
    show(ctx, run(ctx, lambda c: c.check_network_access(target)))
