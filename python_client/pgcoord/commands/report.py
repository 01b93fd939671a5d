"""pgcoord report safety — the seeds' evaluation metrics in one table (issue 16).

Guardrail block and false-positive rates on the shell corpus (a superuser connection
acts as a throwaway agent in rolled-back transactions), trust-enforcement accuracy and
audit completeness read from the trail, the enforcement mode in force. Exit 0 when
every measured metric meets its target, 1 when one does not (a skipped metric does
not fail).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import psycopg
import typer
from psycopg.rows import dict_row
from rich.table import Table

from ..cluster import project_root
from ..safety_report import safety_report
from .common import EXIT_FAILED, err, options, out, resolve_dsn, show

app = typer.Typer(help="reports on a pgcoord database", no_args_is_help=True)


def default_corpus() -> Path | None:
    try:
        corpus = project_root() / "tests" / "guardrail_corpus" / "shell"
    except Exception:      # not in a checkout: no corpus unless --corpus names one
        return None
    return corpus if corpus.is_dir() else None


@app.command()
def safety(ctx: typer.Context,
           corpus: Annotated[Path | None, typer.Option(help="shell corpus directory (default: the checkout's)")]
           = None,
           misses: Annotated[bool, typer.Option("--misses", help="list every miss and offender")] = False) -> None:
    """Guardrail block / false-positive rates, trust-enforcement accuracy, audit completeness, mode."""
    try:
        with psycopg.connect(resolve_dsn(options(ctx).dsn), autocommit=True, row_factory=dict_row) as conn:
            report = safety_report(conn, corpus or default_corpus())
    except psycopg.Error as exc:
        err.print(f"pgcoord: {type(exc).__name__}: {exc}", markup=False)
        raise typer.Exit(EXIT_FAILED) from None
    if options(ctx).json:
        show(ctx, report.as_dict())
    else:
        table = Table(title=f"safety report — mode {report.enforcement_mode}, engine {report.policy_engine}, "
                            f"audit {'verified' if report.audit_verified else 'NOT verified'}")
        for column in ("metric", "value", "target", "met", "detail"):
            table.add_column(column)
        for m in report.metrics:
            value = "—" if m.value is None else f"{m.value:.2%}"
            target = "—" if m.target is None else f"{'<' if m.lower_is_better else '≥'} {m.target:.0%}"
            met = "—" if m.met is None else ("yes" if m.met else "NO")
            table.add_row(m.name, value, target, met, m.detail)
        out.print(table)
        if misses:
            for kind, rows in report.offenders.items():
                for row in rows:
                    out.print(f"  {kind}: {row}", markup=False)
    if any(m.met is False for m in report.metrics) or report.audit_verified is False:
        raise typer.Exit(EXIT_FAILED)
