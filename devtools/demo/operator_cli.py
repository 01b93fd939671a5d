"""The operator's steps, through the `pgcoord` command line as a person would type them.

Each step is one `pgcoord` process with ``--dsn`` the operator's login (a superuser or
coord_admin member that may create roles) and ``--json`` where the demo reads the
answer. The command is shown without the DSN; its answer is shown underneath.
"""
from __future__ import annotations

import json
import shlex
import subprocess
from datetime import datetime
from typing import Any

from pgcoord.cluster import project_root

from .executables import clean_environment, pgcoord
from .fleet import DemoFailed
from .narration import Narrator


class Operator:
    def __init__(self, dsn: str, narrator: Narrator):
        self.dsn = dsn
        self.say = narrator

    def run(self, *args: str, json_out: bool = False, ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        shown = ["pgcoord", *(["--json"] if json_out else []), *args]
        self.say.command(shlex.join(shown))
        argv = [*pgcoord(), "--dsn", self.dsn, *(["--json"] if json_out else []), *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=project_root(),
                              env=clean_environment())
        if proc.returncode not in ok_codes:
            raise DemoFailed(f"`{shlex.join(shown)}` exited {proc.returncode}: {proc.stderr.strip() or proc.stdout}")
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, json_out=True).stdout)

    def add_agent(self, role: str, profile: str) -> dict[str, Any]:
        """`pgcoord agent add`: the login role, coord_agent, the registration; its DSN."""
        added = self.json("agent", "add", role, "--profile", profile)
        self.say.result(f"{added['role']} registered as {added['profile']} (audit event {added['event_id']}); "
                        f"connection string {added['dsn']}")
        return added

    def set_mode(self, mode: str, reason: str) -> dict[str, Any]:
        verdict = self.json("mode", mode, "--reason", reason)
        rows = verdict if isinstance(verdict, list) else [verdict]
        if not rows or not rows[0].get("ok"):
            raise DemoFailed(f"pgcoord mode {mode} was refused: {verdict}")
        self.say.result(f"enforcement mode is now {mode} (audit event {rows[0]['event_id']})")
        return rows[0]

    def require_approvals(self, profile: str, *operations: str) -> dict[str, Any]:
        """`pgcoord approvals require`: which operations of the profile's agents need an approval."""
        verdict = self.json("approvals", "require", profile, *operations)
        if not verdict.get("ok"):
            raise DemoFailed(f"pgcoord approvals require {profile} was refused: {verdict}")
        needed = ", ".join(verdict["operations"]) or "none"
        self.say.result(f"operations of {profile} agents that need an approval: {needed} "
                        f"(audit event {verdict['event_id']})")
        return verdict

    def pending_approvals(self, requesters: set[str]) -> list[dict[str, Any]]:
        """`pgcoord approvals list --state pending`: a line per request of ``requesters``."""
        rows = self.json("approvals", "list", "--state", "pending")
        ours = [r for r in rows if r["requester"] in requesters]
        for r in ours:
            args = r.get("args") or {}
            call = " ".join(repr(args[k]) if k == "description" else str(args[k])
                            for k in ("task_type", "description", "path", "task_id") if args.get(k) is not None)
            self.say.result(f"approval {r['approval_id']}: {r['requester']} {r['operation']} {call or r['resource']} "
                            f"(source {', '.join(r['sources'] or ())}): pending, lapses at {clock(r['expires_at'])} "
                            "unless decided")
        if len(rows) > len(ours):
            self.say.result(f"(and {len(rows) - len(ours)} of other agents)")
        return ours

    def approve(self, approval_id: int, note: str) -> dict[str, Any]:
        """`pgcoord approvals approve`: grant a pending request."""
        decision = self.json("approvals", "approve", str(approval_id), "--note", note)
        if not decision.get("ok"):
            raise DemoFailed(f"pgcoord approvals approve {approval_id} was refused: {decision}")
        self.say.result(f"approval {approval_id}: {decision['state']}, for one use of that exact call by "
                        f"{clock(decision['expires_at'])} (audit event {decision['event_id']})")
        return decision

    def status(self) -> dict[str, Any]:
        return self.json("status")

    def verify_audit(self) -> str:
        """`pgcoord audit verify` (exit 4 if any chain is broken): its one-line answer."""
        proc = self.run("audit", "verify", ok_codes=(0, 4))
        line = proc.stdout.strip()
        self.say.result(line)
        if proc.returncode != 0:
            raise DemoFailed(f"the audit trail did not verify: {line}")
        return line


def clock(text: str) -> str:
    """HH:MM:SS of an ISO timestamp in a JSON answer."""
    return datetime.fromisoformat(text).strftime("%H:%M:%S")
