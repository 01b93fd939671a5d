"""Paths as leases name them: relative to the repository's root, symlinks resolved.

A tool call names a file absolute or relative to its cwd; a lease names it relative to
the repository's root, with ``/`` separators. Turning one into the other is where a write
could slip past the leases, so it is refused outright when the file resolves outside the
repository (nothing there can be leased) or inside .git (the repository's metadata and
its hooks, this one included). The root is the nearest directory holding ``.git``, or
PGCOORD_REPO_ROOT (Config.repo_root).
"""
from __future__ import annotations

import os

from .errors import HookError


def repository_root(start: str) -> str:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory, or the
    file of a worktree or submodule)."""
    d = os.path.realpath(start)
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            raise HookError("outside_repository", f"{start} is not inside a git repository "
                                                  "(set PGCOORD_REPO_ROOT to the repository's root)")
        d = parent


def repo_relative(root: str, cwd: str, raw: str) -> str:
    """``raw`` (absolute, or relative to cwd) as a path relative to the repository root,
    symlinks resolved; a path outside the repository or inside .git is refused."""
    full = os.path.realpath(os.path.join(cwd, os.path.expanduser(raw)))
    real_root = os.path.realpath(root)
    rel = os.path.relpath(full, real_root)
    if rel == "." or rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        raise HookError("outside_repository", f"{raw} resolves to {full}, outside the repository {real_root}: "
                                              "files outside it cannot be leased, so they are not written")
    rel = rel.replace(os.sep, "/")
    if rel == ".git" or rel.startswith(".git/"):
        raise HookError("git_metadata", f"{raw} is inside .git: the repository's metadata and hooks are not "
                                        "written through file tools")
    return rel
