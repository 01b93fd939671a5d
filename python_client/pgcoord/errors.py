"""pgcoord's exceptions, and the one place database errors and refusals become them.

Two families, as in the database (``coord.error_codes``, ``coord.reason_codes``):
  * bad input raises a PC* SQLSTATE: psycopg's error is mapped by SQLSTATE to a
    subclass of :class:`InvalidInput` (the call changed nothing); PostgreSQL's own
    42501 and 55P03 map to :class:`PermissionDenied` and :class:`LockNotAvailable`;
  * a refusal is a returned result with a reason code: :func:`refused` turns it into
    the :class:`Refused` subclass of that code, carrying the typed
    :class:`~pgcoord.results.Refusal` (reason, audit event, holders, expiry), so an
    agent can wait or ask. :class:`Denied` codes follow the enforcement mode;
    :class:`RefusedInEveryMode` codes are coordination invariants.

:func:`translated` (database errors) and :func:`refused` (refusals) are the only
places the clients turn anything into a pgcoord exception. Every code of the
database has its class here; tests/test_vocabularies.py checks that against the
catalog.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

import psycopg

from .results import Holder, Outcome, Refusal


class PgcoordError(Exception):
    """Base of every pgcoord exception."""


# -- bad input (SQLSTATE class PC) ----------------------------------------

class InvalidInput(PgcoordError):
    """Bad input (SQLSTATE class PC): the call changed nothing. ``sqlstate``, ``condition``
    (the name in coord.error_codes), ``detail`` and ``hint`` come from the server."""

    sqlstate: str = "PC000"
    condition: ClassVar[str] = "invalid_input"

    def __init__(self, message: str, *, sqlstate: str | None = None, detail: str | None = None,
                 hint: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate or type(self).sqlstate
        self.detail = detail
        self.hint = hint


class NullArgument(InvalidInput):
    sqlstate = "PC001"
    condition = "null_argument"


class InvalidArgument(InvalidInput):
    sqlstate = "PC002"
    condition = "invalid_argument"


class InvalidPath(InvalidInput):
    sqlstate = "PC003"
    condition = "invalid_path"


class TtlOutOfRange(InvalidInput):
    sqlstate = "PC004"
    condition = "ttl_out_of_range"


class UnknownTask(InvalidInput):
    sqlstate = "PC005"
    condition = "unknown_task"


class UnknownProfile(InvalidInput):
    sqlstate = "PC006"
    condition = "unknown_profile"


class UnknownAgent(InvalidInput):
    sqlstate = "PC007"
    condition = "unknown_agent"


class InvalidEnforcementMode(InvalidInput):
    sqlstate = "PC008"
    condition = "invalid_enforcement_mode"


class AuditImmutable(PgcoordError):
    """PC009: audit events cannot be updated, deleted or truncated (not bad input: a write that is never allowed)."""

    sqlstate = "PC009"
    condition = "audit_immutable"

    def __init__(self, message: str, *, sqlstate: str | None = None, detail: str | None = None,
                 hint: str | None = None):
        super().__init__(message)
        self.detail = detail
        self.hint = hint


class InvalidAgentRole(InvalidInput):
    sqlstate = "PC010"
    condition = "invalid_agent_role"


class EngineUnavailable(InvalidInput):
    sqlstate = "PC011"
    condition = "engine_unavailable"


class InvalidPattern(InvalidInput):
    sqlstate = "PC012"
    condition = "invalid_pattern"


class UnknownSession(InvalidInput):
    sqlstate = "PC013"
    condition = "unknown_session"


class InvalidDigest(InvalidInput):
    sqlstate = "PC014"
    condition = "invalid_digest"


class IsolationNotSupported(InvalidInput):
    """PC015: pgcoord mutations need READ COMMITTED."""

    sqlstate = "PC015"
    condition = "isolation_not_supported"


class ReadOnlyServer(InvalidInput):
    """PC020: the server is a standby; mutations and decisions need the primary."""

    sqlstate = "PC020"
    condition = "read_only_server"


class PathRuleInUse(InvalidInput):
    """PC021: the path case rule cannot change while leases are live (or changed while this lease was requested)."""

    sqlstate = "PC021"
    condition = "path_rule_in_use"


class LockNotAvailable(PgcoordError):
    """55P03: the call waited more than the API's lock_timeout (5 s) for one lock; nothing changed, retry."""

    sqlstate = "55P03"


class SharedPoolIdentity(PgcoordError):
    """The server's login role (``session_user``) is not the user the client connected as:
    a pooler that logs everyone in as one user (pgbouncer's ``user=`` in ``[databases]``)
    would make every agent that role. Raised before any call (pgcoord.pooling)."""

    def __init__(self, *, asked: str, session_user: str):
        self.asked = asked
        self.session_user = session_user
        super().__init__(
            f"connected as {asked!r} but the server's session is {session_user!r}: a pooler that logs every "
            "client in as one user makes every agent the same identity; give each agent its own login role "
            "through the pooler (no user= in pgbouncer's [databases] entry)")


