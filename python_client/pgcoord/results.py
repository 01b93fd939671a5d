"""Typed results of the ``coord.*`` functions: frozen dataclasses mapped from their OUT columns.

Each class names the columns it reads; a column the database adds later is ignored
until a class names it, and a column it lacks reads as ``None``. Every result of a
mutation is a :class:`Verdict` (``ok``, ``reason``, ``event_id``) plus its own
columns; a refused mutation is a :class:`Refusal` (raised as a
:class:`~pgcoord.errors.Refused` subclass unless ``raise_on_refusal=False``).

For code written against the earlier dict-returning client, results also read as
mappings: ``grant["token"]`` is ``grant.token`` (and ``.get(name)``, ``.keys()``).
"""
from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

LockMode = Literal["exclusive", "shared"]
LockKind = Literal["file", "dir", "glob"]
TaskStatus = Literal["pending", "claimed", "completed", "failed", "cancelled"]
EnforcementMode = Literal["off", "shadow", "enforce"]
PolicyEngine = Literal["native", "cedar"]
AgentStatus = Literal["active", "suspended"]
PathCase = Literal["sensitive", "insensitive"]
GuardrailSeverity = Literal["block", "warn", "approve"]
GuardrailTarget = Literal["text", "path", "both"]
NetworkAction = Literal["allow", "deny"]
Outcome = Literal["allow", "deny", "refuse"]
ReportedStatus = Literal["active", "idle", "busy"]
Liveness = Literal["live", "stale", "never"]
GrantState = Literal["live", "lost"]
LossCause = Literal["expired", "released", "force_released", "taken_over"]
#: An approval request's effective state (a pending request or an unused grant past
#: its expiry reads ``expired``).
ApprovalState = Literal["pending", "granted", "rejected", "used", "expired", "superseded"]
#: Why a call needs an approval: its profile lists the operation, an elevation below
#: the needed trust, or a guardrail match of severity ``approve``.
ApprovalSource = Literal["profile", "elevation", "guardrail"]

#: A duration: seconds (int or float) or a timedelta; sent as an interval.
Seconds = int | float | timedelta

#: Reason codes a later retry of the same call can turn into a success without
#: anything changing on the caller's side: someone else's lease ends, a task arrives.
RETRYABLE_REASONS = frozenset({"lock_held_by_other", "task_not_claimable"})

R = TypeVar("R", bound="Row")


