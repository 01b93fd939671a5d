"""The tools of `pgcoord mcp`, in toolsets, and the shapes of their results.

Each tool is one call of the typed client (:class:`pgcoord.AsyncClient`) on the
agent's own session; nothing here decides anything. What the database answers
becomes the tool's structured result, with two presentations chosen by the
database's own words:

* contention (a refusal the client marks ``retryable``: another agent's lease is in
  the way, no task is claimable) is a normal result — ``granted: false`` /
  ``claimed: false`` with the holders, their expiry and when to try again;
* any other refusal, and bad input, is a tool error whose text starts with the
  reason code or SQLSTATE (:mod:`pgcoord.mcp_server.replies`).

A check (guardrails, network) asks for a decision, so a denial is its result
(``blocked: true`` / ``allowed: false``), not an error.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from mcp_types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from ..async_client import AsyncClient
from ..client import POLL_INTERVAL
from ..results import Refusal, TaskStatus
from .connection import AgentConnection
from .replies import CodedError, refusal_error

T = TypeVar("T")

#: The toolsets, in the order tools/list shows them.
TOOLSETS: dict[str, str] = {
    "context": "who you are and what you hold (my_status)",
    "leases": "leases on files, directories and globs",
    "tasks": "the task queue: submit, claim, renew, complete, fail, cancel, list, read",
    "checks": "guardrail and network-policy decisions",
    "fleet": "liveness: heartbeat, who else is alive, what became of your leases and claims",
    "handoffs": "handoffs: leave and read what an agent hands over to whoever continues its work",
    "memory": "the fleet's memory: episodes and lessons, recall by text and tags, skills' success rates",
    "approvals": "approvals: follow a request your call was refused with (approval_required); deciding is not here",
}
#: The core toolsets (tools/list within its token budget); the others are chosen by flag.
DEFAULT_TOOLSETS = ("context", "leases", "tasks", "checks")

#: A lease's length when the agent gives none (seconds).
DEFAULT_TTL = 600
#: A claim's length when the agent gives none (seconds): the database's own default.
DEFAULT_CLAIM = 300

LockMode = Literal["exclusive", "shared"]


# -- result shapes ----------------------------------------------------------------------------


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Holder(Out):
    holder: str
    path: str
    mode: str
    expires_at: datetime


class LeaseOut(Out):
    granted: bool
    path: str
    token: int | None = None
    expires_at: datetime | None = None
    reason: str
    event_id: int
    holders: list[Holder] = []
    retry_after_s: float | None = None
    next: str | None = None


class RenewOut(Out):
    path: str
    token: int
    expires_at: datetime
    reason: str
    event_id: int


class DoneOut(Out):
    reason: str
    event_id: int


class LiveLeaseOut(Out):
    path: str
    mode: str
    holder: str
    token: int
    expires_at: datetime
    requested: str | None = None


class LeasesOut(Out):
    leases: list[LiveLeaseOut]


class SubmitOut(Out):
    task_id: int
    existing: bool
    reason: str
    event_id: int
    warnings: list[str] = []


class ClaimOut(Out):
    claimed: bool
    task_id: int | None = None
    claim_token: int | None = None
    claim_expires_at: datetime | None = None
    task_type: str | None = None
    description: str | None = None
    input: dict[str, Any] | None = None
    attempt: int | None = None
    reason: str
    event_id: int
    next: str | None = None


class ClaimRenewOut(Out):
    task_id: int
    claim_expires_at: datetime
    reason: str
    event_id: int


class SettleOut(Out):
    task_id: int
    status: str
    settled: int | None = None
    reason: str
    event_id: int
    warnings: list[str] = []


class TaskRow(Out):
    task_id: int
    task_type: str
    status: str
    priority: int
    description: str
    submitter: str
    claimed_by: str | None
    unmet_deps: int


class TasksOut(Out):
    tasks: list[TaskRow]


class TaskOut(Out):
    task_id: int
    task_type: str
    status: str
    description: str
    input: dict[str, Any] | None
    result: Any = None
    error: str | None
    submitter: str
    claimed_by: str | None
    claim_token: int | None
    claim_expires_at: datetime | None
    attempts: int
    max_attempts: int
    depends_on: list[int]


class Match(Out):
    name: str
    category: str
    severity: str


class CommandCheckOut(Out):
    blocked: bool
    reason: str
    event_id: int
    matches: list[Match] = []


class NetworkCheckOut(Out):
    allowed: bool
    domain: str | None
    reason: str
    event_id: int


class MyLease(Out):
    path: str
    mode: str
    token: int
    expires_at: datetime


class MyClaim(Out):
    task_id: int
    claim_token: int | None
    claim_expires_at: datetime | None
    task_type: str


class StatusOut(Out):
    role: str
    registered: bool
    status: str | None
    profile: str | None
    trust_level: int | None
    leases: list[MyLease]
    claims: list[MyClaim]


class HeartbeatOut(Out):
    heartbeat_at: datetime
    stale_after_s: float
    channel: str
    reason: str
    event_id: int


class AgentOut(Out):
    role_name: str
    profile: str | None
    status: str
    reported_status: str | None
    liveness: str
    last_heartbeat: datetime | None
    capabilities: list[str]
    live_leases: int
    live_claims: int


class AgentsOut(Out):
    agents: list[AgentOut]


class GrantOut(Out):
    kind: str
    path: str | None
    task_id: int | None
    mode: str | None
    token: int | None
    expires_at: datetime | None
    state: str
    cause: str | None
    lost_at: datetime | None


class GrantsOut(Out):
    grants: list[GrantOut]


class HandoffWrittenOut(Out):
    handoff_id: int
    reason: str
    event_id: int
    warnings: list[str] = []


class HandoffOut(Out):
    handoff_id: int
    agent: str
    summary: str
    completed: list[str]
    in_progress: list[str]
    decisions: list[str]
    next_steps: list[str]
    files: list[str]
    created_at: datetime


class HandoffsOut(Out):
    handoffs: list[HandoffOut]


class RememberedOut(Out):
    memory_id: int
    deduplicated: bool
    reason: str
    event_id: int
    warnings: list[str] = []


class MemoryOut(Out):
    memory_id: int
    agent: str
    event_type: str
    summary: str
    outcome: str | None
    lessons: list[str]
    tags: list[str]
    seen_count: int
    last_seen_at: datetime
    score: float | None


class MemoriesOut(Out):
    memories: list[MemoryOut]


class SkillOutcomeOut(Out):
    skill: str
    attempts: int
    successes: int
    event_id: int


class SkillOut(Out):
    skill: str
    attempts: int
    successes: int
    success_rate: float | None
    last_note: str | None


class SkillsOut(Out):
    skills: list[SkillOut]


class ApprovalOut(Out):
    approval_id: int
    state: str
    operation: str
    resource: str | None
    args: dict[str, Any] | None
    expires_at: datetime
    decided_by: str | None
    note: str | None
    next: str


# -- registration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolInfo:
    toolset: str
    description: str
    read_only: bool
    destructive: bool = False
    idempotent: bool = False

    def annotations(self) -> ToolAnnotations:
        if self.read_only:   # the other two hints mean nothing for a tool that changes nothing
            return ToolAnnotations(read_only_hint=True, open_world_hint=False)
        return ToolAnnotations(read_only_hint=False, destructive_hint=self.destructive,
                               idempotent_hint=self.idempotent, open_world_hint=False)


def tool(toolset: str, description: str, *, read_only: bool = False, destructive: bool = False,
         idempotent: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a method of :class:`Tools` as a tool of ``toolset``."""
    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__pgcoord_tool__ = ToolInfo(toolset, " ".join(description.split()), read_only,  # type: ignore[attr-defined]
                                       destructive, idempotent)
        return fn
    return mark


