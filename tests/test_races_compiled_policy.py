"""INV-TRUST under concurrent administration: the compiled policy never goes stale.

The native engine decides from coord_private.agent_operation_policy, compiled by
triggers from agents, profiles and operations (sql/deploy/policy.sql, "compiled policy").
The hazard is two concurrent changes that each recompile with a snapshot missing
the other: a profile edited while an agent is moved onto it. Sixteen sessions
race such changes (each transaction holds its change for a moment before
committing, to widen every window) while a monitor compares the compiled rows
with their source in single snapshots: they must be equal in every snapshot,
and at the end. Fixed seed, thousands of changes.
"""
from __future__ import annotations

import random
import threading
import time

import psycopg
import pytest

from .helpers import background, run_parallel

pytestmark = pytest.mark.race

SEED = 20261122
N_AGENTS = 16
PROFILES = ["race_low", "race_high"]
OPERATIONS = ["race_op_one", "race_op_two", "race_op_three"]
ROUNDS = 150

DRIFT = """
    SELECT count(*) FROM (
        (SELECT * FROM coord_private.agent_operation_policy EXCEPT SELECT * FROM coord_private.agent_operation_policy_source)
        UNION ALL
        (SELECT * FROM coord_private.agent_operation_policy_source EXCEPT SELECT * FROM coord_private.agent_operation_policy)) d"""


def test_INV_TRUST_compiled_policy_never_stale_under_concurrent_administration(db):
    su = db.su
    for i, name in enumerate(PROFILES):
        su.execute("INSERT INTO coord_private.profiles (name, trust_level) VALUES (%s, %s)", (name, 1 + 2 * i))
    for name in OPERATIONS:
        su.execute("INSERT INTO coord_private.operations (name, category, min_trust, description) "
                   "VALUES (%s, 'agent', 2, 'INV-TRUST race operation')", (name,))
    agents = [db.agent(PROFILES[i % 2])[0] for i in range(N_AGENTS)]
    assert db.scalar(DRIFT) == 0

    stop = threading.Event()
    snapshots = [0]
    drifted: list[int] = []
    changes = [0]
    lock = threading.Lock()

    def change(seed: int, kind: str):
        def run() -> None:
            rnd = random.Random(seed)
            with psycopg.connect(db.dsn, autocommit=True) as c:
                for _ in range(ROUNDS):
                    with c.transaction():
                        if kind == "profile":
                            c.execute("UPDATE coord_private.profiles SET trust_level = %s, blocked_operations = %s "
                                      "WHERE name = %s",
                                      (rnd.randint(0, 4), rnd.sample(OPERATIONS, rnd.randint(0, 2)), rnd.choice(PROFILES)))
                        elif kind == "agent":
                            c.execute("UPDATE coord_private.agents SET profile = %s, status = %s WHERE role_name = %s",
                                      (rnd.choice(PROFILES + [None]), rnd.choice(["active", "active", "suspended"]),
                                       rnd.choice(agents)))
                        else:
                            c.execute("UPDATE coord_private.operations SET min_trust = %s WHERE name = %s",
                                      (rnd.randint(0, 4), rnd.choice(OPERATIONS)))
                        # hold the change (and its recompilation) uncommitted for a moment
                        time.sleep(rnd.random() * 0.002)
                    with lock:
                        changes[0] += 1
        return run

    def monitor() -> None:
        with psycopg.connect(db.dsn, autocommit=True) as c:
            while not stop.is_set():
                n = c.execute(DRIFT).fetchone()[0]
                with lock:
                    snapshots[0] += 1
                    if n:
                        drifted.append(n)

    kinds = ["profile"] * 5 + ["agent"] * 8 + ["operation"] * 3
    workers = [change(SEED + i, kind) for i, kind in enumerate(kinds)]
    with background(stop, monitor):
        run_parallel(workers, timeout=300)

    final = db.scalar(DRIFT)
    print(f"INV-TRUST: {changes[0]} concurrent changes, {snapshots[0]} monitor snapshots, "
          f"{len(drifted)} with drift, {final} rows of drift at the end")
    assert changes[0] == len(kinds) * ROUNDS
    assert snapshots[0] > 0
    assert not drifted, f"INV-TRUST: the compiled policy differed from its source in {len(drifted)} snapshots"
    assert final == 0, f"INV-TRUST: {final} compiled rows are stale after the race"
