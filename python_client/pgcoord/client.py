"""The synchronous client: one method per coord function, typed results, nothing decided here.

Every rule lives in the database. A :class:`Client` calls ``coord.*`` functions (one
statement, one transaction each), returns frozen dataclasses (:mod:`pgcoord.results`)
and raises :mod:`pgcoord.errors` exceptions: bad input by SQLSTATE, refusals by
reason code — unless ``raise_on_refusal=False``, which returns the
:class:`~pgcoord.results.Refusal` instead (contention is then a value, not an error).

On top of the calls: leases and claims held by a ``with`` block (renewed in the
background, released or settled on exit: :class:`Lease`, :class:`ActiveClaim`), and
waiting on the database's notifications instead of polling (:meth:`Client.wait_for_lease`,
:meth:`Client.wait_for_task`, :meth:`Client.tasks`, :meth:`Client.wait_for_approval`).

Connections. A client runs on one psycopg connection (from a DSN, or one you pass
in) or on a ``psycopg_pool.ConnectionPool`` (a connection per call). A background
renewal never shares the caller's connection: it opens one of its own (from the DSN,
from the passed connection's parameters, or from the pool), so the block's own calls
— and their waits of up to 5 s for a lock, or an explicit transaction the caller
opened on the shared connection — never delay, interleave with or roll back a
renewal. Waiting (LISTEN) uses the client's connection, or one pooled connection
for the duration of the wait.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import selectors
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from time import monotonic
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from . import calls, errors, pooling
from .calls import APPROVALS_CHANNEL, LEASES_CHANNEL, TASKS_CHANNEL, Call, View, seconds
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
    from psycopg_pool import ConnectionPool

T = TypeVar("T")

#: The lease length of ``lease()`` and ``wait_for_lease()`` when none is given (seconds).
DEFAULT_TTL = 300.0
#: A claim's lease when none is given: the database's own default (5 minutes).
DEFAULT_CLAIM_LEASE = 300.0
#: A held lease or claim is renewed after this fraction of its TTL.
RENEW_FRACTION = 1 / 3
#: How long a waiting worker sleeps at most without a notification: a claim that
#: expires (a time, not a write) sends none.
POLL_INTERVAL = 15.0

# Refusals of a renewal that mean the lease or claim is gone for good.
LEASE_GONE = frozenset({"lock_not_held", "lock_held_by_other"})
CLAIM_GONE = frozenset({"not_claim_owner", "claim_expired", "task_terminal", "attempts_exhausted"})

# The leases and claims held by `with` blocks in this thread or asyncio task.
_HELD: contextvars.ContextVar[tuple[Any, ...]] = contextvars.ContextVar("pgcoord_held", default=())


def _hold(scope: Any) -> None:
    _HELD.set((*_HELD.get(), scope))


def _unhold(scope: Any) -> None:
    _HELD.set(tuple(s for s in _HELD.get() if s is not scope))


def check_held(client: Any) -> None:
    """Raise the LeaseLost of a lease or claim ``client`` holds in a ``with`` block of
    this thread (or task) that was lost and not yet reported (once per loss)."""
    for scope in _HELD.get():
        if scope._client is client and scope._lost is not None and not scope._reported:
            scope._reported = True
            raise scope._lost


# -- executing one statement ------------------------------------------------------------------


def run_sql(conn: psycopg.Connection[Any], query: Any, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """One statement as its own transaction (autocommit), or inside ``conn.transaction()``
    (a savepoint in a transaction the caller opened); rows as dicts; pgcoord's errors typed."""
    with errors.translated():
        if conn.autocommit:
            with conn.cursor(row_factory=dict_row) as cur:
                cur.execute(query, params)
                return cur.fetchall() if cur.description else []
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []


def run_call(conn: psycopg.Connection[Any], call: Call[T]) -> T | Refusal:
    return call.result(run_sql(conn, call.query(), call.params()))


def run_calls(conn: psycopg.Connection[Any], calls_: Sequence[Call[T]]) -> list[T | Refusal]:
    """Several calls in one transaction (a savepoint in one the caller opened), sent in one
    pipeline: one round trip for the lot. Each call is what it is alone (its decision, its
    audit event); a refusal is a result like any other, while an error rolls every call
    back and is raised, typed."""
    with errors.translated():
        with conn.transaction():
            with conn.pipeline():
                cursors = [conn.cursor(row_factory=dict_row) for _ in calls_]
                for cur, call in zip(cursors, calls_, strict=True):
                    cur.execute(call.query(), call.params())
            rows = [cur.fetchall() if cur.description else [] for cur in cursors]
            for cur in cursors:
                cur.close()
    return [call.result(r) for call, r in zip(calls_, rows, strict=True)]


def _listen(conn: psycopg.Connection[Any], channel: str) -> None:
    run_sql(conn, sql.SQL("LISTEN {}").format(sql.Identifier(channel)))


def _unlisten(conn: psycopg.Connection[Any], channel: str) -> None:
    with contextlib.suppress(psycopg.Error, errors.PgcoordError):
        run_sql(conn, sql.SQL("UNLISTEN {}").format(sql.Identifier(channel)))


def _drain(conn: psycopg.Connection[Any]) -> list[psycopg.Notify]:
    """The notifications received so far, without waiting."""
    gen = conn.notifies(timeout=0)
    try:
        return list(gen)
    finally:
        gen.close()


def _await(conn: psycopg.Connection[Any], timeout: float, match: Callable[[psycopg.Notify], bool],
           stop: threading.Event | None = None) -> bool:
    """Wait up to ``timeout`` seconds for a notification ``match`` accepts (True), or
    until ``stop`` is set or the time is up (False). ``stop`` is looked at every 0.2 s."""
    end = monotonic() + max(0.0, timeout)
    while True:
        remaining = end - monotonic()
        if remaining <= 0 or (stop is not None and stop.is_set()):
            return False
        gen = conn.notifies(timeout=min(remaining, 0.2) if stop is not None else remaining)
        try:
            for note in gen:
                if match(note):
                    return True
        finally:
            gen.close()


def _await_or_wake(conn: psycopg.Connection[Any], timeout: float, wake: socket.socket) -> list[psycopg.Notify] | None:
    """The notifications that arrive within ``timeout`` seconds (those already
    received first), or None as soon as ``wake`` becomes readable."""
    pending = _drain(conn)
    if pending:
        return pending
    with selectors.DefaultSelector() as sel:
        sel.register(conn.fileno(), selectors.EVENT_READ, "db")
        sel.register(wake, selectors.EVENT_READ, "wake")
        ready = {key.data for key, _ in sel.select(max(0.0, timeout))}
    if "wake" in ready:
        return None
    return _drain(conn) if "db" in ready else []


# -- where connections come from --------------------------------------------------------------


class _OneConnection:
    """The client's single connection; a renewal gets a new one from ``connect``."""

    def __init__(self, conn: psycopg.Connection[Any], connect: Callable[[], psycopg.Connection[Any]], owned: bool):
        self.conn = conn
        self.connect = connect
        self.owned = owned

    @contextlib.contextmanager
    def borrow(self) -> Iterator[psycopg.Connection[Any]]:
        yield self.conn

    @contextlib.contextmanager
    def dedicated(self) -> Iterator[psycopg.Connection[Any]]:
        conn = self.connect()
        try:
            yield conn
        finally:
            conn.close()

    def close(self) -> None:
        if self.owned:
            self.conn.close()


class _Pool:
    """A psycopg_pool.ConnectionPool (anything with ``connection()``): one connection per call,
    each made pooler-safe the first time it is borrowed (pgcoord.pooling)."""

    def __init__(self, pool: Any):
        self.pool = pool
        self.seen = pooling.SeenConnections()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[psycopg.Connection[Any]]:
        with self.pool.connection() as conn:
            self.seen.check(conn)
            yield conn

    def dedicated(self) -> contextlib.AbstractContextManager[psycopg.Connection[Any]]:
        return self.borrow()

    def close(self) -> None:
        pass   # the pool is its owner's


