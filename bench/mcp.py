"""`python -m bench.mcp`: what the MCP server (`pgcoord mcp`) adds per call over the direct
client, and its memory through a 10,000-call run.

Budgets (issue 14): the server adds at most 2 ms p50 per call over the direct client,
and stays under 100 MB resident through 10,000 calls.

A fresh database on the bench server (the embedded cluster, or PGCOORD_BENCH_DSN) and
one registered agent (implementer). In the same run, interleaved call by call (the
order alternating), the same operation goes:
  * direct:  pgcoord.Client (psycopg, one autocommit connection) — the baseline;
  * MCP:     a `tools/call` to the server process `pgcoord mcp --dsn <agent>` over its
             stdio, from a minimal JSON-RPC client (one line out, one line back), so
             the figure is the server's cost and not a client library's;
for check_leases (a read), acquire_lease and release_lease (audited mutations),
PGCOORD_BENCH_MCP_N (1000) times each after a warm-up. For reference it also
times the same read through the official SDK client (`mcp.Client` over stdio) and
through pgcoord.AsyncClient directly. p50 and p99 in milliseconds; the MCP p50
minus the direct p50 is set against 2 ms.

Then PGCOORD_BENCH_MCP_CALLS (10,000) calls go through one server process, a cycle
of ten tools (acquire, check, renew, release; submit, claim, complete, list;
check_command; my_status), and its resident memory (VmRSS) is sampled every 500
calls; the peak (VmHWM) is set against 100 MB.

Ratios against the budgets are printed (≤ 1.00 meets it); nothing asserts a time.
The figures are saved in bench/results/mcp.json.
"""
from __future__ import annotations

import asyncio
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench import budget
from pgcoord import AsyncClient, Client, migrations
from pgcoord.cluster import default_cluster, with_dbname

BUDGET_MS = 2.0
BUDGET_MB = 100.0
N = int(os.environ.get("PGCOORD_BENCH_MCP_N", "1000"))
CALLS = int(os.environ.get("PGCOORD_BENCH_MCP_CALLS", "10000"))
WARMUP = 50
SAMPLE_EVERY = 500


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def stats(samples: list[float]) -> dict[str, float]:
    return {"n": len(samples), "p50_ms": percentile(samples, 0.5), "p99_ms": percentile(samples, 0.99),
            "mean_ms": statistics.fmean(samples)}


class StdioServer:
    """The server as an MCP client starts it, driven by a minimal JSON-RPC client."""

    def __init__(self, argv: list[str], env: dict[str, str], stderr_path: Path):
        self._stderr = stderr_path.open("wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=env, bufsize=0)
        self._next = 0
        self.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                    "clientInfo": {"name": "bench.mcp", "version": "1"}})
        self._send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next += 1
        self._send({"jsonrpc": "2.0", "id": self._next, "method": method, "params": params})
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the server ended (exit {self.proc.poll()}); see its stderr")
            message = json.loads(line)
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = self.request("tools/call", {"name": tool, "arguments": arguments})
        if result.get("isError"):
            raise RuntimeError(f"{tool}: {result['content'][0]['text']}")
        return result["structuredContent"]

    def memory_kb(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) of the server process, in kB."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
        return fields["VmRSS"], fields["VmHWM"]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()


