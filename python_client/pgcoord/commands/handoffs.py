"""pgcoord handoff write|read — handoffs between agents (as the connected agent)."""
from __future__ import annotations

from typing import Annotated

import typer

from .common import run, show

app = typer.Typer(help="handoffs: what an agent leaves for whoever continues its work", no_args_is_help=True)


@app.command()
def write(ctx: typer.Context, summary: str,
          completed: Annotated[list[str] | None, typer.Option("--completed", help="done (repeatable)")] = None,
          in_progress: Annotated[list[str] | None, typer.Option("--in-progress", help="under way (repeatable)")]
          = None,
          decision: Annotated[list[str] | None, typer.Option("--decision", help="a decision taken (repeatable)")]
          = None,
          next_step: Annotated[list[str] | None, typer.Option("--next", help="a next step (repeatable)")] = None,
          file: Annotated[list[str] | None, typer.Option("--file", help="a file concerned (repeatable)")] = None
          ) -> None:
    """Leave a handoff (summary required; the text goes through the guardrails)."""
    show(ctx, run(ctx, lambda c: c.write_handoff(summary, completed=completed or (), in_progress=in_progress or (),
                                                 decisions=decision or (), next_steps=next_step or (),
                                                 files=file or ())),
         ["ok", "reason", "handoff_id", "event_id"])


@app.command()
def read(ctx: typer.Context,
         agent: Annotated[str | None, typer.Option(help="only this agent's handoffs")] = None,
         limit: Annotated[int, typer.Option(help="at most this many (1..100)")] = 10) -> None:
    """The fleet's handoffs, newest first."""
    show(ctx, run(ctx, lambda c: c.read_handoffs(agent, limit)),
         ["handoff_id", "agent", "created_at", "summary", "next_steps", "files"], title="handoffs")
