"""`make bench`: pgcoord's full path against floors measured in the same run.

Every figure is operations per second from one run against the embedded
database, printed beside a floor measured on the same server with the same client
library (psycopg 3, one statement per round trip, autocommit):
  * lease:  acquire_lock + release_lock (enforce mode, audit on)
            vs. a bare INSERT ... ON CONFLICT DO NOTHING + DELETE on a one-table lock;
  * queue:  submit_task + claim_task + complete_task
            vs. a bare INSERT + SKIP LOCKED claim UPDATE + UPDATE on a one-table queue;
  * bare lower bound (bench/floors.py): each of those calls' required work
            (policy row, limit count, the mutation, hash-chained audit event) as one
            prepared statement with no PL/pgSQL; its ratio to the floor bounds what
            any SQL implementation of the requirements can reach;
  * history: acquire+release with 10^6 rows of history (expired locks, audit
            events, finished tasks) vs. the same on an empty database;
  * audit chain design: per-backend chain heads vs. one global chain head at 8 clients;
  * decision cost: acquire+release with the native engine and with Cedar vs. a
            constant-allow engine (medians over interleaved rounds).
Lease and queue run at synchronous_commit=on (the embedded database's durable
setting) and at off (pgcoord's CPU cost), each against its own floor.
Ratios are printed; nothing here asserts a time. The same ratios in server
instructions, which do not move between runs, come from bench/instructions.py,
and bench/budget.py sets the two side by side (`make bench` runs all three).
"""
from __future__ import annotations

import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable

import psycopg
from psycopg import sql

from bench import budget, floors
from pgcoord import migrations
from pgcoord.cluster import default_cluster, with_dbname

DURATION = float(os.environ.get("PGCOORD_BENCH_SECONDS", "4"))
# Figures that compare variants of one workload are measured this many times, interleaved.
ROUNDS = int(os.environ.get("PGCOORD_BENCH_ROUNDS", "3"))
# Both sides of every ratio run with the same commit durability. 'on' is the embedded
# database's own setting (every commit waits for its WAL flush); 'off' takes the disk
# out and shows what pgcoord itself costs in CPU. By default both are printed.
SYNC_MODES = [m for m in os.environ.get("PGCOORD_BENCH_SYNC_COMMIT", "on,off").split(",") if m]


def rate(connect: Callable[[], psycopg.Connection], setup: Callable[[psycopg.Connection, int], object],
         op: Callable[[psycopg.Connection, object, int], None], clients: int, duration: float = DURATION) -> float:
    """Operations per second of `op`, each of `clients` threads on its own connection."""
    conns = [connect() for _ in range(clients)]
    states = [setup(c, i) for i, c in enumerate(conns)]
    counts = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        c, s, n = conns[i], states[i], 0
        start.wait()
        while time.perf_counter() < stop_at[0]:
            op(c, s, n)
            n += 1
        counts[i] = n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + duration
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    return sum(counts) / elapsed


