"""pgcoord approvals list|status|approve|reject|require — approval requests (INV-APPROVAL).

An agent's call that needs an approval is refused with ``approval_required`` and an
approval id (its audit event); an approver (coord_admin, or an agent of approver
trust, never the requester) grants or rejects it here, and the agent repeats the
identical call. Agents see their own requests; approvers see all of them. Which calls
need one is set per profile with ``require`` (coord_admin).
"""
from __future__ import annotations

from typing import Annotated

import typer

from .common import EXIT_NOT_FOUND, err, plain, run, show

app = typer.Typer(help="approval requests: list, follow, approve, reject; which calls need one (INV-APPROVAL)",
                  no_args_is_help=True)

APPROVAL_COLUMNS = ["approval_id", "state", "requester", "operation", "resource", "sources", "requested_at",
                    "expires_at", "decided_by", "note"]
DECISION_COLUMNS = ["ok", "reason", "approval_id", "state", "expires_at", "event_id"]
REQUIRE_COLUMNS = ["ok", "reason", "profile", "operations", "approve_elevation", "event_id"]


@app.command("list")
def list_(ctx: typer.Context,
          state: Annotated[str | None, typer.Option(
              help="only this state: pending, granted, rejected, used, expired, superseded")] = None) -> None:
    """The approval requests you may see (your own; all of them as an approver), newest first."""
    show(ctx, run(ctx, lambda c: c.approvals(state)), APPROVAL_COLUMNS, title="approvals")  # type: ignore[arg-type]


@app.command()
def status(ctx: typer.Context, approval_id: int,
           wait: Annotated[float, typer.Option(help="seconds to wait for a decision while it is pending")] = 0
           ) -> None:
    """One request with its arguments and state (exit 6: no such request, or not yours to see)."""
    found = run(ctx, lambda c: c.wait_for_approval(approval_id, wait) if wait > 0 else c.approval_status(approval_id))
    if found is None:
        err.print(f"pgcoord: no approval request {approval_id} (or not yours to see)", markup=False)
        raise typer.Exit(EXIT_NOT_FOUND)
    show(ctx, found, [*APPROVAL_COLUMNS, "args", "decided_at", "used_event_id"])


@app.command()
def approve(ctx: typer.Context, approval_id: int,
            note: Annotated[str | None, typer.Option(help="why (kept with the decision)")] = None) -> None:
    """Grant a pending request (approver, never its requester): the identical call then proceeds once."""
    show(ctx, run(ctx, lambda c: c.approve(approval_id, note)), DECISION_COLUMNS)


@app.command()
def reject(ctx: typer.Context, approval_id: int,
           note: Annotated[str | None, typer.Option(help="why (kept with the decision)")] = None) -> None:
    """Reject a pending request, or revoke a grant not yet used (as an approver)."""
    show(ctx, run(ctx, lambda c: c.reject(approval_id, note)), DECISION_COLUMNS)


@app.command()
def require(ctx: typer.Context, profile: str,
            operations: Annotated[list[str] | None, typer.Argument(
                help="approvable operations (acquire_lock, force_release_lock, cancel_task, submit_task); "
                     "none: no operation needs an approval")] = None,
            elevation: Annotated[bool, typer.Option(
                "--elevation", help="an elevated request below the profile's trust asks for an approval "
                                    "instead of being denied trust_too_low")] = False) -> None:
    """As coord_admin: which operations of the profile's agents need an approval (it replaces the list; audited)."""
    chosen = sorted(set(operations or ()))
    verdict = run(ctx, lambda c: c.set_profile_approvals(profile, chosen, elevation))
    show(ctx, {**plain(verdict), "profile": profile, "operations": chosen, "approve_elevation": elevation},
         REQUIRE_COLUMNS)