class _Held:
    """A dedicated connection a background renewal opens, drops after a failure and reopens."""

    def __init__(self, source: _OneConnection | _Pool):
        self.source = source
        self.cm: contextlib.AbstractContextManager[psycopg.Connection[Any]] | None = None
        self.conn: psycopg.Connection[Any] | None = None

    def get(self) -> tuple[psycopg.Connection[Any], bool]:
        """The connection, and whether it was opened just now."""
        if self.conn is not None:
            return self.conn, False
        cm = self.source.dedicated()
        self.conn = cm.__enter__()
        self.cm = cm
        return self.conn, True

    def drop(self, exc: BaseException | None = None) -> None:
        cm, self.cm, self.conn = self.cm, None, None
        if cm is not None:
            with contextlib.suppress(Exception):
                cm.__exit__(type(exc) if exc else None, exc, None)


def _reconnector(conn: psycopg.Connection[Any]) -> Callable[[], psycopg.Connection[Any]]:
    """A way to open another session like ``conn`` (same parameters and password)."""
    dsn = conn.info.dsn
    extra: dict[str, Any] = {"password": conn.info.password} if conn.info.password else {}
    # the caller's choice about preparing (prepare_threshold=None behind a pooler) carries over
    extra["prepare_threshold"] = conn.prepare_threshold

    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(dsn, autocommit=True, **extra)
    return connect


# -- the client -----------------------------------------------------------------------------------


