"""`python -m bench.scale`: agents x operations per second at 8, 32 and 128 agent connections (issue 18).

Every agent is its own login role (pgcoord's identity is the session's login role), on
its own connection, in its own thread of this process, calling pgcoord through the
Python client (`pgcoord.Client`) on the bench server (durable commits, the embedded
database's setting). Two workloads, each for PGCOORD_BENCH_SECONDS (3) per figure:

* **lease**: acquire_lock on the agent's own path + release_lock (2 operations);
* **queue**: submit_task of the agent's own task type + claim_task of that type +
  complete_task (3 operations).

Each runs at 8, 32 and 128 agents along these paths:

* **direct**: one server connection (backend) per agent;
* **direct no NOTIFY**: the same with coord_private.send_notification, pgcoord's one
  pg_notify, made a no-op in the bench database (see `without_notify`): what the
  database-wide NOTIFY commit lock costs;
* **pgbouncer cap C** (C = 4, 2 x this machine's cores, and 16; PGCOORD_BENCH_SCALE_CAPS,
  where 0 is "no cap"): a real PgBouncer 1.18 in transaction mode (devtools/pooler.py).
  PgBouncer keeps one pool per (database, user), so 128 agent roles are 128 pools;
  `default_pool_size = 1` (an agent has one connection, so it never needs two server
  connections) and `max_db_connections = C` bound the bench database's server
  connections to C in all. A transaction of an agent whose pool holds no server
  connection, when C are open, waits until one is idle, which PgBouncer closes
  ("evicts") and opens again as that agent's role: a new backend.

PGCOORD_BENCH_ROUNDS (1) rounds, each running every configuration once (about two
minutes a round), each round starting with another path. Printed per figure:
operations per second in all and per agent, p50 and p99 of one client call
(milliseconds, every call of every round), and where the time went: the CPU (cores:
CPU seconds per wall second) of the bench process (the client: Python threads under
one GIL, so about 1.0 core at most), of the server (the bench cluster's postmaster
and backends, backends that exited included), of PgBouncer, and of the whole machine
(other jobs included); the bench database's server backends (most seen by sampling
pg_stat_activity every 0.1 s / mean active), the server sessions opened during the
figure (pg_stat_database), PgBouncer's mean wait for a server connection per
transaction (SHOW STATS), and what the active backends were doing (the two commonest
wait events, or running, over the samples). Then the cost of a new server session:
connecting a client, and its first lease cycle beside its second.
Nothing asserts a time. Figures go to bench/results/scale.json.
"""
from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import psycopg
from psycopg import sql

from bench import budget
from bench.__main__ import Bench
from devtools.pooler import Pooler, pgbouncer
from pgcoord import Client
from pgcoord.cluster import default_cluster

SECONDS = float(os.environ.get("PGCOORD_BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("PGCOORD_BENCH_ROUNDS", "1"))
AGENTS = (8, 32, 128)
CAPS = tuple(int(c) for c in os.environ.get("PGCOORD_BENCH_SCALE_CAPS", "4,16,0").split(",") if c)
ROLE = "bench_scale_{:03d}"     # stable names: created once per cluster, registered in each bench database
HZ = os.sysconf("SC_CLK_TCK")
WORKLOADS = ("lease", "queue")


# -- the CPU of this process, the server, PgBouncer and the machine ----------------------------
def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()     # fields from the 3rd (state) on


def _ticks(pid: int, children: bool = False) -> int:
    f = _stat(pid)
    if f is None:
        return 0
    # utime stime cutime cstime are fields 14-17 (1-based), here 11-14 (0-based from the 3rd)
    return int(f[11]) + int(f[12]) + (int(f[13]) + int(f[14]) if children else 0)


def server_ticks(postmaster: int) -> int:
    """The postmaster's CPU, its living children's and its reaped children's (cutime, cstime)."""
    total = _ticks(postmaster, children=True)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            f = _stat(int(entry.name))
            if f is not None and int(f[1]) == postmaster:
                total += int(f[11]) + int(f[12])
    return total


def machine_busy_ticks() -> int:
    with open("/proc/stat") as fh:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fh.readline().split()[1:9])
    return user + nice + system + irq + softirq + steal


# -- one figure --------------------------------------------------------------------------------
def lease(client: Client, i: int, n: int, lat: list[float]) -> int:
    p = f"scale/a{i}/f{n % 64}.py"
    t0 = time.perf_counter()
    client.acquire_lock(p, 60)
    t1 = time.perf_counter()
    client.release_lock(p)
    t2 = time.perf_counter()
    lat += (t1 - t0, t2 - t1)
    return 2


def queue(client: Client, i: int, n: int, lat: list[float]) -> int:
    kind = f"scale{i}"
    t0 = time.perf_counter()
    client.submit_task(kind)
    t1 = time.perf_counter()
    claim = client.claim_task([kind], 60)
    t2 = time.perf_counter()
    client.complete_task(claim.task_id, claim.claim_token)
    t3 = time.perf_counter()
    lat += (t1 - t0, t2 - t1, t3 - t2)
    return 3


STEPS: dict[str, Callable[[Client, int, int, list[float]], int]] = {"lease": lease, "queue": queue}


class Monitor:
    """Samples the bench database's server backends every 0.1 s on its own direct connection."""

    def __init__(self, dsn: str):
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.samples: list[tuple[int, int]] = []
        self.waits: Counter[str] = Counter()   # what active backends were doing, summed over the samples
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            rows = self.conn.execute(
                "SELECT state, coalesce(wait_event_type || ':' || wait_event, 'running') FROM pg_stat_activity "
                "WHERE datname = current_database() AND backend_type = 'client backend' "
                "AND pid <> pg_backend_pid()").fetchall()
            active = [w for state, w in rows if state == "active"]
            self.samples.append((len(rows), len(active)))
            self.waits.update(active)

    def top_waits(self, n: int = 3) -> dict[str, float]:
        """The n commonest states of active backends (wait event or running), as shares of all active samples."""
        total = sum(self.waits.values()) or 1
        return {w: c / total for w, c in self.waits.most_common(n)}

    def __enter__(self) -> Monitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def sessions(b: Bench) -> int:
    """Sessions ever opened on the bench database (pg_stat_database)."""
    return b.su.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]


