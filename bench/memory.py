"""`python -m bench.memory`: coord.recall against its 10 ms p99 target with 10^5 episodic
memories of 50 agents (issue 15).

A fresh database on the bench server (the embedded cluster, or PGCOORD_BENCH_DSN) and
50 registered agents. PGCOORD_BENCH_MEMORIES (100,000) memories are bulk-loaded as the
superuser straight into coord_private.memories (one INSERT ... SELECT over
generate_series, seeded; the generated search vector and the indexes are filled as
remember fills them), then VACUUM (ANALYZE), as autovacuum would after such a load.
The corpus: summaries of 6 to 14 words drawn from a vocabulary of 2,000 words with a
skewed (Zipf-like) frequency, so the commonest words are in 10 to 35 % of all memories
(stemmed: test, tests, testing are one) and most words in well under 1 %; 0 to 2
lessons of 6 words; 1 to 3 of 60 tags (also skewed); 12 event types. Written over 90 days in time
order, as remember writes them (so the table's physical order follows time, as it does
in production); one in ten was seen again (seen_count 2 to 8) up to 7 days later.

Then, as one of the agents (trust 2; the reader check runs as in production), over one
autocommit connection with prepared statements, after a warm-up, PGCOORD_BENCH_RECALL_N
(300) calls of each workload, every call a different query drawn from the corpus's
distribution (seeded):
  * text:             1 or 2 words (websearch syntax), no filter
  * tags:             1 tag
  * text + tags:      1 or 2 words and 1 tag
  * text + type:      1 or 2 words and an event type
  * newest:           no filter (the 10 most recently seen)
  * hostile text:     quotes, operators, unbalanced phrases, unicode around 1 or 2 words
  * broad word:       one of the 5 commonest words (9 to 35 % of the corpus matches;
                      the 300 most recently seen matches are ranked)
p50 / p99 / max in milliseconds (client side: the round trip included) and p99 / 10 ms
are printed (≤ 1.00 meets the target); nothing asserts a time. The figures are saved in
bench/results/memory.json.
"""
from __future__ import annotations

import math
import os
import random
import statistics
import sys
import time
import uuid

import psycopg
from psycopg import sql

from bench import budget
from pgcoord import migrations
from pgcoord.cluster import default_cluster, with_dbname

TARGET_MS = 10.0
MEMORIES = int(os.environ.get("PGCOORD_BENCH_MEMORIES", "100000"))
N = int(os.environ.get("PGCOORD_BENCH_RECALL_N", "300"))
AGENTS = 50
WARMUP = 30
SEED = 20261207

# Real words first (the commonest), then made-up component names: 2,000 in all.
COMMON = """test fail error timeout build deploy migration parser fixture database connection api endpoint
request response cache retry lock lease task queue worker schema index query transaction commit rollback
config setting environment docker image container kubernetes pod service network dns proxy certificate
token auth login session cookie header json yaml toml parse serialize encode decode unicode utf8 path
file directory glob permission owner group user role policy guardrail audit event log trace metric alert
memory cpu disk latency throughput benchmark profile flaky race deadlock crash panic exception traceback
stack frame function method class module package dependency version upgrade downgrade pin lockfile
python pytest mypy ruff black typescript node npm yarn webpack react vue css html rust cargo clippy go
java gradle maven kotlin swift c cmake make linker compiler warning lint format refactor rename extract
inline split merge rebase conflict branch tag release changelog review approve reject comment issue
ticket bug fix patch hotfix regression coverage mock stub fake integration unit e2e smoke load stress
""".split()


def vocabulary(n: int = 2000) -> list[str]:
    rng = random.Random(SEED)
    words = list(dict.fromkeys(COMMON))
    letters = "bcdfghjklmnprstvwz"
    vowels = "aeiou"
    while len(words) < n:
        w = "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
        if w not in words:
            words.append(w)
    return words


