"""`pgcoord hook pre-tool-use`: one tool call in on stdin, the decision out, failing closed.

The protocol is the command-hook format Claude Code and Codex share: the payload as JSON
on stdin; a denial exits 2 with the reason on stderr (and as hookSpecificOutput on
stdout), no objection exits 0. Any other exit code lets the call proceed, so
pre_tool_use never raises and never exits with anything else: whatever goes wrong (bad
settings, a bad payload, no PGCOORD_DSN, an unreachable database, a database error, a
bug here) is a denial with its reason.
"""
from __future__ import annotations

import json
import os
import sys

from . import warm
from .config import Config
from .database import DbError, connect
from .decisions import Decision, decide_request, denial
from .errors import HookError
from .payload import HOOK_EVENT, parse_payload, request_from_payload

MAX_REASON = 4000


def render(decision: Decision, config: Config) -> tuple[str, str, int]:
    """(stdout, stderr, exit code) in the documented hook format, which Claude Code and
    Codex share. A denial exits 2 with the reason on stderr (both block the call and show
    the model the reason, and neither reads stdout then); stdout repeats it as
    hookSpecificOutput for logs and other callers. No objection exits 0: by default the
    call then takes the tool's normal permission path (no permissionDecision);
    PGCOORD_HOOK_ALLOW_DECISION=allow answers "allow" instead (Claude Code skips its prompt)."""
    reason = decision.reason if len(decision.reason) <= MAX_REASON else decision.reason[:MAX_REASON] + " ..."
    out: dict = {"hookEventName": HOOK_EVENT}
    if not decision.allow:
        out.update(permissionDecision="deny", permissionDecisionReason=reason)
        return json.dumps({"hookSpecificOutput": out}) + "\n", reason + "\n", 2
    if config.allow_decision == "allow":
        out.update(permissionDecision="allow", permissionDecisionReason=reason)
    if decision.context:
        out["additionalContext"] = decision.context[:MAX_REASON]
    if len(out) == 1:
        return "", "", 0        # nothing to say: the call goes on as if there were no hook
    return json.dumps({"hookSpecificOutput": out}) + "\n", "", 0


def pre_tool_use(stdin=None, stdout=None, stderr=None, env=None, dsn: str | None = None,
                 warm_asked: bool = False) -> int:
    """`pgcoord hook pre-tool-use`: never raises, never exits with anything but 0 or 2.
    With PGCOORD_HOOK_WARM=1 the agent's `pgcoord hook serve` answers if it runs (warm.py;
    ``warm_asked``: the fast form asked it already, and nothing answered)."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    env = os.environ if env is None else env
    try:
        raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        out, err, code = b"", b"", 2
        answered = False
        dsn = dsn or env.get("PGCOORD_DSN", "").strip()
        if dsn and warm.enabled(env) and not warm_asked:
            try:
                answer = warm.ask(raw, dsn, env)
            except warm.WarmTimeout:
                answer = warm.timeout_answer()
            if answer is not None:
                out, err, code = answer
                answered = True
        if not answered:
            o, e, code = respond(raw, env, dsn)
            out, err = o.encode("utf-8", "replace"), e.encode("utf-8", "replace")
            if dsn and warm.enabled(env):
                warm.start_server({**env, "PGCOORD_DSN": dsn})
    except BaseException as exc:  # noqa: BLE001 - fail closed, whatever it was
        o, e, code = internal_error(exc)
        out, err = o.encode("utf-8", "replace"), e.encode("utf-8", "replace")
    return _write(out, err, code, stdout, stderr)


def respond(raw: bytes, env, dsn: str | None, db=None) -> tuple[str, str, int]:
    """(stdout, stderr, exit code) for one payload: over ``db`` if given (the server's
    connection, left open), else over a connection of its own. Never raises."""
    config = Config()
    try:
        try:
            config = Config.from_env(env)
            payload = parse_payload(raw)
            request = request_from_payload(payload, config)
            if request is None:
                decision = Decision(True, "not_checked", f"pgcoord: {payload['tool_name']} is not checked")
            elif db is not None:
                decision = decide_request(request, db, config)
            else:
                if not dsn:
                    raise HookError("no_dsn", "PGCOORD_DSN is not set: the hook connects as the agent's own login "
                                              "role and cannot decide without it")
                try:
                    own = connect(dsn, config.connect_timeout)
                except DbError as exc:
                    raise HookError("database_unreachable",
                                    f"the database cannot be reached ({exc.message.splitlines()[0]}); "
                                    "nothing is allowed until it can") from None
                try:
                    decision = decide_request(request, own, config)
                finally:
                    own.close()
        except (HookError, DbError) as exc:
            decision = denial(exc)
        return render(decision, config)
    except BaseException as exc:  # noqa: BLE001 - fail closed, whatever it was
        return internal_error(exc)


def internal_error(exc: BaseException) -> tuple[str, str, int]:
    """The denial for a failure of the hook itself."""
    reason = f"pgcoord (internal_error): the hook failed ({type(exc).__name__}: {exc}); denied to be safe"
    return json.dumps({"hookSpecificOutput": {"hookEventName": HOOK_EVENT, "permissionDecision": "deny",
                                              "permissionDecisionReason": reason}}) + "\n", reason + "\n", 2


def _write(out: bytes, err: bytes, code: int, stdout, stderr) -> int:
    """Write the answer; a stream that cannot be written turns it into a denial (exit 2)."""
    for stream, data in ((stdout, out), (stderr, err)):
        if not data:
            continue
        try:
            if hasattr(stream, "buffer"):
                stream.flush()
                stream.buffer.write(data)
                stream.buffer.flush()
            else:
                stream.write(data.decode("utf-8", "replace"))
                stream.flush()
        except BaseException:  # noqa: BLE001 - a closed stream must not turn a denial into a crash
            code = 2
    return code