def server_argv(agent_dsn: str) -> list[str]:
    """`pgcoord mcp --dsn ...` as installed (the console script), else `python -m pgcoord.mcp_server`."""
    script = Path(sys.executable).parent / "pgcoord"
    if script.is_file() or shutil.which("pgcoord"):
        return [str(script) if script.is_file() else "pgcoord", "mcp", "--dsn", agent_dsn]
    return [sys.executable, "-m", "pgcoord.mcp_server", "--dsn", agent_dsn]


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def latency(server: StdioServer, direct: Client) -> dict[str, Any]:
    """The three operations, direct and through the server, interleaved call by call."""
    ops: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "check_leases (read)": (lambda: direct.check_locks(["src/direct/a.py"]),
                                lambda: server.call("check_leases", {"paths": ["src/mcp/a.py"]})),
        "acquire_lease": (lambda: direct.acquire_lock("src/direct/a.py", 60),
                          lambda: server.call("acquire_lease", {"path": "src/mcp/a.py", "ttl": 60})),
        "release_lease": (lambda: direct.release_lock("src/direct/a.py"),
                          lambda: server.call("release_lease", {"path": "src/mcp/a.py"})),
    }
    samples: dict[str, dict[str, list[float]]] = {op: {"direct": [], "mcp": []} for op in ops}
    for i in range(WARMUP + N):
        for op, (d, m) in ops.items():
            first, second = ((d, "direct"), (m, "mcp")) if i % 2 else ((m, "mcp"), (d, "direct"))
            t_first, t_second = timed(first[0]), timed(second[0])
            if i >= WARMUP:
                samples[op][first[1]].append(t_first)
                samples[op][second[1]].append(t_second)
    results = {}
    for op, s in samples.items():
        direct_s, mcp_s = stats(s["direct"]), stats(s["mcp"])
        added = mcp_s["p50_ms"] - direct_s["p50_ms"]
        results[op] = {"direct": direct_s, "mcp": mcp_s, "added_p50_ms": added, "added_over_budget": added / BUDGET_MS}
        print(f"{op:<22} direct p50 {direct_s['p50_ms']:6.2f} ms p99 {direct_s['p99_ms']:6.2f}   "
              f"MCP p50 {mcp_s['p50_ms']:6.2f} ms p99 {mcp_s['p99_ms']:6.2f}   "
              f"added p50 {added:5.2f} ms   added/{BUDGET_MS:.0f} ms {added / BUDGET_MS:5.2f}")
    return results


def reference(argv: list[str], env: dict[str, str], agent_dsn: str) -> dict[str, Any]:
    """The same read through the official SDK client (end to end) and through AsyncClient."""
    from mcp import Client as McpClient
    from mcp import StdioServerParameters

    async def run() -> dict[str, Any]:
        params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
        sdk: list[float] = []
        async with McpClient(params) as mcp_client:
            for i in range(WARMUP + N):
                t0 = time.perf_counter()
                result = await mcp_client.call_tool("check_leases", {"paths": ["src/mcp/a.py"]})
                if i >= WARMUP:
                    sdk.append((time.perf_counter() - t0) * 1000)
                assert not result.is_error, result
        direct: list[float] = []
        async with AsyncClient(agent_dsn) as client:
            for i in range(WARMUP + N):
                t0 = time.perf_counter()
                await client.check_locks(["src/direct/a.py"])
                if i >= WARMUP:
                    direct.append((time.perf_counter() - t0) * 1000)
        return {"sdk_client": stats(sdk), "async_client": stats(direct)}

    figures = asyncio.run(run())
    print(f"{'check_leases (read)':<22} through the SDK client (mcp.Client, stdio) p50 "
          f"{figures['sdk_client']['p50_ms']:6.2f} ms; pgcoord.AsyncClient direct p50 "
          f"{figures['async_client']['p50_ms']:6.2f} ms (for reference)")
    return figures


