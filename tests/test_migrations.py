"""Sqitch migrations: deploy, verify, revert, redeploy, and the schema they produce."""
from __future__ import annotations

import psycopg
import pytest

from devtools import databases
from pgcoord import migrations
from pgcoord.cluster import with_dbname

from .catalog import describe

# The public API, exactly: adding or removing a coord function or view is a
# deliberate change of this list (procrastinate's "migrations produce exactly the
# intended schema", applied to the API surface).
EXPECTED_COORD_FUNCTIONS = {
    "acquire_lock", "acquire_locks", "add_guardrail_pattern", "add_network_rule", "audit_digest", "cancel_task",
    "cedar_engine", "check_fence", "check_guardrails", "check_locks", "check_network_access",
    "check_write_coverage", "claim_task",
    "claim_tasks", "complete_task", "discover_agents", "drop_profile", "end_session", "fail_task",
    "force_release_lock", "get_my_profile", "get_task", "heartbeat", "lease_status", "now", "purge_audit",
    "reap_expired", "register_agent", "register_session", "release_lock", "remove_guardrail_pattern",
    "remove_network_rule", "renew_claim", "renew_lock", "set_agent_profile", "set_agent_status",
    "set_cedar_policies", "set_enforcement_mode", "set_path_case", "set_policy_engine", "set_profile",
    "set_stale_threshold", "submit_task", "verify_audit", "verify_audit_digest", "whoami",
    "read_handoffs", "write_handoff",
    "approval_status", "approve", "reject", "set_approval_settings", "set_profile_approvals",
    "get_working_memory", "recall", "record_skill_outcome", "remember", "set_working_memory", "skills",
}
EXPECTED_COORD_VIEWS = {
    "agents", "audit_trail", "cedar_policies", "enforcement", "error_codes", "guardrail_patterns",
    "live_locks", "my_audit_events", "my_sessions", "network_rules", "operations", "profiles", "reason_codes",
    "tasks", "function_catalog", "approvals", "shell_rules",
}


@pytest.fixture
def empty_db(admin_dsn):
    name = databases.create_database(admin_dsn, "pgcoord_mig")
    yield with_dbname(admin_dsn, name)
    databases.drop_database(admin_dsn, name)


def plan_tags() -> list[str]:
    from pgcoord.cluster import project_root
    return [line.split()[0] for line in (project_root() / "sqitch.plan").read_text().splitlines()
            if line.startswith("@")]


def test_deploy_verify_revert_deploy(empty_db):
    migrations.deploy(empty_db)
    assert "Verify successful" in migrations.verify(empty_db)
    fresh = describe(empty_db)
    migrations.revert(empty_db)
    with psycopg.connect(empty_db) as conn:
        left = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'coord%'").fetchall()
    assert left == [], "a full revert leaves no pgcoord schema behind"
    migrations.deploy(empty_db)
    assert describe(empty_db) == fresh


def test_plan_has_tags():
    assert "@v0.1.0" in plan_tags() and len(plan_tags()) >= 2


@pytest.mark.parametrize("tag", plan_tags()[:-1] or ["@v0.1.0"])
def test_revert_to_tag_and_redeploy_equals_fresh_deploy(admin_dsn, empty_db, tag):
    """Reverting to a tag and deploying again yields exactly a fresh deploy's catalog."""
    migrations.deploy(empty_db)
    migrations.revert(empty_db, to=tag)
    later = {"@v0.1.0": "submit_task", "@v0.2.0": "set_policy_engine", "@v0.3.0": "set_path_case"}.get(tag)
    if later:
        with psycopg.connect(empty_db) as conn:
            assert conn.execute("SELECT count(*) FROM pg_proc WHERE proname = %s", (later,)).fetchone()[0] == 0, \
                f"revert to {tag} removes what the plan adds after it ({later})"
    migrations.deploy(empty_db)
    other = databases.create_database(admin_dsn, "pgcoord_mig")
    try:
        other_dsn = with_dbname(admin_dsn, other)
        migrations.deploy(other_dsn)
        a, b = describe(empty_db), describe(other_dsn)
        for section in a:
            assert a[section] == b[section], f"catalog section {section} differs after revert to {tag}"
    finally:
        databases.drop_database(admin_dsn, other)


def test_catalog_comparison_can_fail(empty_db):
    """The comparison above is not vacuous: a one-object change shows up."""
    migrations.deploy(empty_db)
    before = describe(empty_db)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("COMMENT ON FUNCTION coord.whoami() IS 'changed'")
    assert describe(empty_db)["functions"] != before["functions"]


def test_api_surface_is_exactly_the_intended_one(empty_db):
    migrations.deploy(empty_db)
    with psycopg.connect(empty_db) as conn:
        funcs = {r[0] for r in conn.execute(
            "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'coord'::regnamespace").fetchall()}
        views = {r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'coord'::regnamespace AND c.relkind = 'v'").fetchall()}
        others = conn.execute(
            "SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = 'coord'::regnamespace "
            "AND c.relkind <> 'v'").fetchall()
    assert funcs == EXPECTED_COORD_FUNCTIONS
    assert views == EXPECTED_COORD_VIEWS
    assert others == [], "coord holds functions and views only"


def test_deploy_failure_is_a_clear_error(admin_dsn):
    bad = with_dbname(admin_dsn, "pgcoord_no_such_database_xyz")
    with pytest.raises(migrations.MigrationError) as err:
        migrations.deploy(bad)
    assert "sqitch deploy failed" in str(err.value)
    assert "does not exist" in str(err.value)
