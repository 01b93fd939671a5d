"""The hooks' database access: one connection as the agent, one JSON value per statement.

A hook is a process per tool call, so the connection must be cheap to make: libpq is
called directly through ctypes (LibpqConnection; importing psycopg alone takes ~140 ms),
found as the system's libpq, PGCOORD_LIBPQ, or the copy psycopg's binary wheel ships.
Where no libpq can be loaded, PsycopgConnection gives the same interface over psycopg
(it also wraps a psycopg connection a caller already has). Both run each statement in
autocommit and return its single JSON value parsed; a failure is a DbError carrying the
server's SQLSTATE, detail and hint. ``connect`` picks the driver.

The connection's login is the agent's identity (PGCOORD_DSN): nothing here takes a role
from anywhere else.
"""
from __future__ import annotations

import json
import os
import sys

from .errors import HookError


class DbError(Exception):
    """A statement or connection the database refused, with its SQLSTATE, detail and hint."""

    def __init__(self, message: str, sqlstate: str | None = None, detail: str | None = None,
                 hint: str | None = None):
        super().__init__(message)
        self.message, self.sqlstate, self.detail, self.hint = message, sqlstate, detail, hint

    def describe(self) -> str:
        """The error as a reason quotes it: SQLSTATE, message, detail, hint."""
        text = f"{self.sqlstate + ' ' if self.sqlstate else ''}{self.message}"
        if self.detail:
            text += f" ({self.detail})"
        if self.hint:
            text += f"; hint: {self.hint}"
        return text


# libpq's PQconnectdbParams keywords processed before the DSN (expand_dbname): the DSN
# may override any of them.
# A pooler (PgBouncer) refuses a startup packet carrying ``options``: the hook then
# connects again without them, and the agent's role must carry its statement_timeout
# (ALTER ROLE ... SET, README "Connection poolers").
def _connect_params(dsn: str, timeout: int, with_options: bool = True) -> list[tuple[str, str]]:
    options = [("options", "-c statement_timeout=15000 -c client_min_messages=warning")] if with_options else []
    return [("connect_timeout", str(timeout)), ("application_name", "pgcoord-hook"), ("client_encoding", "UTF8"),
            *options, ("dbname", dsn)]


def _refused_options(message: str) -> bool:
    # PgBouncer up to 1.19 refuses `options` whole; 1.20+ (and the poolers speaking its
    # dialect) parse it and refuse the settings in it
    return ("unsupported startup parameter: options" in message
            or "unsupported startup parameter in options" in message)


def _text(value: bytes | None) -> str | None:
    return value.decode("utf-8", "replace") if value else None


def _shared_identity(asked: str | None, session_user: str | None) -> str | None:
    """The refusal when the server's login role is not the user connected as: a pooler
    logging every client in as one user would make every agent that role (pgcoord.pooling)."""
    if asked and session_user and asked != session_user:
        return (f"connected as {asked!r} but the server's session is {session_user!r}: a pooler that logs every "
                "client in as one user makes every agent the same identity")
    return None


def _refuse_nul_characters(params: list[str | None]) -> None:
    """PostgreSQL text cannot hold NUL: a parameter with one (from the payload) is refused
    before it is sent, as a payload error rather than a database one."""
    for p in params:
        if p is not None and "\x00" in p:
            raise HookError("invalid_payload", "the payload contains a NUL character, which PostgreSQL text "
                                               "cannot hold")


class Libpq:
    """The few libpq functions the hook needs, through ctypes."""
    _lib = None

    @classmethod
    def load(cls):
        if cls._lib is not None:
            return cls._lib
        import ctypes
        names = [os.environ["PGCOORD_LIBPQ"]] if os.environ.get("PGCOORD_LIBPQ") else []
        names += {"darwin": ["libpq.5.dylib", "libpq.dylib"], "win32": ["libpq.dll"]}.get(sys.platform,
                                                                                        ["libpq.so.5"])
        lib = None
        for name in names + _bundled_libpq():
            try:
                lib = ctypes.CDLL(name)
                break
            except OSError:
                continue
        if lib is None:
            raise OSError("libpq not found")
        c = ctypes
        p, cp = c.c_void_p, c.c_char_p
        lib.PQconnectdbParams.restype = p
        lib.PQconnectdbParams.argtypes = [c.POINTER(cp), c.POINTER(cp), c.c_int]
        lib.PQstatus.argtypes = [p]
        lib.PQerrorMessage.restype = cp
        lib.PQerrorMessage.argtypes = [p]
        lib.PQfinish.argtypes = [p]
        lib.PQexecParams.restype = p
        lib.PQexecParams.argtypes = [p, cp, c.c_int, p, c.POINTER(cp), p, p, c.c_int]
        lib.PQresultStatus.argtypes = [p]
        lib.PQresultErrorField.restype = cp
        lib.PQresultErrorField.argtypes = [p, c.c_int]
        lib.PQntuples.argtypes = [p]
        lib.PQgetisnull.argtypes = [p, c.c_int, c.c_int]
        lib.PQgetvalue.restype = cp
        lib.PQgetvalue.argtypes = [p, c.c_int, c.c_int]
        lib.PQclear.argtypes = [p]
        lib.PQuser.restype = cp
        lib.PQuser.argtypes = [p]
        lib.PQparameterStatus.restype = cp
        lib.PQparameterStatus.argtypes = [p, cp]
        cls._lib = lib
        return lib


