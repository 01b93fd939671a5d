"""Traces recorded in the audit trail during real concurrent runs are transitions
the TLA+ model allows (formal/Coordination.tla; replay in tests/trace_validation.py).
Invariants checked on the trace: INV-LOCK-EXCL, INV-LOCK-FENCE, INV-CLAIM-UNIQ,
INV-COMPLETE-OWNER, INV-DEPS."""
from __future__ import annotations

import copy
import random

import pytest

from .helpers import run_parallel
from .trace_validation import fetch_deps, fetch_overlaps, fetch_trace, validate, validate_database

PATHS = ["src/", "src/api/", "src/api/x.py", "src/api/y.py", "src/**/*.py", "src/*.py", "docs/a.md", "docs/"]


@pytest.fixture
def recorded(db):
    """A concurrent mixed run of 16 agents over overlapping leases and a task DAG."""
    profile = db.roomy_profile("tracer")
    agents = [db.agent(profile) for _ in range(16)]
    _, submitter = agents[0]
    ids: list[int] = []
    for i in range(60):
        deps = random.Random(i).sample(ids, k=min(len(ids), i % 3)) if ids else []
        ids.append(submitter.submit_task("trace", f"t{i}", {}, i % 5, deps)["task_id"])

    def work(seed: int, client) -> None:
        rng = random.Random(seed)
        for _ in range(60):
            r = rng.random()
            if r < 0.45:
                p = rng.choice(PATHS)
                g = client.acquire_lock(p, rng.choice([1, 2, 30]), rng.choice(["exclusive", "exclusive", "shared"]),
                                        raise_on_refusal=False)
                if g["ok"] and rng.random() < 0.7:
                    client.release_lock(g["path"], raise_on_refusal=False)
            else:
                c = client.claim_task(None, rng.choice([1, 30]), raise_on_refusal=False)
                if c["ok"]:
                    if rng.random() < 0.8:
                        client.complete_task(c["task_id"], c["claim_token"], {}, raise_on_refusal=False)
                    else:
                        client.fail_task(c["task_id"], c["claim_token"], "x", rng.random() < 0.5,
                                         raise_on_refusal=False)

    for round_ in range(3):
        run_parallel([lambda s=round_ * 100 + i, c=c: work(s, c) for i, (_, c) in enumerate(agents)])
        db.advance_clock(3)    # leases of 1-2 s expire: reclaims and re-grants follow
    return db


def test_recorded_concurrent_trace_is_a_behaviour_of_the_model(recorded):
    steps, violations = validate_database(recorded.su)
    assert steps >= 500, f"the run recorded only {steps} steps"
    assert violations == [], "\n".join(violations[:10])


def test_trace_validation_rejects_impossible_steps(recorded):
    """Non-vacuity: each kind of forged step is reported."""
    su = recorded.su
    trace = fetch_trace(su)
    overlaps = fetch_overlaps(su, {e["resource"] for e in trace if e["operation"].endswith("lock")})
    deps = fetch_deps(su)
    assert validate(trace, overlaps, deps) == []

    # a second agent granted the same exclusive lock at the same instant
    i = next(k for k, e in enumerate(trace) if e["operation"] == "acquire_lock" and e["context"]["mode"] == "exclusive")
    forged = copy.deepcopy(trace[i])
    forged["actor"] = "intruder"
    forged["context"]["token"] = max(e["context"].get("token") or 0 for e in trace) + 1
    assert any("INV-LOCK-EXCL" in v for v in validate(trace[:i + 1] + [forged], overlaps, deps))

    # a completion with the token of an earlier attempt
    j = next(k for k, e in enumerate(trace) if e["operation"] == "complete_task")
    stale = copy.deepcopy(trace)
    stale[j]["context"]["claim_token"] -= 1
    assert any("INV-COMPLETE-OWNER" in v for v in validate(stale, overlaps, deps))

    # a dependent claimed although its dependency's completion is missing
    dependent = next(t for t, ds in deps.items()
                     if any(e["operation"] == "claim_task" and int(e["resource"]) == t for e in trace))
    dropped = [e for e in trace if not (e["operation"] == "complete_task" and int(e["resource"]) in deps[dependent])]
    assert any("INV-DEPS" in v for v in validate(dropped, overlaps, deps))