TAGS = [f"{k}:{v}" for k in ("lang", "area", "tool") for v in
        ("python", "sql", "rust", "go", "js", "infra", "api", "db", "ci", "docs",
         "auth", "perf", "tests", "build", "deps", "ui", "cli", "net", "ops", "sec")]
EVENT_TYPES = ["test_failure", "build_error", "deploy", "review:finding", "migration", "incident", "refactor",
               "dependency_upgrade", "flaky_test", "performance", "security", "tooling"]

LOAD = """
INSERT INTO coord_private.memories (agent, event_type, summary, summary_digest, recurrence, details, outcome, lessons,
                                    tags, seen_count, seen_by, created_at, last_seen_at, event_id, last_event_id)
SELECT x.agent, x.event_type, x.summary, coord_private.memory_summary_digest(x.summary), 1,
       jsonb_build_object('n', x.g), CASE WHEN x.g %% 3 = 0 THEN 'fixed' END, x.lessons, x.tags,
       CASE WHEN x.g %% 10 = 0 THEN 2 + x.g %% 7 ELSE 1 END, ARRAY[x.agent], x.created,
       CASE WHEN x.g %% 10 = 0 THEN least(now(), x.created + random() * interval '7 days') ELSE x.created END, 0, 0
  FROM (SELECT g, (%(agents)s::text[])[1 + g %% 50] AS agent,
               (%(types)s::text[])[1 + floor(power(random(), 2) * 12)::int] AS event_type,
               array_to_string(ARRAY(SELECT (%(words)s::text[])[1 + floor(power(random(), 2) * 2000)::int]
                                       FROM generate_series(1, 6 + (g * 7) %% 9)), ' ') || ' #' || g AS summary,
               ARRAY(SELECT array_to_string(ARRAY(SELECT (%(words)s::text[])[1 + floor(power(random(), 2) * 2000)::int]
                                                    FROM generate_series(1, 6 + l * 0 + g * 0)), ' ')
                       FROM generate_series(1, g %% 3) l) AS lessons,
               ARRAY(SELECT DISTINCT (%(tags)s::text[])[1 + floor(power(random(), 2) * 60)::int]
                       FROM generate_series(1, 1 + g %% 3 + g * 0)) AS tags,
               now() - interval '90 days' * (1 - g::float8 / %(n)s) AS created
          FROM generate_series(1, %(n)s) g) x
"""


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(name: str, samples: list[float], rows: list[int]) -> dict:
    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
    print(f"{name:<16} n={len(samples):<4} rows/call {statistics.fmean(rows):5.1f}  p50 {p50:6.2f} ms  "
          f"p99 {p99:6.2f} ms  max {max(samples):6.2f} ms  p99/{TARGET_MS:.0f} ms {p99 / TARGET_MS:5.2f}")
    return {"n": len(samples), "p50_ms": p50, "p99_ms": p99, "max_ms": max(samples),
            "mean_ms": statistics.fmean(samples), "rows_per_call": statistics.fmean(rows),
            "p99_over_target": p99 / TARGET_MS}


def skewed(rng: random.Random, items: list[str]) -> str:
    """An item drawn as the load draws them (index = floor(u^2 * n))."""
    return items[min(len(items) - 1, int(rng.random() ** 2 * len(items)))]


def workloads(words: list[str]) -> dict[str, list[tuple]]:
    """Per workload, N + WARMUP argument tuples (tags, event_type, text), seeded."""
    rng = random.Random(SEED + 1)

    def text() -> str:
        return " ".join(skewed(rng, words) for _ in range(rng.randint(1, 2)))

    def hostile() -> str:
        noise = ['"', "'", "-", " or ", " OR ", "&", "|", "!", "<->", ":*", "(", ")", "\\",
                 "«", "»", "\u200b", "é", "🙂"]
        parts = [rng.choice(noise) for _ in range(rng.randint(3, 12))]
        parts.insert(rng.randrange(len(parts) + 1), text())
        return "".join(parts)

    k = N + WARMUP
    return {
        "text": [(None, None, text()) for _ in range(k)],
        "tags": [([skewed(rng, TAGS)], None, None) for _ in range(k)],
        "text + tags": [([skewed(rng, TAGS)], None, text()) for _ in range(k)],
        "text + type": [(None, skewed(rng, EVENT_TYPES), text()) for _ in range(k)],
        "newest": [(None, None, None) for _ in range(k)],
        "hostile text": [(None, None, hostile()) for _ in range(k)],
        "broad word": [(None, None, words[rng.randrange(5)]) for _ in range(k)],
    }


