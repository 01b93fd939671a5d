"""Fixtures: a real PostgreSQL server, fresh deployed databases, agents as real login roles.

The server is the one `python -m pgcoord.testing` chose (PGCOORD_TEST_DSN), or a
throwaway cluster started here. Every agent is a LOGIN role in coord_agent that
connects with its own session, so identity is what the database sees.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg.rows import dict_row

from pgcoord import testing
from pgcoord.client import Client


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    try:
        with testing.test_server() as dsn:
            yield dsn
    except testing.NoServer as exc:
        pytest.skip(str(exc))


class Database:
    """One freshly deployed pgcoord database and the roles created for it."""

    def __init__(self, admin_dsn: str, dsn: str):
        self.admin_dsn = admin_dsn
        self.dsn = dsn
        self.name = dsn.rsplit("/", 1)[1]
        self.roles: list[str] = []
        self.clients: list[Client] = []
        self.su = psycopg.connect(dsn, autocommit=True, row_factory=dict_row)

    def role_dsn(self, role: str) -> str:
        return self.dsn.replace("postgres@", f"{role}@", 1)

    def create_role(self, groups: str, prefix: str = "agent") -> str:
        role = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.su.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE {groups}')
        self.roles.append(role)
        return role

    def connect(self, role: str) -> Client:
        client = Client.connect(self.role_dsn(role))
        self.clients.append(client)
        return client

    def agent(self, profile: str = "implementer") -> tuple[str, Client]:
        role = self.create_role("coord_agent")
        self.su.execute("SELECT coord.register_agent(%s, %s)", (role, profile))
        return role, self.connect(role)

    def admin(self) -> Client:
        return self.connect(self.create_role("coord_admin, coord_auditor", prefix="admin"))

    def auditor(self) -> Client:
        return self.connect(self.create_role("coord_auditor", prefix="auditor"))

    def scalar(self, query: str, *args: object) -> object:
        row = self.su.execute(query, args or None).fetchone()
        return None if row is None else next(iter(row.values()))

    def advance_clock(self, seconds: float) -> None:
        self.su.execute("SELECT tests.advance_clock(make_interval(secs => %s))", (seconds,))

    def close(self) -> None:
        for c in self.clients:
            c.close()
        self.su.close()
        testing.drop_database(self.admin_dsn, self.name)
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            for role in self.roles:
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def db(admin_dsn: str) -> Iterator[Database]:
    """A fresh deployed database (with the test clock) for one test."""
    database = Database(admin_dsn, testing.provision(admin_dsn))
    try:
        yield database
    finally:
        database.close()


@pytest.fixture(scope="module")
def module_db(admin_dsn: str) -> Iterator[Database]:
    """A fresh deployed database shared by one test module (tests use their own agents)."""
    database = Database(admin_dsn, testing.provision(admin_dsn))
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def make_agent(db: Database) -> Callable[..., tuple[str, Client]]:
    return db.agent
