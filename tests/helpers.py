"""Helpers the test modules share: the deployed test database with its agents as real
login roles (Database), sessions and roles, running functions in parallel or in the
background, and waiting for a condition.

No test module imports another test module: what two of them need lives here, or in
the helper module of its one concern (faults, hostile, invariants, path_oracle,
trace_validation, catalog, invariant_catalogue).
"""
from __future__ import annotations

import contextlib
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from devtools import databases
from pgcoord.client import Client

# -- sessions and roles ------------------------------------------------------------------


def role_dsn(dsn: str, role: str) -> str:
    """The same server and database, logged in as ``role`` (trust authentication)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


def connect(dsn: str, role: str | None = None, *, autocommit: bool = True, **kwargs: Any) -> psycopg.Connection:
    """A session of ``role`` (default: the DSN's own user) with rows as dicts."""
    return psycopg.connect(role_dsn(dsn, role) if role else dsn, autocommit=autocommit, row_factory=dict_row,
                           **kwargs)


def create_login_role(su: psycopg.Connection, role: str, *groups: str) -> str:
    """CREATE ROLE role LOGIN IN ROLE groups..."""
    su.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
        sql.Identifier(role), sql.SQL(", ").join(sql.Identifier(g) for g in groups)))
    return role


def create_agent(su: psycopg.Connection, role: str, profile: str = "implementer") -> str:
    """A login role in coord_agent, registered as an agent of ``profile``."""
    create_login_role(su, role, "coord_agent")
    su.execute("SELECT coord.register_agent(%s, %s)", (role, profile))
    return role


def drop_role(conn: psycopg.Connection, role: str) -> None:
    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


# -- the deployed test database ----------------------------------------------------------


class Database:
    """One freshly deployed pgcoord database and the roles created for it (``close()``,
    or leaving a ``with`` block, drops both)."""

    def __init__(self, admin_dsn: str, dsn: str):
        self.admin_dsn = admin_dsn
        self.dsn = dsn
        self.name = dsn.rsplit("/", 1)[1]
        self.roles: list[str] = []
        self.clients: list[Client] = []
        self.su = psycopg.connect(dsn, autocommit=True, row_factory=dict_row)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def role_dsn(self, role: str) -> str:
        return role_dsn(self.dsn, role)

    def session(self, role: str | None = None, *, autocommit: bool = True, **kwargs: Any) -> psycopg.Connection:
        """A raw session of ``role`` (default: the superuser), rows as dicts; the caller closes it."""
        return connect(self.dsn, role, autocommit=autocommit, **kwargs)

    def create_role(self, groups: str, prefix: str = "agent") -> str:
        """A fresh login role in ``groups`` (comma-separated group role names)."""
        role = f"{prefix}_{uuid.uuid4().hex[:10]}"
        create_login_role(self.su, role, *(g.strip() for g in groups.split(",")))
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

    def roomy_profile(self, name: str) -> str:
        """A profile (trust 2) whose limits do not get in the way of a race."""
        self.su.execute("INSERT INTO coord_private.profiles (name, trust_level, max_locks, max_claimed_tasks, "
                        "max_lease_seconds) VALUES (%s, 2, 1000, 1000, 3600)", (name,))
        return name

    def scalar(self, query: str, *args: object) -> object:
        row = self.su.execute(query, args or None).fetchone()
        return None if row is None else next(iter(row.values()))

    def advance_clock(self, seconds: float) -> None:
        self.su.execute("SELECT tests.advance_clock(make_interval(secs => %s))", (seconds,))

    def audit_events(self, operation: str, actor: str | None = None) -> list[dict[str, Any]]:
        """The audit events of one operation (of one actor, if given), in event order."""
        return self.su.execute(
            """SELECT event_id, actor, resource, proceeded, reason, context FROM coord_private.audit_events
                WHERE operation = %s AND (%s::text IS NULL OR actor = %s) ORDER BY event_id""",
            (operation, actor, actor)).fetchall()

    def lock_waiters(self, pids: list[int]) -> set[int]:
        """Those of ``pids`` whose backend is waiting for a lock right now."""
        rows = self.su.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY (%s) AND wait_event_type = 'Lock'",
                               (pids,)).fetchall()
        return {r["pid"] for r in rows}

    def close(self) -> None:
        for c in self.clients:
            c.close()
        self.su.close()
        databases.drop_database(self.admin_dsn, self.name)
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            for role in self.roles:
                drop_role(conn, role)


