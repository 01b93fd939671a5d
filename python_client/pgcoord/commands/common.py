"""What every command shares: the target database, the output (a table for people,
``--json`` for scripts) and the exit codes.

Exit codes (documented in docs/cli.md):
  0 done; 1 failed (no server, Sqitch failed, no connection); 2 usage;
  3 refused (a reason code: contention or policy, audited, including approval_required
  with its approval id; or a missing privilege);
  4 audit verification failed; 5 bad input (a pgcoord SQLSTATE: nothing changed);
  6 not found (`approvals status`: no such request, or not the caller's to see).
"""
from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from .. import errors, migrations
from ..client import Client
from ..cluster import ClusterError, default_cluster

DEFAULT_DB = "pgcoord"

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED, EXIT_AUDIT, EXIT_BAD_INPUT, EXIT_NOT_FOUND = 0, 1, 2, 3, 4, 5, 6

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

T = TypeVar("T")


@dataclasses.dataclass
class Options:
    """The root command's options, handed to every subcommand through typer's context."""

    dsn: str | None = None
    json: bool = False


def options(ctx: typer.Context) -> Options:
    return ctx.find_root().obj or Options()


def resolve_dsn(arg: str | None) -> str:
    """--dsn, else $PGCOORD_DSN, else database ``pgcoord`` of the embedded cluster."""
    if arg:
        return arg
    if os.environ.get("PGCOORD_DSN"):
        return os.environ["PGCOORD_DSN"]
    cluster = default_cluster()
    if not cluster.running():
        raise ClusterError("the embedded cluster is not running: `pgcoord db start` (or set PGCOORD_DSN)")
    return cluster.dsn(DEFAULT_DB)


@contextmanager
def client(ctx: typer.Context) -> Iterator[Client]:
    with Client.connect(resolve_dsn(options(ctx).dsn)) as c:
        yield c


def plain(value: Any) -> Any:
    """A result as JSON-ready data (typed rows, tuples, timestamps)."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "row"}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(plain(value), sort_keys=True)
    return str(value)


def show(ctx: typer.Context, value: Any, columns: Sequence[str] | None = None, *, title: str | None = None) -> None:
    """One result or a list of them: JSON (one document) with --json, else a table."""
    if options(ctx).json:
        out.print_json(json.dumps(plain(value), default=str))
        return
    rows = value if isinstance(value, list) else [value]
    data = [plain(r) for r in rows]
    names = list(columns or (data[0].keys() if data else []))
    table = Table(title=title, show_lines=False)
    for name in names:
        table.add_column(name)
    for row in data:
        table.add_row(*(cell(row.get(n)) for n in names))
    out.print(table)


def json_lines(rows: Iterable[Any]) -> None:
    for row in rows:
        out.print(json.dumps(plain(row), default=str, sort_keys=True), markup=False, highlight=False)


def run(ctx: typer.Context, action: Callable[[Client], T]) -> T:
    """Run ``action`` with a client; map failures to one clear line and an exit code."""
    try:
        with client(ctx) as c:
            return action(c)
    except errors.Refused as exc:
        refused(exc)
    except errors.PermissionDenied as exc:
        err.print(f"pgcoord: refused: {exc} (the connected role lacks the privilege)", markup=False)
        raise typer.Exit(EXIT_REFUSED) from None
    except errors.InvalidInput as exc:
        err.print(f"pgcoord: bad input ({type(exc).__name__}): {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (errors.PgcoordError, ClusterError, migrations.MigrationError, psycopg.Error) as exc:
        err.print(f"pgcoord: {type(exc).__name__}: {exc}", markup=False)
        raise typer.Exit(EXIT_FAILED) from None
    raise AssertionError("unreachable")


def refused(exc: errors.Refused) -> None:
    """A refusal: its reason code, who holds what and until when, the approval it asked
    for, and the audit event."""
    parts = [f"refused: {exc.reason}"]
    approval_id = exc.refusal.approval_id
    if approval_id is not None:
        parts.append(f"approval {approval_id} requested: once an approver grants it "
                     f"(pgcoord approvals status {approval_id} --wait SECONDS), run the same command again")
    if exc.holders:
        parts.append("held by " + ", ".join(f"{h.holder} ({h.path}, {h.mode})" for h in exc.holders))
    if exc.refusal.guardrails:
        names = ", ".join(f"{g.name} ({g.category}, {g.severity})" for g in exc.refusal.guardrails)
        parts.append("guardrails " + names)
    if exc.expires_at:
        parts.append(f"until {exc.expires_at.isoformat()}")
    if exc.event_id:
        parts.append(f"audit event {exc.event_id}")
    err.print("pgcoord: " + "; ".join(parts), markup=False)
    raise typer.Exit(EXIT_REFUSED)


def parse_json_object(text: str | None, what: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{what} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise typer.BadParameter(f"{what} must be a JSON object")
    return value
