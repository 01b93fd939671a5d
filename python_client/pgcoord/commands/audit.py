"""pgcoord audit tail|verify|export|digest — the trail nobody can rewrite unnoticed."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from .common import EXIT_AUDIT, err, json_lines, options, out, run, show

app = typer.Typer(help="the audit trail", no_args_is_help=True)

EVENT_COLUMNS = ["event_id", "occurred_at", "actor", "operation", "resource", "allowed", "proceeded", "reason"]
TRAIL = ("SELECT event_id, chain_id, seq, occurred_at, actor, operation, resource, allowed, proceeded, reason, "
         "engine, mode, context, hash FROM coord.audit_trail")
BATCH = 5000


@app.command()
def tail(ctx: typer.Context, limit: int = 20,
         everyone: Annotated[bool, typer.Option("--all", help="every agent's events (coord_admin, coord_auditor)")]
         = False) -> None:
    """The newest events: your own, or everyone's with --all."""
    if everyone:
        rows = run(ctx, lambda c: c.query(TRAIL + " ORDER BY event_id DESC LIMIT %s", limit))
    else:
        rows = run(ctx, lambda c: c.my_audit_events(limit))
    rows = list(reversed(rows))
    if options(ctx).json:
        json_lines(rows)
    else:
        show(ctx, rows, EVENT_COLUMNS if everyone else [c for c in EVENT_COLUMNS if c != "actor"], title="audit")


@app.command()
def export(ctx: typer.Context,
           out_file: Annotated[Path | None, typer.Option("--out", help="write here (default: standard output)")]
           = None) -> None:
    """Every event as JSON lines, oldest first (coord_admin, coord_auditor)."""
    def export_all(c):
        total = c.query("SELECT count(*) AS n FROM coord.audit_trail")[0]["n"]
        sink = out_file.open("w", encoding="utf-8") if out_file else None
        last, written = 0, 0
        try:
            with Progress(console=err, transient=True, disable=sink is None) as progress:
                bar = progress.add_task("exporting", total=total)
                while True:
                    rows = c.query(TRAIL + " WHERE event_id > %s ORDER BY event_id LIMIT %s", last, BATCH)
                    if not rows:
                        return written
                    for row in rows:
                        line = json.dumps(row, default=str, sort_keys=True)
                        if sink:
                            sink.write(line + "\n")
                        else:
                            out.print(line, markup=False, highlight=False)
                    written += len(rows)
                    last = rows[-1]["event_id"]
                    progress.update(bar, advance=len(rows))
        finally:
            if sink:
                sink.close()
    written = run(ctx, export_all)
    if out_file:
        err.print(f"{written} events written to {out_file}", markup=False)


@app.command()
def verify(ctx: typer.Context,
           digest: Annotated[Path | None, typer.Option(help="also check against this exported digest")] = None) -> None:
    """Verify every hash chain (exit 4 when an event was altered, removed or inserted)."""
    def check(c):
        with Progress(console=err, transient=True) as progress:
            progress.add_task("verifying the trail", total=None)
            result = {"trail": c.verify_audit()}
            if digest:
                result["digest"] = c.verify_audit_digest(digest.read_text())
        return result
    result = run(ctx, check)
    trail = result["trail"]
    if options(ctx).json:
        show(ctx, result)
    else:
        out.print(f"verify_audit: {'ok' if trail.ok else 'FAILED'} — {trail.events_checked} events in "
                  f"{trail.chains_checked} chains"
                  + ("" if trail.ok else f"; first bad event {trail.first_bad_event_id}: {trail.problem}"),
                  markup=False)
        if "digest" in result:
            d = result["digest"]
            out.print(f"verify_audit_digest: {'ok' if d.ok else 'FAILED'} — {d.chains_checked} chains"
                      + ("" if d.ok else f"; {d.problem}"), markup=False)
    if not trail.ok or ("digest" in result and not result["digest"].ok):
        raise typer.Exit(EXIT_AUDIT)


@app.command()
def digest(ctx: typer.Context,
           out_file: Annotated[Path | None, typer.Option("--out", help="write here; keep it outside the database")]
           = None) -> None:
    """Export the chain heads (coord.audit_digest) to check the trail against later."""
    value = run(ctx, lambda c: c.audit_digest())
    text = json.dumps(value, indent=2, sort_keys=True, default=str)
    if out_file:
        out_file.write_text(text + "\n")
        err.print(f"audit digest of {len(value['chains'])} chains written to {out_file}", markup=False)
    else:
        out.print(text, markup=False, highlight=False)
