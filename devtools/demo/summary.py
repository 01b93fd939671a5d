"""The closing table: what each actor did in this run, read back from the audit trail.

One query over coord.audit_trail (as administrator) for the events after the run's
first: per actor, leases granted, lease requests refused because another agent held
the path, claims (reclaims of an expired claim among them), completions, calls that
proceeded on an approval, the refusals by reason code (approval_required among them),
and the denials shadow mode let through.
"""
from __future__ import annotations

from rich.table import Table

from pgcoord import Client

COUNTS = """
SELECT actor,
       count(*) AS events,
       count(*) FILTER (WHERE operation = 'acquire_lock' AND proceeded) AS leases,
       count(*) FILTER (WHERE operation = 'acquire_lock' AND reason = 'lock_held_by_other') AS contended,
       count(*) FILTER (WHERE operation = 'claim_task' AND proceeded) AS claims,
       count(*) FILTER (WHERE operation = 'claim_task' AND proceeded
                          AND context->>'reclaim_from' IS NOT NULL) AS reclaims,
       count(*) FILTER (WHERE operation = 'complete_task' AND proceeded) AS completions,
       count(*) FILTER (WHERE reason = 'approved' AND proceeded) AS approved,
       -- a call that used an approval is not allowed by the policy either, yet proceeds: not a would-deny
       count(*) FILTER (WHERE NOT allowed AND proceeded AND reason <> 'approved') AS would_deny
  FROM coord.audit_trail
 WHERE event_id > %s AND actor = ANY(%s)
 GROUP BY actor"""

REFUSALS = """
SELECT actor, reason, count(*) AS n
  FROM coord.audit_trail
 WHERE event_id > %s AND actor = ANY(%s) AND NOT proceeded
 GROUP BY actor, reason
 ORDER BY actor, count(*) DESC, reason"""


def tally(admin: Client, after: int, actors: list[str]) -> dict[str, dict]:
    """Per actor: the counts above and ``refusals`` (reason -> count)."""
    rows = {r["actor"]: dict(r, refusals={}) for r in admin.query(COUNTS, after, actors)}
    for r in admin.query(REFUSALS, after, actors):
        rows.setdefault(r["actor"], {"actor": r["actor"], "refusals": {}})["refusals"][r["reason"]] = r["n"]
    return rows


def table(counts: dict[str, dict], actors: list[tuple[str, str]]) -> Table:
    """A column per agent (``actors``: role and how it reached pgcoord), a row per count;
    a row per refusal reason that occurred."""
    t = Table(title="this run, from coord.audit_trail", title_justify="left")
    t.add_column("")
    for role, _ in actors:
        t.add_column(role, justify="right")
    cols = [counts.get(role, {}) for role, _ in actors]
    t.add_row("door", *(door for _, door in actors))
    t.add_row("audit events", *(str(c.get("events", 0)) for c in cols))
    t.add_row("leases granted", *(str(c.get("leases", 0)) for c in cols))
    t.add_row("claims (reclaims)", *(f"{c.get('claims', 0)} ({c.get('reclaims', 0)})" for c in cols))
    t.add_row("tasks completed", *(str(c.get("completions", 0)) for c in cols))
    t.add_row("calls approved", *(str(c.get("approved", 0)) for c in cols))
    reasons = sorted({r for c in cols for r in c.get("refusals", {})})
    for i, reason in enumerate(reasons):
        t.add_row(("refused: " if i == 0 else "         ") + reason,
                  *(str(c.get("refusals", {}).get(reason, 0)) for c in cols))
    if not reasons:
        t.add_row("refused", *("0" for _ in cols))
    t.add_row("would-deny (shadow)", *(str(c.get("would_deny", 0)) for c in cols))
    return t
