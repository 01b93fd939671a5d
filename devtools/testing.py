"""Test databases and the suite runner behind `make test`, `make pgtap`, `make isolation`, `make pytest`.

    python -m devtools.testing [run-all|pgtap|isolation|formal|pytest] [ARGS...]
        (from the repository root; run-all is the default)

Where the server comes from:
  * default: a throwaway cluster under .pgcoord/testcluster, started from the local
    PostgreSQL binaries for the run and stopped afterwards;
  * PGCOORD_TEST_DSN=postgresql://user@host:port/db: an existing server (a superuser
    login); fresh databases are created there and dropped;
  * PGCOORD_TEST_DOCKER=1: testcontainers provides the server (skipped, with that
    reason, where no Docker engine answers).
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from pgcoord import migrations
from pgcoord.cluster import project_root, with_dbname

from .cluster import test_cluster
from .isolation import run_isolation


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
        try:
            container = PostgresContainer("postgres:15")
            container.start()
        except Exception as exc:  # pragma: no cover - depends on a Docker engine
            raise NoServer(f"PGCOORD_TEST_DOCKER=1 but no Docker engine answered: {exc}") from exc
        try:
            url = container.get_connection_url().replace("postgresql+psycopg2", "postgresql")
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


# -- suite runners ---------------------------------------------------------

def run_pgtap(admin_dsn: str, only: list[str] | None = None) -> int:
    """Deploy into a fresh database and run pg_prove over pgtap/ (or only the files named)."""
    root = project_root()
    files = [str(Path(f).resolve()) for f in only] if only else sorted(str(p) for p in (root / "pgtap").glob("*.sql"))
    if not files:
        print("pgtap: no test files in pgtap/", file=sys.stderr)
        return 1
    dsn = provision(admin_dsn, "pgcoord_pgtap", test_clock=True, pgtap_helpers=True)
    name = urlsplit(dsn).path.lstrip("/")
    parts = urlsplit(dsn)
    try:
        env = dict(os.environ, PGHOST=parts.hostname or "127.0.0.1", PGPORT=str(parts.port or 5432),
                   PGUSER=parts.username or "postgres", PGDATABASE=name)
        proc = subprocess.run(["pg_prove", "--failures", "--comments", *files], env=env,
                              capture_output=True, text=True, cwd=root)
        out = proc.stdout + proc.stderr
        print(out)
        tests = re.search(r"Tests=(\d+)", out)
        if proc.returncode == 0 and (not tests or int(tests.group(1)) == 0):
            print("pgtap: pg_prove ran no test", file=sys.stderr)
            return 1
        return proc.returncode
    finally:
        drop_database(admin_dsn, name)


def run_pytest(admin_dsn: str, extra: list[str], formal_done: bool = False) -> int:
    env = dict(os.environ, PGCOORD_TEST_DSN=admin_dsn)
    if formal_done:
        # the formal suite of this run already ran TLC; pytest need not run it twice
        env["PGCOORD_FORMAL_SUITE_RAN"] = "1"
    proc = subprocess.run([sys.executable, "-m", "pytest", *extra], env=env, cwd=project_root())
    if proc.returncode == 5:
        print("pytest: no test ran", file=sys.stderr)
        return 1
    return proc.returncode


def run_formal() -> int:
    proc = subprocess.run(["bash", str(project_root() / "formal" / "check.sh")], cwd=project_root())
    return proc.returncode


SUITES = ("run-all", "pgtap", "isolation", "formal", "pytest")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    what = argv.pop(0) if argv else "run-all"
    if what in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    if what not in SUITES:
        print(f"unknown suite {what!r}: use {', '.join(SUITES)} (python -m devtools.testing --help)", file=sys.stderr)
        return 2
    try:
        if what == "formal":
            return run_formal()
        with test_server() as admin_dsn:
            if what == "pgtap":
                return run_pgtap(admin_dsn, argv)
            if what == "pytest":
                return run_pytest(admin_dsn, argv)
            if what == "isolation":
                return run_isolation(admin_dsn, argv)
            # run-all
            results = {"pgtap": run_pgtap(admin_dsn), "isolation": run_isolation(admin_dsn),
                       "formal": run_formal()}
            results["pytest"] = run_pytest(admin_dsn, argv, formal_done=True)
            for suite, rc in results.items():
                print(f"suite {suite}: {'ok' if rc == 0 else f'FAILED (exit {rc})'}")
            return 0 if all(rc == 0 for rc in results.values()) else 1
    except (NoServer, migrations.MigrationError, RuntimeError) as exc:
        print(f"devtools.testing: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