def pooler_wait(pooler: Pooler, db: str) -> tuple[int, int]:
    """(transactions, microseconds clients waited for a server connection) so far, from PgBouncer's SHOW STATS."""
    row = next((r for r in pooler.show("STATS") if r["database"] == db), None)
    return (int(row["total_xact_count"]), int(row["total_wait_time"])) if row else (0, 0)


def measure(b: Bench, dsn_of: Callable[[str], str], workload: str, agents: int, postmaster: int,
            pooler: Pooler | None) -> dict:
    roles = [ROLE.format(i) for i in range(agents)]
    with ThreadPoolExecutor(16) as ex:
        clients = list(ex.map(lambda r: Client.connect(dsn_of(r)), roles))
    step = STEPS[workload]
    ops = [0] * agents
    lat: list[list[float]] = [[] for _ in range(agents)]
    errors: list[str] = []
    start = threading.Barrier(agents + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        c, n, mine = clients[i], 0, lat[i]
        start.wait()
        try:
            while time.perf_counter() < stop_at[0]:
                ops[i] += step(c, i, n, mine)
                n += 1
        except Exception as exc:  # noqa: BLE001 - reported with the figure, not raised from a thread
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(agents)]
    for t in threads:
        t.start()
    bouncer_pid = int((pooler.root / "pgbouncer.pid").read_text()) if pooler else None
    sessions0 = sessions(b)
    mon = Monitor(b.dsn)
    try:
        with mon:
            cpu0, srv0, mach0 = time.process_time(), server_ticks(postmaster), machine_busy_ticks()
            pgb0 = _ticks(bouncer_pid) if bouncer_pid else 0
            waited0 = pooler_wait(pooler, b.db) if pooler else (0, 0)
            stop_at[0] = time.perf_counter() + SECONDS
            t0 = time.perf_counter()
            start.wait()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            srv = (server_ticks(postmaster) - srv0) / HZ
            mach = (machine_busy_ticks() - mach0) / HZ
            pgb = (_ticks(bouncer_pid) - pgb0) / HZ if bouncer_pid else 0.0
            waited = pooler_wait(pooler, b.db) if pooler else (0, 0)
        opened = sessions(b) - sessions0 - 1     # less the monitor's own session
    finally:
        mon.conn.close()
        for c in clients:
            c.close()
    samples = mon.samples or [(0, 0)]
    return {"ops": sum(ops), "seconds": wall, "ops_per_s": sum(ops) / wall,
            "min_agent_ops_per_s": min(ops) / wall, "latencies": [x for xs in lat for x in xs],
            "client_cores": cpu / wall, "server_cores": srv / wall, "pgbouncer_cores": pgb / wall,
            "machine_cores": mach / wall, "backends_max": max(s[0] for s in samples),
            "backends_active_mean": statistics.fmean(s[1] for s in samples), "sessions_opened": max(opened, 0),
            "active_states": mon.top_waits(),
            "pooler_wait_ms_per_xact": (waited[1] - waited0[1]) / 1000 / max(waited[0] - waited0[0], 1),
            "errors": len(errors), "first_error": errors[0] if errors else None}


