"""pgcoord's hooks: a Claude Code / Codex PreToolUse hook and a git pre-commit hook.

    pgcoord hook pre-tool-use        the hook's JSON on stdin; the decision on stdout/stderr
                                     and in the exit code (0 no objection, 2 denied)
    pgcoord hook git-pre-commit      every staged path covered by a live exclusive lease
                                     of the committing agent, its grant still fenced
                                     (coord.check_write_coverage decides)
    pgcoord hook serve               the agent's warm hook server (PGCOORD_HOOK_WARM=1): holds
                                     the connection and answers pre-tool-use over a Unix socket
    pgcoord hook install [--repo D]  writes .git/hooks/pre-commit; prints the Claude Code
                                     and Codex configuration snippets

Every rule is the database's: the hooks turn a tool call into ``coord.*`` calls
(check_write_coverage, acquire_lock, check_guardrails, check_network_access) and their
answers into the hook's output format; whether a lease covers a write is
check_write_coverage's answer, which the hooks only put into words. Identity is the
connection made from PGCOORD_DSN (the agent's own login role), never a field of the
payload. Anything that goes wrong denies: a malformed or unknown payload, no
PGCOORD_DSN, an unreachable database, a database error, a bug here. docs/hooks.md has
the set-up and the reference.

The modules, one concern each:

    cli               main(argv, dsn=...): `pgcoord hook <subcommand>` (pgcoord.commands calls it)
    protocol          pre-tool-use: the payload on stdin, the decision out, failing closed
    warm              the warm path: the hook asks the agent's server over a private Unix socket
    serve             `pgcoord hook serve`: the server, one connection as the agent
    payload           the PreToolUse payload parsed and reduced to a Request
    repository_paths  a file argument as a path relative to the repository's root
    shell_targets     the network targets a shell command names
    decisions         a Request and the database's answers make a Decision
    leases            the database's write-coverage answer put into words (decides nothing)
    queries           the SQL statements, one JSON value each
    database          the connection: libpq through ctypes, psycopg as the fallback
    config            the settings, from the environment
    errors            HookError: a denial decided before or around the database
    pre_commit        git-pre-commit: every staged path under a lease of the committer
    installation      install: .git/hooks/pre-commit and the agents' settings snippets
    git               running git for pre_commit and installation (run_git, staged_paths)

Speed: a hook is one process per tool call. Nothing heavy is imported at start and
libpq is called through ctypes (psycopg alone takes ~140 ms to import); where libpq
cannot be loaded the hooks fall back to psycopg. ``python -I .../pgcoord/hooks/__main__.py
pre-tool-use`` (what ``install`` prints) loads cli.py and the modules it imports from
their cached bytecode without importing the pgcoord package, nor this file (see
__main__.py); bench/hooks.py measures it. With PGCOORD_HOOK_WARM=1 a call costs the interpreter's start and
the socket code only (warm.py). This file gathers the hooks' API for
``from pgcoord import hooks``.
"""
from __future__ import annotations

from .cli import USAGE, main
from .config import Config
from .database import DbError, Libpq, LibpqConnection, PsycopgConnection, connect
from .decisions import Decision, decide, decide_request, denial, deny
from .errors import HookError
from .git import run_git, staged_paths
from .installation import HOOK_DIR, MARKER, console_command, hook_command, install, settings_snippets
from .leases import REASON_WORDING, coverage_rows, holders_text, uncovered_text
from .payload import HOOK_EVENT, Request, patch_paths, read_payload, request_from_payload
from .pre_commit import check_commit, git_pre_commit
from .protocol import pre_tool_use, render
from .repository_paths import repo_relative, repository_root
from .shell_targets import DynamicTarget, network_targets

__all__ = [
    "HOOK_DIR", "HOOK_EVENT", "MARKER", "REASON_WORDING", "USAGE", "Config", "DbError", "Decision", "DynamicTarget",
    "HookError", "Libpq", "LibpqConnection", "PsycopgConnection", "Request", "check_commit", "connect",
    "console_command", "coverage_rows", "decide", "decide_request", "denial", "deny", "git_pre_commit",
    "hook_command", "holders_text", "install", "main", "network_targets", "patch_paths", "pre_tool_use",
    "read_payload", "render", "repo_relative", "repository_root", "request_from_payload", "run_git",
    "settings_snippets", "staged_paths", "uncovered_text",
]
