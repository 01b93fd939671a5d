"""Sqitch, driven as its own CLI (no Python wrapper library).

The target is built from the DSN (``db:pg://user@host:port/dbname``). Failures
become :class:`MigrationError` with Sqitch's own message, never a traceback.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from .cluster import project_root


class MigrationError(RuntimeError):
    """Sqitch refused or failed; the message is Sqitch's own output."""


def sqitch_target(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres"):
        raise MigrationError(f"not a PostgreSQL URL: {dsn!r}")
    return "db:pg:" + dsn.split(":", 1)[1]


def _sqitch(args: list[str], dsn: str, root: Path | None = None) -> str:
    exe = shutil.which("sqitch")
    if exe is None:
        raise MigrationError("sqitch is not installed (Debian package 'sqitch'); run `make setup`")
    root = root or project_root()
    env = dict(os.environ)
    env.setdefault("SQITCH_FULLNAME", "pgcoord")
    env.setdefault("SQITCH_EMAIL", "pgcoord@localhost")
    env.setdefault("SQITCH_PAGER", "cat")
    env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c client_min_messages=warning").strip()
    proc = subprocess.run(
        [exe, *args[:1], "--target", sqitch_target(dsn), *args[1:]],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    out = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise MigrationError(f"sqitch {' '.join(args)} failed (exit {proc.returncode}):\n{out}")
    return out


def deploy(dsn: str, to: str | None = None) -> str:
    return _sqitch(["deploy", *(["--to", to] if to else [])], dsn)


def revert(dsn: str, to: str | None = None) -> str:
    return _sqitch(["revert", "-y", *(["--to", to] if to else [])], dsn)


def verify(dsn: str) -> str:
    return _sqitch(["verify"], dsn)


def status(dsn: str) -> str:
    return _sqitch(["status"], dsn)