class PermissionDenied(PgcoordError):
    """42501: the role lacks the privilege, e.g. an agent calling an admin function."""

    sqlstate = "42501"


SQLSTATE_EXCEPTIONS: dict[str, type[PgcoordError]] = {
    cls.sqlstate: cls
    for cls in (NullArgument, InvalidArgument, InvalidPath, TtlOutOfRange, UnknownTask, UnknownProfile,
                UnknownAgent, InvalidEnforcementMode, AuditImmutable, InvalidAgentRole, EngineUnavailable,
                InvalidPattern, UnknownSession, InvalidDigest, IsolationNotSupported, ReadOnlyServer,
                PathRuleInUse)
}

# PostgreSQL's own SQLSTATEs the API documents.
POSTGRES_EXCEPTIONS: dict[str, type[PgcoordError]] = {
    PermissionDenied.sqlstate: PermissionDenied,
    LockNotAvailable.sqlstate: LockNotAvailable,
}


def map_database_error(exc: psycopg.Error) -> PgcoordError | None:
    """The typed exception for a psycopg error, or None when it is not pgcoord's."""
    diag = exc.diag
    state = diag.sqlstate or ""
    message = diag.message_primary or str(exc)
    cls = SQLSTATE_EXCEPTIONS.get(state) or POSTGRES_EXCEPTIONS.get(state)
    if cls is None and state.startswith("PC"):
        cls = InvalidInput   # a PC code newer than this client: still bad input
    if cls is None:
        return None
    if issubclass(cls, (InvalidInput, AuditImmutable)):
        return cls(message, sqlstate=state, detail=diag.message_detail, hint=diag.message_hint)
    return cls(message)


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Run a database call, raising pgcoord's exception for an error that is pgcoord's
    (the psycopg error as its cause) and any other error as it came."""
    try:
        yield
    except psycopg.Error as exc:
        mapped = map_database_error(exc)
        if mapped is None:
            raise
        raise mapped from exc


# -- refusals (reason codes) ----------------------------------------------

class Refused(PgcoordError):
    """A refused mutation; the refusal is in the audit trail.

    ``reason`` is the reason code, ``refusal`` the typed :class:`~pgcoord.results.Refusal`
    (``holders``, ``expires_at``, ``retryable``), ``result`` the raw result row and
    ``event_id`` its audit event."""

    reason: str = "refused"
    outcome: ClassVar[Outcome | None] = None
    #: whether the same call may succeed later with nothing changed on the caller's side
    retryable: ClassVar[bool] = False

    def __init__(self, reason: str, result: Mapping[str, Any], refusal: Refusal | None = None):
        super().__init__(f"refused: {reason}")
        self.reason = reason
        self.result = dict(result)
        self.refusal = refusal or Refusal.from_row(str(result.get("operation", "")), result)
        self.event_id = result.get("event_id")

    @property
    def holders(self) -> tuple[Holder, ...]:
        return self.refusal.holders

    @property
    def expires_at(self) -> datetime | None:
        return self.refusal.expires_at


class Denied(Refused):
    """A policy denial (outcome ``deny``): refused in enforce mode, only recorded in shadow and off."""

    outcome = "deny"


class RefusedInEveryMode(Refused):
    """A coordination refusal (outcome ``refuse``): refused in every enforcement mode."""

    outcome = "refuse"


class NotRegistered(RefusedInEveryMode):
    reason = "agent_not_registered"


class Suspended(Denied):
    reason = "agent_suspended"


class ProfileUnresolved(Denied):
    reason = "profile_unresolved"


class UnknownOperation(Denied):
    reason = "unknown_operation"


class OperationBlocked(Denied):
    reason = "operation_blocked"


class OperationNotAllowed(Denied):
    reason = "operation_not_allowed"


class TrustTooLow(Denied):
    reason = "trust_too_low"


class NotAdmin(Denied):
    reason = "not_admin"


class LimitExceeded(Denied):
    reason = "limit_exceeded"


class SessionNotOwned(RefusedInEveryMode):
    reason = "session_not_owned"


class LockHeld(RefusedInEveryMode):
    """A live lease of another agent overlaps the path; ``holders`` says whose and until when."""

    reason = "lock_held_by_other"
    retryable = True


class BatchRefused(RefusedInEveryMode):
    """Another path of the same acquire_locks batch was refused, so none was granted."""

    reason = "batch_refused"


class LockNotHeld(RefusedInEveryMode):
    reason = "lock_not_held"


class NotClaimOwner(RefusedInEveryMode):
    reason = "not_claim_owner"


class ClaimExpired(RefusedInEveryMode):
    reason = "claim_expired"


class TaskTerminal(RefusedInEveryMode):
    reason = "task_terminal"


class TaskNotClaimable(RefusedInEveryMode):
    """No claimable task matched; wait for one (``client.tasks()``) or try later."""

    reason = "task_not_claimable"
    retryable = True


class DependencyFailed(RefusedInEveryMode):
    reason = "dependency_failed"


class AttemptsExhausted(RefusedInEveryMode):
    reason = "attempts_exhausted"


class GuardrailBlocked(Denied):
    """A blocking guardrail pattern matched; ``refusal.guardrails`` lists the matches."""

    reason = "guardrail_blocked"


class DomainDenied(Denied):
    reason = "domain_denied"


class NotPermitted(Denied):
    """Cedar engine: no policy permits the request (default deny)."""

    reason = "not_permitted"


class PolicyError(Denied):
    """Cedar engine: a policy could not be evaluated, or named no reason code; fail closed."""

    reason = "policy_error"


# -- approvals (INV-APPROVAL) ---------------------------------------------------------------

class ApprovalRequired(Denied):
    """No rule denies the call, but one asks for an approval: the database recorded a
    request whose id, ``approval_id``, is the refused call's audit event (``event_id``).

    Wait for an approver (``client.wait_for_approval(exc.approval_id, timeout)``), then
    make exactly the same call again (same role, arguments, policy): it proceeds once,
    using the grant up, with reason ``approved`` (an allow code: no class here). A
    different call needs its own approval; repeating it before the grant replaces the
    request with a new one (a new approval id; the old one reads ``superseded``).
    With ``raise_on_refusal=False`` the :class:`~pgcoord.results.Refusal` carries the
    same ``approval_id``."""

    reason = "approval_required"

    @property
    def approval_id(self) -> int | None:
        return self.event_id


class NotApprovable(Denied):
    """The call would need an approval, but its operation cannot bind one to its
    arguments: denied (fail closed), no request recorded."""

    reason = "not_approvable"


class ApprovalNotFound(RefusedInEveryMode):
    reason = "approval_not_found"


class ApprovalSelf(RefusedInEveryMode):
    """The requester (by session user) cannot approve or reject its own request."""

    reason = "approval_self"


class ApprovalNotPending(RefusedInEveryMode):
    """The request was already decided, used or superseded (reject: neither pending nor an unused grant)."""

    reason = "approval_not_pending"


class ApprovalExpired(RefusedInEveryMode):
    reason = "approval_expired"


class ApprovalStalePolicy(RefusedInEveryMode):
    """The requester's policy changed since the request: its grant could never be used;
    the agent has to ask again."""

    reason = "approval_stale_policy"


class NotApprover(RefusedInEveryMode):
    """The caller is neither coord_admin nor an agent trusted enough to approve."""

    reason = "not_approver"


REASON_EXCEPTIONS: dict[str, type[Refused]] = {
    cls.reason: cls
    for cls in (NotRegistered, Suspended, ProfileUnresolved, UnknownOperation, OperationBlocked,
                OperationNotAllowed, TrustTooLow, NotAdmin, LimitExceeded, SessionNotOwned,
                LockHeld, BatchRefused, LockNotHeld, NotClaimOwner, ClaimExpired, TaskTerminal, TaskNotClaimable,
                DependencyFailed, AttemptsExhausted, GuardrailBlocked, DomainDenied, NotPermitted, PolicyError,
                ApprovalRequired, NotApprovable, ApprovalNotFound, ApprovalSelf, ApprovalNotPending,
                ApprovalExpired, ApprovalStalePolicy, NotApprover)
}


def refused(refusal: Refusal) -> Refused:
    """The exception of a refusal: the :class:`Refused` subclass of its reason code
    (:class:`Refused` itself for a code newer than this client)."""
    return REASON_EXCEPTIONS.get(refusal.reason, Refused)(refusal.reason, refusal.row, refusal)


def refusal(reason: str, result: Mapping[str, Any]) -> Refused:
    """The exception of a refused result row (kept for callers of the dict interface)."""
    return refused(Refusal.from_row(str(result.get("operation", "")), {**result, "reason": reason}))


# -- leases and claims held by a context manager ------------------------------------------

class LeaseLost(PgcoordError):
    """A lease held by ``client.lease(...)`` (or a claim, :class:`ClaimLost`) ended
    before its block did: a renewal was refused, it expired unrenewed, or it was
    force-released. Raised in the block's next client call and again on exit.

    ``reason`` is a reason code: the refused renewal's, ``lock_not_held`` when the
    lease was found gone (released by someone else, or expired), or ``expired`` when
    no renewal got through before its TTL ran out; ``refusal`` the refusal, if any."""

    def __init__(self, resource: str, token: int | None, reason: str, refusal: Refusal | None = None):
        super().__init__(f"{resource} (token {token}) was lost: {reason}")
        self.resource = resource
        self.path = resource
        self.token = token
        self.reason = reason
        self.refusal = refusal


class ClaimLost(LeaseLost):
    """A claim held by ``client.claim(...)`` ended before its block did (reclaimed
    after expiry, cancelled, or its completion was refused)."""

    def __init__(self, task_id: int, claim_token: int | None, reason: str, refusal: Refusal | None = None):
        super().__init__(f"claim of task {task_id}", claim_token, reason, refusal)
        self.task_id = task_id
        self.path = None  # type: ignore[assignment]
