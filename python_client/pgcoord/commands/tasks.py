"""pgcoord task submit|claim|complete|fail|cancel|list|show — the queue as the connected agent."""
from __future__ import annotations

from typing import Annotated

import typer

from .common import parse_json_object, run, show

app = typer.Typer(help="the task queue (as the connected agent)", no_args_is_help=True)

TASK_COLUMNS = ["task_id", "task_type", "status", "priority", "attempts", "claimed_by", "description"]
CLAIM_COLUMNS = ["task_id", "claim_token", "task_type", "claim_expires_at", "description", "event_id"]


@app.command()
def submit(ctx: typer.Context, task_type: str,
           description: Annotated[str, typer.Option(help="what to do")] = "",
           input: Annotated[str | None, typer.Option("--input", help="a JSON object")] = None,
           priority: int = 0,
           depends_on: Annotated[list[int] | None, typer.Option("--depends-on", help="a task id (repeatable)")] = None,
           idempotency_key: Annotated[str | None, typer.Option(help="the same key returns the same task")] = None,
           max_attempts: int = 3,
           touches: Annotated[list[str] | None, typer.Option("--touches", help="a path it will edit (repeatable)")]
           = None) -> None:
    """Queue a task."""
    payload = parse_json_object(input, "--input")
    show(ctx, run(ctx, lambda c: c.submit_task(task_type, description, payload, priority, depends_on or (),
                                               idempotency_key, max_attempts, touches=touches or ())),
         ["task_id", "existing", "event_id"])


@app.command()
def claim(ctx: typer.Context,
          types: Annotated[list[str] | None, typer.Option("--type", help="a task type (repeatable; none: any)")] = None,
          lease: Annotated[float, typer.Option(help="seconds the claim lasts unless renewed")] = 300,
          lease_touches: Annotated[bool, typer.Option("--lease-touches", help="also lease the task's touches")]
          = False) -> None:
    """Claim the best claimable task (skipping those whose touches another agent leases); nothing claimable is
    exit 3 (task_not_claimable)."""
    show(ctx, run(ctx, lambda c: c.claim_task(types or None, lease, lease_touches=lease_touches)), CLAIM_COLUMNS)


@app.command()
def complete(ctx: typer.Context, task_id: int, claim_token: int,
             result: Annotated[str | None, typer.Option(help="a JSON object")] = None) -> None:
    """Complete a task you hold the live claim on."""
    payload = parse_json_object(result, "--result")
    show(ctx, run(ctx, lambda c: c.complete_task(task_id, claim_token, payload)), ["ok", "reason", "event_id"])


@app.command()
def fail(ctx: typer.Context, task_id: int, claim_token: int, error: str,
         retryable: Annotated[bool, typer.Option(help="another attempt may succeed")] = False) -> None:
    """Fail a task you hold the live claim on."""
    show(ctx, run(ctx, lambda c: c.fail_task(task_id, claim_token, error, retryable)), ["ok", "reason", "event_id"])


@app.command()
def cancel(ctx: typer.Context, task_id: int, reason: str) -> None:
    """Cancel a task you submitted (or any, as coord_admin)."""
    show(ctx, run(ctx, lambda c: c.cancel_task(task_id, reason)), ["ok", "reason", "event_id"])


@app.command("list")
def list_(ctx: typer.Context,
          status: Annotated[list[str] | None, typer.Option("--status", help="pending, claimed, ...")] = None,
          types: Annotated[list[str] | None, typer.Option("--type", help="a task type (repeatable)")] = None,
          limit: int = 100) -> None:
    """The queue, as far as you may see it."""
    show(ctx, run(ctx, lambda c: c.list_tasks(status=status or None, types=types or None, limit=limit)),
         TASK_COLUMNS, title="tasks")


@app.command("show")
def show_(ctx: typer.Context, task_id: int) -> None:
    """One task with its effective status."""
    task = run(ctx, lambda c: c.get_task(task_id))
    show(ctx, task, list(task.keys()))
