"""`python -m bench.guardrails`: the shell-aware guardrail check against its 1 ms p99 target (issue 16).

A fresh database on the bench server (the embedded cluster, or PGCOORD_BENCH_DSN) and one
registered agent (implementer: trust 2). Three calls are timed on the same texts, over
autocommit connections with prepared statements, client side (the round trip included):
  * check:  coord.check_guardrails(text, '{}') as the agent: the full call the hooks make
            (the shell analysis and rules, the policy decision, the audit event, the
            recorded matches);
  * shell:  coord_private.guardrail_command_matches(text) as the superuser: the analysis
            and the rules alone;
  * regex:  coord_private.guardrail_matches(text) as the superuser: the regex-only scan
            over the normalised text that check_guardrails ran before the shell analysis
            (the peer, measured in the same run).
The texts:
  * everyday commands: ~200 bytes each, consecutive lines of bench/data/everyday_commands.txt
    (what an agent runs all day: git, tests, builds, linters, ls/grep/cat, docker and kubectl
    reads, a heredoc config file) joined by ` && ` the same way; a workload of its own because
    the corpus below is look-alikes and attacks by design, not a sample of what agents run;
  * typical harmless / typical destructive: ~200 bytes each, consecutive cases of
    tests/guardrail_corpus/shell/tune_harmless.tsv (tune_destructive.tsv) joined by
    ` && ` until the next case would pass 220 bytes (cases decoded as rates.py does);
    PGCOORD_BENCH_GUARDRAIL_N (300) calls of each, every call a different text (cycled),
    after 20 unmeasured calls;
  * hostile: 1 MiB (1,048,576 bytes, the largest text check_guardrails accepts) of
    separators, nested substitutions, quotes, backslashes and heredocs;
    PGCOORD_BENCH_GUARDRAIL_HOSTILE_N (3) calls of each after one unmeasured call.
Printed per text and call: checks per second (1 / mean), p50 / p99 / max in milliseconds,
p99 / 1 ms (the target is for the typical texts, warm: <= 1.00 meets it) and the ratio of
the call's p50 to the regex scan's p50 on the same texts. Nothing asserts a time; the
figures are saved in bench/results/guardrails.json.
"""
from __future__ import annotations

import math
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from bench import budget
from pgcoord import migrations
from pgcoord.cluster import default_cluster, with_dbname
from pgcoord.safety_report import decode_case as decode

TARGET_MS = 1.0
N = int(os.environ.get("PGCOORD_BENCH_GUARDRAIL_N", "300"))
HOSTILE_N = int(os.environ.get("PGCOORD_BENCH_GUARDRAIL_HOSTILE_N", "3"))
WARMUP = 20
MIB = 1 << 20
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "guardrail_corpus" / "shell"
EVERYDAY = Path(__file__).resolve().parent / "data" / "everyday_commands.txt"

CALLS = {
    "check": "SELECT blocked FROM coord.check_guardrails(%s, '{}')",
    "shell": "SELECT coord_private.guardrail_command_matches(%s)",
    "regex": "SELECT coord_private.guardrail_matches(%s)",
}


def typical(name: str, low: int = 180, high: int = 220) -> list[str]:
    """Consecutive cases of a corpus file joined by ' && ' into texts of about 200 bytes."""
    cases = [decode(line.partition("\t")[2]) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()
             if line.strip()]
    return joined(cases, low, high)


def everyday(low: int = 180, high: int = 220) -> list[str]:
    """bench/data/everyday_commands.txt (one command per line, the corpus's escapes) joined the same way."""
    cases = [decode(line) for line in EVERYDAY.read_text(encoding="utf-8").splitlines() if line.strip()]
    return joined(cases, low, high)


def joined(cases: list[str], low: int, high: int) -> list[str]:
    """cases joined by ' && ' (a newline next to a heredoc) into texts of low..high bytes, in order."""
    texts, cur = [], ""
    for case in cases:
        # (after a heredoc the next command starts on a line of its own: "EOF && x" ends nothing)
        sep = "\n" if "\n" in cur or "\n" in case else " && "
        nxt = f"{cur}{sep}{case}" if cur else case
        if len(nxt.encode()) > high and cur:
            if len(cur.encode()) >= low:
                texts.append(cur)
            cur = case
        else:
            cur = nxt
    return texts


