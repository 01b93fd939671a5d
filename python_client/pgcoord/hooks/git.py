"""git, as the pre-commit hook and install run it: a git command's output, or HookError.

A git command that fails refuses (``git_error``): a commit is never let through, nor a
hook written, on a git answer that was not had. staged_paths is every path a commit
changes, which the pre-commit hook requires leases on.
"""
from __future__ import annotations

import subprocess

from .errors import HookError


def run_git(args: list[str], cwd: str | None = None) -> bytes:
    """The stdout of `git <args>` run in ``cwd``; HookError (git_error) when it fails."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True)
    if proc.returncode != 0:
        raise HookError("git_error", f"git {' '.join(args)} failed: "
                                     f"{proc.stderr.decode('utf-8', 'replace').strip() or proc.returncode}")
    return proc.stdout


def staged_paths(cwd: str | None = None) -> list[str]:
    """Every path the commit changes, relative to the top level: added, modified, deleted,
    and both sides of a rename (renames are not detected, so a rename is a deletion and an
    addition)."""
    out = run_git(["diff", "--cached", "--name-only", "-z", "--no-renames", "--no-ext-diff"], cwd)
    return sorted({p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p})
