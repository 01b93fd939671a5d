"""`python -m bench.hooks`: the PreToolUse hook's latency against its 50 ms p99 budget.

A fresh database on the bench server (the embedded cluster, or PGCOORD_BENCH_DSN), one
registered agent holding a lease on src/ of a scratch repository, and these decisions:
  * edit (leased):   Edit of src/app.py        check_guardrails on the path + check_write_coverage
  * edit (unleased): Edit of docs/x.md         the same, denied (lease_required)
  * bash:            a test command            check_guardrails
  * bash + curl:     curl of a URL              check_guardrails + check_network_access (denied: no rule)
Measured, warm (server up, caches and bytecode warm; a few unmeasured runs first):
  * in-process: `hooks.decide` over one open libpq connection, PGCOORD_BENCH_HOOK_N (500) times each;
  * in-process, own connection: connect + decide + close, as each hook process does (100 times);
  * subprocess: the command Claude Code / Codex run per tool call, PGCOORD_BENCH_HOOK_PROCS (50)
    times: the fast form that `pgcoord hook install` prints (`python -I .../pgcoord/hooks/__main__.py
    pre-tool-use`) with a connection of its own, the same with the warm path (PGCOORD_HOOK_WARM=1:
    the agent's `pgcoord hook serve` holds the connection), and, for comparison, the
    `pgcoord hook pre-tool-use` console script.
p50 / p99 / max in milliseconds and p99 / 50 ms are printed (≤ 1.00 meets the budget);
nothing asserts a time. The figures are saved in bench/results/hooks.json.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from bench import budget
from pgcoord import hooks, migrations
from pgcoord.cluster import default_cluster, with_dbname

BUDGET_MS = 50.0
N = int(os.environ.get("PGCOORD_BENCH_HOOK_N", "500"))
PROCS = int(os.environ.get("PGCOORD_BENCH_HOOK_PROCS", "50"))
WARMUP = 20


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(name: str, samples: list[float]) -> dict:
    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
    print(f"{name:<52} n={len(samples):<4} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  max {max(samples):6.1f} ms  "
          f"p99/{BUDGET_MS:.0f} ms {p99 / BUDGET_MS:5.2f}")
    return {"n": len(samples), "p50_ms": p50, "p99_ms": p99, "max_ms": max(samples),
            "mean_ms": statistics.fmean(samples), "p99_over_budget": p99 / BUDGET_MS}


def payload(repo: Path, tool: str, tool_input: dict) -> dict:
    return {"session_id": "bench", "transcript_path": "/tmp/bench.jsonl", "cwd": str(repo),
            "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": tool,
            "tool_input": tool_input, "tool_use_id": "toolu_bench"}


def main() -> int:
    cluster = default_cluster()
    if not os.environ.get("PGCOORD_BENCH_DSN") and not cluster.running():
        print("bench.hooks: start the embedded database first (`make bench` does)", file=sys.stderr)
        return 1
    admin_dsn = os.environ.get("PGCOORD_BENCH_DSN") or cluster.dsn("postgres")
    name = f"pgcoord_benchhook_{uuid.uuid4().hex[:8]}"
    role = f"benchhook_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = with_dbname(admin_dsn, name)
    agent_dsn = dsn.replace("postgres@", f"{role}@", 1)
    try:
        migrations.deploy(dsn)
        with psycopg.connect(dsn, autocommit=True) as su:
            su.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE coord_agent").format(sql.Identifier(role)))
            su.execute("SELECT coord.register_agent(%s, 'implementer')", (role,))
        with psycopg.connect(agent_dsn, autocommit=True) as a:
            assert a.execute("SELECT ok FROM coord.acquire_lock('src/', interval '1 hour')").fetchone()[0]
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp)
            (repo / ".git").mkdir()
            return run(repo, agent_dsn)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            c.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def run(repo: Path, agent_dsn: str) -> int:
    workloads = {
        "edit (leased): allowed": payload(repo, "Edit", {"file_path": str(repo / "src/app.py"),
                                                         "old_string": "a", "new_string": "b"}),
        "edit (unleased): denied": payload(repo, "Edit", {"file_path": str(repo / "docs/x.md"),
                                                          "old_string": "a", "new_string": "b"}),
        "bash: allowed": payload(repo, "Bash", {"command": "pytest -q tests/ && git status --short"}),
        "bash + curl: denied by the network policy": payload(repo, "Bash", {
            "command": "curl -sSL https://api.unlisted.example/v1/status -o status.json"}),
    }
    expected = {"edit (leased): allowed": True, "edit (unleased): denied": False, "bash: allowed": True,
                "bash + curl: denied by the network policy": False}
    config = hooks.Config()
    results: dict = {"budget_ms": BUDGET_MS, "in_process": {}, "own_connection": {}, "subprocess": {}}
    conn = hooks.connect(agent_dsn)
    print(f"pgcoord hook latency: budget p99 <= {BUDGET_MS:.0f} ms; {os.cpu_count()} cores; database through "
          f"{'libpq (ctypes)' if isinstance(conn, hooks.LibpqConnection) else 'psycopg (libpq not loadable)'}")
    print("-- in-process, one open connection (hooks.decide)")
    try:
        for label, p in workloads.items():
            for _ in range(WARMUP):
                d = hooks.decide(p, conn, config)
            assert d.allow is expected[label], (label, d)
            samples = []
            for _ in range(N):
                t0 = time.perf_counter()
                hooks.decide(p, conn, config)
                samples.append((time.perf_counter() - t0) * 1000)
            results["in_process"][label] = summary(label, samples)
    finally:
        conn.close()

    print("-- in-process, a connection per decision (connect + decide + close, as a hook process)")
    for label in ("edit (leased): allowed", "bash: allowed"):
        samples = []
        for i in range(WARMUP + 100):
            t0 = time.perf_counter()
            c = hooks.connect(agent_dsn)
            hooks.decide(workloads[label], c, config)
            c.close()
            if i >= WARMUP:
                samples.append((time.perf_counter() - t0) * 1000)
        results["own_connection"][label] = summary(label, samples)

    print("-- subprocess per decision (what Claude Code / Codex run)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGCOORD_")}
    env["PGCOORD_DSN"] = agent_dsn
    script = [sys.executable, "-I", os.path.join(hooks.HOOK_DIR, "__main__.py"), "pre-tool-use"]
    console = [str(Path(sys.executable).parent / "pgcoord"), "hook", "pre-tool-use"]
    runtime = tempfile.mkdtemp(prefix="pgc-bench-", dir="/tmp")
    warm_env = {**env, "PGCOORD_HOOK_WARM": "1", "PGCOORD_HOOK_RUNTIME_DIR": runtime, "PGCOORD_HOOK_SERVE_IDLE": "30"}
    forms = (("python -I .../hooks/__main__.py", script, PROCS, env),
             ("warm (PGCOORD_HOOK_WARM=1), same script", script, PROCS, warm_env),
             ("pgcoord hook pre-tool-use", console, max(10, PROCS // 2), env))
    for form, argv, n, form_env in forms:
        for label in ("edit (leased): allowed", "bash: allowed"):
            data = json.dumps(workloads[label]).encode()
            samples = []
            for i in range(5 + n):
                if i == 1 and form_env is warm_env:
                    time.sleep(1.0)           # the first call started the server: let it listen
                t0 = time.perf_counter()
                proc = subprocess.run(argv, input=data, capture_output=True, env=form_env)
                elapsed = (time.perf_counter() - t0) * 1000
                assert proc.returncode == 0, (form, label, proc.stderr)
                if i >= 5:
                    samples.append(elapsed)
            results["subprocess"][f"{form}: {label}"] = summary(f"{form}: {label}", samples)

    stop_servers(runtime)
    shutil.rmtree(runtime, ignore_errors=True)
    budget.save("hooks", results)
    worst = max(r["p99_over_budget"] for r in results["in_process"].values())
    fast = max(v["p99_over_budget"] for k, v in results["subprocess"].items() if k.startswith("python -I"))
    warm = max(v["p99_over_budget"] for k, v in results["subprocess"].items() if k.startswith("warm"))
    print(f"budget: in-process decision p99/budget {worst:.2f}; per-call process (script form) "
          f"p99/budget {fast:.2f} -> {'met' if fast <= 1 else 'NOT met'} with a connection per call; "
          f"warm path p99/budget {warm:.2f} -> {'met' if warm <= 1 else 'NOT met'}")
    return 0


def stop_servers(runtime: str) -> None:
    """Stop the warm hook server(s) this run started (SIGTERM to the socket's peer)."""
    import signal
    import socket
    import struct
    for name in os.listdir(runtime):
        if name.endswith(".sock"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(os.path.join(runtime, name))
                pid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
            finally:
                s.close()


if __name__ == "__main__":
    raise SystemExit(main())
