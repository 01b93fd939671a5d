"""Sqitch, driven as its own CLI (no Python wrapper library).

The target is built from the DSN (``db:pg://user@host:port/dbname``). Failures
become :class:`MigrationError` with Sqitch's own message, never a traceback.

The migrations deployed are, in this order of precedence: a checkout named by
``$PGCOORD_HOME``; the copy inside the installed package (``pgcoord/sqitch/``, put
there when the wheel was built, read with importlib.resources); the checkout this
process runs in (an editable install).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from .cluster import ClusterError, project_root


class MigrationError(RuntimeError):
    """Sqitch refused or failed; the message is Sqitch's own output."""


def sqitch_target(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres"):
        raise MigrationError(f"not a PostgreSQL URL: {dsn!r}")
    return "db:pg:" + dsn.split(":", 1)[1]


def plan_dir() -> Path:
    """The directory holding ``sqitch.conf``, ``sqitch.plan`` and ``sql/`` to deploy from."""
    if os.environ.get("PGCOORD_HOME"):
        return project_root()
    packaged = resources.files("pgcoord") / "sqitch"
    if packaged.joinpath("sqitch.plan").is_file():
        # a wheel installs into a directory, never a zip: the resource is a real path
        return Path(str(packaged))
    try:
        return project_root()
    except ClusterError:
        raise MigrationError(
            "this pgcoord installation carries no migrations (pgcoord/sqitch/ is missing from the "
            "package) and no checkout is in reach: reinstall the wheel, or set PGCOORD_HOME to a checkout"
        ) from None


def _sqitch(args: list[str], dsn: str, root: Path | None = None) -> str:
    exe = shutil.which("sqitch")
    if exe is None:
        raise MigrationError("sqitch is not installed (Debian package 'sqitch'); run `make setup`")
    root = root or plan_dir()
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
