"""The wording of the database's answer on write coverage. The rule is the database's.

coord.check_write_coverage decides, per given path, whether a write is covered by a
live exclusive lease of the calling agent whose grant is still fenced, and when not,
why (its ``reason``: leased_by_other, shared_only, not_newest_grant, glob_spelling,
no_lease) and who else holds the path (``holders``). pre-tool-use (decisions.py) and
git pre-commit (pre_commit.py) send it (queries.py) and read its rows here: these
functions only check that every path asked for was answered and turn a reason into
words for the model or the committer. They decide nothing.
"""
from __future__ import annotations

from .errors import HookError

# What each reason of coord.check_write_coverage says to the model or the committer
# (leased_by_other names the holders instead; an unknown reason is shown as it is).
REASON_WORDING = {
    "no_lease": "no live lease",
    "shared_only": "your lease on it is shared; a write needs an exclusive lease",
    "not_newest_grant": "your lease on it is no longer the newest grant: a newer exclusive grant overlaps the path",
    "glob_spelling": "your lease on it is a glob that does not name it: a path spelled with glob characters "
                     "(*, ?, [) needs a lease on that very spelling or on a directory above it",
}


def coverage_rows(rows: list[dict], paths: list[str]) -> list[dict]:
    """The database's rows, one per path asked for and in that order; anything else (a row
    missing, another path) is refused rather than read as an answer, so no path goes unchecked."""
    if [r.get("path") for r in rows] != list(paths):
        raise HookError("internal_error", "the database's coverage answer does not match the paths asked for")
    return rows


def holders_text(holders: list[dict], sep: str = ", ") -> str:
    """Other agents' leases as a denial names them: holder (mode on path, until expiry)."""
    return sep.join(f"{h['holder']} ({h['mode']} on {h['path']}, until {h['expires_at']})" for h in holders)


def uncovered_text(row: dict) -> str:
    """Why a path is not covered, in words, from its row of coord.check_write_coverage."""
    if row["reason"] == "leased_by_other" and row.get("holders"):
        return "leased by " + holders_text(row["holders"])
    return REASON_WORDING.get(row["reason"], row["reason"])