def fill(unit: str, size: int = MIB) -> str:
    """unit repeated to exactly size bytes (unit is ASCII)."""
    return (unit * (size // len(unit) + 1))[:size]


def hostile() -> dict[str, str]:
    nest = "echo $(" * 40 + "rm -rf /tmp/x" + ")" * 40 + "; "
    return {
        "hostile separators": fill("a;b&&c||d|e&f\n"),
        "hostile nesting": fill(nest),
        "hostile quotes": fill("'a\"b'\"c'd\"$'e\\'f' "),
        "hostile backslashes": fill("\\\\\\ \\\"\\'x\\\n"),
        "hostile heredocs": fill("cat <<EOF | sh\nrm -rf build\n'\"$(x\nEOF\n"),
        "hostile one word": fill("a"),
    }


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def measure(conn: psycopg.Connection, query: str, texts: list[str], n: int, warmup: int) -> list[float]:
    samples = []
    for i in range(n + warmup):
        text = texts[i % len(texts)]
        t0 = time.perf_counter()
        conn.execute(query, (text,), prepare=True).fetchall()
        elapsed = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            samples.append(elapsed)
    return samples


def main() -> int:
    cluster = default_cluster()
    if not os.environ.get("PGCOORD_BENCH_DSN") and not cluster.running():
        print("bench.guardrails: start the embedded database first (`make bench` does)", file=sys.stderr)
        return 1
    admin_dsn = os.environ.get("PGCOORD_BENCH_DSN") or cluster.dsn("postgres")
    name = f"pgcoord_benchgr_{uuid.uuid4().hex[:8]}"
    role = f"benchgr_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = with_dbname(admin_dsn, name)
    try:
        migrations.deploy(dsn)
        with psycopg.connect(dsn, autocommit=True) as su:
            su.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE coord_agent").format(sql.Identifier(role)))
            su.execute("SELECT coord.register_agent(%s, 'implementer')", (role,))
        return run(dsn, dsn.replace("postgres@", f"{role}@", 1))
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            c.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def run(su_dsn: str, agent_dsn: str) -> int:
    workloads: dict[str, tuple[list[str], int, int]] = {
        "everyday commands": (everyday(), N, WARMUP),
        "typical harmless": (typical("tune_harmless.tsv"), N, WARMUP),
        "typical destructive": (typical("tune_destructive.tsv"), N, WARMUP),
    }
    for label, text in hostile().items():
        workloads[label] = ([text], HOSTILE_N, 1)
    results: dict = {"target_ms": TARGET_MS, "cores": os.cpu_count(), "load": os.getloadavg(), "workloads": {}}
    print(f"coord.check_guardrails: target p99 <= {TARGET_MS:.0f} ms warm for a ~200-byte command; "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; p50 ratio against the regex-only scan "
          "(guardrail_matches) on the same texts")
    with psycopg.connect(agent_dsn, autocommit=True) as agent, psycopg.connect(su_dsn, autocommit=True) as su:
        for label, (texts, n, warmup) in workloads.items():
            sizes = [len(t.encode()) for t in texts]
            got = {}
            for call, query in CALLS.items():
                got[call] = measure(agent if call == "check" else su, query, texts, n, warmup)
            regex_p50 = percentile(got["regex"], 0.5)
            figures = {"texts": len(texts), "bytes_mean": statistics.fmean(sizes)}
            for call, samples in got.items():
                p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
                figures[call] = {"n": len(samples), "checks_per_s": 1000 / statistics.fmean(samples),
                                 "p50_ms": p50, "p99_ms": p99, "max_ms": max(samples),
                                 "p99_over_target": p99 / TARGET_MS, "p50_over_regex": p50 / regex_p50}
                print(f"{label:<20} {call:<5} {statistics.fmean(sizes):9.0f} B n={len(samples):<4} "
                      f"{1000 / statistics.fmean(samples):8.1f}/s  p50 {p50:8.2f} ms  p99 {p99:8.2f} ms  "
                      f"max {max(samples):8.2f} ms  p99/1 ms {p99 / TARGET_MS:7.2f}  p50/regex {p50 / regex_p50:6.2f}")
            results["workloads"][label] = figures
    budget.save("guardrails", results)
    for label in ("everyday commands", "typical harmless", "typical destructive"):
        ratio = results["workloads"][label]["check"]["p99_over_target"]
        print(f"target: check_guardrails p99/1 ms {ratio:.2f} on {label} -> {'met' if ratio <= 1 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
