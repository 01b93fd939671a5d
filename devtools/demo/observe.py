"""What the conductor looks up as administrator (pgcoord.Client on the operator's login):
the audit trail (coord.audit_trail), the queue and approval requests.

The one wait here is for an audit event: that an agent is already waiting (its refused
attempt, made after it LISTENed, is in the trail) before the conductor lets another
agent do what will wake it. It looks again every 50 ms until the event is there.
"""
from __future__ import annotations

import time
from typing import Any

from pgcoord import Approval, Client, Task

from .fleet import EVENT_TIMEOUT, DemoFailed


class Observer:
    def __init__(self, dsn: str):
        self.client = Client.connect(dsn)

    def close(self) -> None:
        self.client.close()

    def last_event_id(self) -> int:
        return self.client.query("SELECT coalesce(max(event_id), 0) AS n FROM coord.audit_trail")[0]["n"]

    def events(self, after: int, actor: str, operation: str, reason: str | None = None,
               resource: str | None = None) -> list[dict[str, Any]]:
        return self.client.query(
            "SELECT event_id, actor, operation, resource, allowed, proceeded, reason, mode, context "
            "FROM coord.audit_trail WHERE event_id > %s AND actor = %s AND operation = %s "
            "AND (%s::text IS NULL OR reason = %s) AND (%s::text IS NULL OR resource = %s) ORDER BY event_id",
            after, actor, operation, reason, reason, resource, resource)

    def wait_for_event(self, after: int, actor: str, operation: str, reason: str, resource: str | None = None,
                       count: int = 1, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        """The ``count``-th such audit event after ``after``, once it is in the trail."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.events(after, actor, operation, reason, resource)
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() > deadline:
                raise DemoFailed(f"no audit event {operation}/{reason} of {actor} within {timeout:.0f} s")
            time.sleep(0.05)

    def would_deny(self, after: int, actors: list[str]) -> list[dict[str, Any]]:
        """Events the policy denied but that proceeded (shadow mode)."""
        return self.client.query(
            "SELECT event_id, actor, operation, resource, reason, mode, context->>'excerpt' AS excerpt "
            "FROM coord.audit_trail WHERE event_id > %s AND actor = ANY(%s) AND NOT allowed AND proceeded "
            "ORDER BY event_id", after, actors)

    def event(self, event_id: int) -> dict[str, Any]:
        rows = self.client.query("SELECT event_id, actor, operation, resource, allowed, proceeded, reason, mode "
                                 "FROM coord.audit_trail WHERE event_id = %s", event_id)
        if not rows:
            raise DemoFailed(f"no audit event {event_id}")
        return rows[0]

    def approval(self, approval_id: int) -> Approval | None:
        return self.client.approval_status(approval_id)

    def task(self, task_id: int) -> Task:
        return self.client.get_task(task_id)

    def now(self):
        return self.client.now()
