"""The agent's database session behind the MCP server: one :class:`~pgcoord.AsyncClient`
on the agent's own login role, reopened after a dropped connection.

Identity is the connection: the DSN names the agent's login role, and every tool
runs as ``session_user`` of this one session (never a tool argument).

A dropped connection (server restart, ``pg_terminate_backend``, a network blip
while idle) is noticed before the next call: a connection that has something to
read while no call is running has either been closed by the server or got a
stray message, so it is probed (``coord.now()``) and, if dead, replaced. A drop
*during* a call is reported as SQLSTATE 08006 with the outcome unknown (a
mutation may or may not have committed); a read is simply run again on a new
connection. Blocking waits (``wait`` > 0) run on a connection of their own, so
that they never hold up the other tools.
"""
from __future__ import annotations

import asyncio
import contextlib
import select
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg

from ..async_client import AsyncClient
from ..results import Identity

T = TypeVar("T")


class ConnectionLost(Exception):
    """The session died while a call ran (SQLSTATE 08006): the call's outcome is unknown."""

    sqlstate = "08006"


class Unreachable(Exception):
    """No session could be opened (SQLSTATE 08001)."""

    sqlstate = "08001"


def _readable(conn: psycopg.AsyncConnection[Any]) -> bool:
    """Whether an idle connection has input waiting (a closing server's FATAL, its EOF,
    or a stray message); True when the socket cannot even be asked."""
    try:
        ready, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return True
    return bool(ready)


def _dead(conn: psycopg.AsyncConnection[Any]) -> bool:
    return conn.closed or conn.broken


class AgentConnection:
    """The one session of the agent this server speaks for (see the module docstring)."""

    def __init__(self, dsn: str, *, connect_timeout: float = 10.0):
        self.dsn = dsn
        self.connect_timeout = connect_timeout
        self._client: AsyncClient | None = None
        self._reopening = asyncio.Lock()
        self.reconnects = 0

    async def _open(self) -> AsyncClient:
        try:
            return await AsyncClient.connect(self.dsn, connect_timeout=int(self.connect_timeout))
        except psycopg.OperationalError as exc:
            raise Unreachable(str(exc).strip() or "the database did not answer") from exc

    async def start(self) -> Identity:
        """Open the session and return who it is (``coord.whoami()``)."""
        self._client = await self._open()
        return await self._client.whoami()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()

    async def _drop(self, client: AsyncClient) -> None:
        if self._client is client:
            self._client = None
        with contextlib.suppress(Exception):
            await client.close()

    async def client(self) -> AsyncClient:
        """The live client, reopened first if the session was found dead while idle."""
        client = self._client
        if client is not None and not _dead(client.conn) and not _readable(client.conn):
            return client
        async with self._reopening:
            client = self._client
            if client is not None:
                try:
                    if _dead(client.conn):
                        raise psycopg.OperationalError("the connection is closed")
                    await client.now()   # the probe: a stray message is consumed, a dead session raises
                    return client
                except psycopg.Error:
                    await self._drop(client)
            self._client = await self._open()
            self.reconnects += 1
            return self._client

    async def run(self, op: Callable[[AsyncClient], Awaitable[T]], *, read_only: bool) -> T:
        """``op(client)`` on the live session. If the session dies during the call, a
        read runs once more on a new session; a mutation raises :class:`ConnectionLost`
        (its outcome is unknown). Any other error is raised as it came."""
        client = await self.client()
        try:
            return await op(client)
        except psycopg.Error:
            if not _dead(client.conn):
                raise   # the session is fine: an error of the statement, for the caller to report
            await self._drop(client)
            if not read_only:
                raise ConnectionLost("the database connection dropped during the call") from None
        return await op(await self.client())

    async def waiting(self, op: Callable[[AsyncClient], Awaitable[T]]) -> T:
        """``op`` on a session of its own for a blocking wait (LISTEN), closed afterwards."""
        try:
            client = await AsyncClient.connect(self.dsn, connect_timeout=int(self.connect_timeout))
        except psycopg.OperationalError as exc:
            raise Unreachable(str(exc).strip() or "the database did not answer") from exc
        try:
            return await op(client)
        except psycopg.Error:
            if _dead(client.conn):
                raise ConnectionLost("the database connection dropped during the wait") from None
            raise
        finally:
            with contextlib.suppress(Exception):
                await client.close()