def main() -> int:
    cluster = default_cluster()
    if not os.environ.get("PGCOORD_BENCH_DSN") and not cluster.running():
        print("bench.memory: start the embedded database first (`make bench` does)", file=sys.stderr)
        return 1
    admin_dsn = os.environ.get("PGCOORD_BENCH_DSN") or cluster.dsn("postgres")
    name = f"pgcoord_benchmem_{uuid.uuid4().hex[:8]}"
    prefix = f"benchmem_{uuid.uuid4().hex[:6]}"
    roles = [f"{prefix}_{i:02d}" for i in range(AGENTS)]
    with psycopg.connect(admin_dsn, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = with_dbname(admin_dsn, name)
    try:
        migrations.deploy(dsn)
        words = vocabulary()
        with psycopg.connect(dsn, autocommit=True) as su:
            for role in roles:
                su.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE coord_agent").format(sql.Identifier(role)))
                su.execute("SELECT coord.register_agent(%s, 'implementer')", (role,))
            t0 = time.perf_counter()
            su.execute("SELECT setseed(0.2026)")
            su.execute(LOAD, {"agents": roles, "types": EVENT_TYPES, "words": words, "tags": TAGS, "n": MEMORIES})
            su.execute("VACUUM (ANALYZE) coord_private.memories")   # as autovacuum would after the load
            loaded = time.perf_counter() - t0
            n, size = su.execute("SELECT count(*), pg_total_relation_size('coord_private.memories') "
                                 "FROM coord_private.memories").fetchone()
            top = su.execute("""SELECT w, (SELECT count(*) FROM coord_private.memories m
                                            WHERE m.search @@ websearch_to_tsquery('english', w)) AS n
                                  FROM unnest(%s::text[]) w""", (words[:5],)).fetchall()
        print(f"coord.recall: target p99 <= {TARGET_MS:.0f} ms; {os.cpu_count()} cores; {n} memories of "
              f"{AGENTS} agents loaded in {loaded:.1f} s ({size / 2**20:.0f} MiB with indexes); "
              "the 5 commonest words match " + ", ".join(f"{w} {c}" for w, c in top))
        return run(dsn.replace("postgres@", f"{roles[0]}@", 1), words, {"memories": n, "agents": AGENTS,
                                                                        "load_seconds": loaded, "bytes": size})
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            for role in roles:
                c.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def run(agent_dsn: str, words: list[str], corpus: dict) -> int:
    results: dict = {"target_ms": TARGET_MS, "corpus": corpus, "recall": {}}
    query = "SELECT * FROM coord.recall(%s, %s, %s, 10)"
    with psycopg.connect(agent_dsn, autocommit=True) as conn:
        for label, calls in workloads(words).items():
            samples: list[float] = []
            rows: list[int] = []
            for i, args in enumerate(calls):
                t0 = time.perf_counter()
                got = conn.execute(query, args, prepare=True).fetchall()
                elapsed = (time.perf_counter() - t0) * 1000
                if i >= WARMUP:
                    samples.append(elapsed)
                    rows.append(len(got))
            results["recall"][label] = summary(label, samples, rows)
    budget.save("memory", results)
    typical = [v for k, v in results["recall"].items() if k != "broad word"]
    worst = max(r["p99_over_target"] for r in typical)
    broad = results["recall"]["broad word"]["p99_over_target"]
    print(f"target: recall p99/10 ms {worst:.2f} over the drawn queries -> {'met' if worst <= 1 else 'NOT met'}; "
          f"broad word p99/10 ms {broad:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
