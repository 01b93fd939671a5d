"""The agent and operator command line (pgcoord.commands) against the real database.

Each command is a thin door: the database decides, the command shows the result as
a table or --json and maps the outcome to its documented exit code (0 done, 3
refused, 4 audit failed, 5 bad input); every refusal names its reason code."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from pgcoord.commands import main
from pgcoord.commands.common import EXIT_AUDIT, EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED

from .helpers import drop_role


@pytest.fixture
def cli(capsys):
    def run(dsn: str, *args: str) -> tuple[int, str, str]:
        code = main(["--dsn", dsn, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run


def as_json(text: str):
    return json.loads(text)


def test_INV_LOCK_EXCL_lease_contention_is_exit_3_naming_the_holder(db, cli):
    alice, _ = db.agent("implementer")
    bob, _ = db.agent("implementer")
    code, out, err = cli(db.role_dsn(alice), "--json", "lease", "acquire", "src/api/", "--ttl", "60",
                         "--reason", "refactor")
    assert code == EXIT_OK, err
    grant = as_json(out)
    assert grant["path"] == "src/api/" and grant["token"] > 0
    code, out, err = cli(db.role_dsn(bob), "lease", "acquire", "src/api/users.py")
    assert code == EXIT_REFUSED
    assert "lock_held_by_other" in err and alice in err and "audit event" in err
    code, out, _ = cli(db.role_dsn(bob), "--json", "lease", "list", "--holder", alice)
    assert code == EXIT_OK and [lease["path"] for lease in as_json(out)] == ["src/api/"]
    code, out, _ = cli(db.role_dsn(alice), "--json", "lease", "list", "--mine")
    assert [lease["holder"] for lease in as_json(out)] == [alice]
    assert cli(db.role_dsn(alice), "lease", "renew", "src/api/", "--ttl", "120")[0] == EXIT_OK
    assert cli(db.role_dsn(alice), "lease", "release", "src/api/")[0] == EXIT_OK
    assert cli(db.role_dsn(bob), "lease", "acquire", "src/api/users.py")[0] == EXIT_OK
    refusals = db.audit_events("acquire_lock", bob)
    assert [e["reason"] for e in refusals] == ["lock_held_by_other", "allowed"]


def test_INV_CLAIM_UNIQ_task_round_trip(db, cli):
    submitter, _ = db.agent("implementer")
    worker, _ = db.agent("implementer")
    code, out, err = cli(db.role_dsn(submitter), "--json", "task", "submit", "build", "--description", "compile",
                         "--input", '{"target": "all"}', "--priority", "5")
    assert code == EXIT_OK, err
    task_id = as_json(out)["task_id"]
    code, out, err = cli(db.role_dsn(worker), "--json", "task", "claim", "--type", "build")
    assert code == EXIT_OK, err
    claim = as_json(out)
    assert claim["task_id"] == task_id and claim["claim_token"] == 1
    code, _, err = cli(db.role_dsn(worker), "task", "claim", "--type", "build")
    assert code == EXIT_REFUSED and "task_not_claimable" in err
    code, _, err = cli(db.role_dsn(submitter), "task", "complete", str(task_id), "1")
    assert code == EXIT_REFUSED and "not_claim_owner" in err, "only the claimer completes"
    code, _, err = cli(db.role_dsn(worker), "task", "complete", str(task_id), "1", "--result", '{"ok": true}')
    assert code == EXIT_OK, err
    code, out, _ = cli(db.role_dsn(submitter), "--json", "task", "show", str(task_id))
    task = as_json(out)
    assert task["status"] == "completed" and task["result"] == {"ok": True}
    code, out, _ = cli(db.role_dsn(submitter), "--json", "task", "list", "--status", "completed")
    assert [t["task_id"] for t in as_json(out)] == [task_id]


def test_INV_BOUNDARY_bad_input_is_exit_5_and_changes_nothing(db, cli):
    alice, _ = db.agent("implementer")
    code, _, err = cli(db.role_dsn(alice), "lease", "acquire", "a/../b")
    assert code == EXIT_BAD_INPUT and "InvalidPath" in err
    code, _, err = cli(db.role_dsn(alice), "task", "submit", "build", "--input", "[1, 2]")
    assert code == 2 and "JSON object" in err, "a malformed argument is a usage error before any call"
    assert db.scalar("SELECT count(*) FROM coord_private.locks") == 0
    assert db.scalar("SELECT count(*) FROM coord_private.tasks") == 0


def test_INV_AUDIT_COMPLETE_guardrail_check_names_the_guardrail(db, cli):
    alice, _ = db.agent("implementer")
    code, _, err = cli(db.role_dsn(alice), "check", "guardrails", "rm -rf /")
    # the rule and its category are named (the shell rule for a recursive delete of /)
    assert code == EXIT_REFUSED and "guardrail_blocked" in err and "fs_delete_catastrophic (filesystem, block)" in err
    code, out, _ = cli(db.role_dsn(alice), "--json", "check", "guardrails", "ls -la")
    assert code == EXIT_OK and as_json(out)["ok"] is True


def test_check_guardrails_workspace_and_cwd_options(db, cli):
    """(needs the four-argument coord.check_guardrails) --workspace and --cwd reach the
    shell analyser; an invalid one is bad input (exit 5)."""
    alice, _ = db.agent("implementer")
    dsn = db.role_dsn(alice)
    code, _, err = cli(dsn, "check", "guardrails", "rm -rf /srv/app/build")
    assert code == EXIT_REFUSED and "guardrail_blocked" in err
    code, out, err = cli(dsn, "--json", "check", "guardrails", "rm -rf /srv/app/build", "--workspace", "/srv/app",
                         "--cwd", "/srv/app")
    assert code == EXIT_OK and as_json(out)["ok"] is True, err
    code, _, err = cli(dsn, "check", "guardrails", "rm -rf etc", "--cwd", "/")
    assert code == EXIT_REFUSED and "guardrail_blocked" in err
    code, _, err = cli(dsn, "check", "guardrails", "ls", "--workspace", "relative/dir")
    assert code == EXIT_BAD_INPUT and "InvalidArgument" in err, err


def test_agent_add_creates_a_working_agent_and_prints_its_entries(db, cli):
    role = f"cli_agent_{uuid.uuid4().hex[:8]}"
    try:
        code, out, err = cli(db.dsn, "--json", "agent", "add", role, "--profile", "implementer")
        assert code == EXIT_OK, err
        added = as_json(out)
        assert added["role"] == role and role in added["dsn"]
        assert added["mcp"]["mcpServers"]["pgcoord"]["args"][:1] == ["mcp"]
        code, out, err = cli(added["dsn"], "--json", "lease", "acquire", "docs/", "--ttl", "30")
        assert code == EXIT_OK, err
        code, out, _ = cli(db.dsn, "--json", "agent", "list")
        assert role in [a["role_name"] for a in as_json(out)]
        code, _, err = cli(added["dsn"], "agent", "suspend", role)
        assert code == EXIT_REFUSED, "an agent cannot suspend anyone: " + err
        assert cli(db.dsn, "agent", "suspend", role)[0] == EXIT_OK
        code, _, err = cli(added["dsn"], "lease", "acquire", "docs/other/")
        assert code == EXIT_REFUSED and "agent_suspended" in err
    finally:
        drop_role(db.su, role)   # roles are the cluster's, not the test database's


def test_INV_AUDIT_IMMUTABLE_status_tail_export_and_a_tampered_trail(db, cli, tmp_path):
    alice, client = db.agent("implementer")
    client.acquire_lock("src/", 60)
    code, out, _ = cli(db.dsn, "--json", "status")
    status = as_json(out)
    assert code == EXIT_OK and status["audit"]["ok"] and [le["holder"] for le in status["leases"]] == [alice]
    code, out, _ = cli(db.role_dsn(alice), "--json", "audit", "tail", "--limit", "5")
    events = [json.loads(line) for line in out.splitlines()]
    assert code == EXIT_OK and [e["operation"] for e in events] == ["acquire_lock"]
    target = tmp_path / "trail.jsonl"
    assert cli(db.dsn, "audit", "export", "--out", str(target))[0] == EXIT_OK
    exported = [json.loads(line) for line in target.read_text().splitlines()]
    assert [e["event_id"] for e in exported] == sorted(e["event_id"] for e in exported) and exported
    with db.su.transaction():
        db.su.execute("SET LOCAL session_replication_role = replica")
        db.su.execute("UPDATE coord_private.audit_events SET actor = 'someone_else' "
                      "WHERE event_id = (SELECT min(event_id) FROM coord_private.audit_events)")
    assert cli(db.dsn, "audit", "verify")[0] == EXIT_AUDIT
    assert cli(db.dsn, "status")[0] == EXIT_AUDIT


def test_mode_shows_and_sets_the_enforcement_mode(db, cli):
    code, out, _ = cli(db.dsn, "--json", "mode")
    assert code == EXIT_OK and as_json(out)["enforcement_mode"] == "enforce"
    assert cli(db.dsn, "mode", "shadow", "--reason", "trial")[0] == EXIT_OK
    assert as_json(cli(db.dsn, "--json", "mode")[1])["enforcement_mode"] == "shadow"
    code, _, err = cli(db.dsn, "mode", "loud")
    assert code == EXIT_BAD_INPUT, err


def test_the_installed_command_runs_without_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "pgcoord.cli", "task", "nope"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "No such command" in proc.stderr and "Traceback" not in proc.stderr


def test_INV_LOCK_EXPIRY_heartbeat_discover_and_lease_status(db, cli):
    alice, _ = db.agent("implementer")
    bob, _ = db.agent("implementer")
    code, out, err = cli(db.role_dsn(alice), "--json", "agent", "heartbeat", "--status", "busy",
                         "--capability", "python", "--capability", "docs")
    assert code == EXIT_OK, err
    assert as_json(out)["channel"].startswith("pgcoord_agent_")
    code, out, err = cli(db.role_dsn(bob), "--json", "agent", "discover", "--capability", "python")
    assert code == EXIT_OK, err
    assert [(x["role_name"], x["liveness"], x["reported_status"]) for x in as_json(out)] == [(alice, "live", "busy")]
    assert cli(db.role_dsn(alice), "lease", "acquire", "src/cli/")[0] == EXIT_OK
    assert cli(db.role_dsn(alice), "lease", "release", "src/cli/")[0] == EXIT_OK
    code, out, _ = cli(db.role_dsn(alice), "--json", "lease", "status")
    assert [(g["path"], g["state"], g["cause"]) for g in as_json(out)] == [("src/cli/", "lost", "released")]
    code, _, err = cli(db.role_dsn(alice), "agent", "heartbeat", "--status", "sleeping")
    assert code == EXIT_BAD_INPUT and ("sleeping" in err or "status" in err), err
    code, _, err = cli(db.role_dsn(alice), "agent", "stale-after", "30", "--reason", "tighter")
    assert code == EXIT_REFUSED and "permission denied" in err      # granted to coord_admin only
    code, out, err = cli(db.dsn, "--json", "agent", "stale-after", "30", "--reason", "tighter")
    assert code == EXIT_OK, err


def test_INV_RLS_handoff_write_and_read(db, cli):
    alice, _ = db.agent("implementer")
    bob, _ = db.agent("implementer")
    code, out, err = cli(db.role_dsn(alice), "--json", "handoff", "write", "api split in two",
                         "--completed", "users", "--next", "orders", "--file", "src/api/")
    assert code == EXIT_OK, err
    written = as_json(out)
    assert written["handoff_id"] > 0 and written["reason"] == "allowed"
    code, out, err = cli(db.role_dsn(bob), "--json", "handoff", "read", "--agent", alice)
    assert code == EXIT_OK, err
    assert [(h["summary"], h["next_steps"], h["files"]) for h in as_json(out)] == \
        [("api split in two", ["orders"], ["src/api/"])]
    code, _, err = cli(db.role_dsn(bob), "handoff", "read", "--limit", "0")
    assert code == EXIT_BAD_INPUT, err


def test_INV_RLS_memory_remember_recall_and_skills(db, cli):
    alice, _ = db.agent("implementer")
    bob, _ = db.agent("implementer")
    code, out, err = cli(db.role_dsn(alice), "--json", "memory", "remember", "gotcha", "pgbouncer breaks prepared "
                         "statements", "--tag", "pooler", "--lesson", "prepare_threshold=None")
    assert code == EXIT_OK, err
    assert as_json(out)["deduplicated"] is False
    code, out, err = cli(db.role_dsn(bob), "--json", "memory", "recall", "--text", "pgbouncer prepared")
    assert code == EXIT_OK, err
    assert [m["agent"] for m in as_json(out)] == [alice]
    assert cli(db.role_dsn(bob), "memory", "skill", "deploy", "--succeeded")[0] == EXIT_OK
    code, out, _ = cli(db.role_dsn(alice), "--json", "memory", "skills", "--prefix", "dep")
    assert [(x["skill"], x["attempts"], x["successes"]) for x in as_json(out)] == [("deploy", 1, 1)]
    code, _, err = cli(db.role_dsn(bob), "memory", "recall", "--limit", "1000")
    assert code == EXIT_BAD_INPUT, err


def test_INV_CLAIM_TOUCH_task_submit_touches_and_claim_lease_touches(db, cli):
    alice, _ = db.agent("implementer")
    bob, _ = db.agent("implementer")
    code, out, err = cli(db.role_dsn(alice), "--json", "task", "submit", "docs", "--touches", "docs/")
    assert code == EXIT_OK, err
    task_id = as_json(out)["task_id"]
    assert cli(db.role_dsn(alice), "lease", "acquire", "docs/guide.md")[0] == EXIT_OK
    code, _, err = cli(db.role_dsn(bob), "task", "claim", "--type", "docs", "--lease-touches")
    assert code == EXIT_REFUSED and "task_not_claimable" in err
    assert cli(db.role_dsn(alice), "lease", "release", "docs/guide.md")[0] == EXIT_OK
    code, out, err = cli(db.role_dsn(bob), "--json", "task", "claim", "--type", "docs", "--lease-touches")
    assert code == EXIT_OK and as_json(out)["task_id"] == task_id, err
    code, out, _ = cli(db.role_dsn(bob), "--json", "lease", "list", "--mine")
    assert [x["path"] for x in as_json(out)] == ["docs/"]
