"""Which of an agent's live leases covers a path, and, when none does, why not.

The rows are what _LEASE_ROWS in queries.py gives per given path: the live leases
overlapping it (coord.check_locks) and, for the caller's own, whether the grant is still
the newest overlapping one (coord.check_fence). pre-tool-use (decisions.py) and git
pre-commit (pre_commit.py) both require a covering lease of the calling agent, so both
read the rows here; the messages name the other holders for the model or the committer.
"""
from __future__ import annotations

GLOB_CHARS = frozenset("*?[")


def covering_lease(rows: list[dict], me: str) -> dict | None:
    """Of the live leases overlapping one path (check_locks, with check_fence), one of the
    caller's that covers the path: exclusive, still fenced. For a literal path, overlap is
    coverage; a path spelled with glob characters (a file named ``[id].tsx``) is a glob to
    the database, so only a lease on that very spelling or a directory above it covers it."""
    for r in rows:
        if r["holder"] != me or r["mode"] != "exclusive" or not r["fence"]:
            continue
        requested = r["requested"]
        if not GLOB_CHARS.intersection(requested) or r["path"] == requested or (
                r["path"].endswith("/") and requested.startswith(r["path"])):
            return r
    return None


def lease_status(rows: list[dict], me: str) -> str:
    """Why a path is not covered, for the message."""
    others = [r for r in rows if r["holder"] != me]
    if others:
        return "leased by " + ", ".join(f"{r['holder']} ({r['mode']} on {r['path']}, until {r['expires_at']})"
                                        for r in others)
    mine = [r for r in rows if r["holder"] == me]
    if any(r["mode"] == "shared" for r in mine):
        return "your lease on it is shared; a write needs an exclusive lease"
    if mine:
        return "your lease on it is no longer the newest grant, or its spelling is a glob that does not name it"
    return "no live lease"


def leases_by_path(rows: list[dict], paths: list[str]) -> dict[str, list[dict]]:
    """The rows grouped by the path they were asked for (every path present, maybe with none)."""
    by_path: dict[str, list[dict]] = {p: [] for p in paths}
    for r in rows:
        by_path.setdefault(r["given"], []).append(r)
    return by_path
