"""`python -m bench.peers`: pgcoord beside the systems users would pick instead (issue 17).

On the bench server, in one fresh database, with durable commits (synchronous_commit on,
the embedded database's own setting), psycopg 3 with prepared statements, autocommit:

* **origin**: a model of the agent-coordinator of the agentic-coding-tools project (its
  Supabase migration 001_core_schema, read at commit 9f4798a5, not copied): the same
  tables, indexes and statements re-expressed below in ORIGIN_DDL. acquire_lock deletes
  expired locks, INSERT ... ON CONFLICT DO NOTHING, else refreshes its own or reports the
  holder; release_lock deletes its own; claim_task SELECT ... FOR UPDATE SKIP LOCKED the
  first pending task by priority whose dependencies are complete, then UPDATE; complete
  and submit are one statement each. It trusts the agent id it is given, decides
  nothing, audits nothing, and looks up only the exact path (no overlap search).
* **procrastinate** (PyPI, psycopg connector): the jobs of one queue, deferred in a batch,
  drained by one worker (concurrency 1, wait=False: it stops when the queue is empty).
* **pgqueuer** (PyPI, psycopg driver): its worker's two statements, as its QueueManager
  issues them, without the worker's task machinery: dequeue(batch) (FOR UPDATE SKIP LOCKED,
  status picked) then log_jobs(the batch, successful) (delete from the queue, insert into
  the log), with batch 1 and batch 10.
* **pgcoord**: the same shapes through its API as an agent (enforce mode, audit on).

Printed (ratios of medians over interleaved rounds, PGCOORD_BENCH_ROUNDS, 3):
  lease acquire+release and submit+claim+complete, pgcoord / origin, at 1 and 4
  connections (PGCOORD_BENCH_SECONDS per measurement, 3);
  draining N prefilled jobs (PGCOORD_BENCH_DRAIN_JOBS, 1000) with one worker, per job:
  pgcoord claim_task + complete_task, pgcoord claim_tasks(10) + 10 complete_task, pgcoord
  claim_tasks(10) + Client.complete_tasks (the ten in one pipelined transaction),
  origin claim + complete, procrastinate, pgqueuer batch 1 and 10; each as jobs/s and as
  pgcoord / peer.
The issue's targets (>= 0.9x the origin; per job >= 1.0x a batch-10 peer) are printed beside
the ratios; nothing asserts a time. Figures go to bench/results/peers.json.
"""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid

import psycopg
from psycopg import sql

from bench import budget
from bench.__main__ import Bench, rate
from pgcoord.cluster import default_cluster

ROUNDS = int(os.environ.get("PGCOORD_BENCH_ROUNDS", "3"))
SECONDS = float(os.environ.get("PGCOORD_BENCH_SECONDS", "3"))
DRAIN_JOBS = int(os.environ.get("PGCOORD_BENCH_DRAIN_JOBS", "1000"))