class Bench:
    def __init__(self, admin_dsn: str):
        self.admin_dsn = admin_dsn
        self.db = f"pgcoord_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_dsn, autocommit=True) as c:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db)))
        self.dsn = with_dbname(admin_dsn, self.db)
        migrations.deploy(self.dsn)
        self.su = psycopg.connect(self.dsn, autocommit=True)
        self.su.execute("INSERT INTO coord_private.profiles (name, trust_level, max_locks, max_claimed_tasks, "
                        "max_lease_seconds) VALUES ('bench', 2, 100000, 100000, 3600)")
        self.su.execute(floors.DDL)
        self.roles: list[str] = []
        self.sync = SYNC_MODES[0]

    def agent(self) -> str:
        role = f"bench_{uuid.uuid4().hex[:8]}"
        self.su.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE coord_agent").format(sql.Identifier(role)))
        self.su.execute("SELECT coord.register_agent(%s, 'bench')", (role,))
        self.roles.append(role)
        return role

    def _connect(self, dsn: str) -> psycopg.Connection:
        c = psycopg.connect(dsn, autocommit=True)
        c.execute(sql.SQL("SET synchronous_commit = {}").format(sql.Literal(self.sync)))
        return c

    def as_agent(self) -> Callable[[], psycopg.Connection]:
        return lambda: self._connect(self.dsn.replace("postgres@", f"{self.agent()}@", 1))

    def as_super(self) -> Callable[[], psycopg.Connection]:
        return lambda: self._connect(self.dsn)

    # -- workloads -------------------------------------------------------------
    def lease_full(self, clients: int) -> float:
        def op(c, i, n):
            p = f"src/w{i}/f{n % 64}.py"
            c.execute("SELECT ok FROM coord.acquire_lock(%s, interval '60 s')", (p,), prepare=True)
            c.execute("SELECT ok FROM coord.release_lock(%s)", (p,), prepare=True)
        return rate(self.as_agent(), lambda c, i: i, op, clients)

    def lease_floor(self, clients: int) -> float:
        return self._lease_statements(floors.LEASE_FLOOR, clients)

    def lease_bare(self, clients: int) -> float:
        """The bare lower bound (bench/floors.py): the requirements' minimum work, one statement per call."""
        return self._lease_statements(floors.LEASE_BARE, clients, floors.BARE_SESSION)

    @staticmethod
    def _session(session: str) -> Callable[[psycopg.Connection, int], int]:
        """Per-connection setup: run `session` (if any); the state is the connection's index."""
        def setup(c: psycopg.Connection, i: int) -> int:
            if session:
                c.execute(session)
            return i
        return setup

    def _lease_statements(self, statements: tuple[str, str], clients: int, session: str = "") -> float:
        acquire, release = statements

        def op(c, i, n):
            p = {"p": f"src/w{i}/f{n % 64}.py", "h": f"x{i}"}
            c.execute(acquire, p, prepare=True)
            c.execute(release, p, prepare=True)
        return rate(self.as_super(), self._session(session), op, clients)

    def queue_full(self, clients: int) -> float:
        def op(c, i, n):
            c.execute("SELECT ok FROM coord.submit_task('bench', '', '{\"n\": 1}'::jsonb)", prepare=True)
            row = c.execute("SELECT task_id, claim_token FROM coord.claim_task(NULL, interval '60 s')",
                            prepare=True).fetchone()
            if row[0] is not None:
                c.execute("SELECT ok FROM coord.complete_task(%s, %s, '{\"done\": true}'::jsonb)", row, prepare=True)
        return rate(self.as_agent(), lambda c, i: i, op, clients)

    def queue_floor(self, clients: int) -> float:
        return self._queue_statements(floors.QUEUE_FLOOR_SUBMIT, floors.QUEUE_FLOOR_CLAIM, floors.QUEUE_FLOOR_COMPLETE,
                                      clients)

    def queue_bare(self, clients: int) -> float:
        """The bare lower bound (bench/floors.py): the requirements' minimum work, one statement per call."""
        return self._queue_statements(floors.QUEUE_BARE_SUBMIT, floors.QUEUE_BARE_CLAIM, floors.QUEUE_BARE_COMPLETE,
                                      clients, floors.BARE_SESSION)

    def _queue_statements(self, submit: str, claim: str, complete: str, clients: int, session: str = "") -> float:
        def op(c, i, n):
            c.execute(submit, prepare=True)
            row = c.execute(claim, prepare=True).fetchone()
            if row and row[0] is not None:
                c.execute(complete, {"id": row[0]}, prepare=True)
        return rate(self.as_super(), self._session(session), op, clients)

    def chain(self, clients: int, global_head: bool) -> float:
        """One hash-chained append per transaction: a global head row vs. a head per backend."""
        key = "0" if global_head else "pg_backend_pid()"
        stmt = f"""
            WITH h AS (INSERT INTO bench_floor.chain_heads AS ch VALUES ({key}, 1, '\\x00')
                       ON CONFLICT (chain) DO UPDATE SET seq = ch.seq + 1,
                           hash = sha256(ch.hash || convert_to(%s, 'UTF8'))
                       RETURNING chain, seq, hash)
            INSERT INTO bench_floor.events (chain, seq, payload, hash) SELECT chain, seq, %s, hash FROM h"""

        def op(c, i, n):
            with c.transaction():
                c.execute(stmt, (f"e{n}", f"e{n}"), prepare=True)
                # the mutation the event belongs to, so the head is held for a realistic span
                c.execute("INSERT INTO bench_floor.locks VALUES (%s, 'x', now()) ON CONFLICT DO NOTHING",
                          (f"c{i}/{n}",), prepare=True)
        return rate(self.as_super(), lambda c, i: i, op, clients)

    def decisions_per_second(self, n: int = 3000) -> float:
        """coord_private.decide in a tight SQL loop (one transaction) for a registered agent."""
        role = self.agent()
        t0 = time.perf_counter()
        self.su.execute(sql.SQL("""DO $$ BEGIN FOR i IN 1..{n} LOOP
            PERFORM coord_private.decide({role}, 'acquire_lock', 'src/f' || i || '.py',
                                         jsonb_build_object('live_locks', i % 7, 'lease_seconds', 60));
            END LOOP; END $$""").format(n=sql.Literal(n), role=sql.Literal(role)))
        return n / (time.perf_counter() - t0)

    def set_engine(self, engine: str) -> None:
        self.su.execute("SELECT coord.set_policy_engine(%s, 'bench')", (engine,))

    def without_decision(self):
        """Context manager: the native engine replaced by a constant allow (bench database only).

        authorize calls the native engine directly, so this measures the hook itself
        (settings read, dispatch, audit) with a decision that costs nothing."""
        import contextlib

        @contextlib.contextmanager
        def cm():
            signature = "coord_private.native_decide(text,text,text,jsonb)"
            original = self.su.execute("SELECT pg_get_functiondef(%s::regprocedure)", (signature,)).fetchone()[0]
            self.su.execute("""CREATE OR REPLACE FUNCTION coord_private.native_decide(p_actor text, p_operation text,
                    p_resource text, p_context jsonb) RETURNS coord_private.decision LANGUAGE sql STABLE
                    AS $$ SELECT ROW(true, 'allowed', 'none', '{}'::jsonb)::coord_private.decision $$""")
            try:
                yield
            finally:
                self.su.execute(original)
        return cm()

    def add_history(self, rows: int = 1_000_000) -> None:
        """10^6 rows of history: expired locks, audit events, finished tasks."""
        locks, events, tasks = rows * 35 // 100, rows * 35 // 100, rows * 30 // 100
        holder = self.agent()
        self.su.execute("""
            INSERT INTO coord_private.locks (path, kind, anchor, mode, holder, token, reason, granted_at, expires_at)
            SELECT 'src/w' || (g %% 4) || '/old' || g || '.py', 'file', 'src/w' || (g %% 4) || '/', 'exclusive', %s,
                   nextval('coord_private.fencing_tokens'), '', now() - interval '2 hours', now() - interval '1 hour'
              FROM generate_series(1, %s) g""", (holder, locks))
        self.su.execute("""
            INSERT INTO coord_private.tasks (task_type, status, submitter, max_attempts, attempts, claimed_by,
                                             claim_token, result, created_at, updated_at, finished_at)
            SELECT 'bench', 'completed', %s, 3, 1, %s, 1, '{}', now() - interval '1 day', now(), now()
              FROM generate_series(1, %s) g""", (holder, holder, tasks))
        # Each history event is a one-event chain of its own (negative ids, never a
        # backend pid), so the history loads set-wise and still verifies.
        self.su.execute("""
            WITH ev AS (
                SELECT -g AS chain_id, now() - interval '1 day' + g * interval '1 ms' AS at,
                       coord_private.audit_genesis(-g) AS prev, 'hist/' || g AS resource
                  FROM generate_series(1, %s) g)
            INSERT INTO coord_private.audit_events (chain_id, seq, occurred_at, actor, operation, resource, allowed,
                                                    proceeded, reason, engine, mode, context, prev_hash, hash)
            SELECT chain_id, 1, at, %s, 'acquire_lock', resource, true, true, 'allowed', 'native', 'enforce', '{}',
                   prev, coord_private.audit_event_hash(prev, chain_id, 1, at, %s, 'acquire_lock', resource, true,
                                                        true, 'allowed', 'native', 'enforce', '{}')
              FROM ev""", (events, holder, holder))
        self.su.execute("""
            INSERT INTO coord_private.audit_chain_heads (chain_id, seq, head_hash)
            SELECT chain_id, seq, hash FROM coord_private.audit_events WHERE chain_id < 0""")
        self.su.execute("VACUUM ANALYZE")
        # Flush the load's dirty pages now, not during the measured window.
        self.su.execute("CHECKPOINT")

    def close(self) -> None:
        self.su.close()
        with psycopg.connect(self.admin_dsn, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.db)))
            for r in self.roles:
                c.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(r)))


