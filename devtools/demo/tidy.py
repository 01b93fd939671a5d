"""Before the fleet starts: what an earlier run that was interrupted may have left behind.

A run that ends normally leaves nothing: every lease is released or has run out, every
task is completed, no operation of the fleet's profile needs an approval. One stopped
half-way (Ctrl-C, a crash) can leave live leases and open tasks of the demo's agents,
an approval requirement on their profile and requests nobody decided, which would stand
in the way of this run. Each agent clears its own, through the API and in its own name
(so it is audited like anything else): it releases its live leases and cancels the
open tasks it submitted. The operator clears the approvals (an agent cannot decide its
own requests): it sets the profile back to no approval and rejects the fleet's
requests still pending or granted.
"""
from __future__ import annotations

from pgcoord import Client

REASON = "left open by an interrupted demo run"


def tidy(agent_dsns: dict[str, str]) -> tuple[int, int]:
    """(leases released, open tasks closed) over the agents ``role -> DSN``."""
    released = cancelled = 0
    for role, dsn in agent_dsns.items():
        with Client.connect(dsn) as agent:
            for lease in agent.live_locks(role):
                if agent.release_lock(lease.path, raise_on_refusal=False).ok:
                    released += 1
            # one at a time, looking again after each: a cancellation settles the task's open
            # dependents too, and cancelling one of those afterwards would only be refused
            while True:
                left = [t for t in agent.list_tasks(status=["pending", "claimed"], limit=None) if t.submitter == role]
                if not left:
                    break
                done = agent.cancel_task(left[0].task_id, REASON, raise_on_refusal=False)
                if not done.ok:
                    break
                cancelled += 1 + done.settled
    return released, cancelled


def clear_approvals(admin_dsn: str, profile: str, roles: list[str]) -> int:
    """As the operator: no operation of ``profile`` needs an approval, and the requests of
    ``roles`` still pending or granted (unused) are rejected; how many were."""
    rejected = 0
    with Client.connect(admin_dsn) as admin:
        admin.set_profile_approvals(profile, [])
        for state in ("pending", "granted"):
            for request in admin.approvals(state):   # type: ignore[arg-type]
                if request.requester in roles and admin.reject(request.approval_id, REASON,
                                                               raise_on_refusal=False).ok:
                    rejected += 1
    return rejected
