"""INV-POLICY-EQ and INV-TRUST under concurrent administration: the Cedar engine's kept facts never go stale.

The Cedar engine keeps the facts of (agent, operation) in its session between
transactions and trusts them while the policy generation it read them at is the
current one (sql/deploy/cedar_engine.sql; every recompilation of the compiled
policy draws a new generation, sql/deploy/policy.sql). The hazard is a decision
that uses facts some committed change has made stale. Eight long-lived sessions
decide, each time with both engines in one REPEATABLE READ snapshot, while eight
others change agents' status and profiles (each change held uncommitted for a
moment, to widen every window). The native engine reads the compiled rows of
that very snapshot, so the two must agree on every decision: a Cedar decision
from stale facts is a disagreement. Fixed seed, thousands of decisions.
"""
from __future__ import annotations

import random
import threading
import time

import psycopg
import pytest

from .helpers import cedar_unavailable_reason, run_parallel

pytestmark = pytest.mark.race

SEED = 20261122
N_AGENTS = 12
PROFILES = ["cf_low", "cf_high"]
# agent operations whose minimum trust tells the two profiles apart, and that the
# profiles' blocked lists toggle
OPERATIONS = ["acquire_lock", "claim_task", "force_release_lock", "register_session"]
DECIDERS = 8
DECISIONS = 400
CHANGERS = 8
CHANGES = 60

BOTH = """
    SELECT (coord_private.native_decide(%(a)s, %(op)s, '', '{}')).reason AS native,
           (coord_private.cedar_decide(%(a)s, %(op)s, '', '{}')).reason AS cedar"""


def test_INV_POLICY_EQ_cedar_kept_facts_never_stale_under_concurrent_administration(db):
    reason = cedar_unavailable_reason(db)
    if reason:
        pytest.skip(reason)
    su = db.su
    for i, name in enumerate(PROFILES):
        su.execute("INSERT INTO coord_private.profiles (name, trust_level) VALUES (%s, %s)", (name, 1 + 2 * i))
    agents = [db.agent(PROFILES[i % 2])[0] for i in range(N_AGENTS)]

    lock = threading.Lock()
    changes = [0]
    decisions: list[tuple[str, str, str, str]] = []
    reasons_seen: set[str] = set()

    def decider(seed: int):
        def run() -> None:
            rnd = random.Random(seed)
            # one session for the whole race: its Cedar engine keeps facts across transactions
            with psycopg.connect(db.dsn, autocommit=True) as c:
                for _ in range(DECISIONS):
                    args = {"a": rnd.choice(agents), "op": rnd.choice(OPERATIONS)}
                    with c.transaction():
                        c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                        native, cedar = c.execute(BOTH, args).fetchone()
                    with lock:
                        reasons_seen.add(native)
                        if native != cedar:
                            decisions.append((args["a"], args["op"], native, cedar))
        return run

    def changer(seed: int):
        def run() -> None:
            rnd = random.Random(seed)
            with psycopg.connect(db.dsn, autocommit=True) as c:
                for _ in range(CHANGES):
                    with c.transaction():
                        if rnd.random() < 0.5:
                            c.execute("UPDATE coord_private.agents SET status = %s, profile = %s WHERE role_name = %s",
                                      (rnd.choice(["active", "active", "suspended"]), rnd.choice(PROFILES),
                                       rnd.choice(agents)))
                        else:
                            c.execute("UPDATE coord_private.profiles SET trust_level = %s, blocked_operations = %s "
                                      "WHERE name = %s",
                                      (rnd.randint(0, 4), rnd.sample(OPERATIONS, rnd.randint(0, 2)),
                                       rnd.choice(PROFILES)))
                        # hold the change (and the new generation) uncommitted for a moment
                        time.sleep(rnd.random() * 0.003)
                    with lock:
                        changes[0] += 1
        return run

    workers = [decider(SEED + i) for i in range(DECIDERS)] + [changer(SEED + 100 + i) for i in range(CHANGERS)]
    run_parallel(workers, timeout=300)

    print(f"INV-POLICY-EQ: {DECIDERS * DECISIONS} decisions by each engine beside {changes[0]} concurrent changes; "
          f"reasons seen {sorted(reasons_seen)}; {len(decisions)} disagreements")
    assert changes[0] == CHANGERS * CHANGES
    # the race must have exercised more than one outcome, or it proves nothing about staleness
    assert {"allowed", "agent_suspended"} <= reasons_seen, reasons_seen
    assert len(reasons_seen) >= 3, reasons_seen
    assert not decisions, f"INV-POLICY-EQ: Cedar decided from stale facts, e.g. {decisions[:3]}"
