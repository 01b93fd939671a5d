"""A real PgBouncer in front of a test server, for the tests and the benchmarks.

Why it exists: deployments put a pooler between many agents and PostgreSQL, and a
transaction pooler hands each transaction whichever server session is free. What a
session keeps between transactions is then shared or lost: prepared statements (psycopg
prepares a query it has run ``prepare_threshold`` times, 5 by default), LISTEN,
session-level SET and advisory locks. pgcoord's identity is ``session_user``, which
survives only because PgBouncer keeps one pool per (database, user); a database entry
that forces one user for everybody (a "shared pool user") gives every client that
user's identity. Rather than reason about all that, tests and ``bench/scale.py`` run
the client through the pooler itself (the Debian package ``pgbouncer``, installed by
``make setup``).

Usage::

    with pgbouncer(admin_dsn, default_pool_size=2) as pooler:
        client = Client.connect(pooler.dsn(dbname, role), prepare_threshold=None)

The configuration (see ``_config``): ``auth_type = trust`` towards the clients, as the
test cluster trusts loopback (``pgcoord.cluster``); a client's user must still be a role
of the server, which PgBouncer looks up with ``auth_query`` as the server DSN's user (a
superuser, who can read ``pg_shadow``), so that roles a test creates after the pooler
started can log in. Every database is forwarded (``* = host=... port=...``) to the
server of ``server_dsn``; the server must accept the pooler's connections without a
password (trust). ``ignore_startup_parameters = extra_float_digits`` by default:
psycopg (libpq) sends no such parameter, but PgJDBC does, and PgBouncer 1.18 refuses a
client that sends a startup parameter it neither tracks nor ignores. ``options`` is
*not* ignored by default: a client that sets e.g. ``-c statement_timeout=...`` in
``options`` (the hooks do) is refused ("unsupported startup parameter: options") rather
than silently left without the setting; pass ``ignore_startup_parameters=
("extra_float_digits", "options")`` for the silent behaviour.

PgBouncer refuses to run as root: as root it runs as the OS user the embedded cluster
runs as (``pgcoord.cluster._server_user``).
"""
from __future__ import annotations

import contextlib
import os
import pwd
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from pgcoord.cluster import SUPERUSER, _free_port, _server_user

POOL_MODES = ("session", "transaction", "statement")


class PoolerError(RuntimeError):
    """PgBouncer is missing, or did not start."""


@dataclass(frozen=True)
class Pooler:
    """A running PgBouncer: where it listens and how to reach the server through it."""

    port: int
    root: Path              # its temporary directory: pgbouncer.ini, pgbouncer.log (its stderr)
    pool_mode: str
    force_user: str | None
    admin_user: str         # the server DSN's user: looks users up, may use the admin console

    def dsn(self, dbname: str = "postgres", user: str | None = None) -> str:
        """A postgresql:// URL of ``dbname`` as ``user`` (default: the server DSN's user),
        through the pooler."""
        return f"postgresql://{user or self.admin_user}@127.0.0.1:{self.port}/{dbname}"

    @property
    def logfile(self) -> Path:
        return self.root / "pgbouncer.log"

    def show(self, what: str) -> list[dict[str, Any]]:
        """``SHOW <what>`` on the admin console (POOLS, SERVERS, CLIENTS, STATS, ...).

        The console speaks the simple query protocol only: psycopg's client-side cursor
        with no parameters sends one."""
        if not what.replace("_", "").isalpha():
            raise ValueError(f"not a SHOW command: {what!r}")
        with psycopg.connect(self.dsn("pgbouncer", self.admin_user), autocommit=True, connect_timeout=5,
                             cursor_factory=psycopg.ClientCursor, row_factory=dict_row) as conn:
            return conn.execute(f"SHOW {what}").fetchall()  # type: ignore[arg-type]


def find_pgbouncer() -> str:
    """The pgbouncer binary (Debian installs it in /usr/sbin, outside a user's PATH)."""
    path = os.pathsep.join(filter(None, (os.environ.get("PATH"), "/usr/sbin", "/usr/local/sbin")))
    binary = shutil.which("pgbouncer", path=path)
    if binary is None:
        raise PoolerError("pgbouncer not found: install the Debian package pgbouncer (make setup)")
    return binary