def memory(server: StdioServer) -> dict[str, Any]:
    """CALLS calls through one server process: its resident memory along the way."""
    state: dict[str, Any] = {}

    def claim() -> None:
        state["claim"] = server.call("claim_task", {"types": ["bench"]})

    cycle: list[Callable[[], Any]] = [
        lambda: server.call("acquire_lease", {"path": "src/mem/x.py", "ttl": 60}),
        lambda: server.call("check_leases", {"paths": ["src/mem/"]}),
        lambda: server.call("renew_lease", {"path": "src/mem/x.py", "ttl": 60}),
        lambda: server.call("release_lease", {"path": "src/mem/x.py"}),
        lambda: server.call("submit_task", {"task_type": "bench", "input": {"n": 1}}),
        claim,
        lambda: server.call("complete_task", {"task_id": state["claim"]["task_id"],
                                              "claim_token": state["claim"]["claim_token"], "result": {"ok": 1}}),
        lambda: server.call("list_tasks", {"status": ["pending"], "limit": 10}),
        lambda: server.call("check_command", {"text": "pytest -q tests/"}),
        lambda: server.call("my_status", {}),
    ]
    rss0, _ = server.memory_kb()
    samples = [(0, rss0)]
    t0 = time.perf_counter()
    for i in range(CALLS):
        cycle[i % len(cycle)]()
        if (i + 1) % SAMPLE_EVERY == 0:
            samples.append((i + 1, server.memory_kb()[0]))
    elapsed = time.perf_counter() - t0
    rss, hwm = server.memory_kb()
    peak_mb = hwm / 1024
    print(f"{CALLS} calls in {elapsed:.1f} s ({CALLS / elapsed:.0f}/s): resident {rss0 / 1024:.1f} MB after warm-up, "
          f"{rss / 1024:.1f} MB at the end, peak {peak_mb:.1f} MB   peak/{BUDGET_MB:.0f} MB {peak_mb / BUDGET_MB:5.2f}")
    print("  resident MB every 500 calls: " + " ".join(f"{kb / 1024:.1f}" for _, kb in samples))
    return {"calls": CALLS, "seconds": elapsed, "rss_start_mb": rss0 / 1024, "rss_end_mb": rss / 1024,
            "peak_mb": peak_mb, "peak_over_budget": peak_mb / BUDGET_MB,
            "rss_mb_every_500": [round(kb / 1024, 1) for _, kb in samples]}


def main() -> int:
    cluster = default_cluster()
    if not os.environ.get("PGCOORD_BENCH_DSN") and not cluster.running():
        print("bench.mcp: start the embedded database first (`make bench` does)", file=sys.stderr)
        return 1
    admin_dsn = os.environ.get("PGCOORD_BENCH_DSN") or cluster.dsn("postgres")
    name = f"pgcoord_benchmcp_{uuid.uuid4().hex[:8]}"
    role = f"benchmcp_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = with_dbname(admin_dsn, name)
    agent_dsn = dsn.replace("postgres@", f"{role}@", 1)
    try:
        migrations.deploy(dsn)
        with psycopg.connect(dsn, autocommit=True) as su:
            su.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE coord_agent").format(sql.Identifier(role)))
            su.execute("SELECT coord.register_agent(%s, 'implementer')", (role,))
        return run(agent_dsn)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            c.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def run(agent_dsn: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGCOORD_")}
    argv = server_argv(agent_dsn)
    results: dict[str, Any] = {"budget_ms": BUDGET_MS, "budget_mb": BUDGET_MB, "cores": os.cpu_count(),
                               "server": " ".join(argv[:2])}
    print(f"pgcoord mcp: budgets added p50 <= {BUDGET_MS:.0f} ms per call, resident < {BUDGET_MB:.0f} MB through "
          f"{CALLS} calls; {os.cpu_count()} cores; server `{' '.join(argv[:2])}`")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.stderr"
        try:
            print(f"-- per call, direct pgcoord.Client vs tools/call over stdio (n={N} each, interleaved)")
            server = StdioServer(argv, env, log)
            with Client(agent_dsn) as direct:
                try:
                    results["latency"] = latency(server, direct)
                finally:
                    server.close()
            results["reference"] = reference(argv, env, agent_dsn)
            print(f"-- memory: {CALLS} calls through one server process")
            server = StdioServer(argv, env, log)
            try:
                for _ in range(WARMUP):   # imports and caches first, as after any session's first calls
                    server.call("my_status", {})
                results["memory"] = memory(server)
            finally:
                server.close()
        except Exception:
            if log.is_file():
                print(log.read_text()[-4000:], file=sys.stderr)
            raise
    budget.save("mcp", results)
    worst = max(r["added_over_budget"] for r in results["latency"].values())
    peak = results["memory"]["peak_over_budget"]
    print(f"budget: added p50 / {BUDGET_MS:.0f} ms, worst operation {worst:.2f} -> "
          f"{'met' if worst <= 1 else 'NOT met'}; peak resident / {BUDGET_MB:.0f} MB {peak:.2f} -> "
          f"{'met' if peak < 1 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
