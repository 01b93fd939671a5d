"""Agent alice, the lead, on the Python client (``pgcoord.Client``).

She submits the task graph, designs the API in a ``client.claim`` block under a
``client.lease`` block, and later runs a worker loop (``client.tasks``) that picks up
the task a dead agent left claimed — once its claim has run out, the one moment no
notification announces — and then the release, when it becomes claimable.

    python -m devtools.demo.agent_lead      (PGCOORD_DSN: her login; the conductor drives it)
"""
from __future__ import annotations

import contextlib
import os
import time

from pgcoord import Client

from . import workspace
from .graph import GRAPH, outline
from .wire import await_go, emit, run_agent

RUN_ENV = "PGCOORD_DEMO_RUN"
CLAIM_S = 30      # her claims and leases: renewed in the background, released at the end of each block


def clock(t) -> str:
    return t.strftime("%H:%M:%S.%f")[:-3]


def lease_files(me: Client, role: str, paths: list[str], why: str, held: contextlib.ExitStack) -> list[str]:
    """Lease each path for the rest of ``held`` (waiting, via NOTIFY or the holder's
    expiry, while another agent holds it); a line per lease, saying what was in the way."""
    lines = []
    for path in paths:
        others = [x for x in me.check_locks([path]) if x.holder != role]
        started = time.monotonic()
        lease = held.enter_context(me.lease(path, ttl=CLAIM_S, reason=why, wait=30))
        waited = time.monotonic() - started
        line = f"leases {lease.path} (token {lease.token})"
        if others:
            h = others[0]
            line += (f" after {waited:.2f} s: {h.holder}'s lease on {h.path} was live until {clock(h.expires_at)};"
                     " nobody renews it, and her wait_for_lease tried again at that expiry (database clock)")
        lines.append(line)
    return lines


def main() -> None:
    repo = os.environ[workspace.ENV]
    run = os.environ[RUN_ENV]
    with Client.connect(os.environ["PGCOORD_DSN"]) as me:
        who = me.whoami()
        role = who.role_name
        emit("ready", f"[Python client, pid {os.getpid()}] connected as {role} "
                      f"({who.profile}, trust {who.trust_level}): the lead", role=role)

        await_go("plan")
        ids: dict[str, int] = {}
        for step in GRAPH:
            submitted = me.submit_task(step.task_type, step.description, {"files": list(step.files)}, step.priority,
                                       [ids[d] for d in step.depends], idempotency_key=f"{run}:{step.key}")
            ids[step.key] = submitted.task_id
        emit("planned", f"submits the task graph (submit_task with depends_on): {outline(ids)}", ids=ids)

        await_go("design")
        with me.claim(["design"], lease=CLAIM_S) as task:
            emit("claimed", f"claims #{task.task_id} {task.description!r} (a client.claim block: renewed in the "
                            "background, completed when the block ends)", task_id=task.task_id)
            with contextlib.ExitStack() as held:
                lines = lease_files(me, role, task.input["files"], f"task {task.task_id}", held)
                for path in task.input["files"]:
                    workspace.write(repo, path, f"# {task.description} (task {task.task_id}, by {role})")
                emit("leased", "\n".join(lines) + ", writes it, releases it")
            task.result = {"files": task.input["files"]}
        emit("completed", f"completes #{task.task_id}: both 'implement' tasks become claimable "
                          "(NOTIFY pgcoord_tasks, payload 'implement')", task_id=task.task_id)

        await_go("reclaim")
        orphan = me.get_task(ids["users"])
        wait = max(0.0, (orphan.claim_expires_at - me.now()).total_seconds())
        holder = orphan.claimed_by or "its last claimer"
        emit("expiry", f"#{orphan.task_id} is claimed by {holder} until {clock(orphan.claim_expires_at)} "
                       f"(database clock), {wait:.1f} s from now: an expiry is a time, not a write, so no "
                       "notification will come; alice waits it out", seconds=wait)
        # The one deliberate wait of the demo: until a claim nobody renews has run out.
        time.sleep(wait)
        for task in me.tasks(["implement", "release"], lease=CLAIM_S, poll_interval=0.5, timeout=80, limit=2):
            with task:
                if task.task_type == "implement":
                    emit("reclaimed", f"her worker loop (client.tasks) claims #{task.task_id} "
                                      f"{task.description!r} again: attempt {task.attempt}, claim token "
                                      f"{task.claim_token} (a late write with token {task.claim_token - 1} would be "
                                      "refused)", task_id=task.task_id, attempt=task.attempt)
                else:
                    emit("claimed", f"woken by NOTIFY pgcoord_tasks 'release': claims #{task.task_id} "
                                    f"{task.description!r}", task_id=task.task_id)
                with contextlib.ExitStack() as held:
                    lines = lease_files(me, role, task.input["files"], f"task {task.task_id}", held)
                    for path in task.input["files"]:
                        workspace.write(repo, path, f"# {task.description} (task {task.task_id}, by {role})")
                    emit("leased", "\n".join(lines))
                task.result = {"files": task.input["files"]}
            emit("completed", f"writes {', '.join(task.input['files'])}, releases the leases, completes "
                              f"#{task.task_id}", task_id=task.task_id)
            if task.task_type == "implement":
                emit("waiting", "her worker loop waits for 'release' (LISTEN pgcoord_tasks)")
    emit("done", "")


if __name__ == "__main__":
    raise SystemExit(run_agent(main))
