"""Fixtures: a real PostgreSQL server, fresh deployed databases, agents as real login roles.

The server is the one `python -m devtools.testing` chose (PGCOORD_TEST_DSN), or a
throwaway cluster started here. Every agent is a LOGIN role in coord_agent that
connects with its own session, so identity is what the database sees
(tests/helpers.py: Database).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from devtools import databases
from pgcoord.client import Client

from .helpers import Database


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    try:
        with databases.test_server() as dsn:
            yield dsn
    except databases.NoServer as exc:
        # never a skip: a run whose server cannot be had has tested nothing
        pytest.fail(f"no test server: {exc}", pytrace=False)


@pytest.fixture
def db(admin_dsn: str) -> Iterator[Database]:
    """A fresh deployed database (with the test clock) for one test."""
    with Database(admin_dsn, databases.provision(admin_dsn)) as database:
        yield database


@pytest.fixture(scope="module")
def module_db(admin_dsn: str) -> Iterator[Database]:
    """A fresh deployed database shared by one test module (tests use their own agents)."""
    with Database(admin_dsn, databases.provision(admin_dsn)) as database:
        yield database


@pytest.fixture
def make_agent(db: Database) -> Callable[..., tuple[str, Client]]:
    return db.agent
