"""What a tool says when it does not give its result: a tool error (``isError``) whose
text starts with the stable code — a reason code of ``coord.reason_codes`` or a
SQLSTATE — then what happened and what the agent can do next.

Nothing is decided here: the code, and whether a refusal is contention worth
waiting out (``Refusal.retryable``), come from the database through the client;
this module only words them for an agent.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent

from .. import errors
from ..results import Refusal
from .connection import ConnectionLost, Unreachable

#: What an agent can do next, by reason code (wording only; the codes are the database's).
NEXT_STEP: dict[str, str] = {
    "agent_not_registered": "this role is not a registered agent: ask an operator to register it "
                            "(coord.register_agent); do not retry",
    "agent_suspended": "this agent is suspended: stop and ask an operator; do not retry",
    "profile_unresolved": "the agent's profile cannot be resolved (fail closed): ask an operator; do not retry",
    "unknown_operation": "the operation is not in the catalog (fail closed): ask an operator; do not retry",
    "operation_blocked": "your profile blocks this operation: do not retry; hand the work to an agent "
                         "whose profile allows it, or ask an operator",
    "operation_not_allowed": "your profile does not allow this operation: do not retry; hand the work to an "
                             "agent whose profile allows it, or ask an operator",
    "trust_too_low": "your profile's trust level is too low for this operation: do not retry; hand the work "
                     "to a more trusted agent, or ask an operator",
    "not_admin": "only an administrator may do this: do not retry",
    "limit_exceeded": "a limit of your profile (live leases, claimed tasks, lease length): release leases or "
                      "finish claims you no longer need, or ask for a shorter ttl/lease, then call again",
    "session_not_owned": "the session belongs to another agent: use one of your own sessions",
    "lock_held_by_other": "another agent holds an overlapping lease: wait until it ends, or call again with wait",
    "lock_not_held": "you hold no live lease on that path (it expired or was released): acquire_lease it "
                     "again before writing to it",
    "not_claim_owner": "you no longer hold this task's claim (it expired and was reclaimed, or the token is "
                       "stale): stop working on it and claim another task",
    "claim_expired": "your claim ran out before this call: stop working on it; claim_task again to continue",
    "task_terminal": "the task is already completed, failed or cancelled: nothing more to do with it",
    "task_not_claimable": "no claimable task matched: call again later, or with wait",
    "dependency_failed": "a dependency of the task failed or was cancelled, so the task was settled: nothing "
                         "more to do with it",
    "attempts_exhausted": "the task used its last attempt and failed: nothing more to do with it",
    "guardrail_blocked": "a blocking guardrail matched: do not run it; change the command or text, or ask an "
                         "operator",
    "domain_denied": "the network policy denies this target: do not contact it; ask an operator for a rule",
    "policy_error": "a policy could not be evaluated (fail closed): ask an operator; do not retry",
    "not_permitted": "no policy permits this request: do not retry; ask an operator",
    "approval_required": "an approver must grant this exact call first: wait for the decision (the tool "
                         "approval_status with this approval_id and wait, toolset approvals; or ask an operator), "
                         "then repeat exactly the same call with the same arguments; it proceeds once. Repeating "
                         "it before the grant replaces the request with a new one",
    "not_approvable": "the call needs an approval this operation cannot take: do not retry; ask an operator",
    "approval_not_found": "no approval request has this id: check the id",
    "approval_self": "you cannot approve or reject your own request: ask an approver",
    "approval_not_pending": "the request was already decided, used or superseded: look at its state",
    "approval_expired": "the request or its grant expired: make the call again to ask anew",
    "approval_stale_policy": "your policy changed since the request: make the call again to ask anew",
    "not_approver": "only an approver may decide requests: ask an operator",
}

#: The database's own description of each reason code (coord.reason_codes), read at start.
REASON_DESCRIPTIONS: dict[str, str] = {}


class CodedError(ToolError):
    """A tool error whose text starts with its stable code (reason code or SQLSTATE);
    ``structured``: what an agent's code needs from it as data (an approval's id)."""

    def __init__(self, code: str, text: str, structured: dict[str, Any] | None = None):
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = f"{code}: {text}"
        self.structured = structured

    def result(self) -> CallToolResult:
        return CallToolResult(content=[TextContent(type="text", text=self.text)], structured_content=self.structured,
                              is_error=True)


def _sentence(*parts: str | None) -> str:
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip()) + "."


def refusal_error(refusal: Refusal) -> CodedError:
    """The tool error of a refusal that is not contention (a policy denial, a stale claim...)."""
    reason = refusal.reason
    event = f"audit event {refusal.event_id}" if refusal.event_id is not None else None
    holders = "; ".join(f"{h.holder} holds {h.path} ({h.mode}) until {h.expires_at.isoformat()}"
                        for h in refusal.holders) or None
    next_step = NEXT_STEP.get(reason, "see the reason code in the pgcoord documentation")
    if refusal.approval_id is not None:
        # not contention and not a denial for good: the call waits for a person's grant
        requested = f"Approval {refusal.approval_id} was requested for exactly this call"
        return CodedError(reason, _sentence(REASON_DESCRIPTIONS.get(reason, "an approval is required"), requested,
                                            f"Next: {next_step}", event),
                          {"reason": reason, "approval_id": refusal.approval_id, "event_id": refusal.event_id,
                           "next": next_step})
    return CodedError(reason, _sentence(REASON_DESCRIPTIONS.get(reason, "refused"), holders,
                                        f"Next: {next_step}", event))


def invalid_arguments(exc: Exception) -> CodedError:
    """Arguments that do not fit the tool's input schema (never sent to the database)."""
    fields: list[str] = []
    for err in getattr(exc, "errors", lambda: [])():
        where = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
        fields.append(f"{where}: {err.get('msg', 'invalid')}")
    detail = "; ".join(fields) or str(exc)
    return CodedError("PC002", _sentence(f"invalid_argument: {detail}",
                                         "Nothing was sent or changed. Next: fix the arguments to match the "
                                         "tool's input schema and call again"))


