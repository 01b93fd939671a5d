"""The PreToolUse payload: what Claude Code and Codex send, and the Request it reduces to.

The payload is untrusted input: read_payload parses it (UTF-8 JSON) and
request_from_payload validates it and keeps only what the database is asked: the
repository-relative paths a file tool writes (Edit, Write, MultiEdit, NotebookEdit,
Codex's apply_patch), a shell command, its network targets and the workspace and cwd it
runs in (Bash), or the targets of WebFetch / WebSearch. Anything malformed or of another
hook event raises HookError (the hook denies it without asking); a tool the hook does not
check gives None (no objection). Identity is never read from the payload: session_id only
labels a lease the hook takes.
"""
from __future__ import annotations

import json
import os

from .config import Config
from .errors import HookError
from .queries import MAX_PATHS
from .repository_paths import repo_relative, repository_root
from .shell_targets import network_targets

HOOK_EVENT = "PreToolUse"
EDIT_TOOLS = {"Edit": "file_path", "Write": "file_path", "MultiEdit": "file_path", "NotebookEdit": "notebook_path"}
PATCH_TOOLS = {"apply_patch"}                  # Codex: tool_input.command holds the patch
SHELL_TOOLS = {"Bash"}                         # Claude Code and Codex (its shell tools hook as Bash)
FETCH_TOOLS = {"WebFetch"}
SEARCH_TOOLS = {"WebSearch"}


class Request:
    """A tool call reduced to what the database is asked: ``kind`` is edit (``paths``,
    relative to the repository), command (``command`` and its network ``targets``, with
    the ``workspace`` and ``cwd`` it runs in when known) or network (``targets``)."""

    __slots__ = ("kind", "tool", "paths", "command", "targets", "session", "workspace", "cwd")

    def __init__(self, kind: str, tool: str, paths: list[str] | None = None, command: str = "",
                 targets: list[str] | None = None, session: str = "", workspace: str | None = None,
                 cwd: str | None = None):
        self.kind, self.tool, self.command, self.session = kind, tool, command, session
        self.paths = paths or []
        self.targets = targets or []
        self.workspace, self.cwd = workspace, cwd


def read_payload(stdin) -> object:
    """The JSON value on ``stdin`` (a text or binary stream), which must be UTF-8."""
    return parse_payload(stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read())


def parse_payload(raw: bytes | str) -> object:
    """The JSON value of ``raw``, which must be UTF-8."""
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except UnicodeDecodeError as exc:
        raise HookError("invalid_payload", f"the hook payload is not UTF-8 ({exc.reason})") from None
    except ValueError as exc:
        raise HookError("invalid_payload", f"the hook payload is not JSON ({exc})") from None


