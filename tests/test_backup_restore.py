"""Backup and restore with pg_dump / pg_restore (the README's operations section).

A dump restored into a database made beforehand (no --create) keeps every pgcoord
object, grant and the audit trail, but not the database's own grants
(pg_database.datacl): PUBLIC may connect and create temporary objects again and
coord_owner may not create. `pgcoord deploy` (migrations.deploy) re-applies them,
idempotently. INV-AUDIT-IMMUTABLE: the restored trail verifies and matches the
digest kept outside the database before the dump.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from devtools import databases
from pgcoord import migrations
from pgcoord.client import Client
from pgcoord.cluster import with_dbname

from .helpers import Database, role_dsn


def database_grants(dsn: str) -> dict[str, bool]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("""
            SELECT has_database_privilege('public', current_database(), 'CONNECT'),
                   has_database_privilege('public', current_database(), 'TEMPORARY'),
                   has_database_privilege('coord_agent', current_database(), 'TEMPORARY'),
                   has_database_privilege('coord_agent', current_database(), 'CONNECT'),
                   has_database_privilege('coord_owner', current_database(), 'CREATE')""").fetchone()
    assert row is not None
    return dict(zip(("public_connect", "public_temporary", "agent_temporary", "agent_connect", "owner_create"),
                    row, strict=True))


DEPLOYED = {"public_connect": False, "public_temporary": False, "agent_temporary": False,
            "agent_connect": True, "owner_create": True}


def test_restore_without_create_then_deploy_repairs_the_database_grants(db: Database, tmp_path: Path) -> None:
    role, agent = db.agent()
    agent.acquire_lock("src/backup.py", ttl=600)
    agent.release_lock("src/backup.py")
    digest = db.admin().audit_digest()
    assert database_grants(db.dsn) == DEPLOYED

    dump = tmp_path / "pgcoord.dump"
    proc = subprocess.run(["pg_dump", "-Fc", "-f", str(dump), "-d", db.dsn], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    restored_name = databases.create_database(db.admin_dsn, "pgcoord_restored")
    restored = with_dbname(db.admin_dsn, restored_name)
    try:
        proc = subprocess.run(["pg_restore", "--exit-on-error", "-d", restored, str(dump)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        # the loss this test is about: the restored database has PostgreSQL's default grants
        lost = database_grants(restored)
        assert lost["public_connect"] and lost["public_temporary"] and not lost["owner_create"], lost

        out = migrations.deploy(restored)
        assert "repaired the database grants" in out
        assert database_grants(restored) == DEPLOYED
        # idempotent: a second deploy finds nothing to repair
        assert "repaired" not in migrations.deploy(restored)
        assert migrations.apply_database_grants(restored) is False

        # the restored trail verifies and is the one the digest kept outside describes
        with Client.connect(role_dsn(restored, db.create_role("coord_auditor", prefix="auditor"))) as auditor:
            assert auditor.verify_audit().ok
            assert auditor.verify_audit_digest(digest).ok
        # and the agent works in it, with its identity and its history
        with Client.connect(role_dsn(restored, role)) as again:
            me = again.whoami()
            assert (me.role_name, me.registered) == (role, True)
            again.acquire_lock("src/backup.py", ttl=600)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                again.conn.execute("CREATE TEMPORARY TABLE shadow (x int)")
    finally:
        databases.drop_database(db.admin_dsn, restored_name)


def test_restore_onto_a_new_cluster_takes_the_roles_first(db: Database, tmp_path: Path) -> None:
    """Roles are the cluster's: on a new cluster `pg_dumpall --roles-only` goes first,
    then the database dump, then `pgcoord deploy` (README "Backup and restore")."""
    from pgcoord.cluster import Cluster

    role, agent = db.agent()
    agent.acquire_lock("src/moved.py", ttl=600)
    digest = db.admin().audit_digest()
    auditor_role = db.create_role("coord_auditor", prefix="auditor")
    roles_sql, dump = tmp_path / "roles.sql", tmp_path / "pgcoord.dump"
    for argv in (["pg_dumpall", "--roles-only", "-f", str(roles_sql), "-d", db.admin_dsn],
                 ["pg_dump", "-Fc", "-f", str(dump), "-d", db.dsn]):
        proc = subprocess.run(argv, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    target = Cluster(tmp_path / "new-cluster", tuned_for_tests=True)
    target.start()
    try:
        # the superuser of the new cluster exists already: that one statement fails, the rest apply
        subprocess.run(["psql", "-X", "-q", "-d", target.dsn(), "-f", str(roles_sql)], capture_output=True)
        with psycopg.connect(target.dsn(), autocommit=True) as su:
            su.execute(f'CREATE DATABASE "{db.name}"')
        proc = subprocess.run(["pg_restore", "--exit-on-error", "-d", target.dsn(db.name), str(dump)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert "repaired the database grants" in migrations.deploy(target.dsn(db.name))
        with Client.connect(target.dsn(db.name, user=role)) as moved:
            assert moved.whoami().registered
            assert [s.path for s in moved.check_locks(["src/moved.py"])] == ["src/moved.py"]
        with Client.connect(target.dsn(db.name, user=auditor_role)) as auditor:
            assert auditor.verify_audit().ok and auditor.verify_audit_digest(digest).ok
    finally:
        target.destroy()
