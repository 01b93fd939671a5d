"""PostgreSQL's isolation tester over isolation/specs (`make isolation`, part of `make test`).

Each spec in isolation/specs/ forces one interleaving of concurrent sessions where a
pgcoord invariant once broke; isolation/expected/<spec>.out is the output the
invariant requires (see isolation/README.md). The runner provisions a fresh
database (the whole Sqitch plan and the test clock), runs `pg_isolation_regress
--use-existing` over every spec (or the specs named), prints the diffs when an
output differs, fails when no spec ran, and drops the database.

The specs create cluster-wide LOGIN roles (iso_*) in their setup blocks and drop
them in their teardown; one run at a time per server holds an advisory lock on the
admin database so that two runs never share those names.

    python -m devtools.testing isolation [SPEC...]          # what `make isolation` runs
    python -m devtools.isolation --dsn postgresql://.../db [SPEC...]
        # an existing database with pgcoord and tests/sql/test_clock.sql deployed,
        # neither created nor dropped (e.g. to run the specs against another build)
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg

from pgcoord.cluster import ClusterError, find_bindir, project_root

from . import databases

# Serialises isolation runs on one server (the specs' role names are fixed).
RUN_LOCK = "SELECT pg_catalog.pg_advisory_lock(1885570817, 12)"
RUN_UNLOCK = "SELECT pg_catalog.pg_advisory_unlock(1885570817, 12)"
RESULT_LINE = re.compile(r"^(?:test|ok|not ok)?\s*\d*\s*-?\s*(\S+)\s+\.\.\.\s+(ok|FAILED|failed)\b", re.M)
# pg_regress 16 and later report in TAP: "ok 1         - spec_name    97 ms" / "not ok 2  - ..."
TAP_RESULT_LINE = re.compile(r"^(ok|not ok)\s+\d+\s+[-+]\s+(\S+)", re.M)


def spec_results(report: str) -> list[tuple[str, str]]:
    """(spec, verdict) of every spec pg_isolation_regress reported, in either output format."""
    return RESULT_LINE.findall(report) + [(name, "ok" if verdict == "ok" else "FAILED")
                                          for verdict, name in TAP_RESULT_LINE.findall(report)]


class IsolationError(RuntimeError):
    """The isolation tester cannot be run (the message says why)."""


def find_isolation_regress() -> Path:
    """pg_isolation_regress: $PGCOORD_ISOLATION_REGRESS, beside the server binaries, pg_config's PGXS,
    or any Debian layout."""
    env = os.environ.get("PGCOORD_ISOLATION_REGRESS")
    if env:
        return Path(env)
    rel = Path("lib/pgxs/src/test/isolation/pg_isolation_regress")
    candidates: list[Path] = []
    try:
        candidates.append(find_bindir().parent / rel)
    except ClusterError:
        pass
    pg_config = shutil.which("pg_config")
    if pg_config:
        proc = subprocess.run([pg_config, "--pgxs"], capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip():
            # .../lib/pgxs/src/makefiles/pgxs.mk -> .../lib/pgxs/src/test/isolation/
            candidates.append(Path(proc.stdout.strip()).parents[1] / "test" / "isolation" / "pg_isolation_regress")
    candidates += [Path(p) for p in sorted(glob.glob(f"/usr/lib/postgresql/*/{rel}"), reverse=True)]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    raise IsolationError(
        "pg_isolation_regress not found: on Debian it ships with postgresql-client-15 "
        "(/usr/lib/postgresql/15/lib/pgxs/src/test/isolation/); run `make setup`, or set PGCOORD_ISOLATION_REGRESS")


def spec_names(only: list[str] | None = None) -> list[str]:
    """The specs to run: every isolation/specs/*.spec, or those named (by name or path)."""
    specs_dir = project_root() / "isolation" / "specs"
    available = sorted(p.stem for p in specs_dir.glob("*.spec"))
    if not only:
        return available
    names = [Path(s).name.removesuffix(".spec").removesuffix(".out") for s in only]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise IsolationError(f"no such spec in isolation/specs: {', '.join(unknown)}")
    return names


def run_specs(dsn: str, names: list[str], binary: Path | None = None) -> int:
    """Run pg_isolation_regress (``binary``, else the one found) over the named specs in
    the existing database of dsn."""
    binary = binary or find_isolation_regress()
    root = project_root()
    missing = [n for n in names if not (root / "isolation" / "expected" / f"{n}.out").is_file()]
    if missing:
        print(f"isolation: no expected output for {', '.join(missing)} (isolation/expected/<spec>.out)",
              file=sys.stderr)
        return 1
    parts = urlsplit(dsn)
    dbname = unquote(parts.path.lstrip("/"))
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    with tempfile.TemporaryDirectory(prefix="pgcoord-isolation-") as tmp:
        out = Path(tmp)
        schedule = out / "schedule"
        # one spec per line: they share the database, its test clock and its line locks
        schedule.write_text("".join(f"test: {n}\n" for n in names), encoding="utf-8")
        cmd = [str(binary), "--use-existing", f"--dbname={dbname}",
               f"--host={parts.hostname or env.get('PGHOST', '127.0.0.1')}",
               f"--port={parts.port or env.get('PGPORT', '5432')}",
               f"--user={unquote(parts.username) if parts.username else env.get('PGUSER', 'postgres')}",
               f"--inputdir={root / 'isolation'}", f"--outputdir={out}", f"--schedule={schedule}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=out, env=env)
        report = proc.stdout + proc.stderr
        print(report.rstrip())
        results = spec_results(report)
        failed = [name for name, verdict in results if verdict != "ok"]
        diffs = out / "regression.diffs"
        if diffs.is_file() and diffs.stat().st_size:
            print(f"isolation: differences from isolation/expected/ ({len(failed)} spec(s)):")
            print(diffs.read_text(encoding="utf-8", errors="replace").rstrip())
        if not results:
            print("isolation: pg_isolation_regress ran no spec", file=sys.stderr)
            return 1
        if proc.returncode != 0 and not failed:
            print(f"isolation: pg_isolation_regress exited {proc.returncode}", file=sys.stderr)
        return proc.returncode if proc.returncode != 0 else (1 if failed else 0)


def run_isolation(admin_dsn: str, only: list[str] | None = None, binary: Path | None = None) -> int:
    """Provision a fresh database, run the specs there (with ``binary``, the server's own
    pg_isolation_regress, else the one found), drop it (one run at a time per server)."""
    try:
        names = spec_names(only)
        binary = binary or find_isolation_regress()
    except IsolationError as exc:
        print(f"isolation: {exc}", file=sys.stderr)
        return 1
    if not names:
        print("isolation: no spec in isolation/specs", file=sys.stderr)
        return 1
    with psycopg.connect(admin_dsn, autocommit=True) as lock:
        lock.execute(RUN_LOCK)
        try:
            dsn = databases.provision(admin_dsn, "pgcoord_iso")
            try:
                return run_specs(dsn, names, binary)
            finally:
                databases.drop_database(admin_dsn, unquote(urlsplit(dsn).path.lstrip("/")))
        finally:
            lock.execute(RUN_UNLOCK)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if argv[:1] == ["--dsn"] and len(argv) >= 2:
        dsn, rest = argv[1], argv[2:]
        try:
            names = spec_names(rest)
            return run_specs(dsn, names) if names else 1
        except IsolationError as exc:
            print(f"isolation: {exc}", file=sys.stderr)
            return 1
    try:
        with databases.test_server() as admin_dsn:
            return run_isolation(admin_dsn, argv or None)
    except databases.NoServer as exc:
        print(f"isolation: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
