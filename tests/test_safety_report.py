"""The safety report (pgcoord.safety_report, `pgcoord report safety`; issue 16).

A real workload (leases, tasks submitted, claimed and completed, a trust denial, an
approval asked and used) gives a trail whose decisions all match the profile rules and
whose rows each have exactly one event; the corpus rates equal what the shell corpus
test measures. Then each metric is shown to catch what it claims to: a task row written
past the hook, and a decision recorded against the profile rules.
"""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pgcoord.commands import app
from pgcoord.safety_report import safety_report

CORPUS = Path(__file__).parent / "guardrail_corpus" / "shell"


def workload(db) -> None:
    _, alice = db.agent("implementer")
    _, bob = db.agent("implementer")
    _, lead = db.agent("orchestrator")
    admin = db.admin()
    alice.rows("acquire_lock", "src/a.py", "10 minutes")
    bob.rows("acquire_lock", "src/a.py", "10 minutes")                 # lock_held_by_other
    bob.rows("force_release_lock", "src/a.py", "stuck")                # trust_too_low (min 3)
    t = alice.rows("submit_task", "build")[0]["task_id"]
    alice.rows("submit_task", "docs")
    claim = bob.rows("claim_task", ["build"], "1 minute")[0]
    bob.rows("complete_task", claim["task_id"], claim["claim_token"])
    lead.rows("cancel_task", alice.rows("submit_task", "later")[0]["task_id"], "not now")   # elevated, trust 3
    admin.rows("set_profile_approvals", "implementer", ["acquire_lock"], False)
    asked = bob.rows("acquire_lock", "docs/x.md", "1 minute")[0]
    assert asked["reason"] == "approval_required", asked
    admin.rows("approve", asked["event_id"], "ok")
    assert bob.rows("acquire_lock", "docs/x.md", "1 minute")[0]["reason"] == "approved"
    assert t


def test_safety_report_on_a_real_workload(db):
    workload(db)
    report = safety_report(db.su, CORPUS)
    metrics = {m.name: m for m in report.metrics}
    print("\n" + "\n".join(f"{m.name}: {m.value} ({m.detail})" for m in report.metrics))
    assert report.enforcement_mode == "enforce" and report.audit_verified
    assert metrics["trust_enforcement_accuracy"].value == 1.0, report.offenders.get("trust")
    assert metrics["audit_completeness"].value == 1.0, report.offenders.get("audit")
    # not vacuous: the decisions and rows it judged
    judged = int(metrics["trust_enforcement_accuracy"].detail.split("/")[1].split()[0])
    rows = int(metrics["audit_completeness"].detail.split("/")[1].split()[0])
    assert judged >= 10 and rows >= 5, (judged, rows)
    # the corpus, as the shell corpus test measures it (its floors)
    assert metrics["guardrail_block_rate"].value >= 0.98
    assert metrics["guardrail_false_positive_rate"].value <= 0.01
    # rolled back: no throwaway role, no check_guardrails event
    assert not db.scalar("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pgcoord_safety_%%'")
    assert not db.scalar("SELECT count(*) FROM coord_private.audit_events WHERE operation = 'check_guardrails'")


def test_safety_report_catches_a_row_without_its_event_and_a_decision_against_the_rules(db):
    workload(db)
    # a task written past the hook (as the owner would): no submit event names it
    db.su.execute("""INSERT INTO coord_private.tasks (task_type, description, input, priority, submitter,
                                                     max_attempts, unmet_deps, created_at, updated_at)
                     SELECT 'forged', '', '{}', 0, min(a.role_name), 3, 0, coord.now(), coord.now()
                       FROM coord_private.agents a""")
    # a decision recorded as allowed for trust 1 where the operation needs 3
    db.su.execute("""SELECT coord_private.append_audit_event('force_release_lock', 'src/z.py', true, true, 'allowed',
                         'native', 'enforce', '{"decision": {"profile": "reviewer", "trust": 1, "min_trust": 3}}')""")
    report = safety_report(db.su, None)
    metrics = {m.name: m for m in report.metrics}
    assert metrics["audit_completeness"].value < 1.0
    assert any("(submitted): 0 events" in o for o in report.offenders["audit"]), report.offenders
    assert metrics["trust_enforcement_accuracy"].value < 1.0
    assert any("trust 1, min 3" in o for o in report.offenders["trust"]), report.offenders
    assert metrics["guardrail_block_rate"].value is None and "skipped" in metrics["guardrail_block_rate"].detail


def test_report_safety_command(db):
    workload(db)
    result = CliRunner().invoke(app, ["--dsn", db.dsn, "--json", "report", "safety", "--corpus", str(CORPUS)])
    print(result.output[-2000:])
    assert result.exit_code in (0, 1), result.output
    assert '"trust_enforcement_accuracy"' in result.output and '"enforcement_mode": "enforce"' in result.output
