"""Connections through a connection pooler (pgbouncer and the like).

Two things go wrong behind a pooler, and both are checked once per connection the
clients open or are given:

* **Prepared statements.** psycopg prepares a statement the fifth time it runs it, on
  the server connection it happens to hold. A pooler in transaction mode hands the
  next transaction another server connection: the statement is missing there, or a
  different one of the same name exists (another client's). So when the connection
  is found to go through a pooler, or ``PGCOORD_TRANSACTION_POOLER=1`` says so,
  pgcoord turns psycopg's preparing off for it (``prepare_threshold = None``).
  Found: the server's own ``port`` setting is not the port the client dialled (a Unix
  socket's name carries its port too), which is what a pooler, a proxy or a port
  mapping look like, over TCP or sockets; a false alarm costs only the preparing. A
  pooler on the server's own port is not seen: set the variable.
* **Identity.** pgcoord's identity is the session's login role. A pooler configured
  with one user for everybody (pgbouncer's ``user=`` in ``[databases]``) makes every
  agent that role. The server's ``session_user`` must be the user the client asked
  for, or :class:`~pgcoord.errors.SharedPoolIdentity` is raised before any call.
"""
from __future__ import annotations

import os
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row

from . import errors

TRANSACTION_POOLER_ENV = "PGCOORD_TRANSACTION_POOLER"

PROBE = "SELECT session_user::text, pg_catalog.current_setting('port')::integer"


def declared_behind_pooler() -> bool:
    return os.environ.get(TRANSACTION_POOLER_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def judge(info: psycopg.ConnectionInfo, session_user: str, server_port: int) -> bool:
    """Whether the connection goes through a pooler; raises SharedPoolIdentity when the
    server's login role is not the user the client connected as."""
    asked = info.user
    if asked and session_user != asked:
        raise errors.SharedPoolIdentity(asked=asked, session_user=session_user)
    return server_port != info.port


def _restore_idle(conn: Any, status_before: TransactionStatus) -> None:
    # a passed connection outside autocommit must not be left in a transaction the probe began
    if status_before == TransactionStatus.IDLE and conn.info.transaction_status == TransactionStatus.INTRANS:
        conn.rollback()


def make_pooler_safe(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """Check ``conn``'s identity and turn preparing off when it goes through a pooler."""
    before = conn.info.transaction_status
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(PROBE, prepare=False)
        session_user, server_port = cur.fetchone() or (None, None)
    _restore_idle(conn, before)
    if judge(conn.info, session_user, server_port) or declared_behind_pooler():
        conn.prepare_threshold = None
    return conn


async def make_pooler_safe_async(conn: psycopg.AsyncConnection[Any]) -> psycopg.AsyncConnection[Any]:
    """:func:`make_pooler_safe` for an AsyncConnection."""
    before = conn.info.transaction_status
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(PROBE, prepare=False)
        session_user, server_port = await cur.fetchone() or (None, None)
    if before == TransactionStatus.IDLE and conn.info.transaction_status == TransactionStatus.INTRANS:
        await conn.rollback()
    if judge(conn.info, session_user, server_port) or declared_behind_pooler():
        conn.prepare_threshold = None
    return conn


def checked(connect: Callable[[], psycopg.Connection[Any]]) -> Callable[[], psycopg.Connection[Any]]:
    """``connect``, with every connection it opens made pooler-safe (closed if it cannot be)."""
    def open_checked() -> psycopg.Connection[Any]:
        conn = connect()
        try:
            return make_pooler_safe(conn)
        except BaseException:
            conn.close()
            raise
    return open_checked


def checked_async(connect: Callable[[], Awaitable[psycopg.AsyncConnection[Any]]]
                  ) -> Callable[[], Awaitable[psycopg.AsyncConnection[Any]]]:
    async def open_checked() -> psycopg.AsyncConnection[Any]:
        conn = await connect()
        try:
            return await make_pooler_safe_async(conn)
        except BaseException:
            await conn.close()
            raise
    return open_checked


class SeenConnections:
    """The connections of a pool already checked: a pool's connection is checked the
    first time a client borrows it (the pool may close and replace it at any time). A
    connection that fails the check is closed, so the pool discards it instead of
    lending it again unchecked."""

    def __init__(self) -> None:
        self._seen: weakref.WeakSet[Any] = weakref.WeakSet()

    def check(self, conn: psycopg.Connection[Any]) -> None:
        if conn in self._seen:
            return
        try:
            make_pooler_safe(conn)
        except BaseException:
            conn.close()
            raise
        self._seen.add(conn)

    async def check_async(self, conn: psycopg.AsyncConnection[Any]) -> None:
        if conn in self._seen:
            return
        try:
            await make_pooler_safe_async(conn)
        except BaseException:
            await conn.close()
            raise
        self._seen.add(conn)
