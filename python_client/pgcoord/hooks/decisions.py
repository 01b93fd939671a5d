"""The pre-tool-use decisions: a Request and the database's answers make a Decision.

An edit needs a live exclusive lease of the calling agent on every path (checked with
its fencing token), as coord.check_write_coverage judges it; without one it is denied,
or, with PGCOORD_HOOK_ON_UNLEASED=acquire, the leases are asked for and the first
refusal denies. A shell command goes through the guardrails and each of its network
targets through the network policy; a fetch or search through the network policy.
Every verdict is the database's, enforcement mode
included (shadow mode: the database allows and the Decision carries its warning as
context for the model). ``decide`` is the in-process API (the tests and the benchmark
call it over an open connection); ``decide_request`` is what the command runs once it
has a Request and a connection.
"""
from __future__ import annotations

import json
import time

from .config import Config
from .database import DbError
from .errors import HookError
from .leases import coverage_rows, holders_text, uncovered_text
from .payload import Request, request_from_payload
from .queries import ACQUIRE_SQL, COMMAND_SQL, EDIT_SQL, NETWORK_SQL

ACQUIRE_BUDGET_S = 10          # auto-acquire stops asking after this; the hook's timeout is 30 s


class Decision:
    """The hook's answer: ``allow`` (no objection) or not, a reason code and a reason, and
    text for the model (``context``: a lease taken for it, a shadow-mode warning)."""

    __slots__ = ("allow", "code", "reason", "context", "event_ids")

    def __init__(self, allow: bool, code: str, reason: str, context: str | None = None,
                 event_ids: list[int] | None = None):
        self.allow, self.code, self.reason, self.context = allow, code, reason, context
        self.event_ids = event_ids or []

    def __repr__(self) -> str:
        return f"Decision({'allow' if self.allow else 'deny'}, {self.code!r}, {self.reason!r})"


def deny(code: str, reason: str, event_ids: list[int] | None = None) -> Decision:
    """A denial with its reason code and reason (and the audit events behind it)."""
    return Decision(False, code, reason, event_ids=event_ids)


def denial(exc: HookError | DbError) -> Decision:
    """The denial for a refusal decided here (HookError: its code) or by the database
    refusing the statement itself (DbError: database_error)."""
    if isinstance(exc, HookError):
        return deny(exc.code, f"pgcoord ({exc.code}): {exc.message}")
    return deny("database_error", f"pgcoord (database_error): the database refused the check: {exc.describe()}")


def decide(payload: object, db, config: Config | None = None) -> Decision:
    """The hook's decision for one payload over an open connection: the in-process API
    (the tests and the benchmark come through here; the command, protocol.pre_tool_use,
    parses and connects itself, then runs decide_request)."""
    config = config or Config()
    try:
        request = request_from_payload(payload, config)
        if request is None:
            tool = payload.get("tool_name") if isinstance(payload, dict) else "?"
            return Decision(True, "not_checked", f"pgcoord: {tool} is not a tool the hook checks")
        return decide_request(request, db, config)
    except (HookError, DbError) as exc:
        return denial(exc)


def decide_request(request: Request, db, config: Config) -> Decision:
    """The decision for a checked tool call over an open connection (HookError or DbError
    when it cannot be made)."""
    if request.kind == "edit":
        return _decide_edit(request, db, config)
    if request.kind == "command":
        answer = db.query_json(COMMAND_SQL, [request.command, json.dumps(request.targets),
                                             request.workspace, request.cwd])
        return _judge_checks(request, answer["guard"], answer["network"])
    answer = db.query_json(NETWORK_SQL, [json.dumps(request.targets)])
    return _judge_checks(request, None, answer["network"])


def _judge_checks(request: Request, guard: dict | None, network: list[dict]) -> Decision:
    """Guardrail and network verdicts as the database gave them (``ok`` / ``allowed``:
    the enforcement mode is the database's too)."""
    events = ([guard["event_id"]] if guard else []) + [n["event_id"] for n in network]
    problems, warnings = [], []
    if guard is not None:
        names = ", ".join(f"{g['name']} ({g['category']}, {g['severity']})" for g in guard.get("guardrails") or [])
        if not guard["ok"]:
            problems.append((guard["reason"], f"{guard['reason']}: " + (f"guardrails {names}" if names else
                                                                         "the policy refused the check")))
        elif guard.get("blocked"):
            warnings.append(f"guardrails {names} would block this in enforce mode")
    for n in network:
        if not n["allowed"]:
            problems.append((n["reason"], f"{n['reason']}: {n['domain']} (from {n['target']!r}"
                                          + (f", rule {n['rule']['pattern']} {n['rule']['action']})" if n.get("rule")
                                             else ", no rule allows it)")))
        elif n["reason"] != "allowed":
            warnings.append(f"network access to {n['domain']} would be denied in enforce mode ({n['reason']})")
    what = _describe_call(request)
    if problems:
        return deny(problems[0][0], f"pgcoord: {what} denied - " + "; ".join(p for _, p in problems)
                    + f" [audit events {', '.join(map(str, events))}]", events)
    checked = "guardrails" + (f" and {len(network)} network target(s)" if network else "") if guard else \
        f"{len(network)} network target(s)"
    context = f"pgcoord: {'; '.join(warnings)} (the database records it)." if warnings else None
    return Decision(True, "allowed", f"pgcoord: {what} allowed ({checked} checked)", context, events)