def request_from_payload(payload: object, config: Config) -> Request | None:
    """Validate the payload and reduce it to a Request; None when the tool is not one the
    hook checks (allowed). Raises HookError for a payload it must deny without asking."""
    if not isinstance(payload, dict):
        raise HookError("invalid_payload", "the hook payload is not a JSON object")
    event = payload.get("hook_event_name")
    if event != HOOK_EVENT:
        raise HookError("unknown_payload", f"hook_event_name is {event!r}, not {HOOK_EVENT!r}: "
                                           "this command answers PreToolUse hooks only")
    tool = payload.get("tool_name")
    if not isinstance(tool, str) or not tool:
        raise HookError("invalid_payload", "the payload has no tool_name")
    tool_input = payload.get("tool_input")
    if not isinstance(tool_input, dict):
        raise HookError("invalid_payload", f"{tool}: tool_input is not a JSON object")
    session = payload.get("session_id") if isinstance(payload.get("session_id"), str) else ""

    if tool in EDIT_TOOLS or tool in PATCH_TOOLS:
        if tool in EDIT_TOOLS:
            field = EDIT_TOOLS[tool]
            raw = tool_input.get(field)
            if not isinstance(raw, str) or not raw.strip():
                raise HookError("invalid_payload", f"{tool}: tool_input.{field} is missing or not a string")
            raws = [raw]
        else:
            patch = tool_input.get("command", tool_input.get("patch", tool_input.get("input")))
            if not isinstance(patch, str):
                raise HookError("invalid_payload", f"{tool}: tool_input.command (the patch) is missing")
            raws = patch_paths(patch)
            if not raws:
                raise HookError("invalid_payload", f"{tool}: the patch names no file (*** Add/Update/Delete File:)")
        cwd = payload.get("cwd")
        if not isinstance(cwd, str) or not os.path.isabs(cwd):
            raise HookError("invalid_payload", f"{tool}: the payload has no absolute cwd to resolve paths against")
        root = config.repo_root or repository_root(cwd)
        paths = sorted({repo_relative(root, cwd, r) for r in raws})
        if len(paths) > MAX_PATHS:
            raise HookError("too_many_paths", f"{tool} touches {len(paths)} files; at most {MAX_PATHS} per tool call")
        return Request("edit", tool, paths=paths, session=session)

    if tool in SHELL_TOOLS:
        command = tool_input.get("command")
        if isinstance(command, list) and command and all(isinstance(x, str) for x in command):
            import shlex
            command = shlex.join(command)
        if not isinstance(command, str):
            raise HookError("invalid_payload", f"{tool}: tool_input.command is missing or not a string")
        workspace, cwd = command_context(tool, payload.get("cwd"), config)
        return Request("command", tool, command=command, targets=network_targets(command), session=session,
                       workspace=workspace, cwd=cwd)

    if tool in FETCH_TOOLS:
        url = tool_input.get("url")
        if not isinstance(url, str) or not url.strip():
            raise HookError("invalid_payload", f"{tool}: tool_input.url is missing or not a string")
        return Request("network", tool, targets=[url.strip()], session=session)

    if tool in SEARCH_TOOLS:
        if not isinstance(tool_input.get("query"), str):
            raise HookError("invalid_payload", f"{tool}: tool_input.query is missing or not a string")
        domains = tool_input.get("allowed_domains") or []
        if not isinstance(domains, list) or not all(isinstance(d, str) and d.strip() for d in domains):
            raise HookError("invalid_payload", f"{tool}: tool_input.allowed_domains is not a list of domains")
        targets = [d.strip() for d in domains] or [config.websearch_target]
        return Request("network", tool, targets=targets, session=session)

    return None      # any other tool (Read, Grep, Glob, Task, mcp__*, ...): not the hook's to check


def command_context(tool: str, cwd: object, config: Config) -> tuple[str | None, str | None]:
    """(workspace, cwd) of a shell command, for the database's shell analyser: the
    repository's root (PGCOORD_REPO_ROOT, else the nearest directory above cwd holding
    .git) and the payload's cwd. Either is None when unknown (no absolute cwd in the
    payload, cwd in no repository): the analyser then resolves no path against it. A cwd
    that is there but not an absolute path is refused, as for an edit. Both are passed
    with symbolic links resolved (realpath): the root found by walking up is, and a cwd
    through a link (/tmp -> /private/tmp) must compare with it as the same place."""
    root = os.path.realpath(config.repo_root) if config.repo_root is not None else None
    if cwd is None:
        return root, None
    if not isinstance(cwd, str) or not os.path.isabs(cwd):
        raise HookError("invalid_payload", f"{tool}: the payload's cwd is not an absolute path")
    cwd = os.path.realpath(cwd)
    if root is not None:
        return root, cwd
    try:
        return repository_root(cwd), cwd
    except HookError:
        return None, cwd


def patch_paths(patch: str) -> list[str]:
    """The files a Codex apply_patch envelope adds, updates, deletes or moves to."""
    out = []
    for line in patch.splitlines():
        for prefix in ("*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: "):
            if line.startswith(prefix) and line[len(prefix):].strip():
                out.append(line[len(prefix):].strip())
    return out
