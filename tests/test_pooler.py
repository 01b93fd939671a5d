"""The clients behind a real PgBouncer (devtools.pooler; Debian package pgbouncer).

Transaction pooling hands each transaction whichever server session is free, so
psycopg's prepared statements land on one backend and are looked for, or clash, on
another; a pool configured with one user for everybody makes every agent that user.
pgcoord.pooling makes the clients safe by default: preparing off when the server
answers on another port than the client dialled (or PGCOORD_TRANSACTION_POOLER=1),
and SharedPoolIdentity when the server's session_user is not the user connected as.
INV-TRUST: identity is the login role, so a shared pool user must never pass.
"""
from __future__ import annotations

import asyncio
import threading

import psycopg
import pytest

from devtools.pooler import pgbouncer
from pgcoord import AsyncClient, Client, errors
from pgcoord.pooling import TRANSACTION_POOLER_ENV

from .helpers import Database

PREPARED_STATEMENT_CLASH = (psycopg.errors.InvalidSqlStatementName, psycopg.errors.DuplicatePreparedStatement,
                            psycopg.errors.ProtocolViolation)


def test_the_hazard_is_real_raw_psycopg_defaults_clash_behind_a_transaction_pooler(db: Database) -> None:
    """The control: two plain psycopg connections of one user sharing one server
    session, each running its own statement often enough to be prepared. Without
    pgcoord's switch this fails deterministically; with it, it cannot."""
    role = db.create_role("coord_agent")
    with pgbouncer(db.admin_dsn, default_pool_size=1) as pooler:
        url = pooler.dsn(db.name, role)
        with psycopg.connect(url, autocommit=True) as a, psycopg.connect(url, autocommit=True) as b:
            for _ in range(6):
                a.execute("SELECT %s::int + 1", (1,))
            with pytest.raises(PREPARED_STATEMENT_CLASH):
                for _ in range(6):
                    b.execute("SELECT %s::text || 'b'", ("x",))