# -- set-up ------------------------------------------------------------------------------------
def agent_roles(b: Bench, n: int) -> None:
    """ROLE 0..n-1: created once per cluster (idempotent), registered with the bench profile here."""
    names = [ROLE.format(i) for i in range(n)]
    existing = {r for (r,) in b.su.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (names,))}
    for r in names:
        if r not in existing:
            b.su.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE coord_agent").format(sql.Identifier(r)))
    b.su.execute("SELECT coord.register_agent(r, 'bench') FROM unnest(%s::text[]) r", (names,))


@contextmanager
def without_notify(b: Bench) -> Iterator[None]:
    """coord_private.send_notification (pgcoord's one pg_notify) made a no-op, in the bench database only.

    PostgreSQL serialises the commits of all transactions that NOTIFY, in every database of
    the cluster, on one lock (async.c, PreCommit_Notify: an AccessExclusiveLock on the
    shared object (pg_database, 0)), taken before the commit record and released after it
    is flushed; release_lock and submit_task notify. Without it, those commits can share
    a WAL flush (group commit)."""
    signature = "coord_private.send_notification(text,text)"
    original = b.su.execute("SELECT pg_get_functiondef(%s::regprocedure)", (signature,)).fetchone()[0]
    b.su.execute("CREATE OR REPLACE FUNCTION coord_private.send_notification(p_channel text, p_payload text) "
                 "RETURNS void LANGUAGE plpgsql AS $$ BEGIN NULL; END $$")
    try:
        yield
    finally:
        b.su.execute(original)


def direct_dsn(b: Bench, role: str) -> str:
    return b.dsn.replace("postgres@", f"{role}@", 1)


Route = Callable[[], AbstractContextManager[tuple[Callable[[str], str], Pooler | None]]]


def paths(b: Bench) -> list[tuple[str, Route]]:
    """(name, context manager) per path; the context manager yields (dsn of an agent role, the pooler) and
    keeps the path set up (NOTIFY off, PgBouncer running) while its figures are taken."""
    @contextmanager
    def direct(notify: bool = True) -> Iterator[tuple[Callable[[str], str], None]]:
        with nullcontext() if notify else without_notify(b):
            yield (lambda role: direct_dsn(b, role)), None

    @contextmanager
    def bouncer(cap: int) -> Iterator[tuple[Callable[[str], str], Pooler]]:
        with pgbouncer(b.dsn, pool_mode="transaction", default_pool_size=1, max_client_conn=max(AGENTS) + 50,
                       settings={"max_db_connections": cap}) as pooler:
            yield (lambda role: pooler.dsn(b.db, role)), pooler

    return [("direct", direct), ("direct no NOTIFY", lambda: direct(notify=False))] + [
        (f"pgbouncer cap {cap}" if cap else "pgbouncer no cap", lambda cap=cap: bouncer(cap)) for cap in CAPS]


HEAD = (f"{'workload':8} {'agents':>6} {'path':18} {'ops/s':>7} {'/agent':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'client':>6} {'server':>6} {'pgb':>5} {'machine':>7} {'backends':>9} {'opened':>6} {'wait ms':>7}"
        "  active backends")


def table_row(r: dict) -> str:
    """One line of the table (cores: CPU seconds per wall second; wait: PgBouncer's per transaction)."""
    text = (f"{r['workload']:8} {r['agents']:6d} {r['path']:18} {r['ops_per_s']:7.0f} {r['per_agent_ops_per_s']:7.1f} "
            f"{r['p50_ms']:7.2f} {r['p99_ms']:7.1f} {r['client_cores']:6.2f} {r['server_cores']:6.2f} "
            f"{r['pgbouncer_cores']:5.2f} {r['machine_cores']:7.2f} "
            f"{r['backends_max']:4.0f}/{r['backends_active_mean']:<4.1f} {r['sessions_opened']:6.0f} "
            + (f"{r['pooler_wait_ms_per_xact']:7.2f}  " if r["path"].startswith("pgbouncer") else f"{'-':>7}  ")
            + ", ".join(f"{w} {share:.0%}" for w, share in r["active_states"][:2]))
    return text + (f"  {r['errors']} ERRORS: {r['first_error']}" if r["errors"] else "")


