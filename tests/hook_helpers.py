"""What the hook tests share: agents with leases, the payloads, the hook as a process.

The payloads are the JSON Claude Code and Codex send (tests/hook_payloads/; `$REPO` is
the test's repository, `$OTHER` another agent). ENTRIES are the ways the hook is run:
the installed console script, the fast form `pgcoord hook install` prints (the package's
__main__.py as a script), the package directory, and python -m.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pgcoord import hooks

from .helpers import Database

PAYLOADS = Path(__file__).parent / "hook_payloads"
PGCOORD = str(Path(sys.executable).parent / "pgcoord")
# the installed console script; the fast form `pgcoord hook install` prints (the package's
# __main__.py as a script); the package directory; python -m
ENTRIES = {"console": [PGCOORD, "hook", "pre-tool-use"],
           "fast": [sys.executable, "-I", os.path.join(hooks.HOOK_DIR, "__main__.py"), "pre-tool-use"],
           "directory": [sys.executable, "-I", hooks.HOOK_DIR, "pre-tool-use"],
           "module": [sys.executable, "-m", "pgcoord.hooks", "pre-tool-use"]}


def agent(db: Database, profile: str = "implementer") -> str:
    role = db.create_role("coord_agent")
    db.su.execute("SELECT coord.register_agent(%s, %s)", (role, profile))
    return role


def lease(db: Database, role: str, path: str, mode: str = "exclusive", ttl: int = 600) -> dict:
    with db.session(role) as s:
        row = s.execute("SELECT * FROM coord.acquire_lock(%s, make_interval(secs => %s), %s)",
                        (path, ttl, mode)).fetchone()
    assert row["ok"], row
    return row


def payload(name: str, repo: Path, other: str = "nobody") -> dict:
    text = (PAYLOADS / name).read_text()
    return json.loads(text.replace("$REPO", str(repo)).replace("$OTHER", other))


def run_hook(entry: str, stdin: str | bytes, dsn: str | None, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PGCOORD_")}
    if dsn is not None:
        environment["PGCOORD_DSN"] = dsn
    environment.update(env)
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(ENTRIES[entry], input=data, capture_output=True, env=environment, timeout=60)
