"""`python -m bench.audit`: coord.verify_audit() over 10^6 events (issue 17's target: >= 200,000 events/s).

In a fresh bench database: PGCOORD_BENCH_AUDIT_EVENTS (1,000,000) events in
PGCOORD_BENCH_AUDIT_CHAINS (1,000) chains (a chain is one server backend's; a busy server
has hundreds), each event with a context shaped like an acquire_lock's, hashed and linked
exactly as pgcoord's append links them, loaded set-wise (triggers off for the load only).
Then, interleaved, PGCOORD_BENCH_ROUNDS (3) times:

* **verify_audit**: `coord.verify_audit()` as a coord_auditor would call it;
* **floor**: one parallel scan that recomputes every event's hash and compares it, and
  nothing else (no link, sequence, head or reason check): what any verification of
  these events must at least do, on the same server in the same run.

Printed: events/s of each (medians), the ratio verify / floor, and verify against the
target. Nothing asserts a time. Figures go to bench/results/audit.json.
"""
from __future__ import annotations

import os
import statistics
import sys
import time

from bench import budget
from bench.__main__ import Bench
from pgcoord.cluster import default_cluster

EVENTS = int(os.environ.get("PGCOORD_BENCH_AUDIT_EVENTS", "1000000"))
CHAINS = int(os.environ.get("PGCOORD_BENCH_AUDIT_CHAINS", "1000"))
ROUNDS = int(os.environ.get("PGCOORD_BENCH_ROUNDS", "3"))
TARGET = 200_000

# Chains walked in lockstep by a recursive query: every step appends one event to each
# chain, hashed over the previous one (coord_private.audit_event_hash, the append's own).
LOAD = """
INSERT INTO coord_private.audit_events (chain_id, seq, occurred_at, actor, operation, resource, allowed, proceeded,
                                        reason, engine, mode, context, prev_hash, hash)
WITH RECURSIVE ev(chain_id, seq, at, ctx, prev, hash) AS (
    SELECT -c, 1::bigint, now() - interval '1 day', ctx0.ctx, coord_private.audit_genesis(-c),
           coord_private.audit_event_hash(coord_private.audit_genesis(-c), -c, 1, now() - interval '1 day',
               'bench_history', 'acquire_lock', 'src/w' || c || '/f.py', true, true, 'allowed', 'native', 'enforce',
               ctx0.ctx)
      FROM generate_series(1, %(chains)s) c,
           LATERAL (SELECT jsonb_build_object('mode', 'exclusive', 'ttl_seconds', 60, 'lease_seconds', 60,
                        'live_locks', 3, 'token', c, 'holders', NULL, 'at', now(),
                        'expires_at', now() + interval '1 minute',
                        'decision', jsonb_build_object('trust_level', 2, 'profile', 'implementer'),
                        'args', jsonb_build_object('path', 'src/w' || c || '/f.py', 'ttl_seconds', 60,
                                                   'mode', 'exclusive', 'reason', '')) AS ctx) ctx0
    UNION ALL
    SELECT ev.chain_id, ev.seq + 1, ev.at + interval '1 ms', ev.ctx || jsonb_build_object('token', ev.seq + 1),
           ev.hash,
           coord_private.audit_event_hash(ev.hash, ev.chain_id, ev.seq + 1, ev.at + interval '1 ms',
               'bench_history', 'acquire_lock', 'src/w' || -ev.chain_id || '/f.py', true, true, 'allowed', 'native',
               'enforce', ev.ctx || jsonb_build_object('token', ev.seq + 1))
      FROM ev WHERE ev.seq < %(per_chain)s)
SELECT chain_id, seq, at, 'bench_history', 'acquire_lock', 'src/w' || -chain_id || '/f.py', true, true, 'allowed',
       'native', 'enforce', ctx, prev, hash
  FROM ev
"""

FLOOR = """
SELECT count(*) FROM coord_private.audit_events e
 WHERE e.hash <> coord_private.audit_event_hash(e.prev_hash, e.chain_id, e.seq, e.occurred_at, e.actor, e.operation,
                                                e.resource, e.allowed, e.proceeded, e.reason, e.engine, e.mode,
                                                e.context)
"""


def load(b: Bench) -> int:
    per_chain = max(1, EVENTS // CHAINS)
    b.su.execute("SET session_replication_role = replica")  # the load only: immutability triggers off
    b.su.execute(LOAD, {"chains": CHAINS, "per_chain": per_chain})
    b.su.execute("""INSERT INTO coord_private.audit_chain_heads (chain_id, seq, head_hash, prev_hash)
                    SELECT DISTINCT ON (chain_id) chain_id, seq, hash, prev_hash FROM coord_private.audit_events
                     WHERE chain_id < 0 ORDER BY chain_id, seq DESC""")
    b.su.execute("SET session_replication_role = origin")
    b.su.execute("VACUUM ANALYZE coord_private.audit_events")
    b.su.execute("CHECKPOINT")
    return b.su.execute("SELECT count(*) FROM coord_private.audit_events").fetchone()[0]


def timed(conn, query: str) -> tuple[float, object]:
    t0 = time.perf_counter()
    row = conn.execute(query).fetchone()
    return time.perf_counter() - t0, row


def main() -> int:
    cluster = default_cluster()
    if not os.environ.get("PGCOORD_BENCH_DSN") and not cluster.running():
        print("bench.audit: start the embedded database first (`make bench` does)", file=sys.stderr)
        return 1
    b = Bench(os.environ.get("PGCOORD_BENCH_DSN") or cluster.dsn("postgres"))
    try:
        t0 = time.perf_counter()
        n = load(b)
        print(f"verify_audit over {n:,} events in {CHAINS:,} chains (loaded in {time.perf_counter() - t0:.0f} s; "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {ROUNDS} interleaved rounds, medians)")
        b.su.execute("GRANT coord_auditor TO CURRENT_USER")
        verify, floor = [], []
        for _ in range(ROUNDS):
            dt, row = timed(b.su, "SELECT ok, events_checked, problem FROM coord.verify_audit()")
            if not row[0] or row[1] != n:
                print(f"bench.audit: verify_audit did not pass the loaded trail: {row}", file=sys.stderr)
                return 1
            verify.append(n / dt)
            dt, row = timed(b.su, FLOOR)
            if row[0] != 0:
                print(f"bench.audit: the floor found {row[0]} altered events", file=sys.stderr)
                return 1
            floor.append(n / dt)
        v, f = statistics.median(verify), statistics.median(floor)
        print(f"verify_audit {v:10,.0f} events/s   (target >= {TARGET:,}: {v / TARGET:4.2f}x)")
        print(f"floor        {f:10,.0f} events/s   (every hash recomputed, nothing else)")
        print(f"verify / floor {v / f:4.2f}")
        budget.save("audit", {"events": n, "chains": CHAINS, "rounds": ROUNDS, "cores": os.cpu_count(),
                              "load": os.getloadavg(), "verify_events_per_s": v, "floor_events_per_s": f,
                              "verify_runs": verify, "floor_runs": floor, "target": TARGET})
    finally:
        b.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
