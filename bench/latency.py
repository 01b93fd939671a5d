"""`python -m bench.latency`: p99 latency of acquire and claim at 4 connections, beside the floor's.

Issue 17's target: p99 of acquire_lock and of claim_task at 4 connections <= 2x the
floor's (bench/floors.py: one bare statement on a one-table lock or queue). On the bench
server, durable commits (synchronous_commit on), psycopg with prepared statements,
autocommit, 4 threads each on its own connection for PGCOORD_BENCH_SECONDS (3) per
measurement, PGCOORD_BENCH_ROUNDS (3) interleaved rounds:

* **acquire**: each thread times `coord.acquire_lock` on its own paths as an agent (the
  release that follows is not timed); the floor times its INSERT on the floor's lock
  table (the DELETE that follows is not timed).
* **claim**: each thread submits one task (not timed), times `coord.claim_task`, and
  completes it (not timed); the floor times its UPDATE ... FOR UPDATE SKIP LOCKED claim
  on the floor's queue, prefilled.

Printed: p50 and p99 of every call of all rounds (milliseconds) and p99 pgcoord / p99
floor against the target. Nothing asserts a time. Figures go to bench/results/latency.json.
"""
from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections.abc import Callable

import psycopg

from bench import budget, floors
from bench.__main__ import Bench
from pgcoord.cluster import default_cluster

CLIENTS = 4
SECONDS = float(os.environ.get("PGCOORD_BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("PGCOORD_BENCH_ROUNDS", "3"))
TARGET = 2.0


def latencies(connect: Callable[[], psycopg.Connection],
              step: Callable[[psycopg.Connection, int, int], float]) -> list[float]:
    """Seconds of every timed call of CLIENTS threads for SECONDS; `step(conn, thread,
    n)` runs one iteration and returns the time of its timed call."""
    conns = [connect() for _ in range(CLIENTS)]
    out: list[list[float]] = [[] for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        n = 0
        start.wait()
        while time.perf_counter() < stop_at[0]:
            out[i].append(step(conns[i], i, n))
            n += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + SECONDS
    start.wait()
    for t in threads:
        t.join()
    for c in conns:
        c.close()
    return [x for xs in out for x in xs]


def timed(conn: psycopg.Connection, query: str, params: object = None) -> tuple[float, list]:
    t0 = time.perf_counter()
    rows = conn.execute(query, params, prepare=True).fetchall()
    return time.perf_counter() - t0, rows


def acquire(conn, i, n) -> float:
    p = f"lat/w{i}/f{n % 64}.py"
    dt, rows = timed(conn, "SELECT ok FROM coord.acquire_lock(%s, interval '60 s')", (p,))
    assert rows[0][0], rows
    conn.execute("SELECT ok FROM coord.release_lock(%s)", (p,), prepare=True)
    return dt


def acquire_floor(conn, i, n) -> float:
    p = {"p": f"lat/w{i}/f{n % 64}.py"}
    dt, _ = timed(conn, floors.LEASE_FLOOR[0].replace("ON CONFLICT DO NOTHING", "ON CONFLICT DO NOTHING RETURNING 1"),
                  p)
    conn.execute(floors.LEASE_FLOOR[1], p, prepare=True)
    return dt


def claim(conn, i, n) -> float:
    conn.execute("SELECT task_id FROM coord.submit_task(%s, '')", (f"lat{i}",), prepare=True)
    dt, rows = timed(conn, "SELECT task_id, claim_token FROM coord.claim_task(%s, interval '60 s')", ([f"lat{i}"],))
    task_id, token = rows[0]
    assert task_id is not None, rows
    conn.execute("SELECT ok FROM coord.complete_task(%s, %s)", (task_id, token), prepare=True)
    return dt


def claim_floor(conn, i, n) -> float:
    dt, rows = timed(conn, floors.QUEUE_FLOOR_CLAIM)
    conn.execute(floors.QUEUE_FLOOR_COMPLETE, {"id": rows[0][0]}, prepare=True)
    return dt


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] * 1000 if q < 100 else max(xs) * 1000


def main() -> int:
    cluster = default_cluster()
    if not os.environ.get("PGCOORD_BENCH_DSN") and not cluster.running():
        print("bench.latency: start the embedded database first (`make bench` does)", file=sys.stderr)
        return 1
    b = Bench(os.environ.get("PGCOORD_BENCH_DSN") or cluster.dsn("postgres"))
    try:
        b.su.execute("INSERT INTO bench_floor.queue (status, payload) SELECT 'pending', '{\"n\": 1}' "
                     "FROM generate_series(1, 200000)")
        b.su.execute("VACUUM ANALYZE bench_floor.queue")
        runs: dict[str, list[float]] = {"acquire": [], "acquire floor": [], "claim": [], "claim floor": []}
        for _ in range(ROUNDS):
            runs["acquire"] += latencies(b.as_agent(), acquire)
            runs["acquire floor"] += latencies(b.as_super(), acquire_floor)
            runs["claim"] += latencies(b.as_agent(), claim)
            runs["claim floor"] += latencies(b.as_super(), claim_floor)
        print(f"latency at {CLIENTS} connections (durable commits, {os.cpu_count()} cores, "
              f"load {os.getloadavg()[0]:.1f}; {ROUNDS} interleaved rounds of {SECONDS:g} s)")
        figures: dict = {"clients": CLIENTS, "rounds": ROUNDS, "seconds": SECONDS, "load": os.getloadavg()}
        for k, xs in runs.items():
            figures[k] = {"calls": len(xs), "p50_ms": pct(xs, 50), "p99_ms": pct(xs, 99)}
            print(f"{k:14} {len(xs):7d} calls  p50 {pct(xs, 50):6.2f} ms  p99 {pct(xs, 99):6.2f} ms")
        for k in ("acquire", "claim"):
            r = figures[k]["p99_ms"] / figures[f"{k} floor"]["p99_ms"]
            figures[f"{k} p99 / floor p99"] = r
            print(f"{k} p99 / floor p99 {r:5.2f}  (target <= {TARGET:.1f})")
        budget.save("latency", figures)
    finally:
        b.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
