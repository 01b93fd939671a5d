"""pgcoord: coordination for fleets of AI coding agents, enforced inside PostgreSQL.

    from pgcoord import Client, LockHeld
    with Client(dsn) as agent:                      # identity = the login role
        with agent.lease("src/api/", ttl=600) as lease:
            ...                                     # renewed in the background, released on exit

:class:`Client` (psycopg) and :class:`AsyncClient` (psycopg's AsyncConnection) call
the ``coord.*`` functions and return the typed results of :mod:`pgcoord.results`;
every exception is in :mod:`pgcoord.errors` and exported here.
"""
from importlib import metadata as _metadata

from .async_client import AsyncActiveClaim, AsyncClient, AsyncLease
from .calls import APPROVALS_CHANNEL, LEASES_CHANNEL, TASKS_CHANNEL
from .client import ActiveClaim, Client, Lease
from .errors import (
    REASON_EXCEPTIONS,
    SQLSTATE_EXCEPTIONS,
    ApprovalExpired,
    ApprovalNotFound,
    ApprovalNotPending,
    ApprovalRequired,
    ApprovalSelf,
    ApprovalStalePolicy,
    AttemptsExhausted,
    AuditImmutable,
    ClaimExpired,
    ClaimLost,
    Denied,
    DependencyFailed,
    DomainDenied,
    EngineUnavailable,
    GuardrailBlocked,
    InvalidAgentRole,
    InvalidArgument,
    InvalidDigest,
    InvalidEnforcementMode,
    InvalidInput,
    InvalidPath,
    InvalidPattern,
    IsolationNotSupported,
    LeaseLost,
    LimitExceeded,
    LockHeld,
    LockNotAvailable,
    LockNotHeld,
    NotAdmin,
    NotApprovable,
    NotApprover,
    NotClaimOwner,
    NotPermitted,
    NotRegistered,
    NullArgument,
    OperationBlocked,
    OperationNotAllowed,
    PathRuleInUse,
    PermissionDenied,
    PgcoordError,
    PolicyError,
    ProfileUnresolved,
    ReadOnlyServer,
    Refused,
    RefusedInEveryMode,
    SessionNotOwned,
    SharedPoolIdentity,
    Suspended,
    TaskNotClaimable,
    TaskTerminal,
    TrustTooLow,
    TtlOutOfRange,
    UnknownAgent,
    UnknownOperation,
    UnknownProfile,
    UnknownSession,
    UnknownTask,
)
from .results import (
    AgentLiveness,
    Approval,
    ApprovalDecision,
    Claim,
    GrantStatus,
    GuardrailCheck,
    Handoff,
    HandoffWritten,
    Heartbeat,
    Holder,
    Identity,
    LeaseGrant,
    LeaseRenewal,
    LiveLease,
    LockMode,
    Memory,
    NetworkDecision,
    Refusal,
    Remembered,
    Skill,
    SubmittedTask,
    Task,
    TaskStatus,
    Verdict,
)

try:
    # the Sqitch plan's last tag, fixed when the package was built (setup.py)
    __version__ = _metadata.version("pgcoord")
except _metadata.PackageNotFoundError:   # imported from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Client", "AsyncClient", "Lease", "AsyncLease", "ActiveClaim", "AsyncActiveClaim",
    "LEASES_CHANNEL", "TASKS_CHANNEL", "APPROVALS_CHANNEL",
    # results (the rest: pgcoord.results)
    "Verdict", "Refusal", "Holder", "LeaseGrant", "LeaseRenewal", "LiveLease", "Claim", "Task", "SubmittedTask",
    "GuardrailCheck", "NetworkDecision", "Identity", "LockMode", "TaskStatus", "Heartbeat", "AgentLiveness",
    "GrantStatus", "Handoff", "HandoffWritten", "Memory", "Remembered", "Skill", "Approval", "ApprovalDecision",
    # exceptions
    "PgcoordError", "InvalidInput", "NullArgument", "InvalidArgument", "InvalidPath", "TtlOutOfRange",
    "UnknownTask", "UnknownProfile", "UnknownAgent", "InvalidEnforcementMode", "AuditImmutable", "InvalidAgentRole",
    "EngineUnavailable", "InvalidPattern", "UnknownSession", "InvalidDigest", "IsolationNotSupported",
    "ReadOnlyServer", "PathRuleInUse", "LockNotAvailable", "PermissionDenied", "SharedPoolIdentity",
    "Refused", "Denied", "RefusedInEveryMode", "NotRegistered", "Suspended", "ProfileUnresolved",
    "UnknownOperation", "OperationBlocked", "OperationNotAllowed", "TrustTooLow", "NotAdmin", "LimitExceeded",
    "SessionNotOwned", "LockHeld", "LockNotHeld", "NotClaimOwner", "ClaimExpired", "TaskTerminal",
    "TaskNotClaimable", "DependencyFailed", "AttemptsExhausted", "GuardrailBlocked", "DomainDenied", "NotPermitted",
    "PolicyError", "ApprovalRequired", "NotApprovable", "ApprovalNotFound", "ApprovalSelf", "ApprovalNotPending",
    "ApprovalExpired", "ApprovalStalePolicy", "NotApprover",
    "LeaseLost", "ClaimLost", "REASON_EXCEPTIONS", "SQLSTATE_EXCEPTIONS",
]