def ratio_line(name: str, ratios: list[float], target: float) -> str:
    med = statistics.median(ratios)
    verdict = "meets" if med >= target else "BELOW"
    rounds = ", ".join(f"{r:.2f}" for r in ratios)
    return (f"{name:<46} median ratio {med:5.2f}  (added cost {1 / med - 1:+.0%}; rounds {rounds}; "
            f"target >= {target:.2f}: {verdict})")


def line(name: str, full: float, floor: float, target: float, bare: float | None = None) -> str:
    ratio = full / floor if floor else float("nan")
    verdict = "meets" if ratio >= target else "BELOW"
    text = (f"{name:<46} {full:>9.0f} ops/s  floor {floor:>9.0f} ops/s  ratio {ratio:5.2f}  "
            f"(target >= {target:.2f}: {verdict})")
    if bare is not None:
        # The bare lower bound's own ratio: the most any SQL implementation of the requirements can reach.
        text += (f"\n{'':<46} bare lower bound {bare:>9.0f} ops/s  ratio {bare / floor:5.2f}  "
                 f"(pgcoord / bare {full / bare:5.2f})")
    return text


def main() -> int:
    cluster = default_cluster()
    if not os.environ.get("PGCOORD_BENCH_DSN") and not cluster.running():
        print("bench: start the embedded database first (`make bench` does)", file=sys.stderr)
        return 1
    admin_dsn = os.environ.get("PGCOORD_BENCH_DSN") or cluster.dsn("postgres")
    b = Bench(admin_dsn)
    try:
        with psycopg.connect(admin_dsn) as c:
            settings = dict(c.execute("SELECT name, setting FROM pg_settings WHERE name IN "
                                      "('fsync', 'server_version')").fetchall())
        print(f"pgcoord bench: PostgreSQL {settings['server_version']}, fsync={settings['fsync']}, "
              f"{DURATION:.0f} s per figure, {os.cpu_count()} cores, psycopg {psycopg.__version__}")
        wall: dict = {}  # sync -> kind -> clients -> ops/s, for bench/budget.py
        for sync in SYNC_MODES:
            b.sync = sync
            print(f"-- synchronous_commit={sync} on both sides"
                  + (" (the embedded database's setting: durable commits)" if sync == "on" else
                     " (no WAL flush wait: pgcoord's CPU cost against the floor's)"))
            for kind, what, measure in (("lease", "lease acquire+release", (b.lease_full, b.lease_floor, b.lease_bare)),
                                        ("queue", "task submit+claim+complete",
                                         (b.queue_full, b.queue_floor, b.queue_bare))):
                for clients in (1, 4):
                    full, floor, bare = (m(clients) for m in measure)
                    print(line(f"{what}, {clients} conn", full, floor, 0.8, bare))
                    wall.setdefault(sync, {}).setdefault(kind, {})[clients] = {"full": full, "floor": floor,
                                                                                "bare": bare}
        budget.save("wall", wall)
        b.sync = SYNC_MODES[-1]
        print(f"-- synchronous_commit={b.sync} from here on")
        g8 = b.chain(8, global_head=True)
        p8 = b.chain(8, global_head=False)
        print(f"{'audit chain, 8 conn: per-backend vs global head':<46} {p8:>9.0f} ops/s  global {g8:>9.0f} ops/s  "
              f"ratio {p8 / g8:5.2f}")
        native_dps = b.decisions_per_second()
        cedar_ok = b.su.execute("SELECT coord_private.cedar_available()").fetchone()[0]
        print(f"{'policy decisions, SQL loop: native':<46} {native_dps:>9.0f} decisions/s")
        # The decision's cost: acquire+release with a constant-allow decision, the native
        # engine and Cedar, interleaved over ROUNDS rounds so that drift on a shared
        # machine hits all three alike; the median of the per-round ratios is reported.
        def measure(variant: str) -> float:
            if variant == "none":
                b.set_engine("native")
                with b.without_decision():
                    return b.lease_full(1)
            b.set_engine(variant)
            try:
                return b.lease_full(1)
            finally:
                b.set_engine("native")

        variants = ["none", "native"] + (["cedar"] if cedar_ok else [])
        cedar_ratios, native_ratios = [], []
        for r in range(ROUNDS):
            # each round starts with another variant, so table growth favours none of them
            order = variants[r % len(variants):] + variants[:r % len(variants)]
            rates = {v: measure(v) for v in order}
            native_ratios.append(rates["native"] / rates["none"])
            if cedar_ok:
                cedar_ratios.append(rates["cedar"] / rates["none"])
        print(ratio_line("lease acquire+release, native vs no decision", native_ratios, 1 / 1.10))
        if cedar_ok:
            b.set_engine("cedar")
            cedar_dps = b.decisions_per_second()
            b.set_engine("native")
            print(f"{'policy decisions, SQL loop: cedar':<46} {cedar_dps:>9.0f} decisions/s")
            print(ratio_line("lease acquire+release, cedar vs no decision", cedar_ratios, 1 / 1.30))
        else:
            print("cedar: unavailable in this database (PL/Python or cedarpy missing); not measured")
        empty = statistics.median(b.lease_full(1) for _ in range(ROUNDS))
        print("loading 10^6 rows of history (expired locks, audit events, finished tasks)…", flush=True)
        t0 = time.perf_counter()
        b.add_history()
        print(f"  loaded in {time.perf_counter() - t0:.0f} s")
        history = statistics.median(b.lease_full(1) for _ in range(ROUNDS))
        print(line("lease acquire+release with 10^6 history rows", history, empty, 0.9)
              .replace("floor", "empty") + f"  [medians of {ROUNDS}]")
    finally:
        b.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