def _bundled_libpq() -> list[str]:
    """The libpq psycopg's binary wheel ships, if installed (found without importing it)."""
    import glob
    found: list[str] = []
    for entry in sys.path:
        found += sorted(glob.glob(os.path.join(entry, "psycopg_binary.libs", "libpq*")))
    return found


class LibpqConnection:
    """A libpq connection (autocommit: one statement, one transaction)."""

    def __init__(self, dsn: str, timeout: int = 5):
        import ctypes
        self._ctypes = ctypes
        self._lib = Libpq.load()
        try:
            self._open(_connect_params(dsn, timeout))
        except DbError as exc:
            if not _refused_options(exc.message):
                raise
            self._open(_connect_params(dsn, timeout, with_options=False))

    def _open(self, params: list[tuple[str, str]]) -> None:
        ctypes, lib = self._ctypes, self._lib
        keys = (ctypes.c_char_p * (len(params) + 1))(*[k.encode() for k, _ in params], None)
        values = (ctypes.c_char_p * (len(params) + 1))(*[v.encode() for _, v in params], None)
        self._conn = lib.PQconnectdbParams(keys, values, 1)
        if not self._conn or lib.PQstatus(self._conn) != 0:
            message = (lib.PQerrorMessage(self._conn) or b"out of memory").decode("utf-8", "replace").strip()
            self.close()
            raise DbError(message)
        problem = _shared_identity(_text(lib.PQuser(self._conn)),
                                   _text(lib.PQparameterStatus(self._conn, b"session_authorization")))
        if problem:
            self.close()
            raise DbError(problem)

    def query_json(self, statement: str, params: list[str | None] = ()) -> object:
        """The statement's single JSON value (first row, first column), parsed."""
        _refuse_nul_characters(list(params))
        lib, c = self._lib, self._ctypes
        values = (c.c_char_p * max(len(params), 1))(*[None if v is None else v.encode() for v in params])
        res = lib.PQexecParams(self._conn, statement.encode(), len(params), None, values, None, None, 0)
        if not res:
            raise DbError((lib.PQerrorMessage(self._conn) or b"no result").decode("utf-8", "replace").strip())
        try:
            if lib.PQresultStatus(res) != 2:            # PGRES_TUPLES_OK
                def field(code: str) -> str | None:
                    v = lib.PQresultErrorField(res, ord(code))
                    return v.decode("utf-8", "replace") if v else None
                raise DbError(field("M") or (lib.PQerrorMessage(self._conn) or b"").decode("utf-8", "replace").strip()
                              or "query failed", field("C"), field("D"), field("H"))
            if lib.PQntuples(res) < 1 or lib.PQgetisnull(res, 0, 0):
                return None
            return json.loads(lib.PQgetvalue(res, 0, 0).decode("utf-8"))
        finally:
            lib.PQclear(res)

    def ok(self) -> bool:
        """The connection is still usable (libpq's status after the last statement)."""
        return bool(getattr(self, "_conn", None)) and self._lib.PQstatus(self._conn) == 0

    def close(self) -> None:
        if getattr(self, "_conn", None):
            self._lib.PQfinish(self._conn)
            self._conn = None


class PsycopgConnection:
    """The same interface over a psycopg connection (the fallback, and for callers that have one)."""

    def __init__(self, conn, owned: bool = False):
        self.conn = conn
        self._owned = owned

    @classmethod
    def connect(cls, dsn: str, timeout: int = 5) -> PsycopgConnection:
        import psycopg

        def open_with(with_options: bool) -> psycopg.Connection:
            params = dict(_connect_params(dsn, timeout, with_options)[:-1])
            return psycopg.connect(dsn, autocommit=True, **params)
        try:
            try:
                conn = open_with(True)
            except psycopg.OperationalError as exc:
                if not _refused_options(str(exc)):
                    raise
                conn = open_with(False)
        except psycopg.Error as exc:
            raise DbError(str(exc).strip() or type(exc).__name__) from None
        problem = _shared_identity(conn.info.user, conn.info.parameter_status("session_authorization"))
        if problem:
            conn.close()
            raise DbError(problem)
        return cls(conn, owned=True)

    def query_json(self, statement: str, params: list[str | None] = ()) -> object:
        _refuse_nul_characters(list(params))
        pg = self.conn.pgconn
        res = pg.exec_params(statement.encode(), [None if v is None else v.encode() for v in params])
        if res.status != 2:                               # TUPLES_OK
            def field(code: str) -> str | None:
                v = res.error_field(ord(code))
                return v.decode("utf-8", "replace") if v else None
            raise DbError(field("M") or pg.error_message.decode("utf-8", "replace").strip() or "query failed",
                          field("C"), field("D"), field("H"))
        if res.ntuples < 1 or res.get_value(0, 0) is None:
            return None
        return json.loads(res.get_value(0, 0).decode("utf-8"))

    def ok(self) -> bool:
        """The connection is still usable."""
        return not self.conn.closed and self.conn.pgconn.status == 0

    def close(self) -> None:
        if self._owned:
            self.conn.close()


def connect(dsn: str, timeout: int = 5):
    """A connection as the agent whose login ``dsn`` names: libpq directly, else psycopg."""
    try:
        Libpq.load()
    except OSError:
        return PsycopgConnection.connect(dsn, timeout)
    return LibpqConnection(dsn, timeout)
