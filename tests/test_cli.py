"""The pgcoord CLI: embedded cluster lifecycle, Sqitch failures as clear messages, audit export."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pgcoord.cluster import Cluster

PGCOORD = [sys.executable, "-m", "pgcoord.cli"]


def run(*args: str, env_dsn: str | None = None) -> subprocess.CompletedProcess:
    env = None
    if env_dsn:
        import os
        env = dict(os.environ, PGCOORD_DSN=env_dsn)
    return subprocess.run([*PGCOORD, *args], capture_output=True, text=True, env=env, timeout=300)


def test_embedded_cluster_start_status_stop(tmp_path: Path):
    cluster = Cluster(tmp_path / "cluster", tuned_for_tests=True)
    assert cluster.status() == "absent"
    cluster.start()
    try:
        assert cluster.running() and cluster.status().startswith("running on port")
        cluster.start()  # idempotent
        import psycopg
        with psycopg.connect(cluster.dsn()) as conn:
            assert conn.execute("SELECT current_setting('server_version_num')::int >= 150000").fetchone()[0]
    finally:
        cluster.stop()
    assert cluster.status() == "stopped"


def test_deploy_to_unreachable_database_is_a_message_not_a_traceback(admin_dsn):
    proc = run("--dsn", "postgresql://postgres@127.0.0.1:1/nowhere", "deploy")
    assert proc.returncode != 0
    assert proc.stderr.startswith("pgcoord:")
    assert "Traceback" not in proc.stderr + proc.stdout


def test_revert_to_unknown_tag_is_a_clear_sqitch_error(db):
    proc = run("--dsn", db.dsn, "revert", "--to", "@no-such-tag")
    assert proc.returncode != 0
    assert "sqitch revert" in proc.stderr and "Traceback" not in proc.stderr


def test_status_verify_and_audit_digest_roundtrip(db, tmp_path: Path):
    _, agent = db.agent("implementer")
    agent.register_session("cli")
    proc = run("--dsn", db.dsn, "verify")
    assert proc.returncode == 0, proc.stderr
    proc = run("--dsn", db.dsn, "--json", "status")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["enforcement_mode"] == "enforce" and status["audit"]["ok"] is True
    out = tmp_path / "digest.json"
    assert run("--dsn", db.dsn, "audit", "digest", "--out", str(out)).returncode == 0
    assert json.loads(out.read_text())["format"] == "pgcoord-audit-digest-v1"
    ok = run("--dsn", db.dsn, "audit", "verify", "--digest", str(out))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # a superuser rewrites an event: the CLI reports it and exits non-zero
    with db.su.transaction():
        db.su.execute("SET LOCAL session_replication_role = replica")
        db.su.execute("UPDATE coord_private.audit_events SET actor = 'someone_else' WHERE seq = 1")
    bad = run("--dsn", db.dsn, "audit", "verify", "--digest", str(out))
    assert bad.returncode == 4 and "FAILED" in bad.stdout
