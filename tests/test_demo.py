"""`make demo` as a test: ``python -m devtools.demo --dsn <a fresh database>`` as a
subprocess, twice in a row, against a database deployed for it (real clock: the demo
waits out a real claim expiry), with agents of a prefix of its own.

The demo checks its own story (each step's outcome, the audit tally) and exits 1 with
"demo: FAILED" when anything is not as shown; here its exit code and the key lines of
what it printed are checked, and that the second run found nothing left by the first.
Also: what an interrupted run leaves behind is cleared by the agents themselves, and
by the operator where an agent cannot (its profile's approvals, its undecided requests).
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

from devtools import databases
from devtools.demo.tidy import clear_approvals, tidy
from pgcoord.cluster import project_root

from .helpers import Database

NAMES = ("alice", "bob", "carol", "dave")

#: What each run must show (the demo's own checks stand behind each of these).
KEY_LINES = (
    "1. The operator registers the fleet and starts in shadow mode",
    "enforcement mode is now shadow",
    "[Python client, pid",
    "[MCP, pid",
    "started `pgcoord mcp --toolsets context,leases,tasks,checks,approvals` over stdio",
    "[hook, pid",
    "submits the task graph (submit_task with depends_on)",
    "woken by NOTIFY pgcoord_tasks: claims",
    "granted=false, reason lock_held_by_other, held by {bob}",
    "woken by the NOTIFY of the release",
    "Edit src/api/users.py → hook exit 2, denied",
    "kill -9",
    "'implement /users' again: attempt 2",
    "would-deny events of this run in coord.audit_trail (NOT allowed AND proceeded): 1",
    "enforcement mode is now enforce",
    "Bash 'git push --force origin main' → hook exit 2, denied: pgcoord: Bash command 'git push --force origin main' "
    "denied - guardrail_blocked",
    "6. An approval: a follow-up task needs a person's OK",
    "$ pgcoord --json approvals require implementer submit_task",
    "operations of implementer agents that need an approval: submit_task",
    "submit_task followup 'write the API changelog' → error approval_required: approval",
    "reason approval_required — nothing was queued",
    "approval_status approval_id=",
    "$ pgcoord --json approvals approve",
    "state granted, decided by",
    "reason approved (audit event",
    "operations of implementer agents that need an approval: none",
    "blocked=true, reason guardrail_blocked, fs_delete_catastrophic (block)",
    "live leases of the fleet: 0",
    "calls approved",
    "verify_audit: ok",
    "this run, from coord.audit_trail",
    "demo: done in",
)


def run_demo(dsn: str, prefix: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGCOORD_")}
    return subprocess.run([sys.executable, "-m", "devtools.demo", "--dsn", dsn, "--prefix", prefix],
                          capture_output=True, text=True, timeout=300, cwd=project_root(), env=env)


def test_the_demo_tells_its_story_twice_in_a_row(admin_dsn):
    prefix = f"demo{uuid.uuid4().hex[:8]}"
    dsn = databases.provision(admin_dsn, "pgcoord_demo", test_clock=False)
    with Database(admin_dsn, dsn) as db:
        db.roles.extend(f"{prefix}_{n}" for n in NAMES)     # dropped with the database afterwards
        for attempt in (1, 2):
            proc = run_demo(db.dsn, prefix)
            out = proc.stdout
            print(out)
            assert proc.returncode == 0, f"run {attempt} failed:\n{out}\n{proc.stderr}"
            assert "FAILED" not in out and "Traceback" not in out + proc.stderr
            for line in KEY_LINES:
                assert line.format(bob=f"{prefix}_bob") in out, (attempt, line)
            # nothing was left for the second run to clear
            assert "an interrupted earlier run left" not in out
        assert db.scalar("SELECT enforcement_mode FROM coord.enforcement") == "enforce"
        assert db.scalar("SELECT count(*) FROM coord_private.tasks WHERE status <> 'completed'") == 0
        assert db.scalar("SELECT count(*) FROM coord_private.locks WHERE holder LIKE %s "
                         "AND expires_at > clock_timestamp()", f"{prefix}_%") == 0
        assert db.scalar("SELECT count(*) FROM coord_private.profile_approvals "
                         "WHERE cardinality(approval_operations) > 0 OR approve_elevation") == 0
        assert db.scalar("SELECT count(*) FROM coord.approvals WHERE state IN ('pending', 'granted')") == 0
        assert db.scalar("SELECT count(*) FROM coord.approvals WHERE state = 'used'") == 2   # one per run
        verified = db.scalar("SELECT ok FROM coord.verify_audit()")
        assert verified is True


def test_what_an_interrupted_run_left_is_cleared_by_its_owners(db):
    lead, client = db.agent()
    worker, other = db.agent()
    client.acquire_lock("src/api/schema.py", 600)
    other.acquire_lock("src/api/users.py", 600)
    design = client.submit_task("design", "design the API")
    client.submit_task("implement", "implement /users", depends_on=[design.task_id])
    client.submit_task("release", "release")
    claimed = other.claim_task(["design"], 600)
    assert claimed.task_id == design.task_id
    # the lead cancels the claimed design (its dependent is settled with it) and the release
    released, closed = tidy({lead: db.role_dsn(lead), worker: db.role_dsn(worker)})
    assert (released, closed) == (2, 3)
    assert client.live_locks() == [] and client.list_tasks(status=["pending", "claimed"]) == []
    events = db.audit_events("cancel_task", lead)
    assert [e["proceeded"] for e in events] == [True, True]


def test_an_approval_requirement_and_requests_an_interrupted_run_left_are_cleared_by_the_operator(db):
    admin = db.admin()
    role, agent = db.agent()
    stranger, other = db.agent()
    profile = agent.whoami().profile
    assert admin.set_profile_approvals(profile, ["submit_task", "cancel_task"]).ok
    pending = agent.submit_task("followup", "write the API changelog", raise_on_refusal=False)
    granted = agent.submit_task("followup", "another one", raise_on_refusal=False)
    unrelated = other.submit_task("followup", "not the fleet's", raise_on_refusal=False)
    assert {pending.reason, granted.reason, unrelated.reason} == {"approval_required"}
    admin.approve(granted.approval_id)
    # the fleet's requests, pending or granted, are rejected; another agent's are left alone
    assert clear_approvals(db.dsn, profile, [role]) == 2
    assert [agent.approval_status(x.approval_id).state for x in (pending, granted)] == ["rejected", "rejected"]
    assert other.approval_status(unrelated.approval_id).state == "pending"
    assert agent.submit_task("followup", "write the API changelog").reason == "allowed"
    assert db.audit_events("set_profile_approvals")[-1]["proceeded"]
