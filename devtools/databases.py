"""Test databases: the server the tests use, and fresh databases with pgcoord deployed.

Used by the suite runners (devtools.testing, devtools.isolation) and by the pytest
fixtures (tests/conftest.py)."""
from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from pgcoord import migrations
from pgcoord.cluster import project_root, with_dbname

from .cluster import test_cluster


class NoServer(RuntimeError):
    """No test server can be had (the message says why)."""


@contextlib.contextmanager
def test_server() -> Iterator[str]:
    """Yield an admin (superuser) DSN of the server the tests use."""
    if os.environ.get("PGCOORD_TEST_DSN"):
        yield os.environ["PGCOORD_TEST_DSN"]
        return
    if os.environ.get("PGCOORD_TEST_DOCKER") == "1":
        try:
            from testcontainers.postgres import PostgresContainer  # type: ignore
        except ImportError as exc:  # pragma: no cover - optional dependency
            raise NoServer("PGCOORD_TEST_DOCKER=1 but testcontainers is not installed "
                           "(pip install -e '.[docker]')") from exc
        image = os.environ.get("PGCOORD_TEST_DOCKER_IMAGE")
        if not image:
            raise NoServer("PGCOORD_TEST_DOCKER=1 needs PGCOORD_TEST_DOCKER_IMAGE: an image whose PostgreSQL "
                           f"(>= 15) has the extensions {', '.join(REQUIRED_EXTENSIONS)} (README: Testing "
                           "elsewhere); a stock postgres image has none of them")
        try:
            container = PostgresContainer(image)
            container.start()
        except Exception as exc:  # pragma: no cover - depends on a Docker engine
            raise NoServer(f"PGCOORD_TEST_DOCKER=1 but no Docker engine ran {image}: {exc}") from exc
        try:
            url = container.get_connection_url().replace("postgresql+psycopg2", "postgresql")
            require_test_extensions(url, f"image {image}")
            yield url
        finally:
            container.stop()
        return
    cluster = test_cluster()
    started_here = not cluster.running()
    cluster.start()
    try:
        yield cluster.dsn()
    finally:
        if started_here and not os.environ.get("PGCOORD_KEEP_TEST_CLUSTER"):
            cluster.stop()


# What the suites need of a server: pgTAP for pg_prove, plpgsql_check for the catalog
# gate's dependency analysis (pgtap/01 and the gate checks of 08, 25, 26, 28, 29, which
# skip without it, saying so: required here, so that on the test server nothing skips
# for want of it). PL/Python (the Cedar engine) is optional: its tests skip, saying so.
# The PostgreSQL 18 run (devtools.testing pgtap-pg18) requires pgTAP alone: no
# plpgsql_check is built for that server.
REQUIRED_EXTENSIONS = ("pgtap", "plpgsql_check")


def require_test_extensions(admin_dsn: str, what: str,
                            extensions: tuple[str, ...] = REQUIRED_EXTENSIONS) -> None:
    """Raise NoServer naming the ``extensions`` that ``what`` lacks (a server the suites cannot run on)."""
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=30) as conn:
        have = {r[0] for r in conn.execute("SELECT name FROM pg_catalog.pg_available_extensions")}
    missing = [e for e in extensions if e not in have]
    if missing:
        raise NoServer(f"{what} lacks the extensions {', '.join(missing)} the suites need")


def create_database(admin_dsn: str, prefix: str = "pgcoord_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(admin_dsn: str, name: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run_sql_file(dsn: str, path: Path) -> None:
    proc = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(path)],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"psql -f {path} failed: {proc.stderr.strip()}")


def provision(admin_dsn: str, prefix: str = "pgcoord_test", *, test_clock: bool = True,
              pgtap_helpers: bool = False) -> str:
    """A fresh database with pgcoord deployed; returns its DSN."""
    name = create_database(admin_dsn, prefix)
    dsn = with_dbname(admin_dsn, name)
    try:
        migrations.deploy(dsn)
        root = project_root()
        if test_clock:
            run_sql_file(dsn, root / "tests" / "sql" / "test_clock.sql")
        if pgtap_helpers:
            # acting as agents first, then the catalog gate (which uses the actors' schema)
            run_sql_file(dsn, root / "tests" / "sql" / "actors.sql")
            run_sql_file(dsn, root / "tests" / "sql" / "gate.sql")
    except BaseException:
        # the caller never learns the name: drop it here rather than leak it
        drop_database(admin_dsn, name)
        raise
    return dsn