def _config(*, host: str, server_port: str, port: int, root: Path, auth_user: str, pool_mode: str,
            force_user: str | None, max_client_conn: int, default_pool_size: int,
            ignore_startup_parameters: Sequence[str], settings: Mapping[str, object]) -> str:
    target = f"host={host} port={server_port}" + (f" user={force_user}" if force_user else "")
    conf: dict[str, object] = {
        "listen_addr": "127.0.0.1",
        "listen_port": port,
        "unix_socket_dir": "",           # TCP only: poolers never collide on a socket file
        "auth_type": "trust",
        # The admin user is listed, the others are looked up: PgBouncer 1.18 leaves the
        # first console login of a user it has to look up hanging.
        "auth_file": root / "userlist.txt",
        "auth_user": auth_user,
        "auth_query": "SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = $1",
        "admin_users": auth_user,
        "pool_mode": pool_mode,
        "max_client_conn": max_client_conn,
        "default_pool_size": default_pool_size,
        "ignore_startup_parameters": ",".join(ignore_startup_parameters),
        "pidfile": root / "pgbouncer.pid",
        **settings,
    }
    lines = ["[databases]", f"* = {target}", "", "[pgbouncer]"]
    lines += [f"{key} = {value}" for key, value in conf.items()]
    return "\n".join(lines) + "\n"


def _wait_ready(proc: subprocess.Popen[bytes], pooler: Pooler, timeout: float) -> None:
    """Until the admin console answers a login (or pgbouncer has exited: PoolerError)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise PoolerError(f"pgbouncer exited with {proc.returncode}: {_log_tail(pooler)}")
        try:
            pooler.show("VERSION")
            return
        except psycopg.Error:
            if time.monotonic() > deadline:
                raise PoolerError(f"pgbouncer did not accept connections within {timeout}s: "
                                  f"{_log_tail(pooler)}") from None
            time.sleep(0.05)


def _log_tail(pooler: Pooler, lines: int = 5) -> str:
    try:
        return " | ".join(pooler.logfile.read_text().strip().splitlines()[-lines:]) or "(empty log)"
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (PgBouncer's immediate shutdown), then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def pgbouncer(server_dsn: str, *, pool_mode: str = "transaction", force_user: str | None = None,
              max_client_conn: int = 300, default_pool_size: int = 20,
              ignore_startup_parameters: Sequence[str] = ("extra_float_digits",),
              settings: Mapping[str, object] | None = None, timeout: float = 30.0) -> Iterator[Pooler]:
    """Run PgBouncer in front of the server of ``server_dsn`` (its host, port and user;
    the database name does not matter: every database is forwarded) for a ``with`` block.

    ``pool_mode``: session, transaction or statement. ``force_user``: every server
    connection logs in as this role, whoever the client is (one shared pool per
    database); None keeps one pool per (database, client user). ``default_pool_size``:
    server connections per pool. ``settings``: further ``[pgbouncer]`` keys, which win
    over the ones set here (e.g. ``{"server_reset_query_always": 1}``). Yields a
    :class:`Pooler`; stops PgBouncer and removes its directory on exit."""
    if pool_mode not in POOL_MODES:
        raise ValueError(f"pool_mode must be one of {POOL_MODES}, not {pool_mode!r}")
    binary = find_pgbouncer()
    server = conninfo_to_dict(server_dsn)
    auth_user = str(server.get("user") or SUPERUSER)
    os_user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="pgcoord-pgbouncer-"))
    try:
        ids: dict[str, Any] = {}
        if os_user:
            shutil.chown(root, os_user)
            ids = {"user": os_user, "group": pwd.getpwnam(os_user).pw_gid, "extra_groups": []}
        for attempt in range(3):   # a free port can be taken before pgbouncer binds it
            pooler = Pooler(_free_port(), root, pool_mode, force_user, auth_user)
            (root / "pgbouncer.ini").write_text(_config(
                host=str(server.get("host") or "127.0.0.1"), server_port=str(server.get("port") or 5432),
                port=pooler.port, root=root, auth_user=auth_user, pool_mode=pool_mode, force_user=force_user,
                max_client_conn=max_client_conn, default_pool_size=default_pool_size,
                ignore_startup_parameters=ignore_startup_parameters, settings=settings or {}))
            (root / "userlist.txt").write_text(f'"{auth_user}" ""\n')
            # PgBouncer needs a descriptor per client and per server connection: more than
            # the usual soft limit (1024) for a benchmark's thousands of clients.
            nofile = _fd_limit(max_client_conn + 2 * default_pool_size + 64)
            with open(pooler.logfile, "wb") as log:   # in the foreground it logs to stderr
                proc = subprocess.Popen(["/bin/sh", "-c", f'ulimit -S -n {nofile} 2>/dev/null; exec "$0" "$@"',
                                         binary, str(root / "pgbouncer.ini")], **ids, cwd="/",
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_ready(proc, pooler, timeout)
            except BaseException as exc:
                _stop(proc)
                if attempt == 2 or not isinstance(exc, PoolerError) or "in use" not in _log_tail(pooler):
                    raise
                continue
            break
        try:
            yield pooler
        finally:
            _stop(proc)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _fd_limit(wanted: int) -> int:
    """A soft descriptor limit of at least ``wanted`` if the hard limit allows it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