class Client:
    """A pgcoord session: ``Client(dsn)``, ``Client(connection)`` or ``Client(pool)``.

    Identity is the login role of the connection (``session_user``), never an
    argument. With a DSN the client opens (and ``close()`` closes) an autocommit
    connection; a connection you pass stays yours (autocommit: one call, one
    transaction; otherwise each call runs in ``conn.transaction()``); with a pool each
    call borrows a connection. ``connect=`` opens the extra connections background
    renewals use (default: the DSN, or the passed connection's parameters)."""

    def __init__(self, source: str | psycopg.Connection[Any] | ConnectionPool, /, *,
                 connect: Callable[[], psycopg.Connection[Any]] | None = None, **connect_kwargs: Any):
        self._source: _OneConnection | _Pool
        if isinstance(source, str):
            dsn = source
            # rows as dicts on the client's own connection too (client.conn.execute), as before
            params: dict[str, Any] = {"autocommit": True, "row_factory": dict_row, **connect_kwargs}

            opener = pooling.checked(lambda: psycopg.connect(dsn, **params))
            self._source = _OneConnection(opener(), pooling.checked(connect) if connect else opener, owned=True)
        elif isinstance(source, psycopg.Connection):
            pooling.make_pooler_safe(source)
            self._source = _OneConnection(source, pooling.checked(connect or _reconnector(source)), owned=False)
        elif callable(getattr(source, "connection", None)):
            self._source = _Pool(source)
        else:
            raise TypeError("Client needs a DSN, a psycopg.Connection or a ConnectionPool, "
                            f"not {type(source).__name__}")

    @classmethod
    def connect(cls, dsn: str, **connect_kwargs: Any) -> Client:
        """A client on a new autocommit connection to ``dsn`` (closed by ``close()``)."""
        return cls(dsn, **connect_kwargs)

    @classmethod
    def from_pool(cls, pool: ConnectionPool) -> Client:
        """A client borrowing a connection of ``pool`` for each call."""
        return cls(pool)

    @property
    def conn(self) -> psycopg.Connection[Any]:
        """The client's connection (not for a pooled client)."""
        if isinstance(self._source, _Pool):
            raise TypeError("a pooled client has no connection of its own: use pool.connection()")
        return self._source.conn

    def close(self) -> None:
        """Close the connection the client opened (a passed connection or pool stays open)."""
        self._source.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one place SQL is executed ------------------------------------------------------

    def _execute(self, call: Call[T], *, check: bool = True) -> T | Refusal:
        if check:
            check_held(self)
        with self._source.borrow() as conn:
            return run_call(conn, call)

    def _mutate(self, call: Call[T], raise_on_refusal: bool, *, check: bool = True) -> T | Refusal:
        result = self._execute(call, check=check)
        if isinstance(result, Refusal) and raise_on_refusal:
            raise errors.refused(result)
        return result

    def _read(self, call: Call[T]) -> T:
        return self._execute(call)  # type: ignore[return-value]   # a read is never a Refusal

    def _view(self, view: View[T]) -> T:
        check_held(self)
        with self._source.borrow() as conn:
            return view.build(run_sql(conn, view.query, view.params))

    # -- the dict interface (any coord function or view) --------------------------------------

    def rows(self, function: str, *args: Any) -> list[dict[str, Any]]:
        """``SELECT * FROM coord.<function>(args)``: the rows as dicts, PC* errors typed."""
        check_held(self)
        call = Call(function, args, lambda rows: rows, mutation=False)
        with self._source.borrow() as conn:
            return run_sql(conn, call.query(), call.params())

    def call(self, function: str, *args: Any, raise_on_refusal: bool = True) -> dict[str, Any]:
        """One-row mutation call as a dict; a refusal raises its typed exception unless told not to."""
        result = self.rows(function, *args)
        row = result[0] if result else {}
        if raise_on_refusal and row.get("ok") is False:
            raise errors.refused(Refusal.from_row(function, row))
        return row

    def query(self, text: str, *args: Any) -> list[dict[str, Any]]:
        """Read a coord view, e.g. ``client.query('SELECT * FROM coord.my_sessions')``."""
        check_held(self)
        with self._source.borrow() as conn:
            return run_sql(conn, text, args or None)

    # -- identity and sessions ------------------------------------------------------------------

    def whoami(self) -> Identity:
        return self._read(calls.whoami())

    def get_my_profile(self) -> Profile | None:
        """The caller's profile (None: every decision fails closed)."""
        return self._read(calls.get_my_profile())

    def now(self) -> datetime:
        """The database clock every expiry is judged by."""
        return self._read(calls.now())

    @overload
    def register_session(self, label: str = ..., client_info: dict[str, Any] | None = ..., *,
                         raise_on_refusal: Literal[True] = ...) -> SessionOpened: ...
    @overload
    def register_session(self, label: str = ..., client_info: dict[str, Any] | None = ..., *,
                         raise_on_refusal: bool) -> SessionOpened | Refusal: ...
    def register_session(self, label: str = "", client_info: dict[str, Any] | None = None, *,
                         raise_on_refusal: bool = True) -> SessionOpened | Refusal:
        return self._mutate(calls.register_session(label, client_info), raise_on_refusal)

    @overload
    def end_session(self, session_id: Any, *, raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def end_session(self, session_id: Any, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    def end_session(self, session_id: Any, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return self._mutate(calls.end_session(session_id), raise_on_refusal)

    def my_sessions(self) -> list[Session]:
        return self._view(calls.my_sessions())

    def my_audit_events(self, limit: int | None = 100) -> list[AuditEvent]:
        """The caller's own audit events, newest first."""
        return self._view(calls.my_audit_events(limit))

    def enforcement(self) -> Enforcement:
        return self._view(calls.enforcement())

    def profiles(self) -> list[Profile]:
        return self._view(calls.profiles())

    # -- liveness -------------------------------------------------------------------------------

    @overload
    def heartbeat(self, status: ReportedStatus = ..., capabilities: Sequence[str] | None = ..., *,
                  raise_on_refusal: Literal[True] = ...) -> Heartbeat: ...
    @overload
    def heartbeat(self, status: ReportedStatus = ..., capabilities: Sequence[str] | None = ..., *,
                  raise_on_refusal: bool) -> Heartbeat | Refusal: ...
    def heartbeat(self, status: ReportedStatus = "active", capabilities: Sequence[str] | None = None, *,
                  raise_on_refusal: bool = True) -> Heartbeat | Refusal:
        """Record that the calling agent is alive (``status``: active, idle or busy) and,
        if given, its capabilities (None keeps the ones recorded). An agent without one
        within ``stale_after`` shows as stale in discover_agents; its leases and claims
        stay live until their own expiry."""
        return self._mutate(calls.heartbeat(status, capabilities), raise_on_refusal)

    def discover_agents(self, capability: str | None = None, status: str | None = None) -> list[AgentLiveness]:
        """The registered agents with their liveness (live, stale, never), reported status,
        capabilities and live lease and claim counts; filtered by a capability and by a
        status (a reported status, or a liveness)."""
        return self._read(calls.discover_agents(capability, status))

    def lease_status(self) -> list[GrantStatus]:
        """The caller's leases and claims: live ones with their expiry and token, and those
        lost lately with why (expired, released, force_released, taken_over)."""
        return self._read(calls.lease_status())

    @overload
    def set_stale_threshold(self, threshold: Seconds, reason: str, *,
                            raise_on_refusal: Literal[True] = ...) -> StaleThresholdSet: ...
    @overload
    def set_stale_threshold(self, threshold: Seconds, reason: str, *,
                            raise_on_refusal: bool) -> StaleThresholdSet | Refusal: ...
    def set_stale_threshold(self, threshold: Seconds, reason: str, *,
                            raise_on_refusal: bool = True) -> StaleThresholdSet | Refusal:
        """coord_admin: after how long without a heartbeat an agent shows as stale."""
        return self._mutate(calls.set_stale_threshold(threshold, reason), raise_on_refusal)

    # -- handoffs -------------------------------------------------------------------------------

    @overload
    def write_handoff(self, summary: str, *, completed: Sequence[str] = ..., in_progress: Sequence[str] = ...,
                      decisions: Sequence[str] = ..., next_steps: Sequence[str] = ..., files: Sequence[str] = ...,
                      session_id: Any = ..., raise_on_refusal: Literal[True] = ...) -> HandoffWritten: ...
    @overload
    def write_handoff(self, summary: str, *, completed: Sequence[str] = ..., in_progress: Sequence[str] = ...,
                      decisions: Sequence[str] = ..., next_steps: Sequence[str] = ..., files: Sequence[str] = ...,
                      session_id: Any = ..., raise_on_refusal: bool) -> HandoffWritten | Refusal: ...
    def write_handoff(self, summary: str, *, completed: Sequence[str] = (), in_progress: Sequence[str] = (),
                      decisions: Sequence[str] = (), next_steps: Sequence[str] = (), files: Sequence[str] = (),
                      session_id: Any = None, raise_on_refusal: bool = True) -> HandoffWritten | Refusal:
        """Leave a handoff for whoever continues this agent's work: a summary (required),
        what was completed, what is in progress, decisions taken, next steps and the files
        concerned (bounded: docs in the README, "Handoffs")."""
        return self._mutate(calls.write_handoff(summary, completed, in_progress, decisions, next_steps, files,
                                                session_id), raise_on_refusal)

    def read_handoffs(self, agent: str | None = None, limit: int = 10) -> list[Handoff]:
        """The fleet's handoffs (one agent's, if given), newest first, at most ``limit`` (1..100)."""
        return self._read(calls.read_handoffs(agent, limit))

    # -- memory ---------------------------------------------------------------------------------

    @overload
    def remember(self, event_type: str, summary: str, *, details: dict[str, Any] | None = ...,
                 outcome: str | None = ..., lessons: Sequence[str] = ..., tags: Sequence[str] = ...,
                 raise_on_refusal: Literal[True] = ...) -> Remembered: ...
    @overload
    def remember(self, event_type: str, summary: str, *, details: dict[str, Any] | None = ...,
                 outcome: str | None = ..., lessons: Sequence[str] = ..., tags: Sequence[str] = ...,
                 raise_on_refusal: bool) -> Remembered | Refusal: ...
    def remember(self, event_type: str, summary: str, *, details: dict[str, Any] | None = None,
                 outcome: str | None = None, lessons: Sequence[str] = (), tags: Sequence[str] = (),
                 raise_on_refusal: bool = True) -> Remembered | Refusal:
        """Record an episode for the fleet (deduplicated within a window: README, "Memory")."""
        return self._mutate(calls.remember(event_type, summary, details, outcome, lessons, tags),
                                raise_on_refusal)

    def recall(self, tags: Sequence[str] | None = None, event_type: str | None = None, text: str | None = None,
               limit: int = 10) -> list[Memory]:
        """Episodic memories ranked by full-text relevance to ``text`` and by recency,
        filtered by tags and event type."""
        return self._read(calls.recall(tags, event_type, text, limit))

    @overload
    def set_working_memory(self, session_id: Any, key: str, value: Any, *,
                           raise_on_refusal: Literal[True] = ...) -> WorkingMemorySet: ...
    @overload
    def set_working_memory(self, session_id: Any, key: str, value: Any, *,
                           raise_on_refusal: bool) -> WorkingMemorySet | Refusal: ...
    def set_working_memory(self, session_id: Any, key: str, value: Any, *,
                           raise_on_refusal: bool = True) -> WorkingMemorySet | Refusal:
        """Keep ``value`` (JSON) under ``key`` in one of the caller's open sessions (private to it)."""
        return self._mutate(calls.set_working_memory(session_id, key, value), raise_on_refusal)

    def get_working_memory(self, session_id: Any) -> list[WorkingMemoryItem]:
        """The working memory of one of the caller's sessions."""
        return self._read(calls.get_working_memory(session_id))

    @overload
    def record_skill_outcome(self, skill: str, succeeded: bool, notes: str | None = ..., *,
                             raise_on_refusal: Literal[True] = ...) -> SkillOutcome: ...
    @overload
    def record_skill_outcome(self, skill: str, succeeded: bool, notes: str | None = ..., *,
                             raise_on_refusal: bool) -> SkillOutcome | Refusal: ...
    def record_skill_outcome(self, skill: str, succeeded: bool, notes: str | None = None, *,
                             raise_on_refusal: bool = True) -> SkillOutcome | Refusal:
        """Count one attempt at a skill (and its success) for the fleet."""
        return self._mutate(calls.record_skill_outcome(skill, succeeded, notes), raise_on_refusal)

    def skills(self, prefix: str | None = None) -> list[Skill]:
        """The fleet's skills with their attempts, successes and rate (and the caller's own)."""
        return self._read(calls.skills(prefix))

    # -- leases ---------------------------------------------------------------------------------

    @overload
    def acquire_lock(self, path: str, ttl: Seconds, mode: LockMode = ..., reason: str = ..., *,
                     raise_on_refusal: Literal[True] = ...) -> LeaseGrant: ...
    @overload
    def acquire_lock(self, path: str, ttl: Seconds, mode: LockMode = ..., reason: str = ..., *,
                     raise_on_refusal: bool) -> LeaseGrant | Refusal: ...
    def acquire_lock(self, path: str, ttl: Seconds, mode: LockMode = "exclusive", reason: str = "", *,
                     raise_on_refusal: bool = True) -> LeaseGrant | Refusal:
        """Lease a file, ``dir/`` or glob for ``ttl``; another agent's overlapping lease
        refuses it (:class:`~pgcoord.errors.LockHeld`, with ``holders``)."""
        return self._mutate(calls.acquire_lock(path, ttl, mode, reason), raise_on_refusal)

    @overload
    def acquire_locks(self, paths: Sequence[str], ttl: Seconds, mode: LockMode = ..., reason: str = ..., *,
                      raise_on_refusal: Literal[True] = ...) -> list[LeaseGrant]: ...
    @overload
    def acquire_locks(self, paths: Sequence[str], ttl: Seconds, mode: LockMode = ..., reason: str = ..., *,
                      raise_on_refusal: bool) -> list[LeaseGrant] | Refusal: ...
    def acquire_locks(self, paths: Sequence[str], ttl: Seconds, mode: LockMode = "exclusive", reason: str = "", *,
                      raise_on_refusal: bool = True) -> list[LeaseGrant] | Refusal:
        """Lease 1 to 100 paths at once, all or nothing, in one transaction: the grants in
        path order, or the refusal of the path that stopped the batch (none is granted)."""
        return self._mutate(calls.acquire_locks(paths, ttl, mode, reason), raise_on_refusal)

    @overload
    def renew_lock(self, path: str, ttl: Seconds, *, raise_on_refusal: Literal[True] = ...) -> LeaseRenewal: ...
    @overload
    def renew_lock(self, path: str, ttl: Seconds, *, raise_on_refusal: bool) -> LeaseRenewal | Refusal: ...
    def renew_lock(self, path: str, ttl: Seconds, *, raise_on_refusal: bool = True) -> LeaseRenewal | Refusal:
        return self._mutate(calls.renew_lock(path, ttl), raise_on_refusal)

    @overload
    def release_lock(self, path: str, *, raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def release_lock(self, path: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    def release_lock(self, path: str, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return self._mutate(calls.release_lock(path), raise_on_refusal)

    @overload
    def force_release_lock(self, path: str, reason: str, *, raise_on_refusal: Literal[True] = ...) -> ForceRelease: ...
    @overload
    def force_release_lock(self, path: str, reason: str, *, raise_on_refusal: bool) -> ForceRelease | Refusal: ...
    def force_release_lock(self, path: str, reason: str, *, raise_on_refusal: bool = True) -> ForceRelease | Refusal:
        """Release every live lease on exactly ``path``, whoever holds it (trust 3)."""
        return self._mutate(calls.force_release_lock(path, reason), raise_on_refusal)

    def check_locks(self, paths: Sequence[str]) -> list[LiveLease]:
        """The live leases overlapping each path (at most 100 paths)."""
        return self._read(calls.check_locks(paths))

    def check_fence(self, path: str, token: int) -> bool:
        """True while that grant is live, covers the path and no newer exclusive grant overlaps it."""
        return self._read(calls.check_fence(path, token))

    def live_locks(self, holder: str | None = None) -> list[LiveLease]:
        """Every live lease (of one holder, if given)."""
        return self._view(calls.live_locks(holder))

    def lease(self, path: str, ttl: Seconds = DEFAULT_TTL, *, mode: LockMode = "exclusive", reason: str = "",
              wait: float = 0.0, renew_fraction: float = RENEW_FRACTION) -> Lease:
        """A lease held for a ``with`` block: acquired on entry (waiting up to ``wait``
        seconds for the path), renewed in the background every ``ttl * renew_fraction``,
        released on exit. If it is lost meanwhile, the block's next call on this client
        raises :class:`~pgcoord.errors.LeaseLost`, and so does the exit."""
        return Lease(self, path, ttl, mode=mode, reason=reason, wait=wait, renew_fraction=renew_fraction)

    @overload
    def wait_for_lease(self, path: str, timeout: float, *, ttl: Seconds = ..., mode: LockMode = ...,
                       reason: str = ..., raise_on_refusal: Literal[True] = ...) -> LeaseGrant: ...
    @overload
    def wait_for_lease(self, path: str, timeout: float, *, ttl: Seconds = ..., mode: LockMode = ...,
                       reason: str = ..., raise_on_refusal: bool) -> LeaseGrant | Refusal: ...
    def wait_for_lease(self, path: str, timeout: float, *, ttl: Seconds = DEFAULT_TTL, mode: LockMode = "exclusive",
                       reason: str = "", raise_on_refusal: bool = True) -> LeaseGrant | Refusal:
        """Acquire ``path``, waiting up to ``timeout`` seconds while other agents hold it.

        Between attempts it LISTENs: it tries again when a lease that refused it is
        released (NOTIFY pgcoord_leases) or, by the database clock, expires — never on
        a timer of its own. A refusal other than ``lock_held_by_other`` (a policy
        denial, a limit) ends the wait at once. After ``timeout``: the last refusal."""
        check_held(self)
        call = calls.acquire_lock(path, ttl, mode, reason)
        deadline = monotonic() + timeout
        with self._source.borrow() as conn:
            _listen(conn, LEASES_CHANNEL)
            try:
                while True:
                    _drain(conn)   # what happened so far, the attempt below sees
                    result = run_call(conn, call)
                    remaining = deadline - monotonic()
                    if not isinstance(result, Refusal) or result.reason != "lock_held_by_other" or remaining <= 0:
                        break
                    blocking = {h.path for h in result.holders}
                    until = _until_first_expiry(result, run_call(conn, calls.now()))  # type: ignore[arg-type]
                    _await(conn, min(remaining, until),
                           _ends_one_of(blocking))
            finally:
                _unlisten(conn, LEASES_CHANNEL)
        if isinstance(result, Refusal) and raise_on_refusal:
            raise errors.refused(result)
        return result

    # -- tasks ----------------------------------------------------------------------------------

    @overload
    def submit_task(self, task_type: str, description: str = ..., input: dict[str, Any] | None = ...,
                    priority: int = ..., depends_on: Sequence[int] = ..., idempotency_key: str | None = ...,
                    max_attempts: int = ..., *, touches: Sequence[str] = ...,
                    raise_on_refusal: Literal[True] = ...) -> SubmittedTask: ...
    @overload
    def submit_task(self, task_type: str, description: str = ..., input: dict[str, Any] | None = ...,
                    priority: int = ..., depends_on: Sequence[int] = ..., idempotency_key: str | None = ...,
                    max_attempts: int = ..., *, touches: Sequence[str] = ...,
                    raise_on_refusal: bool) -> SubmittedTask | Refusal: ...
    def submit_task(self, task_type: str, description: str = "", input: dict[str, Any] | None = None,
                    priority: int = 0, depends_on: Sequence[int] = (), idempotency_key: str | None = None,
                    max_attempts: int = 3, *, touches: Sequence[str] = (),
                    raise_on_refusal: bool = True) -> SubmittedTask | Refusal:
        """Queue a task; the same idempotency key from the same agent returns the existing one. ``touches``:
        the paths it will edit (claims skip it while another agent leases one of them)."""
        return self._mutate(calls.submit_task(task_type, description, input, priority, depends_on, idempotency_key,
                                              max_attempts, touches), raise_on_refusal)

    @overload
    def claim_task(self, types: Sequence[str] | None = ..., lease: Seconds = ..., *,
                   lease_touches: bool = False, raise_on_refusal: Literal[True] = ...) -> Claim: ...
    @overload
    def claim_task(self, types: Sequence[str] | None = ..., lease: Seconds = ..., *,
                   lease_touches: bool = False, raise_on_refusal: bool) -> Claim | Refusal: ...
    def claim_task(self, types: Sequence[str] | None = None, lease: Seconds = DEFAULT_CLAIM_LEASE, *,
                   lease_touches: bool = False, raise_on_refusal: bool = True) -> Claim | Refusal:
        """Claim the best claimable task of ``types`` (None: any); none →
        :class:`~pgcoord.errors.TaskNotClaimable`."""
        return self._mutate(calls.claim_task(types, lease, lease_touches), raise_on_refusal)

    def claim_tasks(self, limit: int, types: Sequence[str] | None = None,
                    lease: Seconds = DEFAULT_CLAIM_LEASE, *, lease_touches: bool = False) -> list[Claim]:
        """Claim up to ``limit`` tasks (fewer, or none, when fewer are claimable)."""
        return self._read(calls.claim_tasks(limit, types, lease, lease_touches))

    @overload
    def renew_claim(self, task_id: int, claim_token: int, lease: Seconds = ..., *,
                    raise_on_refusal: Literal[True] = ...) -> ClaimRenewal: ...
    @overload
    def renew_claim(self, task_id: int, claim_token: int, lease: Seconds = ..., *,
                    raise_on_refusal: bool) -> ClaimRenewal | Refusal: ...
    def renew_claim(self, task_id: int, claim_token: int, lease: Seconds = DEFAULT_CLAIM_LEASE, *,
                    raise_on_refusal: bool = True) -> ClaimRenewal | Refusal:
        return self._mutate(calls.renew_claim(task_id, claim_token, lease), raise_on_refusal)

    @overload
    def complete_task(self, task_id: int, claim_token: int, result: dict[str, Any] | None = ..., *,
                      raise_on_refusal: Literal[True] = ...) -> Completion: ...
    @overload
    def complete_task(self, task_id: int, claim_token: int, result: dict[str, Any] | None = ..., *,
                      raise_on_refusal: bool) -> Completion | Refusal: ...
    def complete_task(self, task_id: int, claim_token: int, result: dict[str, Any] | None = None, *,
                      raise_on_refusal: bool = True) -> Completion | Refusal:
        return self._mutate(calls.complete_task(task_id, claim_token, result), raise_on_refusal)

    def complete_tasks(self, completions: Iterable[tuple[int, int] | tuple[int, int, dict[str, Any] | None]],
                       ) -> list[Completion | Refusal]:
        """Complete several claimed tasks, each as complete_task would (its own decision
        and audit event), in one transaction sent in one round trip (pipeline mode): the
        batch form for a worker that claimed with claim_tasks. Items are (task_id,
        claim_token) or (task_id, claim_token, result). A refused completion is returned
        in its place and the others still complete; an error (bad input) rolls all of
        them back and is raised."""
        batch = [calls.complete_task(c[0], c[1], c[2] if len(c) > 2 else None) for c in completions]  # type: ignore[misc]
        if not batch:
            return []
        check_held(self)
        with self._source.borrow() as conn:
            return run_calls(conn, batch)

    @overload
    def fail_task(self, task_id: int, claim_token: int, error: str, retryable: bool = ..., *,
                  raise_on_refusal: Literal[True] = ...) -> TaskFailure: ...
    @overload
    def fail_task(self, task_id: int, claim_token: int, error: str, retryable: bool = ..., *,
                  raise_on_refusal: bool) -> TaskFailure | Refusal: ...
    def fail_task(self, task_id: int, claim_token: int, error: str, retryable: bool = False, *,
                  raise_on_refusal: bool = True) -> TaskFailure | Refusal:
        """Fail the claimed task; ``retryable`` with attempts left puts it back to pending."""
        return self._mutate(calls.fail_task(task_id, claim_token, error, retryable), raise_on_refusal)

    @overload
    def cancel_task(self, task_id: int, reason: str, *, raise_on_refusal: Literal[True] = ...) -> Cancellation: ...
    @overload
    def cancel_task(self, task_id: int, reason: str, *, raise_on_refusal: bool) -> Cancellation | Refusal: ...
    def cancel_task(self, task_id: int, reason: str, *, raise_on_refusal: bool = True) -> Cancellation | Refusal:
        return self._mutate(calls.cancel_task(task_id, reason), raise_on_refusal)

    def get_task(self, task_id: int) -> Task:
        """One task, if the caller may see it (else :class:`~pgcoord.errors.UnknownTask`)."""
        return self._read(calls.get_task(task_id))

    def list_tasks(self, *, status: Sequence[TaskStatus] | None = None, types: Sequence[str] | None = None,
                   limit: int | None = 100) -> list[Task]:
        """The queue (coord.tasks) as far as the caller may see it, oldest first."""
        return self._view(calls.list_tasks(status, types, limit))

    def claim(self, types: Sequence[str] | None = None, *, lease: Seconds = DEFAULT_CLAIM_LEASE, wait: float = 0.0,
              renew_fraction: float = RENEW_FRACTION,
              poll_interval: float = POLL_INTERVAL) -> ActiveClaim:
        """A claim held for a ``with`` block: claimed on entry (waiting up to ``wait``
        seconds for a task; none → :class:`~pgcoord.errors.TaskNotClaimable`), renewed
        in the background, completed on a normal exit (with ``task.result``), failed
        retryably when the block raises. A lost claim raises
        :class:`~pgcoord.errors.ClaimLost` in the block's next call and on exit.
        While waiting it also retries every ``poll_interval`` seconds: a claim that
        expires sends no notification, so this bounds how late a dead agent's task is
        taken over (each retry is an audited refusal while nothing is claimable)."""
        return ActiveClaim(self, None, types=types, lease=lease, wait=wait, renew_fraction=renew_fraction,
                           poll_interval=poll_interval)

    @overload
    def wait_for_task(self, types: Sequence[str] | None, timeout: float, *, lease: Seconds = ...,
                      poll_interval: float = ..., lease_touches: bool = ...,
                      raise_on_refusal: Literal[True] = ...) -> Claim: ...
    @overload
    def wait_for_task(self, types: Sequence[str] | None, timeout: float, *, lease: Seconds = ...,
                      poll_interval: float = ..., lease_touches: bool = ...,
                      raise_on_refusal: bool) -> Claim | Refusal: ...
    def wait_for_task(self, types: Sequence[str] | None, timeout: float, *, lease: Seconds = DEFAULT_CLAIM_LEASE,
                      poll_interval: float = POLL_INTERVAL, lease_touches: bool = False,
                      raise_on_refusal: bool = True) -> Claim | Refusal:
        """Claim a task of ``types``, waiting up to ``timeout`` seconds for one to become
        claimable (NOTIFY pgcoord_tasks; every ``poll_interval`` seconds too, for claims
        that expire, which send nothing). After ``timeout``: the last refusal."""
        check_held(self)
        with self._source.borrow() as conn:
            _listen(conn, TASKS_CHANNEL)
            try:
                result = self._claim_waiting(conn, types, lease, monotonic() + timeout, None, poll_interval,
                                            lease_touches)
            finally:
                _unlisten(conn, TASKS_CHANNEL)
        assert result is not None
        if isinstance(result, Refusal) and raise_on_refusal:
            raise errors.refused(result)
        return result

    def tasks(self, types: Sequence[str] | None = None, *, lease: Seconds = DEFAULT_CLAIM_LEASE,
              timeout: float | None = None, stop: threading.Event | None = None,
              poll_interval: float = POLL_INTERVAL, limit: int | None = None) -> Iterator[ActiveClaim]:
        """A worker loop: ``for task in client.tasks(["build"]): with task: ...``.

        Yields each task it claims as an :class:`ActiveClaim` (enter it to renew and
        settle it; otherwise complete or fail it yourself). Between claims it waits on
        LISTEN pgcoord_tasks for a task of ``types`` (and every ``poll_interval``
        seconds). Ends after ``timeout`` seconds without a claimable task (None: never),
        when ``stop`` is set, or after ``limit`` tasks. A refusal other than
        ``task_not_claimable`` (a policy denial, the claimed-task limit) is raised."""
        check_held(self)
        claimed = 0
        with self._source.borrow() as conn:
            _listen(conn, TASKS_CHANNEL)
            try:
                while limit is None or claimed < limit:
                    deadline = float("inf") if timeout is None else monotonic() + timeout
                    result = self._claim_waiting(conn, types, lease, deadline, stop, poll_interval)
                    if result is None or (isinstance(result, Refusal) and result.reason == "task_not_claimable"):
                        return
                    if isinstance(result, Refusal):
                        raise errors.refused(result)
                    claimed += 1
                    yield ActiveClaim(self, result, types=types, lease=lease)
            finally:
                _unlisten(conn, TASKS_CHANNEL)

    def _claim_waiting(self, conn: psycopg.Connection[Any], types: Sequence[str] | None, lease: Seconds,
                       deadline: float, stop: threading.Event | None, poll_interval: float,
                       lease_touches: bool = False) -> Claim | Refusal | None:
        """Claim on ``conn`` (LISTENing on pgcoord_tasks); while nothing is claimable,
        wait for a notification of one of ``types`` and try again, until ``deadline``.
        None when ``stop`` was set."""
        call = calls.claim_task(types, lease, lease_touches)
        wanted = None if types is None else set(calls._types(types) or ())
        while True:
            if stop is not None and stop.is_set():
                return None
            check_held(self)
            _drain(conn)
            result = run_call(conn, call)
            remaining = deadline - monotonic()
            if not isinstance(result, Refusal) or result.reason != "task_not_claimable" or remaining <= 0:
                return result
            _await(conn, min(remaining, poll_interval),
                   lambda n: n.channel == TASKS_CHANNEL and (wanted is None or n.payload in wanted), stop)

    @overload
    def reap_expired(self, *, raise_on_refusal: Literal[True] = ...) -> Reaped: ...
    @overload
    def reap_expired(self, *, raise_on_refusal: bool) -> Reaped | Refusal: ...
    def reap_expired(self, *, raise_on_refusal: bool = True) -> Reaped | Refusal:
        """coord_admin: delete expired leases, fail exhausted claims, settle their dependents."""
        return self._mutate(calls.reap_expired(), raise_on_refusal)

    # -- checks ---------------------------------------------------------------------------------

    @overload
    def check_guardrails(self, text: str, paths: Sequence[str] = ..., *, workspace: str | None = ...,
                         cwd: str | None = ..., raise_on_refusal: Literal[True] = ...) -> GuardrailCheck: ...
    @overload
    def check_guardrails(self, text: str, paths: Sequence[str] = ..., *, workspace: str | None = ...,
                         cwd: str | None = ..., raise_on_refusal: bool) -> GuardrailCheck | Refusal: ...
    def check_guardrails(self, text: str, paths: Sequence[str] = (), *, workspace: str | None = None,
                         cwd: str | None = None, raise_on_refusal: bool = True) -> GuardrailCheck | Refusal:
        """Scan a command or text (and paths); a blocking match raises GuardrailBlocked.
        ``workspace`` (the checkout's root) and ``cwd`` (where the command runs), absolute
        paths, let the shell analyser resolve the command's paths; None: unknown."""
        return self._mutate(calls.check_guardrails(text, paths, workspace, cwd), raise_on_refusal)

    @overload
    def check_network_access(self, target: str, *, raise_on_refusal: Literal[True] = ...) -> NetworkDecision: ...
    @overload
    def check_network_access(self, target: str, *, raise_on_refusal: bool) -> NetworkDecision | Refusal: ...
    def check_network_access(self, target: str, *, raise_on_refusal: bool = True) -> NetworkDecision | Refusal:
        """Decide a domain or URL; a denial raises DomainDenied."""
        return self._mutate(calls.check_network_access(target), raise_on_refusal)

    # -- approvals (INV-APPROVAL) ------------------------------------------------------------------

    def approval_status(self, approval_id: int) -> Approval | None:
        """One approval request (the id a refusal ``approval_required`` carries), for its
        requester or an approver; None when it is unknown or not the caller's to see."""
        return self._read(calls.approval_status(approval_id))

    def approvals(self, state: ApprovalState | None = None) -> list[Approval]:
        """The approval requests the caller may see (its own; every one for an approver),
        newest first, of one effective ``state`` if given (e.g. ``pending``)."""
        return self._view(calls.approvals(state))

    @overload
    def approve(self, approval_id: int, note: str | None = ..., *,
                raise_on_refusal: Literal[True] = ...) -> ApprovalDecision: ...
    @overload
    def approve(self, approval_id: int, note: str | None = ..., *,
                raise_on_refusal: bool) -> ApprovalDecision | Refusal: ...
    def approve(self, approval_id: int, note: str | None = None, *,
                raise_on_refusal: bool = True) -> ApprovalDecision | Refusal:
        """As an approver (coord_admin, or an agent of approver trust), never the requester:
        grant a pending request; the requester's identical call then proceeds once until
        ``expires_at``. Refusals: approval_not_found, approval_self, approval_not_pending,
        approval_expired, approval_stale_policy, not_approver (or trust_too_low, not_admin)."""
        return self._mutate(calls.approve(approval_id, note), raise_on_refusal)

    @overload
    def reject(self, approval_id: int, note: str | None = ..., *,
               raise_on_refusal: Literal[True] = ...) -> ApprovalDecision: ...
    @overload
    def reject(self, approval_id: int, note: str | None = ..., *,
               raise_on_refusal: bool) -> ApprovalDecision | Refusal: ...
    def reject(self, approval_id: int, note: str | None = None, *,
               raise_on_refusal: bool = True) -> ApprovalDecision | Refusal:
        """As an approver: reject a pending request, or revoke a grant not yet used
        (state ``rejected`` either way). Refusals as :meth:`approve`."""
        return self._mutate(calls.reject(approval_id, note), raise_on_refusal)

    def wait_for_approval(self, approval_id: int, timeout: float) -> Approval | None:
        """Wait up to ``timeout`` seconds for a decision on an approval request, and return
        it as last seen: decided (``granted``, ``rejected``, ...), expired, or still
        ``pending`` when the time is up; None when it is unknown or not the caller's to see.

        It LISTENs on pgcoord_approvals and asks :meth:`approval_status` again whenever
        the request's id is notified (a notification is only a hint) and when a pending
        request's expiry passes (an expiry sends none). Granted: make the identical call
        again."""
        check_held(self)
        deadline = monotonic() + timeout
        wanted = str(approval_id)
        with self._source.borrow() as conn:
            _listen(conn, APPROVALS_CHANNEL)
            try:
                while True:
                    _drain(conn)   # what happened so far, the status below sees
                    status: Approval | None = run_call(conn, calls.approval_status(approval_id))  # type: ignore[assignment]
                    remaining = deadline - monotonic()
                    if status is None or status.state != "pending" or remaining <= 0:
                        return status
                    until = _until(status.expires_at, run_call(conn, calls.now()))  # type: ignore[arg-type]
                    _await(conn, min(remaining, until), _names_approval(wanted))
            finally:
                _unlisten(conn, APPROVALS_CHANNEL)

    @overload
    def set_profile_approvals(self, profile: str, operations: Sequence[str], approve_elevation: bool = ..., *,
                              raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def set_profile_approvals(self, profile: str, operations: Sequence[str], approve_elevation: bool = ..., *,
                              raise_on_refusal: bool) -> Verdict | Refusal: ...
    def set_profile_approvals(self, profile: str, operations: Sequence[str], approve_elevation: bool = False, *,
                              raise_on_refusal: bool = True) -> Verdict | Refusal:
        """coord_admin: which approvable operations (acquire_lock, force_release_lock, cancel_task,
        submit_task) need an approval for the agents of ``profile``, and whether their elevated
        requests below the needed trust ask for one instead of being denied ``trust_too_low``."""
        return self._mutate(calls.set_profile_approvals(profile, operations, approve_elevation), raise_on_refusal)

    @overload
    def set_approval_settings(self, request_ttl: Seconds | None = ..., grant_ttl: Seconds | None = ..., *,
                              raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def set_approval_settings(self, request_ttl: Seconds | None = ..., grant_ttl: Seconds | None = ..., *,
                              raise_on_refusal: bool) -> Verdict | Refusal: ...
    def set_approval_settings(self, request_ttl: Seconds | None = None, grant_ttl: Seconds | None = None, *,
                              raise_on_refusal: bool = True) -> Verdict | Refusal:
        """coord_admin: how long a pending request (1 min .. 7 days, default 1 h) and an unused
        grant (10 s .. 1 day, default 15 min) live; None keeps a setting."""
        return self._mutate(calls.set_approval_settings(request_ttl, grant_ttl), raise_on_refusal)

    # -- audit ----------------------------------------------------------------------------------

    def verify_audit(self) -> AuditVerification:
        return self._read(calls.verify_audit())

    def audit_digest(self) -> dict[str, Any]:
        """The head of every chain, to keep outside the database."""
        return self._read(calls.audit_digest())

    def verify_audit_digest(self, digest: dict[str, Any] | str) -> DigestVerification:
        if isinstance(digest, str):
            import json
            digest = json.loads(digest)
        return self._read(calls.verify_audit_digest(digest))  # type: ignore[arg-type]

    @overload
    def purge_audit(self, before: datetime, reason: str, *, raise_on_refusal: Literal[True] = ...) -> AuditPurge: ...
    @overload
    def purge_audit(self, before: datetime, reason: str, *, raise_on_refusal: bool) -> AuditPurge | Refusal: ...
    def purge_audit(self, before: datetime, reason: str, *, raise_on_refusal: bool = True) -> AuditPurge | Refusal:
        return self._mutate(calls.purge_audit(before, reason), raise_on_refusal)

    # -- administration (coord_admin) -------------------------------------------------------------

    def agents(self) -> list[Agent]:
        return self._view(calls.agents())

    @overload
    def register_agent(self, role: str, profile: str, *, raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def register_agent(self, role: str, profile: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    def register_agent(self, role: str, profile: str, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return self._mutate(calls.register_agent(role, profile), raise_on_refusal)

    @overload
    def set_agent_profile(self, role: str, profile: str, *, raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def set_agent_profile(self, role: str, profile: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    def set_agent_profile(self, role: str, profile: str, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return self._mutate(calls.set_agent_profile(role, profile), raise_on_refusal)

    @overload
    def set_agent_status(self, role: str, status: Literal["active", "suspended"], *,
                         raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def set_agent_status(self, role: str, status: Literal["active", "suspended"], *,
                         raise_on_refusal: bool) -> Verdict | Refusal: ...
    def set_agent_status(self, role: str, status: Literal["active", "suspended"], *,
                         raise_on_refusal: bool = True) -> Verdict | Refusal:
        return self._mutate(calls.set_agent_status(role, status), raise_on_refusal)

    @overload
    def set_enforcement_mode(self, mode: EnforcementMode, reason: str, *,
                             raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def set_enforcement_mode(self, mode: EnforcementMode, reason: str, *,
                             raise_on_refusal: bool) -> Verdict | Refusal: ...
    def set_enforcement_mode(self, mode: EnforcementMode, reason: str, *,
                             raise_on_refusal: bool = True) -> Verdict | Refusal:
        return self._mutate(calls.set_enforcement_mode(mode, reason), raise_on_refusal)

    @overload
    def set_policy_engine(self, engine: PolicyEngine, reason: str, *,
                          raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def set_policy_engine(self, engine: PolicyEngine, reason: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    def set_policy_engine(self, engine: PolicyEngine, reason: str, *,
                          raise_on_refusal: bool = True) -> Verdict | Refusal:
        return self._mutate(calls.set_policy_engine(engine, reason), raise_on_refusal)

    @overload
    def set_path_case(self, case: PathCase, reason: str, *, raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def set_path_case(self, case: PathCase, reason: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    def set_path_case(self, case: PathCase, reason: str, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return self._mutate(calls.set_path_case(case, reason), raise_on_refusal)

    @overload
    def set_profile(self, name: str, trust_level: int, description: str = ...,
                    allowed_operations: Sequence[str] | None = ..., blocked_operations: Sequence[str] = ...,
                    max_locks: int = ..., max_claimed_tasks: int = ..., max_lease_seconds: int = ...,
                    max_file_modifications: int = ..., *, raise_on_refusal: Literal[True] = ...) -> ProfileSet: ...
    @overload
    def set_profile(self, name: str, trust_level: int, description: str = ...,
                    allowed_operations: Sequence[str] | None = ..., blocked_operations: Sequence[str] = ...,
                    max_locks: int = ..., max_claimed_tasks: int = ..., max_lease_seconds: int = ...,
                    max_file_modifications: int = ..., *, raise_on_refusal: bool) -> ProfileSet | Refusal: ...
    def set_profile(self, name: str, trust_level: int, description: str = "",
                    allowed_operations: Sequence[str] | None = None, blocked_operations: Sequence[str] = (),
                    max_locks: int = 50, max_claimed_tasks: int = 5, max_lease_seconds: int = 3600,
                    max_file_modifications: int = 100, *, raise_on_refusal: bool = True) -> ProfileSet | Refusal:
        return self._mutate(calls.set_profile(name, trust_level, description, allowed_operations, blocked_operations,
                                              max_locks, max_claimed_tasks, max_lease_seconds, max_file_modifications),
                            raise_on_refusal)

    @overload
    def drop_profile(self, name: str, reason: str, *, raise_on_refusal: Literal[True] = ...) -> ProfileDropped: ...
    @overload
    def drop_profile(self, name: str, reason: str, *, raise_on_refusal: bool) -> ProfileDropped | Refusal: ...
    def drop_profile(self, name: str, reason: str, *, raise_on_refusal: bool = True) -> ProfileDropped | Refusal:
        return self._mutate(calls.drop_profile(name, reason), raise_on_refusal)

    def cedar_engine(self) -> CedarEngine:
        return self._read(calls.cedar_engine())

    @overload
    def set_cedar_policies(self, policy_text: str, reason: str, *,
                           raise_on_refusal: Literal[True] = ...) -> CedarPoliciesSet: ...
    @overload
    def set_cedar_policies(self, policy_text: str, reason: str, *,
                           raise_on_refusal: bool) -> CedarPoliciesSet | Refusal: ...
    def set_cedar_policies(self, policy_text: str, reason: str, *,
                           raise_on_refusal: bool = True) -> CedarPoliciesSet | Refusal:
        return self._mutate(calls.set_cedar_policies(policy_text, reason), raise_on_refusal)

    @overload
    def add_guardrail_pattern(self, name: str, category: str, regex: str, severity: GuardrailSeverity,
                              exempt_trust: int = ..., always_applies: bool = ..., applies_to: GuardrailTarget = ...,
                              description: str = ..., *,
                              raise_on_refusal: Literal[True] = ...) -> GuardrailPatternSet: ...
    @overload
    def add_guardrail_pattern(self, name: str, category: str, regex: str, severity: GuardrailSeverity,
                              exempt_trust: int = ..., always_applies: bool = ..., applies_to: GuardrailTarget = ...,
                              description: str = ..., *,
                              raise_on_refusal: bool) -> GuardrailPatternSet | Refusal: ...
    def add_guardrail_pattern(self, name: str, category: str, regex: str, severity: GuardrailSeverity,
                              exempt_trust: int = 5, always_applies: bool = False, applies_to: GuardrailTarget = "text",
                              description: str = "", *,
                              raise_on_refusal: bool = True) -> GuardrailPatternSet | Refusal:
        return self._mutate(calls.add_guardrail_pattern(name, category, regex, severity, exempt_trust, always_applies,
                                                        applies_to, description), raise_on_refusal)

    @overload
    def remove_guardrail_pattern(self, name: str, reason: str, *, raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def remove_guardrail_pattern(self, name: str, reason: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    def remove_guardrail_pattern(self, name: str, reason: str, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return self._mutate(calls.remove_guardrail_pattern(name, reason), raise_on_refusal)

    @overload
    def add_network_rule(self, pattern: str, action: NetworkAction, priority: int = ..., profile: str | None = ...,
                         description: str = ..., *, raise_on_refusal: Literal[True] = ...) -> NetworkRuleSet: ...
    @overload
    def add_network_rule(self, pattern: str, action: NetworkAction, priority: int = ..., profile: str | None = ...,
                         description: str = ..., *, raise_on_refusal: bool) -> NetworkRuleSet | Refusal: ...
    def add_network_rule(self, pattern: str, action: NetworkAction, priority: int = 0, profile: str | None = None,
                         description: str = "", *, raise_on_refusal: bool = True) -> NetworkRuleSet | Refusal:
        return self._mutate(calls.add_network_rule(pattern, action, priority, profile, description), raise_on_refusal)

    @overload
    def remove_network_rule(self, rule_id: int, reason: str, *, raise_on_refusal: Literal[True] = ...) -> Verdict: ...
    @overload
    def remove_network_rule(self, rule_id: int, reason: str, *, raise_on_refusal: bool) -> Verdict | Refusal: ...
    def remove_network_rule(self, rule_id: int, reason: str, *, raise_on_refusal: bool = True) -> Verdict | Refusal:
        return self._mutate(calls.remove_network_rule(rule_id, reason), raise_on_refusal)


def _ends_one_of(paths: set[str]) -> Callable[[psycopg.Notify], bool]:
    """Whether a notification says a lease on one of ``paths`` ended."""
    def match(note: psycopg.Notify) -> bool:
        return note.channel == LEASES_CHANNEL and note.payload in paths
    return match


def _names_approval(approval_id: str) -> Callable[[psycopg.Notify], bool]:
    """Whether a notification is about approval ``approval_id`` (requested or decided)."""
    def match(note: psycopg.Notify) -> bool:
        return note.channel == APPROVALS_CHANNEL and calls.approval_payload_id(note.payload) == approval_id
    return match


def _until(moment: datetime, db_now: datetime) -> float:
    """Seconds until ``moment`` by the database clock (a little after, so that a
    status asked then finds it past)."""
    return max(0.0, (moment - db_now).total_seconds()) + 0.05


def _until_first_expiry(refusal: Refusal, db_now: datetime) -> float:
    """Seconds until the first of a refusal's holders expires, by the database clock
    (a little after, so that the retry finds it expired)."""
    first = min((h.expires_at for h in refusal.holders), default=None)
    if first is None:
        return float("inf")
    return max(0.0, (first - db_now).total_seconds()) + 0.01


# -- leases and claims held by a `with` block ---------------------------------------------------


class Lease:
    """A lease held while a ``with`` block runs (``client.lease(path, ttl)``).

    ``__enter__`` acquires it (waiting up to ``wait`` seconds) and starts a renewal
    thread on a connection of its own, which renews every ``ttl * renew_fraction``
    and LISTENs for the end of leases on its path, so that a force release is seen at
    once. If the lease is lost (a renewal refused, a force release, an expiry no
    renewal prevented), the block's next call on the client raises
    :class:`~pgcoord.errors.LeaseLost`, and so does ``__exit__``; otherwise
    ``__exit__`` releases it. The grant's fields read through: ``lease.token``,
    ``lease.path`` (normalised), ``lease.expires_at`` (last renewal), ``lease.grant``."""

    def __init__(self, client: Client, path: str, ttl: Seconds = DEFAULT_TTL, *, mode: LockMode = "exclusive",
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
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._deadline = 0.0

    # the grant, read through
    @property
    def grant(self) -> LeaseGrant:
        if self._grant is None:
            raise RuntimeError("the lease is not held yet: enter the with block")
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
        """The loss, once the lease is known lost (else None)."""
        return self._lost

    def __enter__(self) -> Lease:
        started = monotonic()
        if self._wait > 0:
            self._grant = self._client.wait_for_lease(self._requested, self._wait, ttl=self._ttl, mode=self._mode,
                                                      reason=self._reason)
        else:
            self._grant = self._client.acquire_lock(self._requested, self._ttl, self._mode, self._reason)
        # the grant's expiry, as a local deadline that is never later than the real one
        self._deadline = started + self._ttl
        self._wake = socket.socketpair()
        self._thread = threading.Thread(target=self._renew_loop, name=f"pgcoord-lease {self._grant.path}", daemon=True)
        self._thread.start()
        _hold(self)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        _unhold(self)
        self._stop()
        if self._lost is None:
            try:
                released = self._client._mutate(calls.release_lock(self.path), False, check=False)
            except Exception:
                if exc is None:
                    raise
                released = None   # the block's own exception matters more
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

    def _stop(self) -> None:
        self._stopping = True
        if self._wake is not None:
            with contextlib.suppress(OSError):
                self._wake[1].send(b"x")
        if self._thread is not None:
            self._thread.join()
        if self._wake is not None:
            for s in self._wake:
                s.close()
            self._wake = None

    def _renew_loop(self) -> None:
        assert self._grant is not None and self._wake is not None
        held = _Held(self._client._source)
        next_renewal = monotonic() + self._every
        try:
            while not self._stopping:
                try:
                    conn, fresh = held.get()
                    if fresh:
                        _listen(conn, LEASES_CHANNEL)
                        if not self._still_held(conn):   # it may have ended before we listened
                            return
                    notes = _await_or_wake(conn, next_renewal - monotonic(), self._wake[0])
                    if notes is None or self._stopping:
                        return
                    if any(n.channel == LEASES_CHANNEL and n.payload == self._grant.path for n in notes):
                        if not self._still_held(conn):
                            return
                    if monotonic() < next_renewal:
                        continue
                    started = monotonic()
                    result = run_call(conn, calls.renew_lock(self._grant.path, self._ttl))
                except Exception as exc:   # the connection broke, or anything else: retry until the TTL runs out
                    held.drop(exc)
                    if monotonic() >= self._deadline:
                        self._lose("expired")
                        return
                    next_renewal = monotonic() + min(self._every, 1.0)
                    continue
                if isinstance(result, Refusal):
                    if result.reason in LEASE_GONE or monotonic() >= self._deadline:
                        self._lose(result.reason, result)
                        return
                    next_renewal = monotonic() + min(self._every, 1.0)   # a policy refusal: try again
                    continue
                self._grant = dataclasses.replace(self._grant, token=result.token, expires_at=result.expires_at)
                self._deadline = started + self._ttl
                next_renewal = started + self._every
        finally:
            held.drop()

    def _still_held(self, conn: psycopg.Connection[Any]) -> bool:
        """Whether the caller still holds a live lease on the path (adopting a new token
        if the block re-acquired it); records the loss otherwise."""
        assert self._grant is not None
        view = calls.own_lease(self._grant.path)
        rows = view.build(run_sql(conn, view.query, view.params))
        if not rows:
            self._lose("lock_not_held")   # expired or released: the database's word for both
            return False
        if rows[0].token != self._grant.token:
            self._grant = dataclasses.replace(self._grant, token=rows[0].token, expires_at=rows[0].expires_at)
        return True


def describe_error(exc: BaseException, limit: int = 2000) -> str:
    """The error text a claim fails with when its block raises."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[:limit - 1] + "…"


class ActiveClaim:
    """A claimed task held while a ``with`` block runs (``client.claim(...)``, or each
    task ``client.tasks(...)`` yields).

    ``__enter__`` claims (unless already claimed) and starts a renewal thread on a
    connection of its own (every ``lease * renew_fraction``). A normal exit completes
    the task with ``task.result`` (set it in the block; default ``{}``); an exception
    fails it retryably (``error`` = the exception) and propagates. If the claim is
    lost (reclaimed after expiry, cancelled), the block's next call on the client
    raises :class:`~pgcoord.errors.ClaimLost`, and so does the exit. ``complete()``
    and ``fail()`` settle it inside the block instead. The claim's fields read
    through: ``task.task_id``, ``task.input``, ``task.claim_token``, ``task.claim``."""

    def __init__(self, client: Client, claim: Claim | None, *, types: Sequence[str] | None = None,
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
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._deadline = monotonic() + self._lease
        #: what a normal exit completes the task with
        self.result: dict[str, Any] | None = None

    @property
    def claim(self) -> Claim:
        if self._claim is None:
            raise RuntimeError("nothing is claimed yet: enter the with block")
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

    def __enter__(self) -> ActiveClaim:
        if self._claim is None:
            started = monotonic()
            if self._wait > 0:
                self._claim = self._client.wait_for_task(self._types, self._wait, lease=self._lease,
                                                    poll_interval=self._poll_interval)
            else:
                self._claim = self._client.claim_task(self._types, self._lease)
            self._deadline = started + self._lease
        self._thread = threading.Thread(target=self._renew_loop, name=f"pgcoord-claim {self._claim.task_id}",
                                        daemon=True)
        self._thread.start()
        _hold(self)
        return self

    def complete(self, result: dict[str, Any] | None = None) -> Completion:
        """Complete the task now (the block's exit then does nothing more)."""
        outcome = self._settle(calls.complete_task(self.task_id, self.claim_token, self.result if result is None
                                                   else result))
        return outcome  # type: ignore[return-value]

    def fail(self, error: str, retryable: bool = False) -> TaskFailure:
        """Fail the task now (the block's exit then does nothing more)."""
        return self._settle(calls.fail_task(self.task_id, self.claim_token, error, retryable))  # type: ignore[return-value]

    def _settle(self, call: Call[Any]) -> Any:
        self._stop()
        self._settled = True
        result = self._client._mutate(call, False, check=False)
        if isinstance(result, Refusal):
            self._lose(result.reason, result)
            self._reported = True
            raise self._lost  # type: ignore[misc]
        return result

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        _unhold(self)
        self._stop()
        if not self._settled and self._lost is None:
            self._settled = True
            call: Call[Any]
            if exc is None:
                call = calls.complete_task(self.task_id, self.claim_token, self.result)
            else:
                call = calls.fail_task(self.task_id, self.claim_token, describe_error(exc), True)
            try:
                outcome: Any = self._client._mutate(call, False, check=False)
            except Exception:
                if exc is None:
                    raise
                outcome = None   # the block's own exception matters more
            if isinstance(outcome, Refusal):
                self._lose(outcome.reason, outcome)
        if self._lost is not None and exc is not self._lost:
            raise self._lost
        return False

    def _lose(self, reason: str, refusal: Refusal | None = None) -> None:
        if self._lost is None:
            self._lost = errors.ClaimLost(self.task_id, self.claim_token, reason, refusal)

    def _stop(self) -> None:
        self._stop_event.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _renew_loop(self) -> None:
        held = _Held(self._client._source)
        next_renewal = monotonic() + self._every
        try:
            while not self._stop_event.wait(max(0.0, next_renewal - monotonic())):
                started = monotonic()
                try:
                    conn, _ = held.get()
                    result = run_call(conn, calls.renew_claim(self.task_id, self.claim_token, self._lease))
                except Exception as exc:   # the connection broke, or anything else: retry until the TTL runs out
                    held.drop(exc)
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
            held.drop()


__all__ = ["Client", "Lease", "ActiveClaim", "DEFAULT_TTL", "DEFAULT_CLAIM_LEASE", "POLL_INTERVAL"]