def cedar_unavailable_reason(db: Database) -> str | None:
    """Why the Cedar engine cannot decide in this database, or None when it can."""
    probe = db.scalar("SELECT coord_private.cedar_probe()")
    return None if probe.get("available") else f"the Cedar engine is unavailable: {probe.get('reason')}"


# -- threads -----------------------------------------------------------------------------


def run_parallel(fns: list[Callable[[], Any]], timeout: float = 180) -> list[Any]:
    """Run each function on its own thread, all released at once by a barrier; their
    results in order. Fails with the first error's traceback, or when a thread is still
    running after ``timeout`` seconds."""
    barrier = threading.Barrier(len(fns))
    results: list[Any] = [None] * len(fns)
    errors: list[str] = []

    def wrap(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = fn()
        except BaseException:  # noqa: BLE001 - reported below
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=wrap, args=(i, fn), daemon=True) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"threads still running after {timeout} s"
    assert not errors, errors[0]
    return results


@contextlib.contextmanager
def background(stop: threading.Event, *fns: Callable[[], Any], join_timeout: float = 30) -> Iterator[None]:
    """Run ``fns`` (monitors, clock tickers: loops that end once ``stop`` is set) on
    threads of their own while the block runs; then set ``stop`` and join them. An
    error in one of them fails the test once the block is done."""
    errors: list[str] = []

    def wrap(fn: Callable[[], Any]) -> None:
        try:
            fn()
        except BaseException:  # noqa: BLE001 - reported below
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=wrap, args=(fn,), daemon=True) for fn in fns]
    for t in threads:
        t.start()
    try:
        yield
    finally:
        stop.set()
        for t in threads:
            t.join(join_timeout)
    assert not errors, f"a background thread failed: {errors[0]}"


def wait_until(cond: Callable[[], object], what: str, deadline: float = 60.0, poll: float = 0.01) -> None:
    """Poll ``cond`` until it is true; fail after ``deadline`` seconds, naming ``what`` was awaited."""
    end = time.monotonic() + deadline
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline} s waiting for {what}")
        time.sleep(poll)


# -- paths -------------------------------------------------------------------------------

# pg_temp.spell(paths): each path's spelling by normalize_path (fast), by
# normalize_path_checked then, under the case-insensitive rule, the case fold (slow),
# and normalize_path of the fast spelling (again); a refusal as 'ERROR <SQLSTATE>'.
SPELL = """
CREATE FUNCTION pg_temp.spell(p_paths text[], OUT path text, OUT fast text, OUT slow text, OUT again text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
    x text;
BEGIN
    FOREACH x IN ARRAY p_paths LOOP
        path := x; again := NULL;
        BEGIN
            fast := coord_private.normalize_path(x);
        EXCEPTION WHEN OTHERS THEN
            fast := 'ERROR ' || SQLSTATE;
        END;
        BEGIN
            slow := coord_private.normalize_path_checked(x);
            IF (SELECT s.path_case FROM coord_private.settings s) = 'insensitive' THEN
                slow := coord_private.normalize_path_checked(coord_private.fold_path_case(slow));
            END IF;
        EXCEPTION WHEN OTHERS THEN
            slow := 'ERROR ' || SQLSTATE;
        END;
        IF fast NOT LIKE 'ERROR %' THEN
            BEGIN
                again := coord_private.normalize_path(fast);
            EXCEPTION WHEN OTHERS THEN
                again := 'ERROR ' || SQLSTATE;
            END;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$"""


def spell(su: psycopg.Connection, paths: list[str]) -> list[dict[str, Any]]:
    """pg_temp.spell over ``paths`` (SPELL installed in this session), one row per path in order."""
    return su.execute("SELECT * FROM pg_temp.spell(%s)", (paths,)).fetchall()
