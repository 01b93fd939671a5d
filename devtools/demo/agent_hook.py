"""Agent dave, behind the PreToolUse hook: what Claude Code does with pgcoord's hook set up.

Before each tool call that writes a file or runs a command, the process runs
``pgcoord hook pre-tool-use`` with the PreToolUse JSON Claude Code sends on stdin
(tests/hook_payloads/ has the real shapes), as Claude Code's hook settings would; the
exit code decides (0: the call proceeds, 2: denied, the reason on stderr for the model).
The hook connects with ``PGCOORD_DSN`` (his own login) and, as configured here,
acquires the lease an edit needs (``PGCOORD_HOOK_ON_UNLEASED=acquire``). A call that
is allowed is carried out: a Write writes the file, and the one shell command he runs
(``pgcoord --json lease release``) is run; the force-push is only ever asked about.

    python -m devtools.demo.agent_hook      (PGCOORD_DSN: his login; the conductor drives it)
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import uuid
from typing import Any

from . import workspace
from .executables import pgcoord
from .wire import await_go, emit, run_agent

SESSION = str(uuid.uuid4())
#: The hook's settings, as they would be in the environment Claude Code starts hooks with.
HOOK_SETTINGS = {"PGCOORD_HOOK_ON_UNLEASED": "acquire", "PGCOORD_HOOK_LEASE_TTL": "120"}
FORCE_PUSH = "git push --force origin main"
DOCS = "docs/api.md"


class Session:
    def __init__(self, repo: str):
        self.repo = repo
        self.calls = 0

    def hook(self, tool: str, tool_input: dict[str, Any]) -> dict[str, Any]:
        """Run the PreToolUse hook for one tool call; its decision."""
        self.calls += 1
        payload = {"session_id": SESSION, "transcript_path": f"/home/dev/.claude/projects/demo/{SESSION}.jsonl",
                   "cwd": self.repo, "permission_mode": "default", "hook_event_name": "PreToolUse",
                   "tool_name": tool, "tool_input": tool_input, "tool_use_id": f"toolu_demo_{self.calls:02d}"}
        proc = subprocess.run([*pgcoord(), "hook", "pre-tool-use"], input=json.dumps(payload), capture_output=True,
                              text=True, timeout=60, cwd=self.repo, env={**os.environ, **HOOK_SETTINGS})
        out = json.loads(proc.stdout).get("hookSpecificOutput", {}) if proc.stdout.strip() else {}
        return {"exit": proc.returncode, "allowed": proc.returncode == 0,
                "reason": proc.stderr.strip() or out.get("permissionDecisionReason", ""),
                "context": out.get("additionalContext", "")}

    def bash(self, command: str) -> dict[str, Any]:
        return self.hook("Bash", {"command": command, "description": "run a shell command"})

    def write(self, path: str, content: str) -> dict[str, Any]:
        decision = self.hook("Write", {"file_path": os.path.join(self.repo, path), "content": content})
        if decision["allowed"]:
            workspace.write(self.repo, path, content)
        return decision

    def edit(self, path: str, old: str, new: str) -> dict[str, Any]:
        return self.hook("Edit", {"file_path": os.path.join(self.repo, path), "old_string": old, "new_string": new,
                                  "replace_all": False})


def said(call: str, d: dict[str, Any]) -> str:
    """A decision as a line: the call, the hook's exit code, the verdict and its words."""
    if not d["allowed"]:
        return f"{call} → hook exit {d['exit']}, denied: {d['reason']}"
    return f"{call} → hook exit 0, allowed" + (f"; context for the model: {d['context']}" if d["context"] else "")


def main() -> None:
    repo = os.environ[workspace.ENV]
    me = Session(repo)
    emit("ready", f"[hook, pid {os.getpid()}] a Claude Code-style session: each Write, Edit and Bash call goes "
                  "through `pgcoord hook pre-tool-use` first (PGCOORD_DSN: his login; unleased edits: acquire)")

    await_go("shadow-push")
    d = me.bash(FORCE_PUSH)
    emit("decision", said(f"Bash {FORCE_PUSH!r}", d), **d)

    await_go("edit-users")
    d = me.edit("src/api/users.py", "def list_users():", "def list_users(limit: int = 50):")
    emit("decision", said("Edit src/api/users.py", d), **d)

    await_go("docs")
    d = me.write(DOCS, "# API\n\n/users and /orders, documented while the others implement them.\n")
    emit("decision", said(f"Write {DOCS}", d) + (f"\nthe write goes ahead: {DOCS} is in the repository"
                                                 if d["allowed"] else ""), **d)

    await_go("enforce-push")
    d = me.bash(FORCE_PUSH)
    emit("decision", said(f"Bash {FORCE_PUSH!r}", d), **d)

    await_go("release")
    command = f"pgcoord --json lease release {DOCS}"
    d = me.bash(command)
    ran = ""
    if d["allowed"]:
        argv = [*pgcoord(), *shlex.split(command)[1:]]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=repo)
        answer = json.loads(proc.stdout) if proc.returncode == 0 else {}
        d["released"] = bool(answer.get("ok"))
        ran = f"; runs it: exit {proc.returncode}, " + (f"released (audit event {answer['event_id']})"
                                                        if d["released"] else proc.stderr.strip())
    emit("decision", said(f"Bash {command!r}", d) + ran, **d)
    emit("done", "")


if __name__ == "__main__":
    raise SystemExit(run_agent(main))
