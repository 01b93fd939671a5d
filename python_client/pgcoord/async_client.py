"""The asyncio client: :class:`AsyncClient` is :class:`pgcoord.Client` on
``psycopg.AsyncConnection`` (or ``psycopg_pool.AsyncConnectionPool``), method for
method, with the same typed results, exceptions and ``raise_on_refusal``.

Held leases and claims (``async with client.lease(...)``, ``async with
client.claim(...)``) renew in an asyncio task on a connection of their own, for the
same reasons as the threads of the sync client; waiting uses LISTEN on the client's
connection (or one pooled connection for the duration of the wait).
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from time import monotonic
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from . import calls, errors, pooling
from .calls import APPROVALS_CHANNEL, LEASES_CHANNEL, TASKS_CHANNEL, Call, View, seconds
from .client import (
    CLAIM_GONE,
    DEFAULT_CLAIM_LEASE,
    DEFAULT_TTL,
    LEASE_GONE,
    POLL_INTERVAL,
    RENEW_FRACTION,
    _ends_one_of,
    _hold,
    _names_approval,
    _unhold,
    _until,
    _until_first_expiry,
    check_held,
    describe_error,
)
from .results import (
    Agent,
    AgentLiveness,
    Approval,
    ApprovalDecision,
    ApprovalState,
    AuditEvent,
    AuditPurge,
    AuditVerification,
    Cancellation,
    CedarEngine,
    CedarPoliciesSet,
    Claim,
    ClaimRenewal,
    Completion,
    DigestVerification,
    Enforcement,
    EnforcementMode,
    ForceRelease,
    GrantStatus,
    GuardrailCheck,
    GuardrailPatternSet,
    GuardrailSeverity,
    GuardrailTarget,
    Handoff,
    HandoffWritten,
    Heartbeat,
    Identity,
    LeaseGrant,
    LeaseRenewal,
    LiveLease,
    LockMode,
    Memory,
    NetworkAction,
    NetworkDecision,
    NetworkRuleSet,
    PathCase,
    PolicyEngine,
    Profile,
    ProfileDropped,
    ProfileSet,
    Reaped,
    Refusal,
    Remembered,
    ReportedStatus,
    Seconds,
    Session,
    SessionOpened,
    Skill,
    SkillOutcome,
    StaleThresholdSet,
    SubmittedTask,
    Task,
    TaskFailure,
    TaskStatus,
    Verdict,
    WorkingMemoryItem,
    WorkingMemorySet,
)

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

T = TypeVar("T")
AConn = psycopg.AsyncConnection[Any]


async def arun_sql(conn: AConn, query: Any, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """One statement as its own transaction (autocommit) or inside ``conn.transaction()``;
    rows as dicts; pgcoord's errors typed."""
    with errors.translated():
        if conn.autocommit:
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(query, params)
                return await cur.fetchall() if cur.description else []
        async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            return await cur.fetchall() if cur.description else []


async def arun_call(conn: AConn, call: Call[T]) -> T | Refusal:
    return call.result(await arun_sql(conn, call.query(), call.params()))


async def arun_calls(conn: AConn, calls_: Sequence[Call[T]]) -> list[T | Refusal]:
    """run_calls for asyncio: several calls in one transaction, sent in one pipeline."""
    with errors.translated():
        async with conn.transaction():
            async with conn.pipeline():
                cursors = [conn.cursor(row_factory=dict_row) for _ in calls_]
                for cur, call in zip(cursors, calls_, strict=True):
                    await cur.execute(call.query(), call.params())
            rows = [await cur.fetchall() if cur.description else [] for cur in cursors]
            for cur in cursors:
                await cur.close()
    return [call.result(r) for call, r in zip(calls_, rows, strict=True)]


async def _listen(conn: AConn, channel: str) -> None:
    await arun_sql(conn, sql.SQL("LISTEN {}").format(sql.Identifier(channel)))


async def _unlisten(conn: AConn, channel: str) -> None:
    with contextlib.suppress(psycopg.Error, errors.PgcoordError):
        await arun_sql(conn, sql.SQL("UNLISTEN {}").format(sql.Identifier(channel)))


async def _drain(conn: AConn) -> list[psycopg.Notify]:
    gen = conn.notifies(timeout=0)
    try:
        return [n async for n in gen]
    finally:
        await gen.aclose()


async def _next_batch(conn: AConn, timeout: float) -> list[psycopg.Notify]:
    """The notifications already received, else the first that arrive within ``timeout`` seconds."""
    pending = await _drain(conn)
    if pending:
        return pending
    gen = conn.notifies(timeout=max(0.0, timeout), stop_after=1)
    try:
        return [n async for n in gen]
    finally:
        await gen.aclose()


async def _await(conn: AConn, timeout: float, match: Callable[[psycopg.Notify], bool],
                 stop: asyncio.Event | None = None) -> bool:
    """Wait up to ``timeout`` seconds for a notification ``match`` accepts (True), or
    until ``stop`` is set or the time is up (False)."""
    end = monotonic() + max(0.0, timeout)
    while True:
        remaining = end - monotonic()
        if remaining <= 0 or (stop is not None and stop.is_set()):
            return False
        gen = conn.notifies(timeout=min(remaining, 0.2) if stop is not None else remaining)
        try:
            async for note in gen:
                if match(note):
                    return True
        finally:
            await gen.aclose()


class _OneConnection:
    """The client's single connection (opened on first use from a DSN); renewals open their own."""

    def __init__(self, conn: AConn | None, connect: Callable[[], Awaitable[AConn]], owned: bool,
                 check_first: bool = False):
        self.conn = conn
        self.connect = connect
        self.owned = owned
        self._unchecked = check_first
        self._opening = asyncio.Lock()

    async def open(self) -> AConn:
        if self.conn is None or self._unchecked:
            async with self._opening:
                if self.conn is None:
                    self.conn = await self.connect()
                elif self._unchecked:
                    await pooling.make_pooler_safe_async(self.conn)
                self._unchecked = False
        return self.conn

    @contextlib.asynccontextmanager
    async def borrow(self) -> AsyncIterator[AConn]:
        yield await self.open()

    @contextlib.asynccontextmanager
    async def dedicated(self) -> AsyncIterator[AConn]:
        conn = await self.connect()
        try:
            yield conn
        finally:
            await conn.close()

    async def close(self) -> None:
        if self.owned and self.conn is not None:
            await self.conn.close()


class _Pool:
    def __init__(self, pool: Any):
        self.pool = pool
        self.seen = pooling.SeenConnections()

    @contextlib.asynccontextmanager
    async def borrow(self) -> AsyncIterator[AConn]:
        async with self.pool.connection() as conn:
            await self.seen.check_async(conn)
            yield conn

    def dedicated(self) -> contextlib.AbstractAsyncContextManager[AConn]:
        return self.borrow()

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        pass


class _Held:
    def __init__(self, source: _OneConnection | _Pool):
        self.source = source
        self.cm: contextlib.AbstractAsyncContextManager[AConn] | None = None
        self.conn: AConn | None = None

    async def get(self) -> tuple[AConn, bool]:
        if self.conn is not None:
            return self.conn, False
        cm = self.source.dedicated()
        self.conn = await cm.__aenter__()
        self.cm = cm
        return self.conn, True

    async def drop(self, exc: BaseException | None = None) -> None:
        cm, self.cm, self.conn = self.cm, None, None
        if cm is not None:
            with contextlib.suppress(Exception):
                await cm.__aexit__(type(exc) if exc else None, exc, None)


