"""What each client method sends and how its rows become a typed result.

Shared by :class:`pgcoord.Client` and :class:`pgcoord.AsyncClient`: a :class:`Call`
names one ``coord.*`` function, its arguments, and the function that builds the
result from its rows. The clients only execute calls (one statement, one
transaction) and, for a mutation, hand a refused row to :func:`pgcoord.errors.refused`.
Nothing is decided here: arguments go to the database as given.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from psycopg import sql
from psycopg.types.json import Jsonb

from . import results as r
from .results import Seconds, from_row

T = TypeVar("T")
RowT = Mapping[str, Any]
Rows = list[dict[str, Any]]

#: Channels the database notifies (sql/deploy/notifications.sql).
LEASES_CHANNEL = "pgcoord_leases"   # payload: the path of a lease row that is gone
TASKS_CHANNEL = "pgcoord_tasks"     # payload: the type of a task that became claimable
#: payload: an approval id when it is requested, '<id> granted' / '<id> rejected' when decided
APPROVALS_CHANNEL = "pgcoord_approvals"


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """``SELECT * FROM coord.<function>(args)`` and how to read its rows.

    ``mutation``: one row whose ``ok_column`` false means a refusal; ``build`` reads a
    granted row. Otherwise ``build`` reads all rows (a read)."""

    function: str
    args: tuple[Any, ...]
    build: Callable[[Any], T]
    mutation: bool = True
    ok_column: str = "ok"
    #: arguments passed by name (``name => value``) after the positional ones
    named: tuple[tuple[str, Any], ...] = ()

    def query(self) -> sql.Composed:
        passed = [sql.Placeholder()] * len(self.args) + [
            sql.SQL("{} => {}").format(sql.Identifier(name), sql.Placeholder()) for name, _ in self.named]
        return sql.SQL("SELECT * FROM coord.{}({})").format(sql.Identifier(self.function), sql.SQL(", ").join(passed))

    def params(self) -> list[Any]:
        return [Jsonb(a) if isinstance(a, dict) else a for a in (*self.args, *(v for _, v in self.named))]

    def result(self, rows: Rows) -> T | r.Refusal:
        """The typed result of the rows, or the Refusal of a refused mutation."""
        if not self.mutation:
            return self.build(rows)
        row = rows[0] if rows else {}
        if row.get(self.ok_column) is not True:
            return r.Refusal.from_row(self.function, row)
        return self.build(row)


def interval(value: Seconds) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def seconds(value: Seconds) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _types(types: Sequence[str] | None) -> list[str] | None:
    if isinstance(types, str):
        return [types]
    return None if types is None else list(types)


def _one(cls: type[Any], **extra: Any) -> Callable[[RowT], Any]:
    return lambda row: from_row(cls, row, **extra)


def _each(cls: type[Any], **extra: Any) -> Callable[[Rows], list[Any]]:
    return lambda rows: [from_row(cls, row, **extra) for row in rows]


def _first(cls: type[Any]) -> Callable[[Rows], Any]:
    return lambda rows: from_row(cls, rows[0])


def _scalar(column: str) -> Callable[[Rows], Any]:
    return lambda rows: rows[0][column]


def _read(function: str, args: tuple[Any, ...], build: Callable[[Rows], T]) -> Call[T]:
    return Call(function, args, build, mutation=False)


# -- identity and sessions ----------------------------------------------------------------

def whoami() -> Call[r.Identity]:
    return _read("whoami", (), _first(r.Identity))


def get_my_profile() -> Call[r.Profile | None]:
    return _read("get_my_profile", (), lambda rows: from_row(r.Profile, rows[0]) if rows else None)


def now() -> Call[datetime]:
    return _read("now", (), _scalar("now"))


def register_session(label: str, client_info: dict[str, Any] | None) -> Call[r.SessionOpened]:
    return Call("register_session", (label, client_info or {}), _one(r.SessionOpened))


def end_session(session_id: Any) -> Call[r.Verdict]:
    return Call("end_session", (session_id,), _one(r.Verdict))


# -- liveness -----------------------------------------------------------------------------

def heartbeat(status: str, capabilities: Sequence[str] | None) -> Call[r.Heartbeat]:
    return Call("heartbeat", (status, None if capabilities is None else list(capabilities)), _one(r.Heartbeat))


def discover_agents(capability: str | None, status: str | None) -> Call[list[r.AgentLiveness]]:
    return _read("discover_agents", (capability, status), _each(r.AgentLiveness))


def lease_status() -> Call[list[r.GrantStatus]]:
    return _read("lease_status", (), _each(r.GrantStatus))


def set_stale_threshold(threshold: Seconds, reason: str) -> Call[r.StaleThresholdSet]:
    return Call("set_stale_threshold", (interval(threshold), reason), _one(r.StaleThresholdSet))


# -- handoffs -----------------------------------------------------------------------------

def write_handoff(summary: str, completed: Sequence[str], in_progress: Sequence[str], decisions: Sequence[str],
                  next_steps: Sequence[str], files: Sequence[str], session_id: Any) -> Call[r.HandoffWritten]:
    return Call("write_handoff", (summary, list(completed), list(in_progress), list(decisions), list(next_steps),
                                  list(files), session_id), _one(r.HandoffWritten))


def read_handoffs(agent: str | None, limit: int) -> Call[list[r.Handoff]]:
    return _read("read_handoffs", (agent, limit), _each(r.Handoff))


# -- memory -------------------------------------------------------------------------------

def remember(event_type: str, summary: str, details: dict[str, Any] | None, outcome: str | None,
             lessons: Sequence[str], tags: Sequence[str]) -> Call[r.Remembered]:
    return Call("remember", (event_type, summary, details or {}, outcome, list(lessons), list(tags)),
                _one(r.Remembered))


def recall(tags: Sequence[str] | None, event_type: str | None, text: str | None, limit: int) -> Call[list[r.Memory]]:
    return _read("recall", (None if tags is None else list(tags), event_type, text, limit), _each(r.Memory))


def set_working_memory(session_id: Any, key: str, value: Any) -> Call[r.WorkingMemorySet]:
    return Call("set_working_memory", (session_id, key, Jsonb(value)), _one(r.WorkingMemorySet))


def get_working_memory(session_id: Any) -> Call[list[r.WorkingMemoryItem]]:
    return _read("get_working_memory", (session_id,), _each(r.WorkingMemoryItem))


def record_skill_outcome(skill: str, succeeded: bool, notes: str | None) -> Call[r.SkillOutcome]:
    return Call("record_skill_outcome", (skill, succeeded, notes), _one(r.SkillOutcome))


def skills(prefix: str | None) -> Call[list[r.Skill]]:
    return _read("skills", (prefix,), _each(r.Skill))


# -- leases -------------------------------------------------------------------------------

def acquire_lock(path: str, ttl: Seconds, mode: str, reason: str) -> Call[r.LeaseGrant]:
    return Call("acquire_lock", (path, interval(ttl), mode, reason), _one(r.LeaseGrant, mode=mode))


def acquire_locks(paths: Sequence[str], ttl: Seconds, mode: str, reason: str) -> Call[list[r.LeaseGrant]]:
    """All or nothing: every grant (in the server's path order), or the Refusal of the
    path that refused the batch (the other paths' rows say batch_refused)."""
    def build(rows: Rows) -> list[r.LeaseGrant] | r.Refusal:
        if rows and all(row["ok"] is True for row in rows):
            return [from_row(r.LeaseGrant, row, mode=mode) for row in rows]
        cause = next((row for row in rows if row.get("reason") != "batch_refused"), rows[0] if rows else {})
        return r.Refusal.from_row("acquire_locks", cause)
    return Call("acquire_locks", (list(paths), interval(ttl), mode, reason), build, mutation=False)  # type: ignore[arg-type]


def renew_lock(path: str, ttl: Seconds) -> Call[r.LeaseRenewal]:
    # the row has no path: the one renewed is the one asked for (a spelling the server normalised)
    return Call("renew_lock", (path, interval(ttl)), _one(r.LeaseRenewal, path=path))


def release_lock(path: str) -> Call[r.Verdict]:
    return Call("release_lock", (path,), _one(r.Verdict))


def force_release_lock(path: str, reason: str) -> Call[r.ForceRelease]:
    return Call("force_release_lock", (path, reason), _one(r.ForceRelease))


def check_locks(paths: Sequence[str]) -> Call[list[r.LiveLease]]:
    return _read("check_locks", (list(paths),), _each(r.LiveLease))


def check_fence(path: str, token: int) -> Call[bool]:
    return _read("check_fence", (path, token), lambda rows: bool(rows[0]["check_fence"]))


# -- tasks --------------------------------------------------------------------------------

def submit_task(task_type: str, description: str, input: dict[str, Any] | None, priority: int,
                depends_on: Sequence[int], idempotency_key: str | None, max_attempts: int,
                touches: Sequence[str] = ()) -> Call[r.SubmittedTask]:
    return Call("submit_task", (task_type, description, input or {}, priority, list(depends_on), idempotency_key,
                                max_attempts, list(touches)), _one(r.SubmittedTask))


def claim_task(types: Sequence[str] | None, lease: Seconds, lease_touches: bool = False) -> Call[r.Claim]:
    return Call("claim_task", (_types(types), interval(lease), lease_touches), _one(r.Claim))


def claim_tasks(limit: int, types: Sequence[str] | None, lease: Seconds,
                lease_touches: bool = False) -> Call[list[r.Claim]]:
    return _read("claim_tasks", (limit, _types(types), interval(lease), lease_touches), _each(r.Claim))


def renew_claim(task_id: int, claim_token: int, lease: Seconds) -> Call[r.ClaimRenewal]:
    return Call("renew_claim", (task_id, claim_token, interval(lease)),
                _one(r.ClaimRenewal, task_id=task_id, claim_token=claim_token))


def complete_task(task_id: int, claim_token: int, result: dict[str, Any] | None) -> Call[r.Completion]:
    return Call("complete_task", (task_id, claim_token, {} if result is None else result),
                _one(r.Completion, task_id=task_id))


def fail_task(task_id: int, claim_token: int, error: str, retryable: bool) -> Call[r.TaskFailure]:
    return Call("fail_task", (task_id, claim_token, error, retryable), _one(r.TaskFailure, task_id=task_id))


def cancel_task(task_id: int, reason: str) -> Call[r.Cancellation]:
    return Call("cancel_task", (task_id, reason), _one(r.Cancellation, task_id=task_id))


def get_task(task_id: int) -> Call[r.Task]:
    return _read("get_task", (task_id,), _first(r.Task))


def reap_expired() -> Call[r.Reaped]:
    return Call("reap_expired", (), _one(r.Reaped))


# -- checks -------------------------------------------------------------------------------

def check_guardrails(text: str, paths: Sequence[str], workspace: str | None = None,
                     cwd: str | None = None) -> Call[r.GuardrailCheck]:
    """``workspace`` (the checkout's root) and ``cwd`` (where the command runs), absolute,
    let the shell analyser resolve paths; they are passed by name (p_workspace, p_cwd),
    NULL when unknown: always the four-argument function (the two-argument one is a
    definer that calls it, one frame more)."""
    named = (("p_workspace", workspace), ("p_cwd", cwd))
    return Call("check_guardrails", (text, list(paths)), _one(r.GuardrailCheck), named=named)


def check_network_access(target: str) -> Call[r.NetworkDecision]:
    return Call("check_network_access", (target,),
                lambda row: from_row(r.NetworkDecision, row, ok=bool(row.get("allowed"))), ok_column="allowed")


# -- approvals ----------------------------------------------------------------------------

def approval_status(approval_id: int) -> Call[r.Approval | None]:
    return _read("approval_status", (approval_id,), lambda rows: from_row(r.Approval, rows[0]) if rows else None)


def approve(approval_id: int, note: str | None) -> Call[r.ApprovalDecision]:
    return Call("approve", (approval_id, note), _one(r.ApprovalDecision, approval_id=approval_id))


def reject(approval_id: int, note: str | None) -> Call[r.ApprovalDecision]:
    return Call("reject", (approval_id, note), _one(r.ApprovalDecision, approval_id=approval_id))


def set_profile_approvals(profile: str, operations: Sequence[str], approve_elevation: bool) -> Call[r.Verdict]:
    return Call("set_profile_approvals", (profile, list(operations), approve_elevation), _one(r.Verdict))


def set_approval_settings(request_ttl: Seconds | None, grant_ttl: Seconds | None) -> Call[r.Verdict]:
    return Call("set_approval_settings", (None if request_ttl is None else interval(request_ttl),
                                          None if grant_ttl is None else interval(grant_ttl)), _one(r.Verdict))


def approval_payload_id(payload: str) -> str:
    """The approval id a pgcoord_approvals payload names ('42', '42 granted', '42 rejected')."""
    return payload.split(" ", 1)[0] if payload else ""


# -- audit --------------------------------------------------------------------------------

def verify_audit() -> Call[r.AuditVerification]:
    return _read("verify_audit", (), _first(r.AuditVerification))


def audit_digest() -> Call[dict[str, Any]]:
    return _read("audit_digest", (), _scalar("audit_digest"))


def verify_audit_digest(digest: dict[str, Any]) -> Call[r.DigestVerification]:
    return _read("verify_audit_digest", (digest,), _first(r.DigestVerification))


def purge_audit(before: datetime, reason: str) -> Call[r.AuditPurge]:
    return Call("purge_audit", (before, reason), _one(r.AuditPurge))


# -- administration -----------------------------------------------------------------------

def register_agent(role: str, profile: str) -> Call[r.Verdict]:
    return Call("register_agent", (role, profile), _one(r.Verdict))


def set_agent_profile(role: str, profile: str) -> Call[r.Verdict]:
    return Call("set_agent_profile", (role, profile), _one(r.Verdict))


def set_agent_status(role: str, status: str) -> Call[r.Verdict]:
    return Call("set_agent_status", (role, status), _one(r.Verdict))


def set_enforcement_mode(mode: str, reason: str) -> Call[r.Verdict]:
    return Call("set_enforcement_mode", (mode, reason), _one(r.Verdict))


def set_policy_engine(engine: str, reason: str) -> Call[r.Verdict]:
    return Call("set_policy_engine", (engine, reason), _one(r.Verdict))


def set_path_case(case: str, reason: str) -> Call[r.Verdict]:
    return Call("set_path_case", (case, reason), _one(r.Verdict))


def set_profile(name: str, trust_level: int, description: str, allowed_operations: Sequence[str] | None,
                blocked_operations: Sequence[str], max_locks: int, max_claimed_tasks: int, max_lease_seconds: int,
                max_file_modifications: int) -> Call[r.ProfileSet]:
    return Call("set_profile", (name, trust_level, description, _types(allowed_operations), list(blocked_operations),
                                max_locks, max_claimed_tasks, max_lease_seconds, max_file_modifications),
                _one(r.ProfileSet))


def drop_profile(name: str, reason: str) -> Call[r.ProfileDropped]:
    return Call("drop_profile", (name, reason), _one(r.ProfileDropped))


def set_cedar_policies(policy_text: str, reason: str) -> Call[r.CedarPoliciesSet]:
    return Call("set_cedar_policies", (policy_text, reason), _one(r.CedarPoliciesSet))


def cedar_engine() -> Call[r.CedarEngine]:
    return _read("cedar_engine", (), _first(r.CedarEngine))


def add_guardrail_pattern(name: str, category: str, regex: str, severity: str, exempt_trust: int,
                          always_applies: bool, applies_to: str, description: str) -> Call[r.GuardrailPatternSet]:
    return Call("add_guardrail_pattern", (name, category, regex, severity, exempt_trust, always_applies, applies_to,
                                          description), _one(r.GuardrailPatternSet))


def remove_guardrail_pattern(name: str, reason: str) -> Call[r.Verdict]:
    return Call("remove_guardrail_pattern", (name, reason), _one(r.Verdict))


def add_network_rule(pattern: str, action: str, priority: int, profile: str | None,
                     description: str) -> Call[r.NetworkRuleSet]:
    return Call("add_network_rule", (pattern, action, priority, profile, description), _one(r.NetworkRuleSet))


def remove_network_rule(rule_id: int, reason: str) -> Call[r.Verdict]:
    return Call("remove_network_rule", (rule_id, reason), _one(r.Verdict))


# -- the views ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class View(Generic[T]):
    """``SELECT * FROM coord.<view> [WHERE ...] [ORDER BY ...] [LIMIT n]``, rows built with ``build``."""

    query: sql.Composable
    params: tuple[Any, ...]
    build: Callable[[Rows], T]


def _view(name: str, cls: type[Any], where: sql.Composable | None = None, params: tuple[Any, ...] = (),
          order: str | None = None, limit: int | None = None) -> View[list[Any]]:
    q = sql.SQL("SELECT * FROM coord.{}").format(sql.Identifier(name))
    if where is not None:
        q = sql.SQL("{} WHERE {}").format(q, where)
    if order:
        q = sql.SQL("{} ORDER BY {}").format(q, sql.SQL(order))
    if limit is not None:
        q = sql.SQL("{} LIMIT {}").format(q, sql.Literal(int(limit)))
    return View(q, params, _each(cls))


def live_locks(holder: str | None = None) -> View[list[r.LiveLease]]:
    if holder is None:
        return _view("live_locks", r.LiveLease, order="path, holder")
    return _view("live_locks", r.LiveLease, sql.SQL("holder = %s"), (holder,), order="path")


def own_lease(path: str) -> View[list[r.LiveLease]]:
    """The caller's own live lease row on exactly ``path`` (as the server spells it)."""
    return _view("live_locks", r.LiveLease, sql.SQL("path = %s AND holder = session_user::text"), (path,))


def list_tasks(status: Sequence[str] | None, types: Sequence[str] | None, limit: int | None) -> View[list[r.Task]]:
    where = sql.SQL("(%s::text[] IS NULL OR status = ANY (%s::text[]))"
                    " AND (%s::text[] IS NULL OR task_type = ANY (%s::text[]))")
    s, t = _types(status), _types(types)
    return _view("tasks", r.Task, where, (s, s, t, t), order="task_id", limit=limit)


def my_sessions() -> View[list[r.Session]]:
    return _view("my_sessions", r.Session, order="started_at")


def my_audit_events(limit: int | None) -> View[list[r.AuditEvent]]:
    return _view("my_audit_events", r.AuditEvent, order="event_id DESC", limit=limit)


def enforcement() -> View[r.Enforcement]:
    v = _view("enforcement", r.Enforcement)
    return View(v.query, v.params, lambda rows: from_row(r.Enforcement, rows[0]))


def approvals(state: str | None) -> View[list[r.Approval]]:
    """coord.approvals (the caller's own requests; every request for an approver), newest first."""
    if state is None:
        return _view("approvals", r.Approval, order="approval_id DESC")
    return _view("approvals", r.Approval, sql.SQL("state = %s"), (state,), order="approval_id DESC")


def profiles() -> View[list[r.Profile]]:
    return _view("profiles", r.Profile, order="trust_level, name")


def agents() -> View[list[r.Agent]]:
    return _view("agents", r.Agent, order="role_name")