class Row:
    """Mapping-style read access to a result's fields, for code written against dict rows."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        if key in _field_names(type(self)):
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in _field_names(type(self)) else default

    def keys(self) -> tuple[str, ...]:
        return _field_names(type(self))

    def __contains__(self, key: object) -> bool:
        return key in _field_names(type(self))

    def __iter__(self) -> Iterator[str]:
        return iter(_field_names(type(self)))

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (nested results too), e.g. for JSON."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]


_FIELDS: dict[Any, tuple[str, ...]] = {}


def _field_names(cls: Any) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _ts(value: Any) -> datetime | None:
    """A timestamp from a row (datetime) or from jsonb (ISO 8601 text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _holders(value: Any) -> tuple[Holder, ...]:
    return tuple(Holder(holder=h.get("holder"), path=h.get("path"), mode=h.get("mode"),
                        expires_at=_ts(h.get("expires_at")))  # type: ignore[arg-type]
                 for h in (value or ()))


def _matches(value: Any) -> tuple[GuardrailMatch, ...]:
    return tuple(GuardrailMatch(name=m.get("name"), category=m.get("category"), severity=m.get("severity"),
                                always=bool(m.get("always")), exempt_trust=m.get("exempt_trust"))
                 for m in (value or ()))


def _tuple(value: Any) -> tuple[Any, ...] | None:
    return None if value is None else tuple(value)


# Columns converted on the way in, by name (the same name means the same thing in
# every coord function).
_CONVERTERS: dict[str, Any] = {
    "holders": _holders,
    "released": _holders,
    "guardrails": _matches,
    "allowed_operations": _tuple,
    "blocked_operations": _tuple,
    "depends_on": lambda v: tuple(v or ()),
    "capabilities": _tuple,
    "completed": _tuple,
    "in_progress": _tuple,
    "decisions": _tuple,
    "next_steps": _tuple,
    "files": _tuple,
    "lessons": _tuple,
    "tags": _tuple,
    "seen_by": _tuple,
    "sources": _tuple,
}


def from_row(cls: type[R], row: Mapping[str, Any], /, **extra: Any) -> R:
    """``cls`` from a result row: the columns it names (missing ones as None), then ``extra``."""
    values = {name: row.get(name) for name in _field_names(cls)}
    for name, convert in _CONVERTERS.items():
        if name in values:
            values[name] = convert(values[name])
    values.update(extra)
    return cls(**values)


# -- parts of results ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Holder(Row):
    """A live lease that stood in the way (a refusal's ``holders``) or was released (``released``)."""

    holder: str
    path: str
    mode: LockMode
    expires_at: datetime


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class GuardrailMatch(Row):
    """A guardrail pattern that matched (``severity`` ``block`` denies by the caller's trust)."""

    name: str
    category: str
    severity: GuardrailSeverity
    always: bool
    exempt_trust: int


# -- decisions --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Verdict(Row):
    """The policy's answer to a mutation that proceeded: ``ok``, the ``reason`` code
    (``allowed``, or in shadow/off mode the denial that was only recorded) and the
    audit event written for it."""

    ok: bool
    reason: str
    event_id: int | None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Refusal(Row):
    """A refused mutation: the reason code, its audit event, and what coordination
    says about waiting (``holders`` of a lease in the way, ``expires_at`` — when the
    last of them ends unless renewed — and ``retryable``).

    ``operation`` is the coord function refused; ``row`` the whole result row."""

    ok: Literal[False] = False
    operation: str
    reason: str
    event_id: int | None
    holders: tuple[Holder, ...] = ()
    guardrails: tuple[GuardrailMatch, ...] = ()
    expires_at: datetime | None = None
    retryable: bool = False
    row: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    # The dict interface reads the whole refused row (its other columns are NULL).
    def __getitem__(self, key: str) -> Any:
        return getattr(self, key) if key in _field_names(type(self)) else self.row[key]

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in _field_names(type(self)) else self.row.get(key, default)

    def keys(self) -> tuple[str, ...]:
        return (*_field_names(type(self)), *(k for k in self.row if k not in _field_names(type(self))))

    def __contains__(self, key: object) -> bool:
        return key in _field_names(type(self)) or key in self.row

    @property
    def approval_id(self) -> int | None:
        """The approval request this refusal made (reason ``approval_required``: the
        refused call's audit event), else None. Once it is granted
        (``client.wait_for_approval(approval_id)``), the identical call proceeds once."""
        return self.event_id if self.reason == "approval_required" else None

    @classmethod
    def from_row(cls, operation: str, row: Mapping[str, Any]) -> Refusal:
        holders = _holders(row.get("holders"))
        return cls(operation=operation, reason=str(row.get("reason") or "refused"), event_id=row.get("event_id"),
                   holders=holders, guardrails=_matches(row.get("guardrails")),
                   expires_at=max((h.expires_at for h in holders), default=None),
                   retryable=row.get("reason") in RETRYABLE_REASONS, row=dict(row))


# -- leases -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class LeaseGrant(Verdict):
    """A granted lease (acquire_lock): its normalised ``path``, fencing ``token`` and expiry."""

    path: str
    token: int
    expires_at: datetime
    mode: LockMode


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class LeaseRenewal(Verdict):
    """A renewed lease (renew_lock): the same token, a new expiry."""

    path: str
    token: int
    expires_at: datetime


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ForceRelease(Verdict):
    """force_release_lock: the leases released."""

    released: tuple[Holder, ...]


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class LiveLease(Row):
    """A live lease as check_locks (``requested``: the path asked about) or the view
    coord.live_locks (``kind``, ``granted_at``, ``reason``) shows it."""

    path: str
    mode: LockMode
    holder: str
    token: int
    expires_at: datetime
    requested: str | None = None
    kind: LockKind | None = None
    granted_at: datetime | None = None
    reason: str | None = None


# -- tasks ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class SubmittedTask(Verdict):
    """submit_task: the task's id; ``existing`` when the idempotency key named an earlier one."""

    task_id: int
    existing: bool
    guardrails: tuple[GuardrailMatch, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Claim(Verdict):
    """A claimed task (claim_task, claim_tasks): ``claim_token`` is the attempt number,
    the fencing token of this claim (INV-COMPLETE-OWNER)."""

    task_id: int
    claim_token: int
    claim_expires_at: datetime
    task_type: str
    description: str
    input: dict[str, Any]
    priority: int
    attempt: int


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ClaimRenewal(Verdict):
    """renew_claim: the claim's new expiry."""

    task_id: int
    claim_token: int
    claim_expires_at: datetime


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Completion(Verdict):
    """complete_task: the guardrail patterns the result matched (warnings, or the block)."""

    task_id: int
    guardrails: tuple[GuardrailMatch, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class TaskFailure(Verdict):
    """fail_task: ``status`` ``pending`` (retried) or ``failed``; dependents ``settled``."""

    task_id: int
    status: Literal["pending", "failed"]
    settled: int


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Cancellation(Verdict):
    """cancel_task: the dependents it settled."""

    task_id: int
    settled: int


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Task(Row):
    """A row of coord.tasks (get_task, list_tasks), as far as the caller may see it (INV-RLS):
    ``result`` and ``error`` are None for a task the caller only may claim."""

    task_id: int
    task_type: str
    description: str
    input: dict[str, Any] | None
    priority: int
    status: TaskStatus
    submitter: str
    idempotency_key: str | None
    max_attempts: int
    attempts: int
    unmet_deps: int
    claimed_by: str | None
    claim_token: int | None
    claim_expires_at: datetime | None
    result: Any
    error: str | None
    settle_reason: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    depends_on: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Reaped(Verdict):
    """reap_expired: what the tidy-up removed or settled."""

    expired_locks: int
    exhausted_tasks: int
    settled_tasks: int


# -- identity, sessions, checks ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Identity(Row):
    """whoami: the session as pgcoord sees it."""

    role_name: str
    registered: bool
    status: AgentStatus | None
    profile: str | None
    trust_level: int | None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class SessionOpened(Verdict):
    """register_session: the new session's id."""

    session_id: uuid.UUID


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Session(Row):
    """A row of coord.my_sessions."""

    session_id: uuid.UUID
    label: str
    client_info: dict[str, Any]
    started_at: datetime
    ended_at: datetime | None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Profile(Row):
    """A trust profile (get_my_profile, coord.profiles)."""

    name: str
    trust_level: int
    description: str
    allowed_operations: tuple[str, ...] | None
    blocked_operations: tuple[str, ...] | None
    max_locks: int
    max_claimed_tasks: int
    max_lease_seconds: int
    max_file_modifications: int


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Enforcement(Row):
    """coord.enforcement: the mode, engine and path case rule in force."""

    enforcement_mode: EnforcementMode
    policy_engine: PolicyEngine
    path_case: PathCase
    updated_at: datetime | None
    updated_by: str | None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class GuardrailCheck(Verdict):
    """check_guardrails: ``blocked`` and every pattern that matched."""

    blocked: bool
    guardrails: tuple[GuardrailMatch, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class NetworkDecision(Verdict):
    """check_network_access: the normalised ``domain`` and the deciding ``rule`` (``ok`` is ``allowed``)."""

    allowed: bool
    domain: str
    rule: dict[str, Any] | None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class AuditEvent(Row):
    """A row of coord.my_audit_events."""

    event_id: int
    occurred_at: datetime
    operation: str
    resource: str | None
    allowed: bool
    proceeded: bool
    reason: str
    engine: str | None
    mode: str | None
    context: dict[str, Any] | None


# -- audit ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class AuditVerification(Row):
    """verify_audit: ``ok``, or the first altered, removed or inserted event."""

    ok: bool
    chains_checked: int
    events_checked: int
    first_bad_event_id: int | None
    first_bad_chain: int | None
    first_bad_seq: int | None
    problem: str | None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DigestVerification(Row):
    """verify_audit_digest: ``ok``, or the first chain that disagrees with the digest."""

    ok: bool
    chains_checked: int
    first_bad_chain: int | None
    problem: str | None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class AuditPurge(Verdict):
    """purge_audit: the number of events removed."""

    purged: int


# -- administration ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Agent(Row):
    """A row of coord.agents (coord_admin, coord_auditor)."""

    role_name: str
    profile: str | None
    trust_level: int | None
    status: AgentStatus
    registered_by: str | None
    registered_at: datetime | None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ProfileSet(Verdict):
    """set_profile: ``created`` (else changed)."""

    created: bool


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ProfileDropped(Verdict):
    """drop_profile: how many agents now fail closed."""

    agents_affected: int


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class GuardrailPatternSet(Verdict):
    """add_guardrail_pattern: ``replaced`` an existing pattern of that name."""

    replaced: bool


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class NetworkRuleSet(Verdict):
    """add_network_rule: the rule's id and normalised pattern; ``replaced`` an existing one."""

    rule_id: int
    normalized_pattern: str
    replaced: bool


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CedarPoliciesSet(Verdict):
    """set_cedar_policies: the stored version."""

    version: int


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CedarEngine(Row):
    """cedar_engine: whether Cedar can run here and is in force."""

    available: bool
    in_force: bool
    policy_version: int | None
    detail: dict[str, Any] | None
    schema: str | None


# -- liveness ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Heartbeat(Verdict):
    """heartbeat: when it was recorded, after how long without one the agent shows as
    stale, and the agent's own notification channel (force-released or taken-over
    leases and claims are announced there)."""

    heartbeat_at: datetime
    stale_after: timedelta
    channel: str


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class AgentLiveness(Row):
    """A row of discover_agents: a registered agent, its reported status and liveness
    (``live``: a heartbeat within ``stale_after``; ``stale``; ``never``)."""

    role_name: str
    profile: str | None
    trust_level: int | None
    status: AgentStatus
    reported_status: ReportedStatus | None
    last_heartbeat: datetime | None
    liveness: Liveness
    capabilities: tuple[str, ...]
    live_leases: int
    live_claims: int
    stale_after: timedelta


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class GrantStatus(Row):
    """A row of lease_status: one of the caller's leases (``kind`` lease: ``path``,
    ``mode``) or claims (``kind`` claim: ``task_id``), live or lost, and why it was lost
    (``state`` lost, ``cause``: expired, released, force_released, taken_over)."""

    kind: Literal["lease", "claim"]
    path: str | None
    task_id: int | None
    mode: LockMode | None
    token: int | None
    expires_at: datetime | None
    state: GrantState
    cause: LossCause | None
    lost_at: datetime | None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class StaleThresholdSet(Verdict):
    """set_stale_threshold: the threshold it replaced."""

    previous: timedelta | None


# -- handoffs ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class HandoffWritten(Verdict):
    """write_handoff: the new handoff's id and the warning guardrails its text matched."""

    handoff_id: int
    guardrails: tuple[GuardrailMatch, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Handoff(Row):
    """A row of read_handoffs: what an agent left for whoever continues its work
    (``session_id`` only for its author and administrators)."""

    handoff_id: int
    agent: str
    session_id: uuid.UUID | None
    summary: str
    completed: tuple[str, ...]
    in_progress: tuple[str, ...]
    decisions: tuple[str, ...]
    next_steps: tuple[str, ...]
    files: tuple[str, ...]
    created_at: datetime


# -- memory -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Remembered(Verdict):
    """remember: the memory's id; ``deduplicated`` when an equal one of the window was
    found (its id), and the warning guardrails its text matched."""

    memory_id: int
    deduplicated: bool
    guardrails: tuple[GuardrailMatch, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Memory(Row):
    """A row of recall: an episodic memory with its relevance to the query and its score
    (relevance and recency)."""

    memory_id: int
    agent: str
    event_type: str
    summary: str
    details: dict[str, Any]
    outcome: str | None
    lessons: tuple[str, ...]
    tags: tuple[str, ...]
    seen_count: int
    seen_by: tuple[str, ...]
    recurrence: int
    created_at: datetime
    last_seen_at: datetime
    relevance: float | None
    score: float | None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class WorkingMemorySet(Verdict):
    """set_working_memory: whether the key existed, and how many keys the session holds."""

    existed: bool
    keys: int


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class WorkingMemoryItem(Row):
    """A row of get_working_memory."""

    key: str
    value: Any
    updated_at: datetime


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class SkillOutcome(Verdict):
    """record_skill_outcome: the skill's counts after this outcome."""

    skill: str
    attempts: int
    successes: int
    guardrails: tuple[GuardrailMatch, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Skill(Row):
    """A row of skills: the fleet's attempts and successes with a skill, and the caller's."""

    skill: str
    attempts: int
    successes: int
    success_rate: float | None
    agents: int
    my_attempts: int
    my_successes: int
    last_at: datetime | None
    last_note: str | None
    last_note_by: str | None
    last_note_at: datetime | None


# -- approvals --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Approval(Row):
    """An approval request (approval_status, coord.approvals; INV-APPROVAL): the refused
    call it binds (``requester``, ``operation``, ``resource``, ``args``), why it needed
    one (``sources``), its effective ``state`` and until when it lives (``expires_at``:
    of the request while pending, of the grant once granted), who decided it, and the
    event of the call that used the grant. ``approval_id`` is the refused call's audit
    event."""

    approval_id: int
    requester: str
    operation: str
    resource: str | None
    args: dict[str, Any] | None
    sources: tuple[ApprovalSource, ...] | None
    state: ApprovalState
    requested_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    used_event_id: int | None

    @property
    def pending(self) -> bool:
        """Nobody decided it yet (and it has not expired)."""
        return self.state == "pending"

    @property
    def granted(self) -> bool:
        """Granted and not yet used: the identical call proceeds (once) until ``expires_at``."""
        return self.state == "granted"


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ApprovalDecision(Verdict):
    """approve / reject: the request's ``state`` after the decision (``granted``,
    ``rejected``) and, for a grant, until when the requester may use it (``expires_at``;
    None for a rejection)."""

    approval_id: int
    state: ApprovalState
    expires_at: datetime | None = None