def _reconnector(conn: AConn) -> Callable[[], Awaitable[AConn]]:
    dsn = conn.info.dsn
    extra: dict[str, Any] = {"password": conn.info.password} if conn.info.password else {}
    # the caller's choice about preparing (prepare_threshold=None behind a pooler) carries over
    extra["prepare_threshold"] = conn.prepare_threshold

    async def connect() -> AConn:
        return await psycopg.AsyncConnection.connect(dsn, autocommit=True, **extra)
    return connect


class AsyncClient:
    """A pgcoord session on asyncio: ``AsyncClient(dsn)``, ``AsyncClient(async_connection)``
    or ``AsyncClient(async_pool)``. A DSN is connected on first use (or by
    ``await client.open()``, ``async with client``, ``await AsyncClient.connect(dsn)``).
    Every method of :class:`pgcoord.Client` is here as a coroutine."""

    def __init__(self, source: str | AConn | AsyncConnectionPool, /, *,
                 connect: Callable[[], Awaitable[AConn]] | None = None, **connect_kwargs: Any):
        self._source: _OneConnection | _Pool
        if isinstance(source, str):
            dsn = source
            # rows as dicts on the client's own connection too (client.conn.execute), as before
            params: dict[str, Any] = {"autocommit": True, "row_factory": dict_row, **connect_kwargs}

            async def opener() -> AConn:
                return await psycopg.AsyncConnection.connect(dsn, **params)
            self._source = _OneConnection(None, pooling.checked_async(connect or opener), owned=True)
        elif isinstance(source, psycopg.AsyncConnection):
            # a passed connection is checked when first used (its client may not await here)
            self._source = _OneConnection(source, pooling.checked_async(connect or _reconnector(source)),
                                          owned=False, check_first=True)
        elif callable(getattr(source, "connection", None)):
            self._source = _Pool(source)
        else:
            raise TypeError("AsyncClient needs a DSN, a psycopg.AsyncConnection or an AsyncConnectionPool, "
                            f"not {type(source).__name__}")

    @classmethod
    async def connect(cls, dsn: str, **connect_kwargs: Any) -> AsyncClient:
        client = cls(dsn, **connect_kwargs)
        await client.open()
        return client

    @classmethod
    def from_pool(cls, pool: AsyncConnectionPool) -> AsyncClient:
        return cls(pool)

    async def open(self) -> None:
        """Connect now (a DSN client connects on first use otherwise)."""
        await self._source.open()

    @property
    def conn(self) -> AConn:
        if isinstance(self._source, _Pool):
            raise TypeError("a pooled client has no connection of its own: use pool.connection()")
        if self._source.conn is None:
            raise RuntimeError("not connected yet: await client.open()")
        return self._source.conn

    async def close(self) -> None:
        await self._source.close()

    async def __aenter__(self) -> AsyncClient:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the one place SQL is executed ------------------------------------------------------

    async def _execute(self, call: Call[T], *, check: bool = True) -> T | Refusal:
        if check:
            check_held(self)
        async with self._source.borrow() as conn:
            return await arun_call(conn, call)

    async def _mutate(self, call: Call[T], raise_on_refusal: bool, *, check: bool = True) -> T | Refusal:
        result = await self._execute(call, check=check)
        if isinstance(result, Refusal) and raise_on_refusal:
            raise errors.refused(result)
        return result

    async def _read(self, call: Call[T]) -> T:
        return await self._execute(call)  # type: ignore[return-value]

    async def _view(self, view: View[T]) -> T:
        check_held(self)
        async with self._source.borrow() as conn:
            return view.build(await arun_sql(conn, view.query, view.params))

    # -- the dict interface ---------------------------------------------------------------------

    async def rows(self, function: str, *args: Any) -> list[dict[str, Any]]:
        check_held(self)
        call = Call(function, args, lambda rows: rows, mutation=False)
        async with self._source.borrow() as conn:
            return await arun_sql(conn, call.query(), call.params())

    async def call(self, function: str, *args: Any, raise_on_refusal: bool = True) -> dict[str, Any]:
        result = await self.rows(function, *args)
        row = result[0] if result else {}
        if raise_on_refusal and row.get("ok") is False:
            raise errors.refused(Refusal.from_row(function, row))
        return row

    async def query(self, text: str, *args: Any) -> list[dict[str, Any]]:
        check_held(self)
        async with self._source.borrow() as conn:
            return await arun_sql(conn, text, args or None)

    # -- identity and sessions ------------------------------------------------------------------

    async def whoami(self) -> Identity:
        return await self._read(calls.whoami())

    async def get_my_profile(self) -> Profile | None:
        return await self._read(calls.get_my_profile())

    async def now(self) -> datetime:
        return await self._read(calls.now())

    @overload
    async def register_session(self, label: str = ..., client_info: dict[str, Any] | None = ..., *,
                               raise_on_refusal: Literal[True] = ...) -> SessionOpened: ...
    @overload
    async def register_session(self, label: str = ..., client_info: dict[str, Any] | None = ..., *,
                               raise_on_refusal: bool) -> SessionOpened | Refusal: ...
    async def register_session(self, label: str = "", client_info: dict[str, Any] | None = None, *,
                               raise_on_refusal: bool = True) -> SessionOpened | Refusal:
        return await self._mutate(calls.register_session(label, client_info), raise_on_refusal)

    @overload
    async def end_session(self, session_id: Any, *, raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def end_session(self, session_id: Any, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def end_session(self, session_id: Any, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return await self._mutate(calls.end_session(session_id), raise_on_refusal)

    async def my_sessions(self) -> list[Session]:
        return await self._view(calls.my_sessions())

    async def my_audit_events(self, limit: int | None = 100) -> list[AuditEvent]:
        return await self._view(calls.my_audit_events(limit))

    async def enforcement(self) -> Enforcement:
        return await self._view(calls.enforcement())

    async def profiles(self) -> list[Profile]:
        return await self._view(calls.profiles())

    # -- liveness -------------------------------------------------------------------------------

    @overload
    async def heartbeat(self, status: ReportedStatus = ..., capabilities: Sequence[str] | None = ..., *,
                  raise_on_refusal: Literal[True] = ...) -> Heartbeat: ...
    @overload
    async def heartbeat(self, status: ReportedStatus = ..., capabilities: Sequence[str] | None = ..., *,
                  raise_on_refusal: bool) -> Heartbeat | Refusal: ...
    async def heartbeat(self, status: ReportedStatus = "active", capabilities: Sequence[str] | None = None, *,
                  raise_on_refusal: bool = True) -> Heartbeat | Refusal:
        """Record that the calling agent is alive (``status``: active, idle or busy) and,
        if given, its capabilities (None keeps the ones recorded). An agent without one
        within ``stale_after`` shows as stale in discover_agents; its leases and claims
        stay live until their own expiry."""
        return await self._mutate(calls.heartbeat(status, capabilities), raise_on_refusal)

    async def discover_agents(self, capability: str | None = None, status: str | None = None) -> list[AgentLiveness]:
        """The registered agents with their liveness (live, stale, never), reported status,
        capabilities and live lease and claim counts; filtered by a capability and by a
        status (a reported status, or a liveness)."""
        return await self._read(calls.discover_agents(capability, status))

    async def lease_status(self) -> list[GrantStatus]:
        """The caller's leases and claims: live ones with their expiry and token, and those
        lost lately with why (expired, released, force_released, taken_over)."""
        return await self._read(calls.lease_status())

    @overload
    async def set_stale_threshold(self, threshold: Seconds, reason: str, *,
                            raise_on_refusal: Literal[True] = ...) -> StaleThresholdSet: ...
    @overload
    async def set_stale_threshold(self, threshold: Seconds, reason: str, *,
                            raise_on_refusal: bool) -> StaleThresholdSet | Refusal: ...
    async def set_stale_threshold(self, threshold: Seconds, reason: str, *,
                            raise_on_refusal: bool = True) -> StaleThresholdSet | Refusal:
        """coord_admin: after how long without a heartbeat an agent shows as stale."""
        return await self._mutate(calls.set_stale_threshold(threshold, reason), raise_on_refusal)

    # -- handoffs -------------------------------------------------------------------------------

    @overload
    async def write_handoff(self, summary: str, *, completed: Sequence[str] = ..., in_progress: Sequence[str] = ...,
                      decisions: Sequence[str] = ..., next_steps: Sequence[str] = ..., files: Sequence[str] = ...,
                      session_id: Any = ..., raise_on_refusal: Literal[True] = ...) -> HandoffWritten: ...
    @overload
    async def write_handoff(self, summary: str, *, completed: Sequence[str] = ..., in_progress: Sequence[str] = ...,
                      decisions: Sequence[str] = ..., next_steps: Sequence[str] = ..., files: Sequence[str] = ...,
                      session_id: Any = ..., raise_on_refusal: bool) -> HandoffWritten | Refusal: ...
    async def write_handoff(self, summary: str, *, completed: Sequence[str] = (), in_progress: Sequence[str] = (),
                      decisions: Sequence[str] = (), next_steps: Sequence[str] = (), files: Sequence[str] = (),
                      session_id: Any = None, raise_on_refusal: bool = True) -> HandoffWritten | Refusal:
        """Leave a handoff for whoever continues this agent's work: a summary (required),
        what was completed, what is in progress, decisions taken, next steps and the files
        concerned (bounded: docs in the README, "Handoffs")."""
        return await self._mutate(calls.write_handoff(summary, completed, in_progress, decisions, next_steps, files,
                                                session_id), raise_on_refusal)

    async def read_handoffs(self, agent: str | None = None, limit: int = 10) -> list[Handoff]:
        """The fleet's handoffs (one agent's, if given), newest first, at most ``limit`` (1..100)."""
        return await self._read(calls.read_handoffs(agent, limit))

    # -- memory ---------------------------------------------------------------------------------

    @overload
    async def remember(self, event_type: str, summary: str, *, details: dict[str, Any] | None = ...,
                 outcome: str | None = ..., lessons: Sequence[str] = ..., tags: Sequence[str] = ...,
                 raise_on_refusal: Literal[True] = ...) -> Remembered: ...
    @overload
    async def remember(self, event_type: str, summary: str, *, details: dict[str, Any] | None = ...,
                 outcome: str | None = ..., lessons: Sequence[str] = ..., tags: Sequence[str] = ...,
                 raise_on_refusal: bool) -> Remembered | Refusal: ...
    async def remember(self, event_type: str, summary: str, *, details: dict[str, Any] | None = None,
                 outcome: str | None = None, lessons: Sequence[str] = (), tags: Sequence[str] = (),
                 raise_on_refusal: bool = True) -> Remembered | Refusal:
        """Record an episode for the fleet (deduplicated within a window: README, "Memory")."""
        return await self._mutate(calls.remember(event_type, summary, details, outcome, lessons, tags),
                                raise_on_refusal)

    async def recall(self, tags: Sequence[str] | None = None, event_type: str | None = None, text: str | None = None,
               limit: int = 10) -> list[Memory]:
        """Episodic memories ranked by full-text relevance to ``text`` and by recency,
        filtered by tags and event type."""
        return await self._read(calls.recall(tags, event_type, text, limit))

    @overload
    async def set_working_memory(self, session_id: Any, key: str, value: Any, *,
                           raise_on_refusal: Literal[True] = ...) -> WorkingMemorySet: ...
    @overload
    async def set_working_memory(self, session_id: Any, key: str, value: Any, *,
                           raise_on_refusal: bool) -> WorkingMemorySet | Refusal: ...
    async def set_working_memory(self, session_id: Any, key: str, value: Any, *,
                           raise_on_refusal: bool = True) -> WorkingMemorySet | Refusal:
        """Keep ``value`` (JSON) under ``key`` in one of the caller's open sessions (private to it)."""
        return await self._mutate(calls.set_working_memory(session_id, key, value), raise_on_refusal)

    async def get_working_memory(self, session_id: Any) -> list[WorkingMemoryItem]:
        """The working memory of one of the caller's sessions."""
        return await self._read(calls.get_working_memory(session_id))

    @overload
    async def record_skill_outcome(self, skill: str, succeeded: bool, notes: str | None = ..., *,
                             raise_on_refusal: Literal[True] = ...) -> SkillOutcome: ...
    @overload
    async def record_skill_outcome(self, skill: str, succeeded: bool, notes: str | None = ..., *,
                             raise_on_refusal: bool) -> SkillOutcome | Refusal: ...
    async def record_skill_outcome(self, skill: str, succeeded: bool, notes: str | None = None, *,
                             raise_on_refusal: bool = True) -> SkillOutcome | Refusal:
        """Count one attempt at a skill (and its success) for the fleet."""
        return await self._mutate(calls.record_skill_outcome(skill, succeeded, notes), raise_on_refusal)

    async def skills(self, prefix: str | None = None) -> list[Skill]:
        """The fleet's skills with their attempts, successes and rate (and the caller's own)."""
        return await self._read(calls.skills(prefix))

    # -- leases ---------------------------------------------------------------------------------

    @overload
    async def acquire_lock(self, path: str, ttl: Seconds, mode: LockMode = ..., reason: str = ..., *,
                           raise_on_refusal: Literal[True] = ...) -> LeaseGrant: ...
    @overload
    async def acquire_lock(self, path: str, ttl: Seconds, mode: LockMode = ..., reason: str = ..., *,
                           raise_on_refusal: bool) -> LeaseGrant | Refusal: ...
    async def acquire_lock(self, path: str, ttl: Seconds, mode: LockMode = "exclusive", reason: str = "", *,
                           raise_on_refusal: bool = True) -> LeaseGrant | Refusal:
        return await self._mutate(calls.acquire_lock(path, ttl, mode, reason), raise_on_refusal)

    @overload
    async def acquire_locks(self, paths: Sequence[str], ttl: Seconds, mode: LockMode = ..., reason: str = ..., *,
                            raise_on_refusal: Literal[True] = ...) -> list[LeaseGrant]: ...
    @overload
    async def acquire_locks(self, paths: Sequence[str], ttl: Seconds, mode: LockMode = ..., reason: str = ..., *,
                            raise_on_refusal: bool) -> list[LeaseGrant] | Refusal: ...
    async def acquire_locks(self, paths: Sequence[str], ttl: Seconds, mode: LockMode = "exclusive",
                            reason: str = "", *, raise_on_refusal: bool = True) -> list[LeaseGrant] | Refusal:
        """:meth:`pgcoord.Client.acquire_locks`."""
        return await self._mutate(calls.acquire_locks(paths, ttl, mode, reason), raise_on_refusal)

    @overload
    async def renew_lock(self, path: str, ttl: Seconds, *, raise_on_refusal: Literal[True] = ...) -> LeaseRenewal: ...
    @overload
    async def renew_lock(self, path: str, ttl: Seconds, *, raise_on_refusal: bool) -> LeaseRenewal | Refusal: ...
    async def renew_lock(self, path: str, ttl: Seconds, *, raise_on_refusal: bool = True) -> LeaseRenewal | Refusal:
        return await self._mutate(calls.renew_lock(path, ttl), raise_on_refusal)

    @overload
    async def release_lock(self, path: str, *, raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def release_lock(self, path: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def release_lock(self, path: str, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return await self._mutate(calls.release_lock(path), raise_on_refusal)

    @overload
    async def force_release_lock(self, path: str, reason: str, *,
                                 raise_on_refusal: Literal[True] = ...) -> ForceRelease: ...
    @overload
    async def force_release_lock(self, path: str, reason: str, *,
                                 raise_on_refusal: bool) -> ForceRelease | Refusal: ...
    async def force_release_lock(self, path: str, reason: str, *,
                                 raise_on_refusal: bool = True) -> ForceRelease | Refusal:
        return await self._mutate(calls.force_release_lock(path, reason), raise_on_refusal)

    async def check_locks(self, paths: Sequence[str]) -> list[LiveLease]:
        return await self._read(calls.check_locks(paths))

    async def check_fence(self, path: str, token: int) -> bool:
        return await self._read(calls.check_fence(path, token))

    async def live_locks(self, holder: str | None = None) -> list[LiveLease]:
        return await self._view(calls.live_locks(holder))

    def lease(self, path: str, ttl: Seconds = DEFAULT_TTL, *, mode: LockMode = "exclusive", reason: str = "",
              wait: float = 0.0, renew_fraction: float = RENEW_FRACTION) -> AsyncLease:
        """``async with client.lease(path, ttl) as lease:`` — see :meth:`pgcoord.Client.lease`."""
        return AsyncLease(self, path, ttl, mode=mode, reason=reason, wait=wait, renew_fraction=renew_fraction)

    @overload
    async def wait_for_lease(self, path: str, timeout: float, *, ttl: Seconds = ..., mode: LockMode = ...,
                             reason: str = ..., raise_on_refusal: Literal[True] = ...) -> LeaseGrant: ...
    @overload
    async def wait_for_lease(self, path: str, timeout: float, *, ttl: Seconds = ..., mode: LockMode = ...,
                             reason: str = ..., raise_on_refusal: bool) -> LeaseGrant | Refusal: ...
    async def wait_for_lease(self, path: str, timeout: float, *, ttl: Seconds = DEFAULT_TTL,
                             mode: LockMode = "exclusive", reason: str = "",
                             raise_on_refusal: bool = True) -> LeaseGrant | Refusal:
        """See :meth:`pgcoord.Client.wait_for_lease`."""
        check_held(self)
        call = calls.acquire_lock(path, ttl, mode, reason)
        deadline = monotonic() + timeout
        async with self._source.borrow() as conn:
            await _listen(conn, LEASES_CHANNEL)
            try:
                while True:
                    await _drain(conn)
                    result = await arun_call(conn, call)
                    remaining = deadline - monotonic()
                    if not isinstance(result, Refusal) or result.reason != "lock_held_by_other" or remaining <= 0:
                        break
                    blocking = {h.path for h in result.holders}
                    until = _until_first_expiry(result, await arun_call(conn, calls.now()))  # type: ignore[arg-type]
                    await _await(conn, min(remaining, until),
                                 _ends_one_of(blocking))
            finally:
                await _unlisten(conn, LEASES_CHANNEL)
        if isinstance(result, Refusal) and raise_on_refusal:
            raise errors.refused(result)
        return result

    # -- tasks ----------------------------------------------------------------------------------

    @overload
    async def submit_task(self, task_type: str, description: str = ..., input: dict[str, Any] | None = ...,
                          priority: int = ..., depends_on: Sequence[int] = ..., idempotency_key: str | None = ...,
                          max_attempts: int = ..., *, touches: Sequence[str] = ...,
                    raise_on_refusal: Literal[True] = ...) -> SubmittedTask: ...
    @overload
    async def submit_task(self, task_type: str, description: str = ..., input: dict[str, Any] | None = ...,
                          priority: int = ..., depends_on: Sequence[int] = ..., idempotency_key: str | None = ...,
                          max_attempts: int = ..., *, touches: Sequence[str] = ...,
                    raise_on_refusal: bool) -> SubmittedTask | Refusal: ...
    async def submit_task(self, task_type: str, description: str = "", input: dict[str, Any] | None = None,
                          priority: int = 0, depends_on: Sequence[int] = (), idempotency_key: str | None = None,
                          max_attempts: int = 3, *, touches: Sequence[str] = (),
                    raise_on_refusal: bool = True) -> SubmittedTask | Refusal:
        return await self._mutate(calls.submit_task(task_type, description, input, priority, depends_on,
                                                    idempotency_key, max_attempts, touches), raise_on_refusal)

    @overload
    async def claim_task(self, types: Sequence[str] | None = ..., lease: Seconds = ..., *,
                         lease_touches: bool = False, raise_on_refusal: Literal[True] = ...) -> Claim: ...
    @overload
    async def claim_task(self, types: Sequence[str] | None = ..., lease: Seconds = ..., *,
                         lease_touches: bool = False, raise_on_refusal: bool) -> Claim | Refusal: ...
    async def claim_task(self, types: Sequence[str] | None = None, lease: Seconds = DEFAULT_CLAIM_LEASE, *,
                         lease_touches: bool = False, raise_on_refusal: bool = True) -> Claim | Refusal:
        return await self._mutate(calls.claim_task(types, lease, lease_touches), raise_on_refusal)

    async def claim_tasks(self, limit: int, types: Sequence[str] | None = None,
                          lease: Seconds = DEFAULT_CLAIM_LEASE, *, lease_touches: bool = False) -> list[Claim]:
        return await self._read(calls.claim_tasks(limit, types, lease, lease_touches))

    @overload
    async def renew_claim(self, task_id: int, claim_token: int, lease: Seconds = ..., *,
                          raise_on_refusal: Literal[True] = ...) -> ClaimRenewal: ...
    @overload
    async def renew_claim(self, task_id: int, claim_token: int, lease: Seconds = ..., *,
                          raise_on_refusal: bool) -> ClaimRenewal | Refusal: ...
    async def renew_claim(self, task_id: int, claim_token: int, lease: Seconds = DEFAULT_CLAIM_LEASE, *,
                          raise_on_refusal: bool = True) -> ClaimRenewal | Refusal:
        return await self._mutate(calls.renew_claim(task_id, claim_token, lease), raise_on_refusal)

    @overload
    async def complete_task(self, task_id: int, claim_token: int, result: dict[str, Any] | None = ..., *,
                            raise_on_refusal: Literal[True] = ...) -> Completion: ...
    @overload
    async def complete_task(self, task_id: int, claim_token: int, result: dict[str, Any] | None = ..., *,
                            raise_on_refusal: bool) -> Completion | Refusal: ...
    async def complete_task(self, task_id: int, claim_token: int, result: dict[str, Any] | None = None, *,
                            raise_on_refusal: bool = True) -> Completion | Refusal:
        return await self._mutate(calls.complete_task(task_id, claim_token, result), raise_on_refusal)

    async def complete_tasks(self, completions: Iterable[tuple[int, int] | tuple[int, int, dict[str, Any] | None]],
                             ) -> list[Completion | Refusal]:
        """Client.complete_tasks for asyncio: several completions in one transaction and
        one round trip; a refusal in its place, an error rolls all back."""
        batch = [calls.complete_task(c[0], c[1], c[2] if len(c) > 2 else None) for c in completions]  # type: ignore[misc]
        if not batch:
            return []
        check_held(self)
        async with self._source.borrow() as conn:
            return await arun_calls(conn, batch)

    @overload
    async def fail_task(self, task_id: int, claim_token: int, error: str, retryable: bool = ..., *,
                        raise_on_refusal: Literal[True] = ...) -> TaskFailure: ...
    @overload
    async def fail_task(self, task_id: int, claim_token: int, error: str, retryable: bool = ..., *,
                        raise_on_refusal: bool) -> TaskFailure | Refusal: ...
    async def fail_task(self, task_id: int, claim_token: int, error: str, retryable: bool = False, *,
                        raise_on_refusal: bool = True) -> TaskFailure | Refusal:
        return await self._mutate(calls.fail_task(task_id, claim_token, error, retryable), raise_on_refusal)

    @overload
    async def cancel_task(self, task_id: int, reason: str, *,
                          raise_on_refusal: Literal[True] = ...) -> Cancellation: ...
    @overload
    async def cancel_task(self, task_id: int, reason: str, *, raise_on_refusal: bool) -> Cancellation | Refusal: ...
    async def cancel_task(self, task_id: int, reason: str, *, raise_on_refusal: bool = True) -> Cancellation | Refusal:
        return await self._mutate(calls.cancel_task(task_id, reason), raise_on_refusal)

    async def get_task(self, task_id: int) -> Task:
        return await self._read(calls.get_task(task_id))

    async def list_tasks(self, *, status: Sequence[TaskStatus] | None = None, types: Sequence[str] | None = None,
                         limit: int | None = 100) -> list[Task]:
        return await self._view(calls.list_tasks(status, types, limit))

    def claim(self, types: Sequence[str] | None = None, *, lease: Seconds = DEFAULT_CLAIM_LEASE, wait: float = 0.0,
              renew_fraction: float = RENEW_FRACTION,
              poll_interval: float = POLL_INTERVAL) -> AsyncActiveClaim:
        """``async with client.claim(types) as task:`` — see :meth:`pgcoord.Client.claim`."""
        return AsyncActiveClaim(self, None, types=types, lease=lease, wait=wait, renew_fraction=renew_fraction,
                                poll_interval=poll_interval)

    @overload
    async def wait_for_task(self, types: Sequence[str] | None, timeout: float, *, lease: Seconds = ...,
                            poll_interval: float = ..., lease_touches: bool = ...,
                      raise_on_refusal: Literal[True] = ...) -> Claim: ...
    @overload
    async def wait_for_task(self, types: Sequence[str] | None, timeout: float, *, lease: Seconds = ...,
                            poll_interval: float = ..., lease_touches: bool = ...,
                      raise_on_refusal: bool) -> Claim | Refusal: ...
    async def wait_for_task(self, types: Sequence[str] | None, timeout: float, *,
                            lease: Seconds = DEFAULT_CLAIM_LEASE, poll_interval: float = POLL_INTERVAL,
                            lease_touches: bool = False, raise_on_refusal: bool = True) -> Claim | Refusal:
        """See :meth:`pgcoord.Client.wait_for_task`."""
        check_held(self)
        async with self._source.borrow() as conn:
            await _listen(conn, TASKS_CHANNEL)
            try:
                result = await self._claim_waiting(conn, types, lease, monotonic() + timeout, None, poll_interval,
                                            lease_touches)
            finally:
                await _unlisten(conn, TASKS_CHANNEL)
        assert result is not None
        if isinstance(result, Refusal) and raise_on_refusal:
            raise errors.refused(result)
        return result

    async def tasks(self, types: Sequence[str] | None = None, *, lease: Seconds = DEFAULT_CLAIM_LEASE,
                    timeout: float | None = None, stop: asyncio.Event | None = None,
                    poll_interval: float = POLL_INTERVAL, limit: int | None = None) -> AsyncIterator[AsyncActiveClaim]:
        """``async for task in client.tasks(["build"]): async with task: ...`` — see
        :meth:`pgcoord.Client.tasks`."""
        check_held(self)
        claimed = 0
        async with self._source.borrow() as conn:
            await _listen(conn, TASKS_CHANNEL)
            try:
                while limit is None or claimed < limit:
                    deadline = float("inf") if timeout is None else monotonic() + timeout
                    result = await self._claim_waiting(conn, types, lease, deadline, stop, poll_interval)
                    if result is None or (isinstance(result, Refusal) and result.reason == "task_not_claimable"):
                        return
                    if isinstance(result, Refusal):
                        raise errors.refused(result)
                    claimed += 1
                    yield AsyncActiveClaim(self, result, types=types, lease=lease)
            finally:
                await _unlisten(conn, TASKS_CHANNEL)

    async def _claim_waiting(self, conn: AConn, types: Sequence[str] | None, lease: Seconds, deadline: float,
                             stop: asyncio.Event | None, poll_interval: float,
                             lease_touches: bool = False) -> Claim | Refusal | None:
        call = calls.claim_task(types, lease, lease_touches)
        wanted = None if types is None else set(calls._types(types) or ())
        while True:
            if stop is not None and stop.is_set():
                return None
            check_held(self)
            await _drain(conn)
            result = await arun_call(conn, call)
            remaining = deadline - monotonic()
            if not isinstance(result, Refusal) or result.reason != "task_not_claimable" or remaining <= 0:
                return result
            await _await(conn, min(remaining, poll_interval),
                         lambda n: n.channel == TASKS_CHANNEL and (wanted is None or n.payload in wanted), stop)

    @overload
    async def reap_expired(self, *, raise_on_refusal: Literal[True] = ...) -> Reaped: ...
    @overload
    async def reap_expired(self, *, raise_on_refusal: bool) -> Reaped | Refusal: ...
    async def reap_expired(self, *, raise_on_refusal: bool = True) -> Reaped | Refusal:
        return await self._mutate(calls.reap_expired(), raise_on_refusal)

    # -- checks ---------------------------------------------------------------------------------

    @overload
    async def check_guardrails(self, text: str, paths: Sequence[str] = ..., *, workspace: str | None = ...,
                               cwd: str | None = ..., raise_on_refusal: Literal[True] = ...) -> GuardrailCheck: ...
    @overload
    async def check_guardrails(self, text: str, paths: Sequence[str] = ..., *, workspace: str | None = ...,
                               cwd: str | None = ..., raise_on_refusal: bool) -> GuardrailCheck | Refusal: ...
    async def check_guardrails(self, text: str, paths: Sequence[str] = (), *, workspace: str | None = None,
                               cwd: str | None = None, raise_on_refusal: bool = True) -> GuardrailCheck | Refusal:
        """Scan a command or text (and paths); a blocking match raises GuardrailBlocked.
        ``workspace`` and ``cwd``: as :meth:`pgcoord.Client.check_guardrails`."""
        return await self._mutate(calls.check_guardrails(text, paths, workspace, cwd), raise_on_refusal)

    @overload
    async def check_network_access(self, target: str, *,
                                   raise_on_refusal: Literal[True] = ...) -> NetworkDecision: ...
    @overload
    async def check_network_access(self, target: str, *, raise_on_refusal: bool) -> NetworkDecision | Refusal: ...
    async def check_network_access(self, target: str, *,
                                   raise_on_refusal: bool = True) -> NetworkDecision | Refusal:
        return await self._mutate(calls.check_network_access(target), raise_on_refusal)

    # -- approvals (INV-APPROVAL) ------------------------------------------------------------------

    async def approval_status(self, approval_id: int) -> Approval | None:
        """See :meth:`pgcoord.Client.approval_status`."""
        return await self._read(calls.approval_status(approval_id))

    async def approvals(self, state: ApprovalState | None = None) -> list[Approval]:
        """See :meth:`pgcoord.Client.approvals`."""
        return await self._view(calls.approvals(state))

    @overload
    async def approve(self, approval_id: int, note: str | None = ..., *,
                      raise_on_refusal: Literal[True] = ...) -> ApprovalDecision: ...
    @overload
    async def approve(self, approval_id: int, note: str | None = ..., *,
                      raise_on_refusal: bool) -> ApprovalDecision | Refusal: ...
    async def approve(self, approval_id: int, note: str | None = None, *,
                      raise_on_refusal: bool = True) -> ApprovalDecision | Refusal:
        """See :meth:`pgcoord.Client.approve`."""
        return await self._mutate(calls.approve(approval_id, note), raise_on_refusal)

    @overload
    async def reject(self, approval_id: int, note: str | None = ..., *,
                     raise_on_refusal: Literal[True] = ...) -> ApprovalDecision: ...
    @overload
    async def reject(self, approval_id: int, note: str | None = ..., *,
                     raise_on_refusal: bool) -> ApprovalDecision | Refusal: ...
    async def reject(self, approval_id: int, note: str | None = None, *,
                     raise_on_refusal: bool = True) -> ApprovalDecision | Refusal:
        """See :meth:`pgcoord.Client.reject`."""
        return await self._mutate(calls.reject(approval_id, note), raise_on_refusal)

    async def wait_for_approval(self, approval_id: int, timeout: float) -> Approval | None:
        """See :meth:`pgcoord.Client.wait_for_approval`."""
        check_held(self)
        deadline = monotonic() + timeout
        wanted = str(approval_id)
        async with self._source.borrow() as conn:
            await _listen(conn, APPROVALS_CHANNEL)
            try:
                while True:
                    await _drain(conn)
                    status: Approval | None = await arun_call(conn, calls.approval_status(approval_id))  # type: ignore[assignment]
                    remaining = deadline - monotonic()
                    if status is None or status.state != "pending" or remaining <= 0:
                        return status
                    until = _until(status.expires_at, await arun_call(conn, calls.now()))  # type: ignore[arg-type]
                    await _await(conn, min(remaining, until), _names_approval(wanted))
            finally:
                await _unlisten(conn, APPROVALS_CHANNEL)

    @overload
    async def set_profile_approvals(self, profile: str, operations: Sequence[str], approve_elevation: bool = ..., *,
                              raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def set_profile_approvals(self, profile: str, operations: Sequence[str], approve_elevation: bool = ..., *,
                              raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def set_profile_approvals(self, profile: str, operations: Sequence[str], approve_elevation: bool = False, *,
                              raise_on_refusal: bool = True) -> Verdict | Refusal:
        """See :meth:`pgcoord.Client.set_profile_approvals`."""
        return await self._mutate(calls.set_profile_approvals(profile, operations, approve_elevation), raise_on_refusal)

    @overload
    async def set_approval_settings(self, request_ttl: Seconds | None = ..., grant_ttl: Seconds | None = ..., *,
                              raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def set_approval_settings(self, request_ttl: Seconds | None = ..., grant_ttl: Seconds | None = ..., *,
                              raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def set_approval_settings(self, request_ttl: Seconds | None = None, grant_ttl: Seconds | None = None, *,
                              raise_on_refusal: bool = True) -> Verdict | Refusal:
        """See :meth:`pgcoord.Client.set_approval_settings`."""
        return await self._mutate(calls.set_approval_settings(request_ttl, grant_ttl), raise_on_refusal)

    # -- audit ----------------------------------------------------------------------------------

    async def verify_audit(self) -> AuditVerification:
        return await self._read(calls.verify_audit())

    async def audit_digest(self) -> dict[str, Any]:
        return await self._read(calls.audit_digest())

    async def verify_audit_digest(self, digest: dict[str, Any] | str) -> DigestVerification:
        if isinstance(digest, str):
            import json
            digest = json.loads(digest)
        return await self._read(calls.verify_audit_digest(digest))  # type: ignore[arg-type]

    @overload
    async def purge_audit(self, before: datetime, reason: str, *,
                          raise_on_refusal: Literal[True] = ...) -> AuditPurge: ...
    @overload
    async def purge_audit(self, before: datetime, reason: str, *, raise_on_refusal: bool) -> AuditPurge | Refusal: ...
    async def purge_audit(self, before: datetime, reason: str, *,
                          raise_on_refusal: bool = True) -> AuditPurge | Refusal:
        return await self._mutate(calls.purge_audit(before, reason), raise_on_refusal)

    # -- administration (coord_admin) -------------------------------------------------------------

    async def agents(self) -> list[Agent]:
        return await self._view(calls.agents())

    @overload
    async def register_agent(self, role: str, profile: str, *, raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def register_agent(self, role: str, profile: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def register_agent(self, role: str, profile: str, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return await self._mutate(calls.register_agent(role, profile), raise_on_refusal)

    @overload
    async def set_agent_profile(self, role: str, profile: str, *,
                                raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def set_agent_profile(self, role: str, profile: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def set_agent_profile(self, role: str, profile: str, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return await self._mutate(calls.set_agent_profile(role, profile), raise_on_refusal)

    @overload
    async def set_agent_status(self, role: str, status: Literal["active", "suspended"], *,
                               raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def set_agent_status(self, role: str, status: Literal["active", "suspended"], *,
                               raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def set_agent_status(self, role: str, status: Literal["active", "suspended"], *,
                               raise_on_refusal: bool = True) -> Verdict | Refusal:
        return await self._mutate(calls.set_agent_status(role, status), raise_on_refusal)

    @overload
    async def set_enforcement_mode(self, mode: EnforcementMode, reason: str, *,
                                   raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def set_enforcement_mode(self, mode: EnforcementMode, reason: str, *,
                                   raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def set_enforcement_mode(self, mode: EnforcementMode, reason: str, *,
                                   raise_on_refusal: bool = True) -> Verdict | Refusal:
        return await self._mutate(calls.set_enforcement_mode(mode, reason), raise_on_refusal)

    @overload
    async def set_policy_engine(self, engine: PolicyEngine, reason: str, *,
                                raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def set_policy_engine(self, engine: PolicyEngine, reason: str, *,
                                raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def set_policy_engine(self, engine: PolicyEngine, reason: str, *,
                                raise_on_refusal: bool = True) -> Verdict | Refusal:
        return await self._mutate(calls.set_policy_engine(engine, reason), raise_on_refusal)

    @overload
    async def set_path_case(self, case: PathCase, reason: str, *,
                            raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def set_path_case(self, case: PathCase, reason: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def set_path_case(self, case: PathCase, reason: str, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return await self._mutate(calls.set_path_case(case, reason), raise_on_refusal)

    @overload
    async def set_profile(self, name: str, trust_level: int, description: str = ...,
                          allowed_operations: Sequence[str] | None = ..., blocked_operations: Sequence[str] = ...,
                          max_locks: int = ..., max_claimed_tasks: int = ..., max_lease_seconds: int = ...,
                          max_file_modifications: int = ..., *,
                          raise_on_refusal: Literal[True] = ...) -> ProfileSet: ...
    @overload
    async def set_profile(self, name: str, trust_level: int, description: str = ...,
                          allowed_operations: Sequence[str] | None = ..., blocked_operations: Sequence[str] = ...,
                          max_locks: int = ..., max_claimed_tasks: int = ..., max_lease_seconds: int = ...,
                          max_file_modifications: int = ..., *, raise_on_refusal: bool) -> ProfileSet | Refusal: ...
    async def set_profile(self, name: str, trust_level: int, description: str = "",
                          allowed_operations: Sequence[str] | None = None, blocked_operations: Sequence[str] = (),
                          max_locks: int = 50, max_claimed_tasks: int = 5, max_lease_seconds: int = 3600,
                          max_file_modifications: int = 100, *,
                          raise_on_refusal: bool = True) -> ProfileSet | Refusal:
        return await self._mutate(calls.set_profile(name, trust_level, description, allowed_operations,
                                                    blocked_operations, max_locks, max_claimed_tasks,
                                                    max_lease_seconds, max_file_modifications), raise_on_refusal)

    @overload
    async def drop_profile(self, name: str, reason: str, *,
                           raise_on_refusal: Literal[True] = ...) -> ProfileDropped: ...
    @overload
    async def drop_profile(self, name: str, reason: str, *, raise_on_refusal: bool) -> ProfileDropped | Refusal: ...
    async def drop_profile(self, name: str, reason: str, *, raise_on_refusal: bool = True) -> ProfileDropped | Refusal:
        return await self._mutate(calls.drop_profile(name, reason), raise_on_refusal)

    async def cedar_engine(self) -> CedarEngine:
        return await self._read(calls.cedar_engine())

    @overload
    async def set_cedar_policies(self, policy_text: str, reason: str, *,
                                 raise_on_refusal: Literal[True] = ...) -> CedarPoliciesSet: ...
    @overload
    async def set_cedar_policies(self, policy_text: str, reason: str, *,
                                 raise_on_refusal: bool) -> CedarPoliciesSet | Refusal: ...
    async def set_cedar_policies(self, policy_text: str, reason: str, *,
                                 raise_on_refusal: bool = True) -> CedarPoliciesSet | Refusal:
        return await self._mutate(calls.set_cedar_policies(policy_text, reason), raise_on_refusal)

    @overload
    async def add_guardrail_pattern(self, name: str, category: str, regex: str, severity: GuardrailSeverity,
                                    exempt_trust: int = ..., always_applies: bool = ...,
                                    applies_to: GuardrailTarget = ..., description: str = ..., *,
                                    raise_on_refusal: Literal[True] = ...) -> GuardrailPatternSet: ...
    @overload
    async def add_guardrail_pattern(self, name: str, category: str, regex: str, severity: GuardrailSeverity,
                                    exempt_trust: int = ..., always_applies: bool = ...,
                                    applies_to: GuardrailTarget = ..., description: str = ..., *,
                                    raise_on_refusal: bool) -> GuardrailPatternSet | Refusal: ...
    async def add_guardrail_pattern(self, name: str, category: str, regex: str, severity: GuardrailSeverity,
                                    exempt_trust: int = 5, always_applies: bool = False,
                                    applies_to: GuardrailTarget = "text", description: str = "", *,
                                    raise_on_refusal: bool = True) -> GuardrailPatternSet | Refusal:
        return await self._mutate(calls.add_guardrail_pattern(name, category, regex, severity, exempt_trust,
                                                              always_applies, applies_to, description),
                                  raise_on_refusal)

    @overload
    async def remove_guardrail_pattern(self, name: str, reason: str, *,
                                       raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def remove_guardrail_pattern(self, name: str, reason: str, *,
                                       raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def remove_guardrail_pattern(self, name: str, reason: str, *,
                                       raise_on_refusal: bool = True) -> Verdict | Refusal:
        return await self._mutate(calls.remove_guardrail_pattern(name, reason), raise_on_refusal)

    @overload
    async def add_network_rule(self, pattern: str, action: NetworkAction, priority: int = ...,
                               profile: str | None = ..., description: str = ..., *,
                               raise_on_refusal: Literal[True] = ...) -> NetworkRuleSet: ...
    @overload
    async def add_network_rule(self, pattern: str, action: NetworkAction, priority: int = ...,
                               profile: str | None = ..., description: str = ..., *,
                               raise_on_refusal: bool) -> NetworkRuleSet | Refusal: ...
    async def add_network_rule(self, pattern: str, action: NetworkAction, priority: int = 0,
                               profile: str | None = None, description: str = "", *,
                               raise_on_refusal: bool = True) -> NetworkRuleSet | Refusal:
        return await self._mutate(calls.add_network_rule(pattern, action, priority, profile, description),
                                  raise_on_refusal)

    @overload
    async def remove_network_rule(self, rule_id: int, reason: str, *,
                                  raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    async def remove_network_rule(self, rule_id: int, reason: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    async def remove_network_rule(self, rule_id: int, reason: str, *,
                                  raise_on_refusal: bool = True) -> Verdict | Refusal:
        return await self._mutate(calls.remove_network_rule(rule_id, reason), raise_on_refusal)


# -- leases and claims held by an `async with` block ------------------------------------------


async def _cancel(task: asyncio.Task[Any] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class AsyncLease:
    """:class:`pgcoord.client.Lease` for asyncio: renewed by an asyncio task on a
    connection of its own; ``async with client.lease(path, ttl) as lease:``."""

    def __init__(self, client: AsyncClient, path: str, ttl: Seconds = DEFAULT_TTL, *, mode: LockMode = "exclusive",
                 reason: str = "", wait: float = 0.0, renew_fraction: float = RENEW_FRACTION):
        self._client = client
        self._requested = path
        self._ttl = seconds(ttl)
        self._mode = mode
        self._reason = reason
        self._wait = wait
        self._every = max(0.05, self._ttl * renew_fraction)
        self._grant: LeaseGrant | None = None
        self._lost: errors.LeaseLost | None = None
        self._reported = False
        self._task: asyncio.Task[None] | None = None
        self._deadline = 0.0

    @property
    def grant(self) -> LeaseGrant:
        if self._grant is None:
            raise RuntimeError("the lease is not held yet: enter the async with block")
        return self._grant

    @property
    def path(self) -> str:
        return self.grant.path

    @property
    def token(self) -> int:
        return self.grant.token

    @property
    def expires_at(self) -> datetime:
        return self.grant.expires_at

    @property
    def mode(self) -> LockMode:
        return self.grant.mode

    @property
    def lost(self) -> errors.LeaseLost | None:
        return self._lost

    async def __aenter__(self) -> AsyncLease:
        started = monotonic()
        if self._wait > 0:
            self._grant = await self._client.wait_for_lease(self._requested, self._wait, ttl=self._ttl,
                                                            mode=self._mode, reason=self._reason)
        else:
            self._grant = await self._client.acquire_lock(self._requested, self._ttl, self._mode, self._reason)
        self._deadline = started + self._ttl
        self._task = asyncio.create_task(self._renew_loop(), name=f"pgcoord-lease {self._grant.path}")
        _hold(self)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> Literal[False]:
        _unhold(self)
        await _cancel(self._task)
        if self._lost is None:
            try:
                released = await self._client._mutate(calls.release_lock(self.path), False, check=False)
            except Exception:
                if exc is None:
                    raise
                released = None
            if isinstance(released, Refusal) and released.reason == "lock_not_held":
                self._lose(released.reason, released)
        if self._lost is not None and exc is not self._lost:
            raise self._lost
        return False

    def _lose(self, reason: str, refusal: Refusal | None = None) -> None:
        if self._lost is None:
            grant = self._grant
            self._lost = errors.LeaseLost(grant.path if grant else self._requested, grant.token if grant else None,
                                          reason, refusal)

    async def _renew_loop(self) -> None:
        assert self._grant is not None
        held = _Held(self._client._source)
        next_renewal = monotonic() + self._every
        try:
            while True:
                try:
                    conn, fresh = await held.get()
                    if fresh:
                        await _listen(conn, LEASES_CHANNEL)
                        if not await self._still_held(conn):
                            return
                    notes = await _next_batch(conn, next_renewal - monotonic())
                    if any(n.channel == LEASES_CHANNEL and n.payload == self._grant.path for n in notes):
                        if not await self._still_held(conn):
                            return
                    if monotonic() < next_renewal:
                        continue
                    started = monotonic()
                    result = await arun_call(conn, calls.renew_lock(self._grant.path, self._ttl))
                except Exception as exc:   # the connection broke, or anything else: retry until the TTL runs out
                    await held.drop(exc)
                    if monotonic() >= self._deadline:
                        self._lose("expired")
                        return
                    next_renewal = monotonic() + min(self._every, 1.0)
                    await asyncio.sleep(min(self._every, 0.2))
                    continue
                if isinstance(result, Refusal):
                    if result.reason in LEASE_GONE or monotonic() >= self._deadline:
                        self._lose(result.reason, result)
                        return
                    next_renewal = monotonic() + min(self._every, 1.0)
                    continue
                self._grant = dataclasses.replace(self._grant, token=result.token, expires_at=result.expires_at)
                self._deadline = started + self._ttl
                next_renewal = started + self._every
        finally:
            await held.drop()

    async def _still_held(self, conn: AConn) -> bool:
        assert self._grant is not None
        view = calls.own_lease(self._grant.path)
        rows = view.build(await arun_sql(conn, view.query, view.params))
        if not rows:
            self._lose("lock_not_held")   # expired or released: the database's word for both
            return False
        if rows[0].token != self._grant.token:
            self._grant = dataclasses.replace(self._grant, token=rows[0].token, expires_at=rows[0].expires_at)
        return True


class AsyncActiveClaim:
    """:class:`pgcoord.client.ActiveClaim` for asyncio: ``async with client.claim(types) as task:``."""

    def __init__(self, client: AsyncClient, claim: Claim | None, *, types: Sequence[str] | None = None,
                 lease: Seconds = DEFAULT_CLAIM_LEASE, wait: float = 0.0, renew_fraction: float = RENEW_FRACTION,
                 poll_interval: float = POLL_INTERVAL):
        self._client = client
        self._claim = claim
        self._types = types
        self._lease = seconds(lease)
        self._wait = wait
        self._poll_interval = poll_interval
        self._every = max(0.05, self._lease * renew_fraction)
        self._lost: errors.ClaimLost | None = None
        self._reported = False
        self._settled = False
        self._task: asyncio.Task[None] | None = None
        self._deadline = monotonic() + self._lease
        self.result: dict[str, Any] | None = None

    @property
    def claim(self) -> Claim:
        if self._claim is None:
            raise RuntimeError("nothing is claimed yet: enter the async with block")
        return self._claim

    @property
    def task_id(self) -> int:
        return self.claim.task_id

    @property
    def claim_token(self) -> int:
        return self.claim.claim_token

    @property
    def task_type(self) -> str:
        return self.claim.task_type

    @property
    def description(self) -> str:
        return self.claim.description

    @property
    def input(self) -> dict[str, Any]:
        return self.claim.input

    @property
    def attempt(self) -> int:
        return self.claim.attempt

    @property
    def claim_expires_at(self) -> datetime:
        return self.claim.claim_expires_at

    @property
    def lost(self) -> errors.ClaimLost | None:
        return self._lost

    async def __aenter__(self) -> AsyncActiveClaim:
        if self._claim is None:
            started = monotonic()
            if self._wait > 0:
                self._claim = await self._client.wait_for_task(self._types, self._wait, lease=self._lease,
                                                    poll_interval=self._poll_interval)
            else:
                self._claim = await self._client.claim_task(self._types, self._lease)
            self._deadline = started + self._lease
        self._task = asyncio.create_task(self._renew_loop(), name=f"pgcoord-claim {self._claim.task_id}")
        _hold(self)
        return self

    async def complete(self, result: dict[str, Any] | None = None) -> Completion:
        return await self._settle(calls.complete_task(self.task_id, self.claim_token,
                                                      self.result if result is None else result))

    async def fail(self, error: str, retryable: bool = False) -> TaskFailure:
        return await self._settle(calls.fail_task(self.task_id, self.claim_token, error, retryable))

    async def _settle(self, call: Call[Any]) -> Any:
        await _cancel(self._task)
        self._settled = True
        result = await self._client._mutate(call, False, check=False)
        if isinstance(result, Refusal):
            self._lose(result.reason, result)
            self._reported = True
            raise self._lost  # type: ignore[misc]
        return result

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> Literal[False]:
        _unhold(self)
        await _cancel(self._task)
        if not self._settled and self._lost is None:
            self._settled = True
            call: Call[Any]
            if exc is None:
                call = calls.complete_task(self.task_id, self.claim_token, self.result)
            else:
                call = calls.fail_task(self.task_id, self.claim_token, describe_error(exc), True)
            try:
                outcome: Any = await self._client._mutate(call, False, check=False)
            except Exception:
                if exc is None:
                    raise
                outcome = None
            if isinstance(outcome, Refusal):
                self._lose(outcome.reason, outcome)
        if self._lost is not None and exc is not self._lost:
            raise self._lost
        return False

    def _lose(self, reason: str, refusal: Refusal | None = None) -> None:
        if self._lost is None:
            self._lost = errors.ClaimLost(self.task_id, self.claim_token, reason, refusal)

    async def _renew_loop(self) -> None:
        held = _Held(self._client._source)
        next_renewal = monotonic() + self._every
        try:
            while True:
                await asyncio.sleep(max(0.0, next_renewal - monotonic()))
                started = monotonic()
                try:
                    conn, _ = await held.get()
                    result = await arun_call(conn, calls.renew_claim(self.task_id, self.claim_token, self._lease))
                except Exception as exc:   # the connection broke, or anything else: retry until the TTL runs out
                    await held.drop(exc)
                    if monotonic() >= self._deadline:
                        self._lose("expired")
                        return
                    next_renewal = monotonic() + min(self._every, 1.0)
                    continue
                if isinstance(result, Refusal):
                    if result.reason in CLAIM_GONE or monotonic() >= self._deadline:
                        self._lose(result.reason, result)
                        return
                    next_renewal = monotonic() + min(self._every, 1.0)
                    continue
                self._claim = dataclasses.replace(self.claim, claim_expires_at=result.claim_expires_at)
                self._deadline = started + self._lease
                next_renewal = started + self._every
        finally:
            await held.drop()


__all__ = ["AsyncClient", "AsyncLease", "AsyncActiveClaim"]