def error_for(exc: BaseException) -> CodedError | None:
    """The tool error of an exception from a client call (None: not one of ours to word)."""
    if isinstance(exc, CodedError):
        return exc
    if isinstance(exc, errors.Refused):
        return refusal_error(exc.refusal)
    if isinstance(exc, (errors.InvalidInput, errors.AuditImmutable)):
        condition = getattr(type(exc), "condition", "invalid_input")
        detail = getattr(exc, "detail", None)
        hint = getattr(exc, "hint", None)
        return CodedError(exc.sqlstate, _sentence(f"{condition}: {exc}", detail,
                                                  f"Hint: {hint}" if hint else None,
                                                  "Nothing was changed. Next: correct the argument and call again"))
    if isinstance(exc, errors.PermissionDenied):
        return CodedError("42501", _sentence(f"insufficient_privilege: {exc}",
                                             "This role may not call it. Next: do not retry; ask an operator"))
    if isinstance(exc, errors.LockNotAvailable):
        return CodedError("55P03", _sentence("lock_not_available: the call waited too long for a database lock",
                                             "Nothing was changed. Next: call again"))
    if isinstance(exc, ConnectionLost):
        return CodedError("08006", _sentence(
            f"connection_failure: {exc}; the call's outcome is unknown",
            "The server reconnects on the next call. Next: check the state (my_status, check_leases, "
            "get_task) before repeating it"))
    if isinstance(exc, Unreachable):
        return CodedError("08001", _sentence(f"connection_unavailable: the database is unreachable ({exc})",
                                             "Nothing was done. Next: call again shortly; if it persists, "
                                             "ask an operator"))
    if isinstance(exc, psycopg.Error):
        state = exc.sqlstate or "XX000"
        message = (exc.diag.message_primary if exc.diag else None) or str(exc).strip()
        return CodedError(state, _sentence(f"database error: {message}",
                                           "Next: call again; if it persists, ask an operator"))
    return None


def load_descriptions(rows: list[Mapping[str, object]]) -> None:
    """Keep the database's descriptions of its reason codes (rows of coord.reason_codes)."""
    for row in rows:
        code, description = row.get("code"), row.get("description")
        if isinstance(code, str) and isinstance(description, str):
            REASON_DESCRIPTIONS[code] = description