# The origin's coordination core as a model (see the module docstring): its two tables
# with their indexes, and its five functions written again from their statements.
ORIGIN_DDL = """
CREATE SCHEMA bench_origin;
CREATE TABLE bench_origin.file_locks (
    file_path text PRIMARY KEY, locked_by text NOT NULL, agent_type text NOT NULL, session_id text,
    locked_at timestamptz DEFAULT now(), expires_at timestamptz NOT NULL, reason text, metadata jsonb DEFAULT '{}');
CREATE INDEX ON bench_origin.file_locks (locked_by);
CREATE INDEX ON bench_origin.file_locks (expires_at);
CREATE INDEX ON bench_origin.file_locks (session_id);
CREATE TABLE bench_origin.work_queue (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(), task_type text NOT NULL, description text NOT NULL, input_data jsonb,
    claimed_by text, claimed_at timestamptz, priority integer DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    depends_on uuid[],
    status text DEFAULT 'pending'
        CHECK (status IN ('pending', 'claimed', 'running', 'completed', 'failed', 'cancelled')),
    result jsonb, error_message text, created_at timestamptz DEFAULT now(), started_at timestamptz,
    completed_at timestamptz,
    deadline timestamptz, attempt_count integer DEFAULT 0, max_attempts integer DEFAULT 3);
CREATE INDEX ON bench_origin.work_queue (status);
CREATE INDEX ON bench_origin.work_queue (claimed_by);
CREATE INDEX ON bench_origin.work_queue (priority, created_at);
CREATE INDEX ON bench_origin.work_queue (status, priority, created_at) WHERE status = 'pending';

-- acquire: tidy expired locks, try to insert; on a conflict refresh one's own or report the holder
CREATE FUNCTION bench_origin.acquire_lock(p_path text, p_agent text, p_type text, p_ttl_minutes integer DEFAULT 120)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_until timestamptz := now() + make_interval(mins => p_ttl_minutes);
    v_row bench_origin.file_locks;
BEGIN
    DELETE FROM bench_origin.file_locks WHERE expires_at < now();
    INSERT INTO bench_origin.file_locks (file_path, locked_by, agent_type, expires_at)
    VALUES (p_path, p_agent, p_type, v_until)
    ON CONFLICT (file_path) DO NOTHING;
    IF FOUND THEN
        RETURN jsonb_build_object('success', true, 'action', 'acquired', 'file_path', p_path, 'expires_at', v_until);
    END IF;
    SELECT * INTO v_row FROM bench_origin.file_locks WHERE file_path = p_path FOR UPDATE;
    IF v_row.locked_by = p_agent THEN
        UPDATE bench_origin.file_locks SET expires_at = v_until WHERE file_path = p_path;
        RETURN jsonb_build_object('success', true, 'action', 'refreshed', 'file_path', p_path, 'expires_at', v_until);
    END IF;
    RETURN jsonb_build_object('success', false, 'reason', 'locked_by_other', 'locked_by', v_row.locked_by,
                              'expires_at', v_row.expires_at);
END $$;
-- release: delete one's own
CREATE FUNCTION bench_origin.release_lock(p_path text, p_agent text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
    DELETE FROM bench_origin.file_locks WHERE file_path = p_path AND locked_by = p_agent;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN CASE WHEN n > 0 THEN jsonb_build_object('success', true, 'action', 'released', 'file_path', p_path)
                ELSE jsonb_build_object('success', false, 'reason', 'lock_not_found_or_not_owner') END;
END $$;
-- submit: one insert
CREATE FUNCTION bench_origin.submit_task(p_type text, p_description text, p_input jsonb DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE v uuid;
BEGIN
    INSERT INTO bench_origin.work_queue (task_type, description, input_data)
    VALUES (p_type, p_description, p_input) RETURNING id INTO v;
    RETURN jsonb_build_object('success', true, 'task_id', v);
END $$;
-- claim: the first pending task of the types asked by priority whose dependencies are complete, skipping locked rows
CREATE FUNCTION bench_origin.claim_task(p_agent text, p_types text[]) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE v bench_origin.work_queue;
BEGIN
    SELECT * INTO v FROM bench_origin.work_queue q
     WHERE q.status = 'pending' AND (p_types IS NULL OR q.task_type = ANY (p_types))
       AND (q.depends_on IS NULL OR NOT EXISTS (SELECT 1 FROM bench_origin.work_queue d
                                                  WHERE d.id = ANY (q.depends_on) AND d.status <> 'completed'))
     ORDER BY q.priority, q.created_at
     FOR UPDATE SKIP LOCKED LIMIT 1;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('success', false, 'reason', 'no_tasks_available');
    END IF;
    UPDATE bench_origin.work_queue SET status = 'claimed', claimed_by = p_agent, claimed_at = now(),
           attempt_count = attempt_count + 1 WHERE id = v.id;
    RETURN jsonb_build_object('success', true, 'task_id', v.id, 'task_type', v.task_type, 'description', v.description,
                              'input_data', v.input_data, 'priority', v.priority);
END $$;
-- complete: one update of one's own claim
CREATE FUNCTION bench_origin.complete_task(p_id uuid, p_agent text, p_result jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
    UPDATE bench_origin.work_queue SET status = 'completed', result = p_result, completed_at = now()
     WHERE id = p_id AND claimed_by = p_agent;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN jsonb_build_object('success', n > 0, 'task_id', p_id);
END $$;
"""


