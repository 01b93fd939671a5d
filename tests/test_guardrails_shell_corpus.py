"""Shell-aware guardrails (issue 16) on the shell corpus, through coord.check_guardrails.

The corpus (tests/guardrail_corpus/shell/, its README draws the line per category)
holds destructive and harmless commands in a tune split and a held-out split fixed
before any tuning (a case is held out iff sha256 of its line is 0 modulo 5; checked
here). Every case is checked by a real implementer agent (trust 2), so the analyser,
the rules, the policy engine and the audit trail are all exercised; a case of a
destructive file is right when it is blocked, a harmless one when it is not (a warn
is not a block).

The test prints the block and pass rates of both splits, per category, and every
miss. The issue's targets are >= 99.5 % both ways; what it asserts today are the
floors below, the rates this engine reached (non-regression), raised as rules
improve: a change that blocks fewer destructive or more harmless commands fails.
"""
from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

SHELL = Path(__file__).parent / "guardrail_corpus" / "shell"
TARGET = 0.995
# Non-regression floors: the rates reached (tune after tuning on it; held-out scored
# once, after tuning ended, and never tuned on). History: docs/guardrails-shell.md.
FLOORS = {
    "tune_destructive.tsv": 0.997,
    "tune_harmless.tsv": 1.0,
    "holdout_destructive.tsv": 0.960,
    "holdout_harmless.tsv": 0.991,
}


def _rates_module():
    spec = importlib.util.spec_from_file_location("shell_corpus_rates", SHELL / "rates.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


rates = _rates_module()


@pytest.fixture(scope="module")
def implementer(module_db):
    return module_db.agent("implementer")


def test_the_split_was_fixed_before_tuning():
    """Every case sits in the split its hash assigns, and no command is in two files."""
    seen: Counter[str] = Counter()
    for name in FLOORS:
        cases, misplaced = rates.load(name)
        assert not misplaced, f"{name}: cases in the wrong split: {misplaced[:3]}"
        assert cases, name
        seen.update(command for _, command in cases)
    assert not [c for c, n in seen.items() if n > 1], "a command appears twice"
    destructive = sum(len(rates.load(n)[0]) for n in FLOORS if "destructive" in n)
    harmless = sum(len(rates.load(n)[0]) for n in FLOORS if "harmless" in n)
    assert destructive >= 600 and harmless >= 600, (destructive, harmless)


def test_shell_guardrails_block_and_pass_rates(module_db, implementer):
    role, client = implementer
    results = {}
    for name in FLOORS:
        want_blocked = "destructive" in name
        cases, _ = rates.load(name)
        wrong, per_category = [], Counter()
        totals = Counter(category for category, _ in cases)
        for category, written in cases:
            row = client.rows("check_guardrails", rates.decode(written), [])[0]
            assert row["blocked"] == (not row["ok"]), "enforce mode: blocked means refused"
            if row["blocked"] != want_blocked:
                wrong.append((category, written, sorted(m["name"] for m in row["guardrails"])))
                per_category[category] += 1
        rate = 1 - len(wrong) / len(cases)
        results[name] = rate
        print(f"\n{name}: {len(cases) - len(wrong)}/{len(cases)} = {rate:.2%} (target {TARGET:.1%}, "
              f"floor {FLOORS[name]:.1%})")
        print("    per category: " + ", ".join(
            f"{c} {totals[c] - per_category[c]}/{totals[c]}" for c in sorted(totals)))
        for category, written, names in wrong:
            print(f"    miss [{category}] {written!r} -> {names}")
    audited = module_db.scalar("SELECT count(*) FROM coord_private.audit_events "
                               "WHERE actor = %s AND operation = 'check_guardrails'", role)
    assert audited == sum(len(rates.load(n)[0]) for n in FLOORS), "INV-AUDIT-COMPLETE: one event per check"
    below = {n: f"{r:.2%} < {FLOORS[n]:.1%}" for n, r in results.items() if r < FLOORS[n]}
    assert not below, f"shell corpus rates fell below their floors: {below}"
