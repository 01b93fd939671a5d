"""Typed exceptions for pgcoord's SQLSTATEs (class PC) and reason codes.

Two families, as in the database:
  * bad input raises a PC* SQLSTATE; psycopg's error is mapped by SQLSTATE to a
    subclass of :class:`InvalidInput` (the call changed nothing);
  * a refusal is a returned result with a reason code; the client turns it into a
    subclass of :class:`Refused` carrying the reason, the audit event id and the
    result row (e.g. the holders of a lock), so an agent can wait or ask.
"""
from __future__ import annotations

from typing import Any

import psycopg


class PgcoordError(Exception):
    """Base of every pgcoord exception."""


# -- bad input (SQLSTATE class PC) ----------------------------------------

class InvalidInput(PgcoordError):
    sqlstate = "PC000"

    def __init__(self, message: str, *, sqlstate: str | None = None, detail: str | None = None,
                 hint: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate or type(self).sqlstate
        self.detail = detail
        self.hint = hint


class NullArgument(InvalidInput):
    sqlstate = "PC001"


class InvalidArgument(InvalidInput):
    sqlstate = "PC002"


class InvalidPath(InvalidInput):
    sqlstate = "PC003"


class TtlOutOfRange(InvalidInput):
    sqlstate = "PC004"


class UnknownTask(InvalidInput):
    sqlstate = "PC005"


class UnknownProfile(InvalidInput):
    sqlstate = "PC006"


class UnknownAgent(InvalidInput):
    sqlstate = "PC007"


class InvalidEnforcementMode(InvalidInput):
    sqlstate = "PC008"


class AuditImmutable(PgcoordError):
    sqlstate = "PC009"


class InvalidAgentRole(InvalidInput):
    sqlstate = "PC010"


class EngineUnavailable(InvalidInput):
    sqlstate = "PC011"


class InvalidPattern(InvalidInput):
    sqlstate = "PC012"


class UnknownSession(InvalidInput):
    sqlstate = "PC013"


class InvalidDigest(InvalidInput):
    sqlstate = "PC014"


class IsolationNotSupported(InvalidInput):
    sqlstate = "PC015"


class ReadOnlyServer(InvalidInput):
    """PC020: the server is a standby; mutations and decisions need the primary."""
    sqlstate = "PC020"


class PathRuleInUse(InvalidInput):
    """PC021: the path case rule cannot change while leases are live (or changed while this lease was requested)."""
    sqlstate = "PC021"


class LockNotAvailable(PgcoordError):
    """55P03: the call waited more than the API's lock_timeout (5 s) for one lock; nothing changed, retry."""


class PermissionDenied(PgcoordError):
    """The role lacks the privilege (SQLSTATE 42501): e.g. an agent calling an admin function."""


SQLSTATE_EXCEPTIONS: dict[str, type[PgcoordError]] = {
    cls.sqlstate: cls
    for cls in (NullArgument, InvalidArgument, InvalidPath, TtlOutOfRange, UnknownTask, UnknownProfile,
                UnknownAgent, InvalidEnforcementMode, AuditImmutable, InvalidAgentRole, EngineUnavailable,
                InvalidPattern, UnknownSession, InvalidDigest, IsolationNotSupported, ReadOnlyServer,
                PathRuleInUse)
}


def map_database_error(exc: psycopg.Error) -> PgcoordError | None:
    """The typed exception for a psycopg error, or None when it is not pgcoord's."""
    diag = exc.diag
    state = diag.sqlstate or ""
    if state == "42501":
        return PermissionDenied(diag.message_primary or str(exc))
    if state == "55P03":
        return LockNotAvailable(diag.message_primary or str(exc))
    cls = SQLSTATE_EXCEPTIONS.get(state)
    if cls is None:
        return None
    if issubclass(cls, InvalidInput):
        return cls(diag.message_primary or str(exc), sqlstate=state, detail=diag.message_detail,
                   hint=diag.message_hint)
    return cls(diag.message_primary or str(exc))


# -- refusals (reason codes) ----------------------------------------------

class Refused(PgcoordError):
    """The policy hook refused the mutation; the refusal is in the audit trail."""

    reason = "refused"

    def __init__(self, reason: str, result: dict[str, Any]):
        super().__init__(f"refused: {reason}")
        self.reason = reason
        self.result = result
        self.event_id = result.get("event_id")


class NotRegistered(Refused):
    reason = "agent_not_registered"


class Suspended(Refused):
    reason = "agent_suspended"


class ProfileUnresolved(Refused):
    reason = "profile_unresolved"


class TrustTooLow(Refused):
    reason = "trust_too_low"


class OperationBlocked(Refused):
    reason = "operation_blocked"


class OperationNotAllowed(Refused):
    reason = "operation_not_allowed"


class NotAdmin(Refused):
    reason = "not_admin"


class LimitExceeded(Refused):
    reason = "limit_exceeded"


class UnknownOperation(Refused):
    reason = "unknown_operation"


class SessionNotOwned(Refused):
    reason = "session_not_owned"


class LockHeld(Refused):
    """A live lock of another agent overlaps the path; ``result['holders']`` says whose and until when."""

    reason = "lock_held_by_other"


class LockNotHeld(Refused):
    reason = "lock_not_held"


class NotClaimOwner(Refused):
    reason = "not_claim_owner"


class ClaimExpired(Refused):
    reason = "claim_expired"


class TaskTerminal(Refused):
    reason = "task_terminal"


class TaskNotClaimable(Refused):
    reason = "task_not_claimable"


class DependencyFailed(Refused):
    reason = "dependency_failed"


class AttemptsExhausted(Refused):
    reason = "attempts_exhausted"


class GuardrailBlocked(Refused):
    reason = "guardrail_blocked"


class DomainDenied(Refused):
    reason = "domain_denied"


REASON_EXCEPTIONS: dict[str, type[Refused]] = {
    cls.reason: cls
    for cls in (NotRegistered, Suspended, ProfileUnresolved, TrustTooLow, OperationBlocked,
                OperationNotAllowed, NotAdmin, LimitExceeded, UnknownOperation, SessionNotOwned,
                LockHeld, LockNotHeld, NotClaimOwner, ClaimExpired, TaskTerminal, TaskNotClaimable,
                DependencyFailed, AttemptsExhausted, GuardrailBlocked, DomainDenied)
}


def refusal(reason: str, result: dict[str, Any]) -> Refused:
    return REASON_EXCEPTIONS.get(reason, Refused)(reason, result)
