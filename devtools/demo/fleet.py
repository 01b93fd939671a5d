"""The agents as separate processes, seen from the conductor.

Each agent is ``python -m devtools.demo.agent_...`` with its own environment (its DSN,
the repository). A reader thread turns its stdout into a queue of events
(wire.py); its stderr is kept for the report of a failure. The conductor takes the
events in the order the story expects them — ``expect`` waits for an event, never a
time — and sends ``go <step>`` where one process must wait for another.
"""
from __future__ import annotations

import collections
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from pgcoord.cluster import project_root

from .wire import parse

#: How long any one expected event may take. Generous: nothing waits this long unless
#: something is broken (the longest deliberate wait is a 5 s claim expiry).
EVENT_TIMEOUT = 90.0


class DemoFailed(RuntimeError):
    """The demo did not go as shown: what was expected and what happened instead."""


class AgentProcess:
    """One agent's process: its events in, its ``go`` steps out."""

    def __init__(self, name: str, role: str, door: str, module: str, env: dict[str, str],
                 show: Callable[[str, str], None]):
        self.name, self.role, self.door = name, role, door
        self._show = show
        self.proc = subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1, cwd=project_root(), env=env)
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.stderr: collections.deque[str] = collections.deque(maxlen=60)
        threading.Thread(target=self._read_events, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read_events(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.put(parse(line))
        self.events.put(None)   # end of output: the process is gone or going

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip("\n"))

    def _problem(self, text: str) -> DemoFailed:
        tail = "\n".join(self.stderr)
        return DemoFailed(f"{self.name} ({self.door}): {text}" + (f"\n--- its stderr ---\n{tail}" if tail else ""))

    def expect(self, event: str, timeout: float = EVENT_TIMEOUT, *, quiet: bool = False) -> dict[str, Any]:
        """The agent's next event, which must be ``event``; printed unless ``quiet``."""
        while True:
            try:
                item = self.events.get(timeout=timeout)
            except queue.Empty:
                raise self._problem(f"no {event!r} event within {timeout:.0f} s") from None
            if item is None:
                self.proc.wait()
                raise self._problem(f"exited (code {self.proc.returncode}) before its {event!r} event")
            if item["event"] == "output":      # a stray line on stdout: show it, it is not the event
                self._show(self.name, item["say"])
                continue
            if item["event"] == "error":
                raise self._problem(f"failed: {item['say']}\n{item.get('traceback', '')}")
            if item["event"] != event:
                raise self._problem(f"expected its {event!r} event, got {item['event']!r}: {item.get('say')}")
            if item.get("say") and not quiet:
                self._show(self.name, item["say"])
            return item

    def go(self, step: str) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(f"go {step}\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise self._problem(f"gone before step {step!r}") from None

    def kill(self) -> int:
        """SIGKILL: no exit handler, no release, no last renewal — a crash."""
        os.kill(self.proc.pid, signal.SIGKILL)
        return self.proc.wait()

    def finish(self, timeout: float = EVENT_TIMEOUT) -> int:
        """Wait for the agent to end by itself; its exit code."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise self._problem(f"still running {timeout:.0f} s after its last step") from None

    def stop(self) -> None:
        """End the process if it still runs (after a failure): SIGTERM, then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdin is not None:   # stdout and stderr end with the process (their readers see EOF)
            try:
                self.proc.stdin.close()
            except OSError:
                pass