def _describe_call(request: Request) -> str:
    """The tool call as a reason names it: the tool and its paths, command or targets."""
    if request.kind == "edit":
        shown = ", ".join(request.paths[:5]) + (f" and {len(request.paths) - 5} more" if len(request.paths) > 5 else "")
        return f"{request.tool} of {shown}"
    if request.kind == "command":
        first = request.command.strip().splitlines()[0] if request.command.strip() else ""
        return f"{request.tool} command {first[:80]!r}"
    return f"{request.tool} of {', '.join(request.targets)[:200]}"


def _decide_edit(request: Request, db, config: Config) -> Decision:
    """An edit: the path guardrails, then the database's word that a lease of the caller
    covers every path (coord.check_write_coverage; or, with on_unleased=acquire, leases
    taken for it), in one statement."""
    answer = db.query_json(EDIT_SQL, [json.dumps(request.paths)])
    guard, me = answer["guard"], answer["me"]
    events = [guard["event_id"]]
    if not guard["ok"]:
        return _judge_checks(request, guard, [])
    # coord.check_write_coverage decided, per path: covered, or why not
    uncovered = [r for r in coverage_rows(answer["coverage"], request.paths) if not r["covered"]]
    context = None
    if guard.get("blocked"):
        context = _judge_checks(request, guard, []).context
    what = _describe_call(request)
    if not uncovered:
        return Decision(True, "allowed", f"pgcoord: {what} allowed (covered by live leases of {me})", context, events)
    if config.on_unleased == "deny":
        lines = "; ".join(f"{r['path']}: {uncovered_text(r)}" for r in uncovered)
        first = uncovered[0]["path"]
        return deny("lease_required",
                    f"pgcoord: {what} denied (lease_required) - a write needs a live exclusive lease of {me} "
                    f"covering each path. {lines}. Take one first, e.g. SELECT * FROM coord.acquire_lock("
                    f"'{first}', interval '10 minutes') (or set PGCOORD_HOOK_ON_UNLEASED=acquire), "
                    f"or work on another path. [audit event {guard['event_id']}]", events)
    # acquire: the database decides each lease; the first refusal denies
    deadline = time.monotonic() + ACQUIRE_BUDGET_S
    taken = []
    reason = f"pgcoord hook: {request.tool}" + (f" (session {request.session})" if request.session else "")
    for p in (r["path"] for r in uncovered):
        if time.monotonic() > deadline:
            # an agent's hook that runs out its timeout lets the call through: stop well before
            return deny("hook_timeout", f"pgcoord (hook_timeout): {what} denied - acquiring {len(uncovered)} leases "
                                        f"took over {ACQUIRE_BUDGET_S} s; leases taken so far: {', '.join(taken)}",
                        events)
        grant = db.query_json(ACQUIRE_SQL, [p, str(config.lease_ttl), reason[:500]])
        events.append(grant["event_id"])
        if not grant["ok"]:
            holders = holders_text(grant.get("holders") or [], "; ")
            got = f" (leases taken meanwhile: {', '.join(taken)})" if taken else ""
            return deny(grant["reason"],
                        f"pgcoord: {what} denied - acquiring a lease on {p} was refused: {grant['reason']}"
                        + (f", held by {holders}" if holders else "") + f"{got} [audit event {grant['event_id']}]",
                        events)
        taken.append(f"{grant['path']} (token {grant['token']}, until {grant['expires_at']})")
    note = (f"pgcoord: leased {', '.join(taken)} for you ({config.lease_ttl} s, exclusive). Renew it while you "
            f"work and release it when done: `pgcoord lease renew PATH` / `pgcoord lease release PATH`, or the "
            f"MCP tools renew_lease / release_lease.")
    context = note + (f" {context}" if context else "")
    return Decision(True, "allowed", f"pgcoord: {what} allowed (lease acquired)", context, events)