def cold_and_warm(dsn_of: Callable[[str], str], role: str, n: int = 5) -> dict[str, float]:
    """Medians (ms) of opening a client (direct), its first lease cycle (a new backend's) and its second."""
    times: dict[str, list[float]] = {"connect_ms": [], "first_cycle_ms": [], "second_cycle_ms": []}
    for k in range(n):
        t0 = time.perf_counter()
        with Client.connect(dsn_of(role)) as c:
            t1 = time.perf_counter()
            lease(c, 999, k, [])
            t2 = time.perf_counter()
            lease(c, 999, k + 1, [])
            t3 = time.perf_counter()
        for key, dt in zip(times, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            times[key].append(dt * 1000)
    return {k: statistics.median(v) for k, v in times.items()}


def pct(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] * 1000 if xs else float("nan")


def main() -> int:
    cluster = default_cluster()
    if not os.environ.get("PGCOORD_BENCH_DSN") and not cluster.running():
        print("bench.scale: start the embedded database first (`make bench` does)", file=sys.stderr)
        return 1
    started = time.perf_counter()
    b = Bench(os.environ.get("PGCOORD_BENCH_DSN") or cluster.dsn("postgres"))
    try:
        agent_roles(b, max(AGENTS))
        backend = b.su.execute("SELECT pg_backend_pid()").fetchone()[0]
        postmaster = int(_stat(backend)[1])
        settings = dict(b.su.execute("SELECT name, setting FROM pg_settings WHERE name IN "
                                     "('server_version', 'synchronous_commit', 'max_connections')").fetchall())
        runs: dict[tuple[str, int, str], list[dict]] = {}
        each_path = paths(b)
        for r in range(ROUNDS):
            # each round starts with another path, so that the tables' growth favours none of them
            for name, path in each_path[r % len(each_path):] + each_path[:r % len(each_path)]:
                with path() as (dsn_of, pooler):
                    for agents in AGENTS:
                        for workload in WORKLOADS:
                            runs.setdefault((workload, agents, name), []).append(
                                measure(b, dsn_of, workload, agents, postmaster, pooler))
        cold = cold_and_warm(lambda role: direct_dsn(b, role), ROLE.format(0))
        load = os.getloadavg()
        print(f"scale: PostgreSQL {settings['server_version']}, synchronous_commit={settings['synchronous_commit']}, "
              f"max_connections={settings['max_connections']}, {os.cpu_count()} cores, load {load[0]:.1f}; "
              f"{ROUNDS} round(s) of {SECONDS:g} s per figure; one thread, connection and role per agent")
        print("cores: CPU used per wall second (client = this process, server = the bench cluster's backends); "
              "backends: most seen / mean active; opened: server sessions opened during the figure")
        figures: dict = {"seconds": SECONDS, "rounds": ROUNDS, "cores": os.cpu_count(), "load": load,
                         "settings": settings, "caps": CAPS, "new_session": cold, "figures": []}
        for workload in WORKLOADS:
            print(HEAD)
            for agents in AGENTS:
                for name in [n for (w, a, n) in runs if w == workload and a == agents]:
                    rs = runs[(workload, agents, name)]
                    lat = [x for r in rs for x in r["latencies"]]
                    med = {k: statistics.median(r[k] for r in rs) for k in rs[0] if k not in
                           ("latencies", "first_error", "active_states")}
                    states: Counter[str] = Counter()
                    for r in rs:
                        states.update({k: v / len(rs) for k, v in r["active_states"].items()})
                    errors = sum(r["errors"] for r in rs)
                    row = {"workload": workload, "agents": agents, "path": name, **med, "errors": errors,
                           "active_states": states.most_common(3),   # [state, share] pairs, commonest first
                           "per_agent_ops_per_s": med["ops_per_s"] / agents, "p50_ms": pct(lat, 50),
                           "p99_ms": pct(lat, 99), "rounds_ops_per_s": [r["ops_per_s"] for r in rs],
                           "first_error": next((r["first_error"] for r in rs if r["first_error"]), None)}
                    figures["figures"].append(row)
                    print(table_row(row))
        for workload in WORKLOADS:
            rows = [r for r in figures["figures"] if r["workload"] == workload]
            print(f"{workload} ops/s at {' / '.join(map(str, AGENTS))} agents: " + "; ".join(
                f"{name} " + " / ".join(f"{r['ops_per_s']:.0f}" for r in rows if r["path"] == name)
                for name in dict.fromkeys(r["path"] for r in rows)))
        print(f"a new server session (direct, medians of 5): client connect {cold['connect_ms']:.1f} ms, its first "
              f"lease cycle {cold['first_cycle_ms']:.1f} ms, its second {cold['second_cycle_ms']:.1f} ms")
        figures["elapsed_s"] = time.perf_counter() - started
        budget.save("scale", figures)
        print(f"scale: {figures['elapsed_s']:.0f} s in all")
        return 1 if any(r["errors"] for r in figures["figures"]) else 0
    finally:
        b.close()


if __name__ == "__main__":
    raise SystemExit(main())
