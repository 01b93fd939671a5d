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

from .config import Config
from .database import DbError, connect
from .decisions import Decision, decide_request, denial
from .errors import HookError
from .payload import HOOK_EVENT, read_payload, request_from_payload

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


def pre_tool_use(stdin=None, stdout=None, stderr=None, env=None, dsn: str | None = None) -> int:
    """`pgcoord hook pre-tool-use`: never raises, never exits with anything but 0 or 2."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    env = os.environ if env is None else env
    config = Config()
    try:
        try:
            config = Config.from_env(env)
            payload = read_payload(stdin)
            request = request_from_payload(payload, config)
            if request is None:
                decision = Decision(True, "not_checked", f"pgcoord: {payload['tool_name']} is not checked")
            else:
                dsn = dsn or env.get("PGCOORD_DSN", "").strip()
                if not dsn:
                    raise HookError("no_dsn", "PGCOORD_DSN is not set: the hook connects as the agent's own login "
                                              "role and cannot decide without it")
                try:
                    db = connect(dsn, config.connect_timeout)
                except DbError as exc:
                    raise HookError("database_unreachable",
                                    f"the database cannot be reached ({exc.message.splitlines()[0]}); "
                                    "nothing is allowed until it can") from None
                try:
                    decision = decide_request(request, db, config)
                finally:
                    db.close()
        except (HookError, DbError) as exc:
            decision = denial(exc)
        out, err, code = render(decision, config)
    except BaseException as exc:  # noqa: BLE001 - fail closed, whatever it was
        reason = f"pgcoord (internal_error): the hook failed ({type(exc).__name__}: {exc}); denied to be safe"
        out, err, code = json.dumps({"hookSpecificOutput": {
            "hookEventName": HOOK_EVENT, "permissionDecision": "deny", "permissionDecisionReason": reason}}) + "\n", \
            reason + "\n", 2
    try:
        stdout.write(out)
        stdout.flush()
    except BaseException:  # noqa: BLE001 - a closed stdout must not turn a denial into a crash
        code = 2
    try:
        if err:
            stderr.write(err)
            stderr.flush()
    except BaseException:  # noqa: BLE001
        code = 2
    return code