def _warnings(result: Any) -> list[str]:
    return [m.name for m in getattr(result, "guardrails", ()) or ()]


Seconds = Annotated[int, Field(description="seconds")]
Wait = Annotated[float, Field(description="seconds to wait for it; 0: answer at once")]


class Tools:
    """The tools, bound to the agent's session. Each method is one tool (see :func:`tool`)."""

    def __init__(self, db: AgentConnection):
        self.db = db

    async def _read(self, op: Callable[[AsyncClient], Awaitable[T]]) -> T:
        return await self.db.run(op, read_only=True)

    async def _write(self, op: Callable[[AsyncClient], Awaitable[T]]) -> T:
        return await self.db.run(op, read_only=False)

    @staticmethod
    def _granted(result: T | Refusal) -> T:
        """The result of a mutation that proceeded; a refusal is the tool's error."""
        if isinstance(result, Refusal):
            raise refusal_error(result)
        return result

    async def _retry_after(self, refusal: Refusal) -> float | None:
        """Seconds until the leases in the way end unless renewed, by the database clock."""
        if refusal.expires_at is None:
            return None
        now = await self._read(lambda c: c.now())
        return round(max(0.0, (refusal.expires_at - now).total_seconds()), 1)

    # -- context ---------------------------------------------------------------------------

    @tool("context", """At the start of work or after a restart: your role, profile and trust level, and the
          leases and task claims you hold.""", read_only=True)
    async def my_status(self) -> StatusOut:
        async def op(c: AsyncClient) -> StatusOut:
            me = await c.whoami()
            leases = await c.live_locks(me.role_name)
            claimed = await c.list_tasks(status=["claimed"], limit=None)
            return StatusOut(role=me.role_name, registered=me.registered, status=me.status, profile=me.profile,
                             trust_level=me.trust_level,
                              leases=[MyLease.model_validate(x) for x in leases],
                             claims=[MyClaim.model_validate(t) for t in claimed if t.claimed_by == me.role_name])
        return await self._read(op)

    # -- leases ------------------------------------------------------------------------------

    @tool("leases", """Before editing files: lease a file, `dir/` or glob so that no other agent edits it.
          If another agent's lease overlaps: granted=false, its holders and retry_after_s (or pass wait to block
          until it is free). Renew before expires_at; release when done.""")
    async def acquire_lease(self, path: str, ttl: Seconds = DEFAULT_TTL, mode: LockMode = "exclusive",
                            reason: str = "", wait: Wait = 0) -> LeaseOut:
        if wait > 0:
            result = await self.db.waiting(lambda c: c.wait_for_lease(path, wait, ttl=ttl, mode=mode, reason=reason,
                                                                      raise_on_refusal=False))
        else:
            result = await self._write(lambda c: c.acquire_lock(path, ttl, mode, reason, raise_on_refusal=False))
        if not isinstance(result, Refusal):
            return LeaseOut(granted=True, path=result.path, token=result.token, expires_at=result.expires_at,
                            reason=result.reason, event_id=result.event_id)
        if not result.retryable:
            raise refusal_error(result)
        retry = await self._retry_after(result)
        return LeaseOut(granted=False, path=result.row.get("path") or path, reason=result.reason,
                        event_id=result.event_id, holders=[Holder.model_validate(h) for h in result.holders],
                        retry_after_s=retry,
                        next="held by another agent: call again after retry_after_s (unless renewed), or with wait "
                             "to be granted as soon as it is released")

    @tool("leases", """While still working under a lease: extend it to ttl seconds from now (an expired
          lease must be acquired again).""", idempotent=True)
    async def renew_lease(self, path: str, ttl: Seconds = DEFAULT_TTL) -> RenewOut:
        result = self._granted(await self._write(lambda c: c.renew_lock(path, ttl, raise_on_refusal=False)))
        return RenewOut.model_validate(result)

    @tool("leases", "When done with a path: release your lease so that others can take it.",
          destructive=True, idempotent=True)
    async def release_lease(self, path: str) -> DoneOut:
        result = self._granted(await self._write(lambda c: c.release_lock(path, raise_on_refusal=False)))
        return DoneOut.model_validate(result)

    @tool("leases", "Before planning edits: the live leases, of any agent, that overlap these paths.",
          read_only=True)
    async def check_leases(self, paths: list[str]) -> LeasesOut:
        leases = await self._read(lambda c: c.check_locks(paths))
        return LeasesOut(leases=[LiveLeaseOut.model_validate(x) for x in leases])

    # -- tasks -------------------------------------------------------------------------------

    @tool("tasks", """To hand work to other agents: queue a task. depends_on: task ids that must complete
          first; a repeated idempotency_key returns the existing task.""")
    async def submit_task(self, task_type: str, description: str = "", input: dict[str, Any] | None = None,
                          priority: int = 0, depends_on: list[int] | None = None,
                          idempotency_key: str | None = None, max_attempts: int = 3,
                          touches: list[str] | None = None) -> SubmitOut:
        result = self._granted(await self._write(lambda c: c.submit_task(
            task_type, description, input, priority, depends_on or (), idempotency_key, max_attempts,
            touches=touches or (), raise_on_refusal=False)))
        return SubmitOut(task_id=result.task_id, existing=result.existing, reason=result.reason,
                         event_id=result.event_id, warnings=_warnings(result))

    @tool("tasks", """To pick up work: claim the best claimable task (of types, else any). None: claimed=false
          (or pass wait to block until one arrives). Keep claim_token; renew_claim before claim_expires_at; end
          with complete_task or fail_task.""")
    async def claim_task(self, types: list[str] | None = None, lease: Seconds = DEFAULT_CLAIM,
                         wait: Wait = 0, lease_touches: bool = False) -> ClaimOut:
        if wait > 0:
            # a claim that runs out sends no notification (expiry is a time, not a write): poll
            # often enough to take over a dead agent's task within the wait, seldom enough that
            # the refused tries (each an audit event) stay few: 5 per wait, 1 s to 15 s apart
            poll = min(POLL_INTERVAL, max(1.0, wait / 5))
            result = await self.db.waiting(lambda c: c.wait_for_task(types, wait, lease=lease, poll_interval=poll,
                                                                     lease_touches=lease_touches,
                                                                     raise_on_refusal=False))
        else:
            result = await self._write(lambda c: c.claim_task(types, lease, lease_touches=lease_touches,
                                                              raise_on_refusal=False))
        if not isinstance(result, Refusal):
            return ClaimOut(claimed=True, task_id=result.task_id, claim_token=result.claim_token,
                            claim_expires_at=result.claim_expires_at, task_type=result.task_type,
                            description=result.description, input=result.input, attempt=result.attempt,
                            reason=result.reason, event_id=result.event_id)
        if not result.retryable:
            raise refusal_error(result)
        return ClaimOut(claimed=False, reason=result.reason, event_id=result.event_id,
                        next="no claimable task now: call again later, or with wait to claim one as soon as it "
                             "becomes claimable")

    @tool("tasks", "While still working on a claimed task: extend the claim to lease seconds from now.",
          idempotent=True)
    async def renew_claim(self, task_id: int, claim_token: int, lease: Seconds = DEFAULT_CLAIM) -> ClaimRenewOut:
        result = self._granted(await self._write(lambda c: c.renew_claim(task_id, claim_token, lease,
                                                                         raise_on_refusal=False)))
        return ClaimRenewOut.model_validate(result)

    @tool("tasks", "When a claimed task is done: complete it with its result.", idempotent=True)
    async def complete_task(self, task_id: int, claim_token: int, result: dict[str, Any] | None = None) -> SettleOut:
        done = self._granted(await self._write(lambda c: c.complete_task(task_id, claim_token, result,
                                                                         raise_on_refusal=False)))
        return SettleOut(task_id=task_id, status="completed", reason=done.reason, event_id=done.event_id,
                         warnings=_warnings(done))

    @tool("tasks", """When a claimed task cannot be done: fail it. retryable=true requeues it if attempts
          remain; otherwise it fails and its pending dependents are cancelled.""",
          destructive=True, idempotent=True)
    async def fail_task(self, task_id: int, claim_token: int, error: str, retryable: bool = False) -> SettleOut:
        done = self._granted(await self._write(lambda c: c.fail_task(task_id, claim_token, error, retryable,
                                                                     raise_on_refusal=False)))
        return SettleOut.model_validate(done)

    @tool("tasks", "To withdraw a task nobody should do: cancel it and its pending dependents.",
          destructive=True, idempotent=True)
    async def cancel_task(self, task_id: int, reason: str) -> SettleOut:
        done = self._granted(await self._write(lambda c: c.cancel_task(task_id, reason, raise_on_refusal=False)))
        return SettleOut(task_id=task_id, status="cancelled", settled=done.settled, reason=done.reason,
                         event_id=done.event_id)

    @tool("tasks", """To survey the queue: the tasks you may see, oldest first, without input or result
          (see get_task).""", read_only=True)
    async def list_tasks(self, status: list[TaskStatus] | None = None, types: list[str] | None = None,
                         limit: int = 50) -> TasksOut:
        tasks = await self._read(lambda c: c.list_tasks(status=status, types=types, limit=limit))
        return TasksOut(tasks=[TaskRow.model_validate(t) for t in tasks])

    @tool("tasks", "To read one task in full: its status, input, result or error, and claim.", read_only=True)
    async def get_task(self, task_id: int) -> TaskOut:
        return TaskOut.model_validate(await self._read(lambda c: c.get_task(task_id)))

    # -- checks ------------------------------------------------------------------------------

    @tool("checks", """Before running a shell command: check it (and the paths it touches) against the
          guardrails. blocked=true: do not run it. workspace (your checkout's root) and cwd (where it runs),
          absolute paths, let its paths be resolved.""", read_only=True)
    async def check_command(self, text: str, paths: list[str] | None = None, workspace: str | None = None,
                            cwd: str | None = None) -> CommandCheckOut:
        result = await self._read(lambda c: c.check_guardrails(text, paths or (), workspace=workspace, cwd=cwd,
                                                               raise_on_refusal=False))
        if isinstance(result, Refusal) and result.reason != "guardrail_blocked":
            raise refusal_error(result)
        return CommandCheckOut(blocked=isinstance(result, Refusal) or bool(result.blocked), reason=result.reason,
                               event_id=result.event_id, matches=[Match.model_validate(m) for m in result.guardrails])

    @tool("checks", """Before fetching a URL or contacting a host: check the network policy. allowed=false: do
          not contact it.""", read_only=True)
    async def check_network(self, target: str) -> NetworkCheckOut:
        result = await self._read(lambda c: c.check_network_access(target, raise_on_refusal=False))
        if isinstance(result, Refusal):
            if result.reason != "domain_denied":
                raise refusal_error(result)
            return NetworkCheckOut(allowed=False, domain=result.row.get("domain"), reason=result.reason,
                                   event_id=result.event_id)
        return NetworkCheckOut(allowed=bool(result.allowed), domain=result.domain, reason=result.reason,
                               event_id=result.event_id)


    # -- fleet ---------------------------------------------------------------------------------

    @tool("fleet", """Every minute or so while you work: say you are alive (status active, idle or busy; your
          capabilities). Without one for stale_after_s you show as stale to others.""", idempotent=True)
    async def heartbeat(self, status: Literal["active", "idle", "busy"] = "active",
                        capabilities: list[str] | None = None) -> HeartbeatOut:
        beat = self._granted(await self._write(lambda c: c.heartbeat(status, capabilities, raise_on_refusal=False)))
        return HeartbeatOut(heartbeat_at=beat.heartbeat_at, stale_after_s=beat.stale_after.total_seconds(),
                            channel=beat.channel, reason=beat.reason, event_id=beat.event_id)

    @tool("fleet", """To find other agents: who is registered, live or stale, busy or idle, with which
          capabilities and how many leases and claims.""", read_only=True)
    async def discover_agents(self, capability: str | None = None, status: str | None = None) -> AgentsOut:
        found = await self._read(lambda c: c.discover_agents(capability, status))
        return AgentsOut(agents=[AgentOut.model_validate(a) for a in found])

    @tool("fleet", """When a lease or claim may have been lost: your leases and claims, live ones and those
          lost lately with why (expired, released, force_released, taken_over).""", read_only=True)
    async def lease_status(self) -> GrantsOut:
        grants = await self._read(lambda c: c.lease_status())
        return GrantsOut(grants=[GrantOut.model_validate(g) for g in grants])


    # -- handoffs ------------------------------------------------------------------------------

    @tool("handoffs", """Before you stop or hand work over: leave a handoff (summary required; completed,
          in_progress, decisions, next_steps, files) for whoever continues.""")
    async def write_handoff(self, summary: str, completed: list[str] | None = None,
                            in_progress: list[str] | None = None, decisions: list[str] | None = None,
                            next_steps: list[str] | None = None, files: list[str] | None = None) -> HandoffWrittenOut:
        done = self._granted(await self._write(lambda c: c.write_handoff(
            summary, completed=completed or (), in_progress=in_progress or (), decisions=decisions or (),
            next_steps=next_steps or (), files=files or (), raise_on_refusal=False)))
        return HandoffWrittenOut(handoff_id=done.handoff_id, reason=done.reason, event_id=done.event_id,
                                 warnings=_warnings(done))

    @tool("handoffs", """When you take over work: the latest handoffs (of one agent, if given), newest
          first.""", read_only=True)
    async def read_handoffs(self, agent: str | None = None, limit: int = 10) -> HandoffsOut:
        found = await self._read(lambda c: c.read_handoffs(agent, limit))
        return HandoffsOut(handoffs=[HandoffOut.model_validate(h) for h in found])


    # -- memory --------------------------------------------------------------------------------

    @tool("memory", """After something worth knowing happened (a fix, a failure, a gotcha): record it with
          its outcome, lessons and tags for the fleet.""")
    async def remember(self, event_type: str, summary: str, outcome: str | None = None,
                       lessons: list[str] | None = None, tags: list[str] | None = None) -> RememberedOut:
        done = self._granted(await self._write(lambda c: c.remember(
            event_type, summary, outcome=outcome, lessons=lessons or (), tags=tags or (), raise_on_refusal=False)))
        return RememberedOut(memory_id=done.memory_id, deduplicated=done.deduplicated, reason=done.reason,
                             event_id=done.event_id, warnings=_warnings(done))

    @tool("memory", """Before a task or when stuck: what the fleet remembers, by words (text), tags and event
          type, most relevant and recent first.""", read_only=True)
    async def recall(self, text: str | None = None, tags: list[str] | None = None, event_type: str | None = None,
                     limit: int = 10) -> MemoriesOut:
        found = await self._read(lambda c: c.recall(tags, event_type, text, limit))
        return MemoriesOut(memories=[MemoryOut.model_validate(m) for m in found])

    @tool("memory", "After using a skill (a procedure, a tool, a recipe): count the attempt and whether it worked.")
    async def record_skill_outcome(self, skill: str, succeeded: bool, notes: str | None = None) -> SkillOutcomeOut:
        done = self._granted(await self._write(lambda c: c.record_skill_outcome(skill, succeeded, notes,
                                                                                raise_on_refusal=False)))
        return SkillOutcomeOut(skill=done.skill, attempts=done.attempts, successes=done.successes,
                               event_id=done.event_id)

    @tool("memory", "Choosing how to do something: the fleet's skills with their success rates.", read_only=True)
    async def skills(self, prefix: str | None = None) -> SkillsOut:
        found = await self._read(lambda c: c.skills(prefix))
        return SkillsOut(skills=[SkillOut.model_validate(x) for x in found])

    # -- approvals -----------------------------------------------------------------------------

    @tool("approvals", """When a call was refused approval_required: its approval's state (pending, granted,
          rejected, used, expired, superseded) and the call it binds; wait: for the decision. granted: repeat
          exactly the same call.""", read_only=True)
    async def approval_status(self, approval_id: int, wait: Wait = 0) -> ApprovalOut:
        if wait > 0:
            found = await self.db.waiting(lambda c: c.wait_for_approval(approval_id, wait))
        else:
            found = await self._read(lambda c: c.approval_status(approval_id))
        if found is None:
            raise CodedError("approval_not_found", "no approval request of yours has this id. Next: use the "
                                                   "approval_id of your refused call")
        return ApprovalOut(approval_id=found.approval_id, state=found.state, operation=found.operation,
                           resource=found.resource, args=found.args, expires_at=found.expires_at,
                           decided_by=found.decided_by, note=found.note,
                           next=APPROVAL_NEXT.get(found.state, "see the state in the pgcoord documentation"))


#: What an agent does next, by the state of its approval request.
APPROVAL_NEXT: dict[str, str] = {
    "pending": "not decided yet: call again with wait to wait for the decision",
    "granted": "repeat exactly the same call (same arguments) before expires_at: it proceeds once",
    "rejected": "do not repeat the call; the note may say why",
    "used": "the grant was used by your call; another call needs its own approval",
    "expired": "nobody decided in time, or the grant went unused: make the call again to ask anew",
    "superseded": "a newer request replaced this one: follow that one",
}


def tool_methods(tools: Tools) -> list[tuple[Callable[..., Any], ToolInfo]]:
    """Every tool method of ``tools`` with its registration, in declaration order."""
    found = []
    for name in Tools.__dict__:
        fn = getattr(tools, name)
        info = getattr(fn, "__pgcoord_tool__", None)
        if isinstance(info, ToolInfo):
            found.append((fn, info))
    return found