def test_INV_TRUST_clients_work_behind_a_transaction_pooler_by_default(db: Database) -> None:
    """Eight default clients of two agents over two server sessions per agent, racing."""
    agents = [db.agent()[0] for _ in range(2)]
    errors_seen: list[BaseException] = []
    with pgbouncer(db.admin_dsn, default_pool_size=2) as pooler:
        clients = [Client.connect(pooler.dsn(db.name, role)) for role in agents for _ in range(4)]
        try:
            assert all(c.conn.prepare_threshold is None for c in clients)
            barrier = threading.Barrier(len(clients))

            def work(i: int, client: Client) -> None:
                try:
                    barrier.wait(timeout=30)
                    for n in range(25):
                        me = client.whoami()
                        assert me.role_name == agents[i // 4]
                        path = f"src/pooled/{i}/{n}.py"
                        client.acquire_lock(path, ttl=600)
                        client.release_lock(path)
                except BaseException as exc:   # collected, re-raised below
                    errors_seen.append(exc)

            threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            assert not errors_seen, errors_seen[:3]
            # every call ran as its own agent: 8 x 25 grants, each by the client's own role
            rows = db.su.execute("SELECT actor, count(*) AS n FROM coord_private.audit_events "
                                 "WHERE operation = 'acquire_lock' AND proceeded GROUP BY actor").fetchall()
            assert {r["actor"]: r["n"] for r in rows} == {role: 100 for role in agents}
            # and the pooler really shared server sessions: at most two per agent
            pools = [p for p in pooler.show("POOLS") if p["database"] == db.name and p["user"] in agents]
            assert pools and all(p["sv_active"] + p["sv_idle"] + p["sv_used"] <= 2 for p in pools)
        finally:
            for c in clients:
                c.close()


def test_INV_TRUST_a_shared_pool_user_is_refused_before_any_call(db: Database) -> None:
    shared = db.create_role("coord_agent", prefix="pooluser")
    db.su.execute("SELECT coord.register_agent(%s, 'implementer')", (shared,))
    alice = db.agent()[0]
    before = db.scalar("SELECT count(*) FROM coord_private.audit_events")
    for mode in ("transaction", "session"):
        with pgbouncer(db.admin_dsn, pool_mode=mode, force_user=shared) as pooler:
            with pytest.raises(errors.SharedPoolIdentity) as caught:
                Client.connect(pooler.dsn(db.name, alice))
            assert (caught.value.asked, caught.value.session_user) == (alice, shared)
            with psycopg.connect(pooler.dsn(db.name, alice), autocommit=True) as conn:
                with pytest.raises(errors.SharedPoolIdentity):
                    Client(conn)
    assert db.scalar("SELECT count(*) FROM coord_private.audit_events") == before


def test_session_pooling_and_a_pool_of_connections_through_the_pooler(db: Database) -> None:
    from psycopg_pool import ConnectionPool

    role = db.agent()[0]
    with pgbouncer(db.admin_dsn, pool_mode="session") as pooler:
        with Client.connect(pooler.dsn(db.name, role)) as client:
            client.acquire_lock("src/session.py", ttl=600)
            client.release_lock("src/session.py")
    with pgbouncer(db.admin_dsn, default_pool_size=1) as pooler:
        with ConnectionPool(pooler.dsn(db.name, role), min_size=3, max_size=3,
                            kwargs={"autocommit": True}) as pool:
            client = Client(pool)
            for n in range(10):
                client.acquire_lock(f"src/pool/{n}.py", ttl=600)
                client.release_lock(f"src/pool/{n}.py")


def test_async_client_behind_a_transaction_pooler(db: Database) -> None:
    role = db.agent()[0]

    async def run(url: str) -> None:
        clients = [await AsyncClient.connect(url) for _ in range(3)]
        try:
            async def work(i: int, client: AsyncClient) -> None:
                for n in range(10):
                    await client.acquire_lock(f"src/async/{i}/{n}.py", ttl=600)
                    await client.release_lock(f"src/async/{i}/{n}.py")
            await asyncio.gather(*(work(i, c) for i, c in enumerate(clients)))
        finally:
            for c in clients:
                await c.close()

    with pgbouncer(db.admin_dsn, default_pool_size=1) as pooler:
        asyncio.run(run(pooler.dsn(db.name, role)))


def test_direct_connections_keep_preparing_unless_told(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    role = db.agent()[0]
    with Client.connect(db.role_dsn(role)) as direct:
        assert direct.conn.prepare_threshold == 5
    monkeypatch.setenv(TRANSACTION_POOLER_ENV, "1")
    with Client.connect(db.role_dsn(role)) as told:
        assert told.conn.prepare_threshold is None


@pytest.mark.parametrize("driver", ["libpq", "psycopg"])
def test_INV_TRUST_the_hooks_connect_through_a_pooler_as_themselves(db: Database, driver: str) -> None:
    """PgBouncer refuses startup `options` (the hook's statement_timeout): the hook
    connects again without them; a shared pool user is refused as in the clients."""
    from pgcoord.hooks.database import DbError, LibpqConnection, PsycopgConnection

    opener = LibpqConnection if driver == "libpq" else PsycopgConnection.connect
    role = db.agent()[0]
    shared = db.create_role("coord_agent", prefix="pooluser")
    with pgbouncer(db.admin_dsn, default_pool_size=1) as pooler:
        conn = opener(pooler.dsn(db.name, role))
        try:
            for _ in range(3):
                assert conn.query_json("SELECT to_json(session_user::text)") == role
        finally:
            conn.close()
    with pgbouncer(db.admin_dsn, force_user=shared) as pooler:
        with pytest.raises(DbError, match="same identity"):
            opener(pooler.dsn(db.name, role))


def test_INV_TRUST_a_pool_never_lends_a_connection_that_failed_the_identity_check(db: Database) -> None:
    """A pooled client through a shared pool user: every call refused, not only the
    first (the failed connection is closed, so the pool cannot lend it unchecked)."""
    from psycopg_pool import AsyncConnectionPool, ConnectionPool

    shared = db.create_role("coord_agent", prefix="pooluser")
    db.su.execute("SELECT coord.register_agent(%s, 'implementer')", (shared,))
    alice = db.agent()[0]
    before = db.scalar("SELECT count(*) FROM coord_private.audit_events")
    with pgbouncer(db.admin_dsn, force_user=shared) as pooler:
        url = pooler.dsn(db.name, alice)
        with ConnectionPool(url, min_size=1, max_size=1, kwargs={"autocommit": True}) as pool:
            client = Client(pool)
            for _ in range(3):
                with pytest.raises(errors.SharedPoolIdentity):
                    client.acquire_lock("src/shared.py", ttl=600)

        async def run() -> None:
            async with AsyncConnectionPool(url, min_size=1, max_size=1, kwargs={"autocommit": True},
                                           open=False) as apool:
                aclient = AsyncClient(apool)
                for _ in range(3):
                    with pytest.raises(errors.SharedPoolIdentity):
                        await aclient.acquire_lock("src/shared.py", ttl=600)
        asyncio.run(run())
    assert db.scalar("SELECT count(*) FROM coord_private.audit_events") == before


def test_the_pooler_is_recognised_by_the_server_port_over_any_transport(db: Database) -> None:
    """The server's own port setting against the port dialled: a Unix socket's name
    carries its port, so a direct socket connection keeps preparing, and a pooler
    reached over sockets on both sides (its own port) is still recognised."""
    from types import SimpleNamespace

    from pgcoord.pooling import judge

    assert judge(SimpleNamespace(user="a", port=6432), "a", 5432) is True       # type: ignore[arg-type]
    assert judge(SimpleNamespace(user="a", port=5432), "a", 5432) is False      # type: ignore[arg-type]
    role = db.agent()[0]
    socket_dir = str(db.scalar("SELECT split_part(current_setting('unix_socket_directories'), ',', 1)")).strip()
    port = db.scalar("SELECT current_setting('port')::int")
    with Client.connect(f"host={socket_dir} port={port} dbname={db.name} user={role}") as direct:
        assert direct.conn.info.host.startswith("/")
        assert direct.conn.prepare_threshold == 5


@pytest.mark.parametrize("message", [
    "ERROR:  unsupported startup parameter: options",                         # PgBouncer <= 1.19
    "ERROR:  unsupported startup parameter in options: statement_timeout",    # PgBouncer >= 1.20
])
def test_the_hooks_retry_without_options_for_every_pooler_wording(message: str) -> None:
    from pgcoord.hooks.database import _refused_options

    assert _refused_options(message)
    assert not _refused_options("FATAL:  password authentication failed for user \"alice\"")


def test_a_passed_connection_outside_autocommit_is_left_as_it_was(db: Database) -> None:
    """The probe must not leave a caller's idle connection inside a transaction it began
    (nor end one the caller had open)."""
    from psycopg.pq import TransactionStatus

    role = db.agent()[0]
    with psycopg.connect(db.role_dsn(role)) as conn:            # autocommit off
        Client(conn)
        assert conn.info.transaction_status == TransactionStatus.IDLE
        conn.execute("SELECT 1")
        Client(conn)
        assert conn.info.transaction_status == TransactionStatus.INTRANS
        conn.rollback()