class Peers(Bench):
    """Bench's database and agents, plus the origin model and procrastinate's schema."""

    def __init__(self, admin_dsn: str):
        super().__init__(admin_dsn)
        self.su.execute(ORIGIN_DDL)
        self.sync = "on"

    # -- lease and queue, per call -------------------------------------------------
    def origin_lease(self, clients: int) -> float:
        def op(c, i, n):
            p = f"src/w{i}/f{n % 64}.py"
            c.execute("SELECT bench_origin.acquire_lock(%s, %s, 'bench', 1)", (p, f"a{i}"), prepare=True)
            c.execute("SELECT bench_origin.release_lock(%s, %s)", (p, f"a{i}"), prepare=True)
        return rate(self.as_super(), lambda c, i: i, op, clients, SECONDS)

    def origin_queue(self, clients: int) -> float:
        def op(c, i, n):
            c.execute("SELECT bench_origin.submit_task('bench', '', '{\"n\": 1}'::jsonb)", prepare=True)
            got = c.execute("SELECT bench_origin.claim_task(%s, '{bench}')", (f"a{i}",), prepare=True).fetchone()[0]
            if got["success"]:
                c.execute("SELECT bench_origin.complete_task(%s, %s, '{\"done\": true}'::jsonb)",
                          (got["task_id"], f"a{i}"), prepare=True)
        return rate(self.as_super(), lambda c, i: i, op, clients, SECONDS)

    # -- draining a prefilled queue with one worker -------------------------------
    def lease_batch(self, clients: int, size: int = 10) -> float:
        """Leases per second through coord.acquire_locks: a batch of `size` paths, then their
        releases in one pipelined transaction (Client.release_lock calls, as a holder of a
        batch would end it); the per-call path is lease_full (acquire + release, one
        transaction each)."""
        from pgcoord import calls
        from pgcoord.client import run_calls

        def op(c, i, n):
            paths = [f"src/w{i}/b{n % 8}/f{k}.py" for k in range(size)]
            rows = c.execute("SELECT ok FROM coord.acquire_locks(%s, interval '60 s')", (paths,),
                             prepare=True).fetchall()
            assert all(r[0] for r in rows), rows
            run_calls(c, [calls.release_lock(p) for p in paths])
        return size * rate(self.as_agent(), lambda c, i: i, op, clients)

    def drain_pgcoord(self, batch: int, pipelined: bool = False) -> float:
        from pgcoord import Client

        with self.as_agent()() as c:
            client = Client(c)
            c.execute("SELECT count(*) FROM generate_series(1, %s) g,"
                      " coord.submit_task('drain', '', jsonb_build_object('n', g)) s", (DRAIN_JOBS,))
            done = 0
            t0 = time.perf_counter()
            while True:
                if batch == 1:
                    rows = c.execute("SELECT task_id, claim_token FROM coord.claim_task('{drain}', interval '60 s')"
                                     " WHERE task_id IS NOT NULL", prepare=True).fetchall()
                else:
                    rows = c.execute("SELECT task_id, claim_token"
                                     " FROM coord.claim_tasks(%s, '{drain}', interval '60 s')"
                                     " WHERE task_id IS NOT NULL", (batch,), prepare=True).fetchall()
                if not rows:
                    break
                if pipelined:               # Client.complete_tasks: one transaction, one round trip
                    client.complete_tasks((task_id, token, {"done": True}) for task_id, token in rows)
                for task_id, token in rows if not pipelined else ():
                    c.execute("SELECT ok FROM coord.complete_task(%s, %s, '{\"done\": true}'::jsonb)", (task_id, token),
                              prepare=True)
                done += len(rows)
            elapsed = time.perf_counter() - t0
        assert done == DRAIN_JOBS, f"pgcoord drained {done} of {DRAIN_JOBS}"
        return done / elapsed

    def drain_origin(self) -> float:
        with self.as_super()() as c:
            c.execute("INSERT INTO bench_origin.work_queue (task_type, description, input_data) "
                      "SELECT 'drain', '', jsonb_build_object('n', g) FROM generate_series(1, %s) g", (DRAIN_JOBS,))
            done = 0
            t0 = time.perf_counter()
            while True:
                got = c.execute("SELECT bench_origin.claim_task('w', '{drain}')", prepare=True).fetchone()[0]
                if not got["success"]:
                    break
                c.execute("SELECT bench_origin.complete_task(%s, 'w', '{\"done\": true}'::jsonb)", (got["task_id"],),
                          prepare=True)
                done += 1
            elapsed = time.perf_counter() - t0
        assert done == DRAIN_JOBS, f"origin drained {done} of {DRAIN_JOBS}"
        return done / elapsed

    def drain_procrastinate(self) -> float:
        import logging

        import procrastinate

        logging.getLogger("procrastinate").setLevel(logging.ERROR)   # (its note on an App built in __main__)

        counted = [0]
        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=self.dsn))

        @app.task(name="bench_noop", queue="bench")
        def noop(n: int) -> None:
            counted[0] += 1

        async def run() -> float:
            async with app.open_async():
                if not self.su.execute("SELECT to_regclass('public.procrastinate_jobs')").fetchone()[0]:
                    await app.schema_manager.apply_schema_async()
                await noop.batch_defer_async(*({"n": i} for i in range(DRAIN_JOBS)))
                t0 = time.perf_counter()
                await app.run_worker_async(queues=["bench"], concurrency=1, wait=False, install_signal_handlers=False,
                                           listen_notify=False)
                return time.perf_counter() - t0

        elapsed = asyncio.run(run())
        assert counted[0] == DRAIN_JOBS, f"procrastinate ran {counted[0]} of {DRAIN_JOBS}"
        return DRAIN_JOBS / elapsed


    def drain_pgqueuer(self, batch: int) -> float:
        from datetime import timedelta

        from pgqueuer.queries import EntrypointExecutionParameter, Queries

        async def run() -> float:
            conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
            try:
                await conn.execute(sql.SQL("SET synchronous_commit = {}").format(sql.Literal(self.sync)))
                q = Queries.from_psycopg_connection(conn)
                if not await q.schema_is_installed():
                    await q.install()
                await q.enqueue(["drain"] * DRAIN_JOBS, [b"{}"] * DRAIN_JOBS, [0] * DRAIN_JOBS)
                entrypoints = {"drain": EntrypointExecutionParameter(concurrency_limit=0)}
                manager, done = uuid.uuid4(), 0
                t0 = time.perf_counter()
                while True:
                    jobs = await q.dequeue(batch, entrypoints, manager, None, timedelta(seconds=30))
                    if not jobs:
                        break
                    await q.log_jobs([(job, "successful", None) for job in jobs])
                    done += len(jobs)
                elapsed = time.perf_counter() - t0
            finally:
                await conn.close()
            assert done == DRAIN_JOBS, f"pgqueuer drained {done} of {DRAIN_JOBS}"
            return done / elapsed

        return asyncio.run(run())


