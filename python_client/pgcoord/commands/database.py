"""pgcoord db start|stop|status|url, deploy, revert, verify, plan, mode — the database itself."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote, urlsplit

import psycopg
import typer
from psycopg import sql
from rich.progress import Progress

from .. import migrations
from ..cluster import ClusterError, default_cluster, with_dbname
from .common import DEFAULT_DB, EXIT_FAILED, err, options, out, resolve_dsn, run, show

db = typer.Typer(help="the embedded PostgreSQL cluster under .pgcoord/", no_args_is_help=True)


def ensure_database(dsn: str) -> None:
    """Create the target database when it does not exist yet (embedded or local use).

    A failed connection carries no SQLSTATE, so whether the database is missing is
    asked of the server's catalog (through the ``postgres`` database), never read
    from the error's text; any other failure is raised as it came."""
    name = unquote(urlsplit(dsn).path.lstrip("/"))
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
        return
    except psycopg.OperationalError as exc:
        failure = exc
    try:
        maintenance = psycopg.connect(with_dbname(dsn, "postgres"), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        raise failure from None
    with maintenance:
        if maintenance.execute("SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", (name,)).fetchone():
            raise failure
        try:
            maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:
            pass   # created meanwhile by someone else: what was wanted


def guarded(action):
    try:
        return action()
    except (ClusterError, migrations.MigrationError, psycopg.Error) as exc:
        err.print(f"pgcoord: {exc}", markup=False)
        raise typer.Exit(EXIT_FAILED) from None


@db.command()
def start() -> None:
    """Start the embedded cluster (initialised on first use)."""
    cluster = default_cluster()
    guarded(cluster.start)
    out.print(f"embedded PostgreSQL {cluster.status()} (data: {cluster.datadir})", markup=False)


@db.command()
def stop() -> None:
    """Stop the embedded cluster."""
    guarded(default_cluster().stop)
    out.print("embedded PostgreSQL stopped")


@db.command("status")
def db_status() -> None:
    """Whether the embedded cluster runs (exit 3 when it does not)."""
    cluster = default_cluster()
    out.print(cluster.status(), markup=False)
    if not cluster.running():
        raise typer.Exit(3)


@db.command()
def url() -> None:
    """The connection string of database pgcoord on the embedded cluster."""
    out.print(default_cluster().dsn(DEFAULT_DB), markup=False, highlight=False)


def deploy(ctx: typer.Context, to: Annotated[str | None, typer.Option(help="up to this change or tag")] = None) -> None:
    """sqitch deploy (creates the database if needed)."""
    def go() -> str:
        dsn = resolve_dsn(options(ctx).dsn)
        ensure_database(dsn)
        with Progress(console=err, transient=True) as progress:
            progress.add_task("deploying", total=None)
            return migrations.deploy(dsn, to)
    out.print(guarded(go), markup=False, highlight=False)


def revert(ctx: typer.Context,
           to: Annotated[str | None, typer.Option(help="down to this change or tag (e.g. @v0.3.0)")] = None) -> None:
    """sqitch revert."""
    out.print(guarded(lambda: migrations.revert(resolve_dsn(options(ctx).dsn), to)), markup=False, highlight=False)


def verify(ctx: typer.Context) -> None:
    """sqitch verify."""
    out.print(guarded(lambda: migrations.verify(resolve_dsn(options(ctx).dsn))), markup=False, highlight=False)


def plan(ctx: typer.Context) -> None:
    """sqitch status: which changes are deployed."""
    out.print(guarded(lambda: migrations.status(resolve_dsn(options(ctx).dsn))), markup=False, highlight=False)


def mode(ctx: typer.Context,
         set_to: Annotated[str | None, typer.Argument(metavar="[off|shadow|enforce]", help="the new mode")] = None,
         reason: Annotated[str, typer.Option(help="why (audited)")] = "set from the command line") -> None:
    """Show the enforcement mode, or set it (coord_admin, audited)."""
    if set_to is None:
        show(ctx, run(ctx, lambda c: c.enforcement()))
    else:
        show(ctx, run(ctx, lambda c: c.set_enforcement_mode(set_to, reason)), ["ok", "reason", "event_id"])
