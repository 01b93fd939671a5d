"""Agent bob, a worker on the Python client (``pgcoord.Client``), who will not finish.

His worker loop (``client.tasks``) waits on NOTIFY for an 'implement' task and claims
it with a short claim (5 s, renewed in the background every third of that); he leases
his files (the shared routes file too), hands the routes file back when he is done with
it, and keeps working until the conductor kills the process (SIGKILL). Nothing of his
is released then: his claim and his lease run out by the database clock.

    python -m devtools.demo.agent_worker    (PGCOORD_DSN: his login; the conductor drives it)
"""
from __future__ import annotations

import os

from pgcoord import Client

from . import workspace
from .wire import await_go, emit, run_agent

CLAIM_S = 5       # short on purpose: how long his claim and leases outlive him


def main() -> None:
    repo = os.environ[workspace.ENV]
    with Client.connect(os.environ["PGCOORD_DSN"]) as me:
        who = me.whoami()
        emit("ready", f"[Python client, pid {os.getpid()}] connected as {who.role_name} "
                      f"({who.profile}, trust {who.trust_level}): a worker", role=who.role_name)
        emit("waiting", "waits for an 'implement' task: client.tasks(['implement']) LISTENs on pgcoord_tasks "
                        "(nothing is claimable until 'design the API' is complete)")
        for task in me.tasks(["implement"], lease=CLAIM_S, timeout=80, limit=1):
            with task:
                emit("claimed", f"woken by NOTIFY pgcoord_tasks: claims #{task.task_id} {task.description!r} "
                                f"with a {CLAIM_S} s claim, renewed every {CLAIM_S / 3:.1f} s in the background",
                     task_id=task.task_id)
                own, shared = task.input["files"]
                with me.lease(own, ttl=CLAIM_S, reason=f"task {task.task_id}") as mine:
                    with me.lease(shared, ttl=CLAIM_S, reason=f"task {task.task_id}: register routes") as routes:
                        workspace.write(repo, shared, f"# routes of {task.description} (by {who.role_name})")
                        emit("holding", f"leases {mine.path} (token {mine.token}) and {routes.path} "
                                        f"(token {routes.token}), {CLAIM_S} s each, renewed; registers his routes",
                             paths=[mine.path, routes.path])
                        await_go("release-routes")
                    emit("released", f"releases {shared}: NOTIFY pgcoord_leases, payload '{shared}'")
                    workspace.write(repo, own, f"# {task.description}: half done (by {who.role_name})")
                    emit("working", f"keeps working on {own}, holding claim #{task.task_id} and its lease")
                    await_go("finish")   # never said: the conductor kills this process here


if __name__ == "__main__":
    raise SystemExit(run_agent(main))
