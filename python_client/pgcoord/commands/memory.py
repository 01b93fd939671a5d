"""pgcoord memory remember|recall|skill|skills — the fleet's memory (as the connected agent).

Working memory belongs to a session of a client (Client.set_working_memory); a command
line has no session that outlives it, so it has no command here.
"""
from __future__ import annotations

from typing import Annotated

import typer

from .common import parse_json_object, run, show

app = typer.Typer(help="episodic and procedural memory (as the connected agent)", no_args_is_help=True)


@app.command()
def remember(ctx: typer.Context, event_type: str, summary: str,
             outcome: Annotated[str | None, typer.Option(help="how it ended")] = None,
             lesson: Annotated[list[str] | None, typer.Option("--lesson", help="a lesson (repeatable)")] = None,
             tag: Annotated[list[str] | None, typer.Option("--tag", help="a tag (repeatable)")] = None,
             details: Annotated[str | None, typer.Option(help="a JSON object")] = None) -> None:
    """Record an episode for the fleet (the same one within the window is deduplicated)."""
    payload = parse_json_object(details, "--details")
    show(ctx, run(ctx, lambda c: c.remember(event_type, summary, details=payload, outcome=outcome,
                                            lessons=lesson or (), tags=tag or ())),
         ["ok", "reason", "memory_id", "deduplicated", "event_id"])


@app.command()
def recall(ctx: typer.Context,
           text: Annotated[str | None, typer.Option(help="words to look for (web-search syntax)")] = None,
           tag: Annotated[list[str] | None, typer.Option("--tag", help="a tag (repeatable)")] = None,
           event_type: Annotated[str | None, typer.Option("--type", help="only this event type")] = None,
           limit: Annotated[int, typer.Option(help="at most this many (1..100)")] = 10) -> None:
    """Memories ranked by relevance to the text and by recency."""
    show(ctx, run(ctx, lambda c: c.recall(tag or None, event_type, text, limit)),
         ["memory_id", "agent", "event_type", "summary", "outcome", "tags", "seen_count", "score"], title="memories")


@app.command()
def skill(ctx: typer.Context, name: str,
          succeeded: Annotated[bool, typer.Option("--succeeded/--failed", help="how the attempt went")],
          notes: Annotated[str | None, typer.Option(help="what to know next time")] = None) -> None:
    """Count one attempt at a skill."""
    show(ctx, run(ctx, lambda c: c.record_skill_outcome(name, succeeded, notes)),
         ["ok", "skill", "attempts", "successes", "event_id"])


@app.command()
def skills(ctx: typer.Context,
           prefix: Annotated[str | None, typer.Option(help="only skills starting with this")] = None) -> None:
    """The fleet's skills with attempts, successes and success rate."""
    show(ctx, run(ctx, lambda c: c.skills(prefix)),
         ["skill", "attempts", "successes", "success_rate", "agents", "last_note"], title="skills")
