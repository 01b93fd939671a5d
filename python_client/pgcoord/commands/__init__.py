"""The `pgcoord` command line (typer + rich): one module per area.

  pgcoord db start|stop|status|url      the embedded cluster (.pgcoord/ of a checkout, else ~/.local/share/pgcoord)
  pgcoord deploy|revert|verify|plan     Sqitch (deploy creates the database if needed)
  pgcoord lease acquire|renew|release|list|status
  pgcoord task submit|claim|complete|fail|cancel|list|show
  pgcoord check guardrails|network
  pgcoord agent add|list|suspend|resume|stale-after|heartbeat|discover
  pgcoord handoff write|read
  pgcoord memory remember|recall|skill|skills
  pgcoord approvals list|status|approve|reject|require
  pgcoord mode [off|shadow|enforce]
  pgcoord audit tail|verify|export|digest
  pgcoord status [--watch]
  pgcoord report safety [--corpus DIR] [--misses]
  pgcoord hook pre-tool-use|git-pre-commit|install    (docs/hooks.md)
  pgcoord mcp [--toolsets ...] [--read-only]          the MCP server of one agent (docs/mcp.md)

The database is --dsn, else $PGCOORD_DSN, else database `pgcoord` of the embedded
cluster; the identity is the connection's login role. Tables for people, --json for
scripts; exit codes in pgcoord.commands.common (and docs/cli.md); never a traceback.
"""
from __future__ import annotations

from typing import Annotated

import typer

from . import agents, approvals, audit, checks, database, handoffs, leases, memory, report, status, tasks
from .common import Options

app = typer.Typer(name="pgcoord", help="Coordination for fleets of AI coding agents, enforced in PostgreSQL.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__
        typer.echo(f"pgcoord {__version__}")
        raise typer.Exit()


@app.callback()
def root(ctx: typer.Context,
         dsn: Annotated[str | None, typer.Option(help="database URL (default: $PGCOORD_DSN or the embedded cluster)")]
         = None,
         json: Annotated[bool, typer.Option("--json", help="JSON output for scripts")] = False,
         version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_print_version,
                                               help="the package version (the Sqitch plan's last tag) and exit")]
         = False) -> None:
    ctx.obj = Options(dsn=dsn, json=json)


app.add_typer(database.db, name="db")
app.command()(database.deploy)
app.command()(database.revert)
app.command()(database.verify)
app.command()(database.plan)
app.command()(database.mode)
app.command()(status.status)
app.add_typer(leases.app, name="lease")
app.add_typer(tasks.app, name="task")
app.add_typer(checks.app, name="check")
app.add_typer(agents.app, name="agent")
app.add_typer(handoffs.app, name="handoff")
app.add_typer(memory.app, name="memory")
app.add_typer(approvals.app, name="approvals")
app.add_typer(audit.app, name="audit")
app.add_typer(report.app, name="report")

PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


@app.command(context_settings=PASSTHROUGH)
def hook(ctx: typer.Context) -> None:
    """Agent hooks: pre-tool-use (payload on stdin), git-pre-commit, install [--repo DIR] (docs/hooks.md)."""
    from .. import hooks
    raise typer.Exit(hooks.main(list(ctx.args), dsn=ctx.find_root().obj.dsn))


@app.command(context_settings=PASSTHROUGH)
def mcp(ctx: typer.Context) -> None:
    """The MCP server of one agent over stdio: --dsn, --toolsets, --read-only, --list-tools (docs/mcp.md)."""
    from ..mcp_server import main as serve
    raise typer.Exit(serve(list(ctx.args), dsn=ctx.find_root().obj.dsn))


def main(argv: list[str] | None = None) -> int:
    try:
        # without standalone mode click returns an Exit's code instead of exiting
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 1
    except Exception as exc:  # click's usage errors carry their own exit code
        code = getattr(exc, "exit_code", None)
        if code is None:
            raise
        show_error = getattr(exc, "show", None)
        if show_error:
            show_error()
        return code
    return code if isinstance(code, int) else 0