def median_ratio(pairs: list[tuple[float, float]]) -> float:
    return statistics.median(a / b for a, b in pairs)


def main() -> int:
    cluster = default_cluster()
    if not os.environ.get("PGCOORD_BENCH_DSN") and not cluster.running():
        print("bench.peers: start the embedded database first (`make bench` does)", file=sys.stderr)
        return 1
    try:
        import pgqueuer  # noqa: F401
        import procrastinate  # noqa: F401
    except ImportError:
        print("bench.peers: procrastinate or pgqueuer is not installed (make setup installs the bench extra)",
              file=sys.stderr)
        return 1
    b = Peers(os.environ.get("PGCOORD_BENCH_DSN") or cluster.dsn("postgres"))
    results: dict = {"rounds": ROUNDS, "seconds": SECONDS, "drain_jobs": DRAIN_JOBS, "cores": os.cpu_count(),
                     "load": os.getloadavg(), "per_call": {}, "drain": {}}
    try:
        print(f"pgcoord beside its peers (durable commits, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
              f"{ROUNDS} interleaved rounds, medians)")
        for clients in (1, 4):
            lease, queue, batch = [], [], []
            for _ in range(ROUNDS):
                lease.append((b.lease_full(clients), b.origin_lease(clients)))
                queue.append((b.queue_full(clients), b.origin_queue(clients)))
                batch.append((b.lease_batch(clients), lease[-1][0]))
            for name, pairs in (("lease acquire+release", lease), ("submit+claim+complete", queue)):
                r = median_ratio(pairs)
                results["per_call"][f"{name} @{clients}"] = {"pgcoord_per_s": statistics.median(p[0] for p in pairs),
                                                              "origin_per_s": statistics.median(p[1] for p in pairs),
                                                              "ratio": r}
                mine, theirs = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
                print(f"{name:24} {clients} conn  pgcoord {mine:8.0f}/s  origin {theirs:8.0f}/s  "
                      f"pgcoord/origin {r:5.2f}  (target >= 0.90)")
            r, per_s = median_ratio(batch), statistics.median(p[0] for p in batch)
            results.setdefault("lease_batches", {})[f"acquire_locks(10) @{clients}"] = {
                "leases_per_s": per_s, "single_call_per_s": statistics.median(p[1] for p in batch), "ratio": r}
            print(f"{'leases, acquire_locks(10)':24} {clients} conn  {per_s:8.0f} leases/s  "
                  f"/ single-call path {r:5.2f}  (target >= 1.50)")
        drains: dict[str, list[float]] = {"pgcoord claim_task": [], "pgcoord claim_tasks(10)": [],
                                          "pgcoord claim_tasks(10) + complete_tasks": [], "origin": [],
                                          "procrastinate": [], "pgqueuer batch 1": [], "pgqueuer batch 10": []}
        for _ in range(ROUNDS):
            drains["pgcoord claim_task"].append(b.drain_pgcoord(1))
            drains["pgcoord claim_tasks(10)"].append(b.drain_pgcoord(10))
            drains["pgcoord claim_tasks(10) + complete_tasks"].append(b.drain_pgcoord(10, pipelined=True))
            drains["origin"].append(b.drain_origin())
            drains["procrastinate"].append(b.drain_procrastinate())
            drains["pgqueuer batch 1"].append(b.drain_pgqueuer(1))
            drains["pgqueuer batch 10"].append(b.drain_pgqueuer(10))
        med = {k: statistics.median(v) for k, v in drains.items()}
        for k, v in med.items():
            results["drain"][k] = {"jobs_per_s": v, "runs": drains[k]}
            print(f"drain {DRAIN_JOBS} jobs, one worker: {k:26} {v:8.0f} jobs/s")
        for mine in ("pgcoord claim_task", "pgcoord claim_tasks(10)", "pgcoord claim_tasks(10) + complete_tasks"):
            for peer in ("origin", "procrastinate", "pgqueuer batch 1", "pgqueuer batch 10"):
                r = med[mine] / med[peer]
                results["drain"][f"{mine} / {peer}"] = r
                print(f"  {mine} / {peer}: {r:5.2f}")
        budget.save("peers", results)
    finally:
        b.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
