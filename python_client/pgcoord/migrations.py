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

import psycopg

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
    """sqitch deploy, then the database-level grants re-applied (see :func:`apply_database_grants`)."""
    out = _sqitch(["deploy", *(["--to", to] if to else [])], dsn)
    if apply_database_grants(dsn):
        out += "\nrepaired the database grants (CONNECT, CREATE, TEMPORARY), e.g. after a restore"
    others = other_owners(dsn)
    if others:
        out += ("\nwarning: these roles besides you can act as coord_owner, so they can rewrite this database's "
                "pgcoord (roles are the cluster's): " + ", ".join(others))
    return out


def other_owners(dsn: str) -> list[str]:
    """The non-superusers other than the connected one who can act as coord_owner: in
    PostgreSQL roles belong to the cluster, so each of them owns every pgcoord database
    in it (another database's deployer, or a co-tenant who created the roles first)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SELECT to_regrole('coord_owner') IS NULL").fetchone() == (True,):
            return []
        rows = conn.execute(
            """SELECT r.rolname FROM pg_catalog.pg_roles r
                WHERE NOT r.rolsuper AND r.rolname NOT IN ('coord_owner', current_user)
                  AND pg_catalog.pg_has_role(r.oid, 'coord_owner', 'MEMBER')
                ORDER BY r.rolname""").fetchall()
    return [r[0] for r in rows]


def apply_database_grants(dsn: str) -> bool:
    """Re-state the database's own grants (``sql/database_grants.sql``), which pg_dump
    keeps only with --create: a restore into a database made beforehand gives CONNECT
    and TEMPORARY back to PUBLIC. Sqitch deploys nothing twice, so this runs after
    every deploy; True when a grant was missing. Before the roles exist (a deploy
    stopped earlier) there is nothing to grant to."""
    source = plan_dir() / "sql" / "database_grants.sql"
    if not source.is_file():
        return False   # migrations older than this file (PGCOORD_HOME naming an old checkout)
    statement = source.read_text(encoding="utf-8")
    datacl = "SELECT datacl::text FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()"
    with psycopg.connect(dsn, autocommit=True) as conn:
        roles = conn.execute("SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname IN "
                             "('coord_owner', 'coord_agent', 'coord_admin', 'coord_auditor')").fetchone()
        if not roles or roles[0] < 4:
            return False
        before = conn.execute(datacl).fetchone()
        conn.execute(statement)
        return conn.execute(datacl).fetchone() != before


def revert(dsn: str, to: str | None = None) -> str:
    return _sqitch(["revert", "-y", *(["--to", to] if to else [])], dsn)


def verify(dsn: str) -> str:
    return _sqitch(["verify"], dsn)


def status(dsn: str) -> str:
    return _sqitch(["status"], dsn)
