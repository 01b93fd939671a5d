"""`pgcoord hook serve`: the agent's warm hook server (warm.py says why and how it is reached).

One process per agent identity and settings: it holds one connection as the agent
(PGCOORD_DSN) and answers pre-tool-use requests on its Unix socket, one at a time, with
exactly what `pgcoord hook pre-tool-use` would print and exit with (protocol.respond).
It refuses peers of another user id and requests that carry another settings digest.

Lifetime: a lock file next to the socket makes it the only server for that socket (a
second one exits 0 at once); it exits after PGCOORD_HOOK_SERVE_IDLE seconds without a
request (default 900), on SIGTERM or SIGINT, and when the database cannot be reached
again after its connection broke (the request in hand is answered by a fresh
connection, which denies if the database is down). A broken connection (server
restart, a terminated backend) is replaced and the request decided again from the
database's state, so an answer is never made from a half-finished decision.
"""
from __future__ import annotations

import os
import select
import signal
import socket
import struct
import sys

from . import warm
from .config import Config
from .database import DbError, connect
from .errors import HookError
from .protocol import respond

REQUEST_TIMEOUT_S = 5.0          # a peer that does not finish sending its payload in time is dropped


def serve(env=None, dsn: str | None = None) -> int:
    """Run the server until idle, signalled, or the database is gone; 0 when it ran or
    another server already holds the socket, 1 when it cannot start."""
    env = dict(os.environ if env is None else env)
    dsn = dsn or env.get("PGCOORD_DSN", "").strip()
    if not dsn:
        sys.stderr.write("pgcoord hook serve: PGCOORD_DSN is not set (the agent's own login)\n")
        return 1
    env["PGCOORD_DSN"] = dsn
    try:
        config = Config.from_env(env)
        idle = _idle_seconds(env)
    except HookError as exc:
        sys.stderr.write(f"pgcoord hook serve: {exc.message}\n")
        return 1
    directory = warm.runtime_dir(env, create=True)
    if directory is None:
        sys.stderr.write("pgcoord hook serve: no private runtime directory (PGCOORD_HOOK_RUNTIME_DIR, "
                         "$XDG_RUNTIME_DIR/pgcoord or /tmp/pgcoord-<uid> must be the user's own, mode 0700)\n")
        return 1
    key = warm.settings_key(dsn, env)
    path = warm.socket_path(directory, key)
    if path is None:
        sys.stderr.write(f"pgcoord hook serve: the runtime directory {directory} is too long a path for a Unix "
                         "socket; set PGCOORD_HOOK_RUNTIME_DIR to a shorter one\n")
        return 1
    import fcntl
    lock = open(path + ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return 0                                       # another server has this socket
    try:
        db = connect(dsn, config.connect_timeout)
    except DbError as exc:
        sys.stderr.write(f"pgcoord hook serve: the database cannot be reached: {exc.message}\n")
        lock.close()
        return 1
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bound = None
    try:
        try:
            os.unlink(path)                            # a socket left by a server that died
        except FileNotFoundError:
            pass
        old_umask = os.umask(0o177)
        try:
            listener.bind(path)
        finally:
            os.umask(old_umask)
        bound = os.stat(path).st_ino
        listener.listen(64)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _stop)
        try:
            while True:
                ready, _, _ = select.select([listener], [], [], idle)
                if not ready:
                    break                              # idle: exit
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                with conn:
                    db = _answer(conn, key, env, dsn, db, config)
                if db is None:
                    break                              # the database is gone: exit, the hooks decide alone
        except _Stopped:
            pass                                       # a request in hand gets no answer: its hook decides alone
    finally:
        listener.close()
        try:
            if os.stat(path).st_ino == bound:
                os.unlink(path)                        # ours: no later server has replaced it
        except OSError:
            pass
        if db is not None:
            db.close()
        lock.close()
    return 0


class _Stopped(Exception):
    """SIGTERM or SIGINT: raised out of the wait (PEP 475 would otherwise resume it)."""


def _stop(*_) -> None:
    raise _Stopped()


def _idle_seconds(env) -> int:
    raw = env.get("PGCOORD_HOOK_SERVE_IDLE", "").strip()
    if not raw:
        return 900
    if not raw.isdigit() or not 1 <= int(raw) <= 86400:
        raise HookError("invalid_configuration", f"PGCOORD_HOOK_SERVE_IDLE={raw!r}: expected whole seconds, "
                                                 "1 to 86400")
    return int(raw)


def _peer_uid(conn: socket.socket) -> int | None:
    """The peer's user id (Linux SO_PEERCRED); None where the platform does not say."""
    opt = getattr(socket, "SO_PEERCRED", None)
    if opt is None:
        return None
    pid, uid, gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, opt, struct.calcsize("3i")))
    return uid


def _read_request(conn: socket.socket) -> bytes | None:
    conn.settimeout(REQUEST_TIMEOUT_S)
    chunks, size = [], 0
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > warm.MAX_PAYLOAD + 64:
                return None
            chunks.append(chunk)
    except OSError:
        return None


def _answer(conn: socket.socket, key: str, env, dsn: str, db, config: Config):
    """Answer one request; returns the connection to keep (None: the database is gone)."""
    uid = _peer_uid(conn)
    if uid is not None and uid != os.getuid():
        return db                                      # not this user's: say nothing
    request = _read_request(conn)
    if request is None:
        return db
    head, sep, raw = request.partition(b"\n")
    if not sep or head.decode("ascii", "replace") != key:
        return db                                      # another identity or other settings: the hook decides alone
    for _ in range(2):                                 # a connection that breaks: decide again on a fresh one
        if db is None or not db.ok():
            db = _reconnect(db, dsn, config)
        if db is None:
            out, err, code = respond(raw, env, dsn)    # its own connection: denies if the database is down
            break
        out, err, code = respond(raw, env, dsn, db)
        if db.ok():
            break
    try:
        conn.settimeout(REQUEST_TIMEOUT_S)
        conn.sendall(warm.encode_answer(out, err, code))
    except OSError:
        pass
    return db


def _reconnect(db, dsn: str, config: Config):
    if db is not None:
        db.close()
    try:
        return connect(dsn, config.connect_timeout)
    except DbError:
        return None
