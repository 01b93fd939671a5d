"""What the conductor and the agent processes say to each other: JSON lines.

An agent writes one JSON object per line on its stdout, an *event*:
``{"event": "claimed", "say": "claimed #12 ...", ...data}`` — ``say`` is the line the
conductor prints, the data what it checks. The conductor writes ``go <step>`` lines on
the agent's stdin where the story needs an order between processes; the agent reads
them in the order it expects them (a mismatch is an error, never skipped). Anything an
agent raises becomes an ``error`` event with its traceback, and exit code 1.
"""
from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from typing import Any


class ProtocolError(RuntimeError):
    """The conductor and an agent disagree about what comes next."""


def emit(event: str, say: str = "", **data: Any) -> None:
    """Tell the conductor what happened (one line on stdout)."""
    sys.stdout.write(json.dumps({"event": event, "say": say, **data}, default=str) + "\n")
    sys.stdout.flush()


def await_go(step: str) -> None:
    """Block until the conductor says ``go <step>``."""
    line = sys.stdin.readline()
    if not line:
        raise ProtocolError(f"the conductor closed the pipe before {step!r}")
    if line.strip() != f"go {step}":
        raise ProtocolError(f"expected 'go {step}', the conductor said {line.strip()!r}")


def run_agent(main: Callable[[], None]) -> int:
    """An agent's entry point: run ``main``; report what it raised as an ``error`` event."""
    try:
        main()
    except BaseException as exc:  # noqa: BLE001 - reported to the conductor, whatever it was
        try:
            emit("error", say=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
        except OSError:
            pass   # the conductor is gone: nobody to tell
        return 1
    return 0


def parse(line: str) -> dict[str, Any]:
    """An event line as the conductor reads it (a line that is not an event is shown as is)."""
    try:
        value = json.loads(line)
    except ValueError:
        value = None
    if not isinstance(value, dict) or "event" not in value:
        return {"event": "output", "say": line.rstrip("\n")}
    return value
