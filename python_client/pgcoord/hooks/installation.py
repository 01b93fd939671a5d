"""`pgcoord hook install`: the git pre-commit hook written, the agents' settings printed.

Writes .git/hooks/pre-commit (marked as pgcoord's: a re-install replaces it, while a hook
that is not pgcoord's is left alone, or with --force kept as pre-commit.orig) and prints
the snippets to merge into Claude Code's .claude/settings.json and Codex's
.codex/hooks.json. The snippets run the fast form, hook_command: this interpreter,
isolated, on the package's __main__.py as a script, which does not import the pgcoord
package or psycopg (a hook is a process per tool call), with the warm path on.
"""
from __future__ import annotations

import json
import os
import shlex
import sys

from .errors import HookError
from .git import run_git

MARKER = "# pgcoord-hook"                      # the line that marks a pre-commit hook as pgcoord's
HOOK_DIR = os.path.dirname(os.path.abspath(__file__))       # this package: its __main__.py is the fast form


def hook_command(subcommand: str) -> str:
    """The command line that runs the hook fast: the current interpreter, isolated (-I),
    on this package's __main__.py as a script (no pgcoord package import, no psycopg)."""
    return " ".join(shlex.quote(x) for x in (sys.executable, "-I", os.path.join(HOOK_DIR, "__main__.py"), subcommand))


def console_command(subcommand: str) -> str:
    """`pgcoord hook <subcommand>` through the console script beside this interpreter
    (the fast form where there is none)."""
    script = os.path.join(os.path.dirname(sys.executable), "pgcoord")
    if not os.access(script, os.X_OK):
        return hook_command(subcommand)
    return " ".join(shlex.quote(x) for x in (script, "hook", subcommand))


def settings_snippets() -> tuple[dict, dict]:
    """(Claude Code's .claude/settings.json hooks, Codex's .codex/hooks.json)."""
    # PGCOORD_HOOK_WARM=1: the agent's hook server answers (warm.py); without it each call
    # connects anew and misses the 50 ms p99 budget (docs/hooks.md, "Latency")
    command = "PGCOORD_HOOK_WARM=1 " + hook_command("pre-tool-use") + " || exit 2"
    claude = {"hooks": {"PreToolUse": [{
        "matcher": "Edit|Write|MultiEdit|NotebookEdit|Bash|WebFetch|WebSearch",
        "hooks": [{"type": "command", "command": command, "timeout": 30}]}]}}
    codex = {"hooks": {"PreToolUse": [{
        "matcher": "^(Bash|apply_patch)$",
        "hooks": [{"type": "command", "command": command, "timeout": 30}]}]}}
    return claude, codex


def install(repo: str | None = None, force: bool = False, out=None, err=None) -> int:
    """Write the pre-commit hook of ``repo`` (default: the current directory) and print the
    agents' settings; 0, or 1 with the reason on ``err``."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        repo = os.path.abspath(repo or os.getcwd())
        top = run_git(["rev-parse", "--show-toplevel"], repo).decode().strip()
        hooks_dir = run_git(["rev-parse", "--git-path", "hooks"], top).decode().strip()
        hooks_dir = os.path.join(top, hooks_dir) if not os.path.isabs(hooks_dir) else hooks_dir
        os.makedirs(hooks_dir, exist_ok=True)
        target = os.path.join(hooks_dir, "pre-commit")
        if os.path.exists(target):
            with open(target, encoding="utf-8", errors="replace") as f:
                ours = MARKER in f.read()
            if not ours and not force:
                err.write(f"pgcoord: {target} exists and is not pgcoord's: run `pgcoord hook git-pre-commit` from it, "
                          "or pass --force to replace it (it is kept as pre-commit.orig)\n")
                return 1
            if not ours:
                os.replace(target, target + ".orig")
        script = ("#!/bin/sh\n"
                  f"{MARKER}: git pre-commit (docs/hooks.md). Every staged path must be covered by a live\n"
                  "# exclusive lease of the committing agent (PGCOORD_DSN), checked with its fencing token.\n"
                  f"exec {console_command('git-pre-commit')}\n")
        with open(target, "w", encoding="utf-8") as f:
            f.write(script)
        os.chmod(target, 0o755)
        claude, codex = settings_snippets()
        out.write(f"wrote {target}\n\n"
                  "Claude Code: merge into .claude/settings.json (PGCOORD_DSN: the agent's own login):\n"
                  f"{json.dumps(claude, indent=2)}\n\n"
                  "Codex: merge into .codex/hooks.json (or ~/.codex/hooks.json):\n"
                  f"{json.dumps(codex, indent=2)}\n")
        return 0
    except HookError as exc:
        err.write(f"pgcoord: {exc.message}\n")
        return 1
    except OSError as exc:
        err.write(f"pgcoord: {exc}\n")
        return 1
