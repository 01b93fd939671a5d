"""Test databases and the suite runner behind `make test`, `make pgtap`, `make isolation`, `make pytest`.

    python -m devtools.testing [run-all|pgtap|isolation|formal|pytest] [ARGS...]
        (from the repository root; run-all is the default)

Where the server comes from:
  * default: a throwaway cluster under .pgcoord/testcluster, started from the local
    PostgreSQL binaries for the run and stopped afterwards;
  * PGCOORD_TEST_DSN=postgresql://user@host:port/db: an existing server (a superuser
    login); fresh databases are created there and dropped;
  * PGCOORD_TEST_DOCKER=1 with PGCOORD_TEST_DOCKER_IMAGE=<image>: testcontainers runs
    that image (it must have pgTAP and plpgsql_check); without an image, without a
    Docker engine or without the extensions the run fails, saying which.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from pgcoord import migrations
from pgcoord.cluster import project_root

from .databases import NoServer, drop_database, provision, test_server
from .isolation import run_isolation

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
