"""`pgcoord hook git-pre-commit`: a commit goes through only on the committing agent's leases.

Run from .git/hooks/pre-commit (installation.py writes it) as the agent whose login is
PGCOORD_DSN: every staged path (both sides of a rename included) must be covered by a
live exclusive lease of that agent whose grant is still fenced, as the database judges
it (coord.check_write_coverage), and the paths must pass the path guardrails. The
failure lists each uncovered path and why; any failure at all (no PGCOORD_DSN, no
database, a git error, a bug) refuses the commit, which is never let through unchecked.
"""
from __future__ import annotations

import json
import os
import sys

from .config import Config
from .database import DbError, connect
from .errors import HookError
from .git import staged_paths
from .leases import coverage_rows, uncovered_text
from .queries import COVERAGE_SQL, MAX_PATHS, PATH_GUARD_SQL


def check_commit(paths: list[str], db) -> tuple[str, list[tuple[str, str]], dict | None]:
    """(the committing role, the uncovered paths with why, the path-guardrail verdict)."""
    uncovered: list[tuple[str, str]] = []
    me = ""
    for start in range(0, len(paths), MAX_PATHS):
        chunk = paths[start:start + MAX_PATHS]
        try:
            answer = db.query_json(COVERAGE_SQL, [json.dumps(chunk)])
            me = answer["me"] or me
            uncovered += [(r["path"], uncovered_text(r)) for r in coverage_rows(answer["coverage"], chunk)
                          if not r["covered"]]
        except DbError:
            # one bad path spoils the statement: ask per path to name each one
            for p in chunk:
                try:
                    one = db.query_json(COVERAGE_SQL, [json.dumps([p])])
                except DbError as exc:
                    uncovered.append((p, f"not a lease path: {exc.describe()}"))
                    continue
                me = one["me"] or me
                uncovered += [(r["path"], uncovered_text(r)) for r in coverage_rows(one["coverage"], [p])
                              if not r["covered"]]
    guard = None
    guardable = [p for p in paths if 1 <= len(p) <= 4096]
    for start in range(0, len(guardable), 1000):
        g = db.query_json(PATH_GUARD_SQL, [json.dumps(guardable[start:start + 1000])])
        if guard is None or not g["ok"]:
            guard = g
    return me, uncovered, guard


def git_pre_commit(cwd: str | None = None, env=None, dsn: str | None = None, out=None, err=None) -> int:
    """`pgcoord hook git-pre-commit`: 0 when every staged path is covered, 1 otherwise
    (and on any failure: a commit is never let through unchecked)."""
    env = os.environ if env is None else env
    out, err = out or sys.stdout, err or sys.stderr
    try:
        paths = staged_paths(cwd)
        if not paths:
            return 0
        dsn = dsn or env.get("PGCOORD_DSN", "").strip()
        if not dsn:
            raise HookError("no_dsn", "PGCOORD_DSN is not set: the commit cannot be checked against the committing "
                                      "agent's leases")
        try:
            db = connect(dsn, Config.from_env(env).connect_timeout)
        except DbError as exc:
            raise HookError("database_unreachable",
                            f"the database cannot be reached ({exc.message.splitlines()[0]})") from None
        try:
            me, uncovered, guard = check_commit(paths, db)
        finally:
            db.close()
        failed = False
        if uncovered:
            failed = True
            width = max(len(p) for p, _ in uncovered)
            err.write(f"pgcoord: {len(uncovered)} of {len(paths)} staged path(s) are not covered by a live exclusive "
                      f"lease of {me} (checked with its fencing token):\n")
            for p, why in uncovered:
                err.write(f"  {p:<{width}}  {why}\n")
            err.write("Lease them (coord.acquire_lock) or unstage them, then commit again.\n")
        if guard is not None and not guard["ok"]:
            failed = True
            names = ", ".join(g["name"] for g in guard.get("guardrails") or [])
            err.write(f"pgcoord: the staged paths are refused by the guardrails ({guard['reason']}: "
                      f"{names or 'policy'}) [audit event {guard['event_id']}]\n")
        return 1 if failed else 0
    except HookError as exc:
        err.write(f"pgcoord: commit refused: {exc.message}\n")
        return 1
    except DbError as exc:
        err.write(f"pgcoord: commit refused: the database refused the check: {exc.describe()}\n")
        return 1
    except BaseException as exc:  # noqa: BLE001 - fail closed
        err.write(f"pgcoord: commit refused: the hook failed ({type(exc).__name__}: {exc})\n")
        return 1
