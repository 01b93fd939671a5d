"""`make bench`, second part: instructions per operation, counted by valgrind.

Wall-clock ratios on a shared machine move by 10-20 % between runs, which is more
than some of the differences the targets are about (a decision's cost is a few
percent of a lease). Instruction counts do not move. Here a single-user backend
(`postgres --single`, no client, no network) runs each workload N and 5N times
under callgrind; the difference divided by 4N is the server's instructions per
repetition, with start-up and set-up cancelled out. Each run starts from a copy of
one freshly deployed cluster, as the same registered agent, at
synchronous_commit=off (the WAL flush is I/O, not instructions).

Every workload is a set of prepared statements, as in `python -m bench`.
Printed beside the wall-clock figures: the floor/full ratio of lease and queue
(what the ≥ 0.8 targets mean for server CPU), the floor's ratio to the bare lower
bound of bench/floors.py (the most any SQL implementation reaches), and what a native or Cedar decision
adds to acquire+release against a constant-allow engine (the ≤ 10 % / ≤ 30 %
targets). Needs valgrind (scripts/bootstrap.sh installs it); skipped, with that
reason, without it.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql

from bench import budget, floors
from pgcoord import migrations
from pgcoord.cluster import Cluster, with_dbname

DB = "pgcoord_instructions"
AGENT = "instr_agent"
N = 40  # repetitions of the short run; the long run does 5N

# The engine replaced by a constant allow: the hook, its settings read, dispatch and
# audit stay; the decision costs nothing (authorize calls the native engine directly).
NO_DECISION = """CREATE OR REPLACE FUNCTION coord_private.native_decide(p_actor text, p_operation text,
    p_resource text, p_context jsonb) RETURNS coord_private.decision LANGUAGE sql STABLE
    AS $$ SELECT ROW(true, 'allowed', 'none', '{}'::jsonb)::coord_private.decision $$;"""
CEDAR = "SELECT coord.set_policy_engine('cedar', 'instruction count');"


# Every workload runs prepared statements, as `python -m bench` does (psycopg
# prepares them): a repetition costs execution, not parsing and planning.
PREPARED_LEASE = ("PREPARE lease_acquire(text) AS SELECT ok FROM coord.acquire_lock($1, interval '60 s');\n\n"
                  "PREPARE lease_release(text) AS SELECT ok FROM coord.release_lock($1);")
PREPARED_QUEUE = ("PREPARE queue_submit AS SELECT ok FROM coord.submit_task('bench', '', '{\"n\": 1}'::jsonb);\n\n"
                  "PREPARE queue_claim_complete AS SELECT coord.complete_task(c.task_id, c.claim_token, "
                  "'{\"done\": true}'::jsonb) FROM coord.claim_task(NULL, interval '60 s') c;")


def prepared(*named: tuple[str, str]) -> str:
    return "\n\n".join(floors.as_prepare(name, statement) + ";" for name, statement in named)


def lease(i: int) -> list[str]:
    p = f"src/w/f{i % 64}.py"
    return [f"EXECUTE lease_acquire('{p}');", f"EXECUTE lease_release('{p}');"]


def lease_bare_statements(i: int) -> list[str]:
    p = f"src/w/f{i % 64}.py"
    return [f"EXECUTE lease_acquire('{p}', 'x');", f"EXECUTE lease_release('{p}', 'x');"]


def queue(i: int) -> list[str]:
    # claim and complete in one statement: the single-user backend has no client to carry the claim token
    return ["EXECUTE queue_submit;", "EXECUTE queue_claim_complete;"]


def queue_statements(i: int) -> list[str]:
    # the claimed id is the one just submitted (one session, a queue it drains every repetition)
    return ["EXECUTE queue_submit;", "EXECUTE queue_claim;", f"EXECUTE queue_complete({i + 1});"]


class Counter:
    """A deployed cluster, stopped, whose copies single-user backends run under callgrind."""

    def __init__(self, root: Path):
        self.root = root
        self.cluster = Cluster(root / "cluster")
        self.cluster.init()
        self.cluster.start()
        try:
            admin = self.cluster.dsn("postgres")
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
            dsn = with_dbname(admin, DB)
            migrations.deploy(dsn)
            with psycopg.connect(dsn, autocommit=True) as su:
                su.execute("INSERT INTO coord_private.profiles (name, trust_level, max_locks, max_claimed_tasks, "
                           "max_lease_seconds) VALUES ('bench', 2, 100000, 100000, 3600)")
                su.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE coord_agent").format(sql.Identifier(AGENT)))
                su.execute("SELECT coord.register_agent(%s, 'bench')", (AGENT,))
                su.execute(floors.DDL)
                su.execute(sql.SQL("GRANT USAGE ON SCHEMA bench_floor TO {agent}; "
                                   "GRANT ALL ON ALL TABLES IN SCHEMA bench_floor TO {agent}; "
                                   "GRANT ALL ON ALL SEQUENCES IN SCHEMA bench_floor TO {agent}").format(
                    agent=sql.Identifier(AGENT)))
                self.cedar = su.execute("SELECT coord_private.cedar_available()").fetchone()[0]
        finally:
            self.cluster.stop()

    def instructions(self, name: str, setup: str, workload, repetitions: int) -> int:
        """Instructions a single-user backend executes for setup + repetitions of workload."""
        data = self.root / f"run-{name}-{repetitions}"
        subprocess.run(["cp", "-a", str(self.cluster.datadir), str(data)], check=True)
        script = self.root / f"in-{name}-{repetitions}.sql"
        become_agent = sql.SQL("SET SESSION AUTHORIZATION {};").format(sql.Identifier(AGENT)).as_string(None)
        lines = [setup, become_agent, "SET synchronous_commit = off;"]
        for i in range(repetitions):
            lines.extend(workload(i))
        # -j: a command ends with a semicolon followed by an empty line
        script.write_text("".join(f"{s}\n\n" for s in lines if s))
        script.chmod(0o644)
        try:
            proc = self.cluster.run_server_binary(
                ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                 str(self.cluster.bindir / "postgres"), "--single", "-j", "-D", str(data), DB],
                stdin=script)
        finally:
            shutil.rmtree(data, ignore_errors=True)
        errors = [line for line in proc.stderr.splitlines() if " ERROR: " in line or " FATAL: " in line]
        found = re.search(r"Collected : (\d+)", proc.stderr)
        if errors or not found:
            raise RuntimeError(f"{name}: {errors[:3] or proc.stderr[-500:]}")
        return int(found.group(1))

    def per_repetition(self, name: str, setup: str, workload) -> float:
        short = self.instructions(name, setup, workload, N)
        long = self.instructions(name, setup, workload, 5 * N)
        return (long - short) / (4 * N)


def main() -> int:
    if not shutil.which("valgrind"):
        print("instructions: skipped, valgrind is not installed (scripts/bootstrap.sh installs it)")
        return 0
    root = Path(tempfile.mkdtemp(prefix="pgcoord-instructions-"))
    root.chmod(0o755)
    try:
        counter = Counter(root)
        lease_floor = prepared(("lease_acquire", floors.LEASE_FLOOR[0]), ("lease_release", floors.LEASE_FLOOR[1]))
        lease_bare = floors.BARE_SESSION + ";\n\n" + prepared(("lease_acquire", floors.LEASE_BARE[0]),
                                                             ("lease_release", floors.LEASE_BARE[1]))
        queue_floor = prepared(("queue_submit", floors.QUEUE_FLOOR_SUBMIT), ("queue_claim", floors.QUEUE_FLOOR_CLAIM),
                               ("queue_complete", floors.QUEUE_FLOOR_COMPLETE))
        queue_bare = floors.BARE_SESSION + ";\n\n" + prepared(
            ("queue_submit", floors.QUEUE_BARE_SUBMIT), ("queue_claim", floors.QUEUE_BARE_CLAIM),
            ("queue_complete", floors.QUEUE_BARE_COMPLETE))
        runs = {
            "lease floor": (lease_floor, lease),
            "lease bare lower bound": (lease_bare, lease_bare_statements),
            "lease, no decision": (NO_DECISION + "\n\n" + PREPARED_LEASE, lease),
            "lease, native": (PREPARED_LEASE, lease),
            "queue floor": (queue_floor, queue_statements),
            "queue bare lower bound": (queue_bare, queue_statements),
            "queue, native": (PREPARED_QUEUE, queue),
        }
        if counter.cedar:
            runs["lease, cedar"] = (CEDAR + "\n\n" + PREPARED_LEASE, lease)
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {name: pool.submit(counter.per_repetition, name.replace(" ", "_").replace(",", ""), s, w)
                       for name, (s, w) in runs.items()}
            per = {name: f.result() for name, f in futures.items()}
        budget.save("instructions", per)
        print(f"-- server instructions per operation (valgrind callgrind, single-user backend, {N} vs {5 * N} "
              "repetitions; deterministic)")
        for name in runs:
            print(f"{name:<46} {per[name]:>12,.0f} instructions")
        for what, kind in (("lease acquire+release", "lease"), ("task submit+claim+complete", "queue")):
            floor, bare, full = per[f"{kind} floor"], per[f"{kind} bare lower bound"], per[f"{kind}, native"]
            print(f"{what + ': floor / full':<52} ratio {floor / full:5.2f}  (target >= 0.80: "
                  f"{'meets' if floor / full >= 0.8 else 'BELOW'})")
            print(f"{what + ': floor / bare lower bound':<52} ratio {floor / bare:5.2f}  "
                  "(the most any SQL implementation of the requirements reaches)")
        for engine, target in (("native", 0.10), ("cedar", 0.30)):
            if f"lease, {engine}" not in per:
                print(f"{'decision cost, ' + engine:<46} not measured: the Cedar engine is unavailable here")
                continue
            added = per[f"lease, {engine}"] / per["lease, no decision"] - 1
            print(f"{engine + ' decision adds to acquire+release':<46} {added:+.1%}  (target <= {target:.0%}: "
                  f"{'meets' if added <= target else 'ABOVE'})")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
