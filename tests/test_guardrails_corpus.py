"""Guardrail quality and pattern safety, measured through the database.

* The corpus (tests/guardrail_corpus/, see its README for where the line between
  destructive and benign is drawn) is evaluated entry by entry with
  coord.check_guardrails, called by a real implementer agent (trust 2), so the scan,
  the normalisation, the policy engine's rule and the audit trail are all exercised.
  Both rates are printed; >= 99% of the destructive entries must be blocked and
  >= 99% of the benign ones must pass (a warn is a pass; only a block blocks). The
  held-out files were written after the baseline patterns were frozen: their rates
  are printed separately.
* Every entry is also evaluated the way coord.submit_task scans it (description plus
  the JSON input, as jsonb::text): the JSON-escaped form must give the same verdicts.
* Pattern safety: every baseline pattern is timed on hostile inputs of 1 MiB under a
  2 s statement_timeout (a benchmark-style print of the worst time; the assertion is
  only that nothing errors or times out), the whole scan likewise, and each baseline
  pattern passes the same validator an admin's pattern must pass, timing included.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "guardrail_corpus"
TRUST_IMPLEMENTER = 2


def load(name: str) -> list[tuple[str, list[str], str]]:
    """(text, paths, the line as written) for every entry of a corpus file."""
    entries = []
    for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("paths: "):
            entries.append(("", line[len("paths: "):].split(), line))
        else:
            entries.append((line.replace("⏎", "\n").replace("⇥", "\t"), [], line))
    return entries


def blocks(matches: list[dict], trust: int = TRUST_IMPLEMENTER) -> bool:
    """The native engine's guardrail rule (sql/deploy/policy.sql)."""
    return any(m["severity"] == "block" and (m["always"] or trust < m["exempt_trust"]) for m in matches)


@pytest.fixture(scope="module")
def implementer(module_db):
    return module_db.agent("implementer")


def rate(module_db, agent, entries, want_blocked: bool) -> tuple[float, list[tuple[str, list[str]]]]:
    role, client = agent
    before = module_db.scalar("SELECT count(*) FROM coord_private.audit_events WHERE actor = %s", role)
    wrong = []
    for text, paths, raw in entries:
        row = client.rows("check_guardrails", text, paths)[0]
        assert row["blocked"] == (not row["ok"]), "enforce mode: blocked means refused"
        assert row["blocked"] == blocks(row["guardrails"]), "the engine decided by the documented rule"
        if row["blocked"] != want_blocked:
            wrong.append((raw, [m["name"] for m in row["guardrails"]]))
    after = module_db.scalar("SELECT count(*) FROM coord_private.audit_events WHERE actor = %s", role)
    assert after - before == len(entries), "INV-AUDIT-COMPLETE: one audit event per check"
    return 1 - len(wrong) / len(entries), wrong


def report(label: str, entries, r: float, wrong) -> None:
    print(f"\n{label}: {len(entries) - len(wrong)}/{len(entries)} = {r:.2%}")
    for raw, names in wrong:
        print(f"    wrong: {raw!r} -> {names}")


def test_corpus_sizes():
    dev_d, dev_b = load("destructive.txt"), load("benign.txt")
    held_d, held_b = load("heldout_destructive.txt"), load("heldout_benign.txt")
    assert len(dev_d) + len(held_d) >= 200 and len(dev_b) + len(held_b) >= 200
    assert len(dev_d) >= 200 and len(dev_b) >= 200, "the development sets alone hold 200 entries each"
    assert held_d and held_b
    texts = [t for t, _, _ in dev_d + dev_b + held_d + held_b if t]
    assert len(texts) == len(set(texts)), "no entry is counted twice"


def test_guardrail_quality_through_check_guardrails(module_db, implementer):
    dev_d, dev_b = load("destructive.txt"), load("benign.txt")
    held_d, held_b = load("heldout_destructive.txt"), load("heldout_benign.txt")

    r_dd, w_dd = rate(module_db, implementer, dev_d, True)
    r_db, w_db = rate(module_db, implementer, dev_b, False)
    r_hd, w_hd = rate(module_db, implementer, held_d, True)
    r_hb, w_hb = rate(module_db, implementer, held_b, False)
    report("destructive blocked (development)", dev_d, r_dd, w_dd)
    report("benign passed (development)", dev_b, r_db, w_db)
    report("destructive blocked (held out)", held_d, r_hd, w_hd)
    report("benign passed (held out)", held_b, r_hb, w_hb)
    all_d = 1 - (len(w_dd) + len(w_hd)) / (len(dev_d) + len(held_d))
    all_b = 1 - (len(w_db) + len(w_hb)) / (len(dev_b) + len(held_b))
    print(f"\nall: destructive blocked {all_d:.2%} of {len(dev_d) + len(held_d)}, "
          f"benign passed {all_b:.2%} of {len(dev_b) + len(held_b)}")

    assert r_dd >= 0.99 and r_db >= 0.99, "development corpus: >= 99% blocked and >= 99% passed"
    assert all_d >= 0.99 and all_b >= 0.99, "whole corpus: >= 99% blocked and >= 99% passed"

    role = implementer[0]
    hits = module_db.scalar(
        "SELECT count(DISTINCT h.event_id) FROM coord_private.guardrail_hits h "
        "JOIN coord_private.audit_events e ON e.event_id = h.event_id "
        "WHERE e.actor = %s AND h.severity = 'block'", role)
    assert hits >= len(dev_d) + len(held_d) - len(w_dd) - len(w_hd), "every block match is persisted with its event"


def test_submit_task_form_gives_the_same_verdicts(module_db):
    """coord.submit_task scans description || ' ' || input::text: JSON escaping must not hide anything."""
    su = module_db.su
    wrong = []
    entries = [(e, True) for e in load("destructive.txt") + load("heldout_destructive.txt") if e[0]] + \
              [(e, False) for e in load("benign.txt") + load("heldout_benign.txt") if e[0]]
    for (text, _, raw), want in entries:
        as_json = su.execute("SELECT %s::jsonb::text AS t", (json.dumps({"command": text, "cwd": "/repo"}),)).fetchone()["t"]
        matches = su.execute("SELECT coord_private.guardrail_matches(%s) AS m",
                             ("run the step in input " + as_json,)).fetchone()["m"]
        if blocks(matches) != want:
            wrong.append((raw, want))
    r = 1 - len(wrong) / len(entries)
    print(f"\nsubmit_task form (JSON input): {len(entries) - len(wrong)}/{len(entries)} = {r:.2%} right")
    for raw, want in wrong:
        print(f"    wrong ({'destructive' if want else 'benign'}): {raw!r}")
    assert r >= 0.99


# The prefiltered text patterns that match a normalised text, and whether the prefilter lets them through.
PREFILTER_CHECK = """
    SELECT g.name, pg_catalog.lower(%(t)s) LIKE ANY (g.prefilter) AS passes
      FROM coord_private.guardrail_patterns g
     WHERE g.applies_to IN ('text', 'both') AND g.prefilter IS NOT NULL AND %(t)s ~* g.regex"""


def test_prefilter_never_hides_a_match(module_db):
    """Every baseline text pattern carries a prefilter (keywords one of which every match
    contains); on every corpus entry, as written, in upper case and inside submit_task's
    JSON input, a pattern that matches the normalised text also passes its prefilter,
    so the scan never skips a match."""
    su = module_db.su
    missing = su.execute("SELECT name FROM coord_private.guardrail_patterns WHERE applies_to IN ('text', 'both') "
                         "AND created_by = 'pgcoord baseline' AND prefilter IS NULL").fetchall()
    assert missing == [], f"baseline text patterns without a prefilter: {missing}"
    entries = [t for name in ("destructive.txt", "benign.txt", "heldout_destructive.txt", "heldout_benign.txt")
               for t, _, _ in load(name) if t]
    leaks, matched = [], 0
    for text in entries:
        for spelling in (text, text.upper(), None):
            if spelling is None:   # the submit_task form: description, blank, the JSON input as jsonb::text
                spelling = su.execute("SELECT 'run the step in input ' || %s::jsonb::text AS t",
                                      (json.dumps({"command": text, "cwd": "/repo"}),)).fetchone()["t"]
            t = su.execute("SELECT coord_private.guardrail_normalize(%s) AS t", (spelling,)).fetchone()["t"]
            rows = su.execute(PREFILTER_CHECK, {"t": t}).fetchall()
            matched += len(rows)
            leaks += [(r["name"], spelling) for r in rows if not r["passes"]]
    print(f"\nprefilter: {matched} (pattern, entry) matches over {len(entries)} entries x 3 spellings, "
          f"{len(leaks)} of them hidden by a prefilter")
    assert matched >= 300, "not vacuous: the corpus makes the prefiltered patterns match"
    assert leaks == [], f"a prefilter hides matches: {leaks[:10]}"


def test_prefilter_skips_the_regexes_and_changes_no_result(module_db):
    """A text without any keyword evaluates no baseline regex, and every scan result is
    the same as without prefilters."""
    su = module_db.su
    texts = ["", '{"n": 1}', '{"done": true}', "add a unit test for the parser", "rm -rf /",
             "git push -f origin main", "DROP TABLE users;", "cat ~/.ssh/id_rsa"]
    scan = "SELECT coord_private.guardrail_matches(%s) AS m"
    with_prefilter = [su.execute(scan, (t,)).fetchone()["m"] for t in texts]
    su.execute("BEGIN")
    try:
        su.execute("UPDATE coord_private.guardrail_patterns SET prefilter = NULL")
        without = [su.execute(scan, (t,)).fetchone()["m"] for t in texts]
    finally:
        su.execute("ROLLBACK")
    assert with_prefilter == without
    assert sum(1 for m in without if m) >= 4, "not vacuous: some of these texts match"
    skipped = su.execute("""SELECT count(*) AS n FROM coord_private.guardrail_patterns g
                             WHERE g.applies_to IN ('text', 'both')
                               AND NOT pg_catalog.lower('{"n": 1}') LIKE ANY (g.prefilter)""").fetchone()["n"]
    total = su.execute("SELECT count(*) AS n FROM coord_private.guardrail_patterns "
                       "WHERE applies_to IN ('text', 'both')").fetchone()["n"]
    print(f"\nprefilter: on a small JSON input {skipped} of {total} text patterns skip their regex")
    assert skipped == total


HOSTILE = {
    "1 MiB of a": "a" * 1048576,
    "1 MiB of blanks": " " * 1048576,
    "a-blank runs": "a " * 524288,
    "tabs and newlines": "\t \n" * 349525,
    "nested parentheses": "((" * 262144 + "a" * 524288,
    "nested repeats": ("a" * 30 + "b") * 33825,
    "dashes": "-" * 1048576,
    "slash tokens": "/ " * 524288,
    "rm -rf repeated": "rm -rf " * 149796,
    "git push -f repeated": "git push -f origin " * 55188,
    "delete from repeated": "delete from t " * 74898,
    "curl pipe repeated": "curl x | " * 116508,
    "quotes and backslashes": "\"'\\" * 349525,
    "json arrays": '"a", ' * 209715,
}


def test_patterns_on_hostile_input_are_bounded(module_db):
    su = module_db.su
    patterns = su.execute("SELECT name, regex FROM coord_private.guardrail_patterns ORDER BY name").fetchall()
    assert len(patterns) >= 15
    assert len(patterns) <= 28, "the baseline stays well inside PostgreSQL's cache of 32 compiled regexes"
    times = []
    su.execute("SET statement_timeout = '2s'")
    try:
        for label, text in HOSTILE.items():
            for p in patterns:
                t0 = time.perf_counter()
                su.execute("SELECT %s ~* %s", (text, p["regex"]))   # an error or a timeout fails the test
                times.append((time.perf_counter() - t0, p["name"], label))
        scans = []
        su.execute("SET statement_timeout = '10s'")
        for label, text in HOSTILE.items():
            t0 = time.perf_counter()
            su.execute("SELECT coord_private.guardrail_matches(%s, %s)", (text, ["a/b"]))
            scans.append((time.perf_counter() - t0, label))
    finally:
        su.execute("RESET statement_timeout")
    times.sort(reverse=True)
    scans.sort(reverse=True)
    print(f"\nhostile inputs of 1 MiB, {len(patterns)} patterns x {len(HOSTILE)} inputs:")
    for t, name, label in times[:5]:
        print(f"    {t * 1000:8.1f} ms  {name} on {label}")
    print(f"worst single pattern: {times[0][0] * 1000:.1f} ms ({times[0][1]} on {times[0][2]})")
    print(f"worst whole scan (normalisation + every pattern): {scans[0][0] * 1000:.1f} ms on {scans[0][1]}")


def test_baseline_patterns_pass_the_admin_validator(module_db):
    rows = module_db.su.execute(
        "SELECT name, coord_private.guardrail_regex_problem(regex, true) AS problem "
        "FROM coord_private.guardrail_patterns ORDER BY name").fetchall()
    assert [r for r in rows if r["problem"] is not None] == []


@pytest.mark.parametrize("regex, why", [
    ("(a", "does not compile"),
    ("(a)\\1", "back-reference"),
    ("a{1,200}", "bounds are at most 100"),
    ("a{101}", "bounds are at most 100"),
    ("(?:a{1,50}){1,50}", "nested"),
    ("x(?=[^;]*y)", "inside a lookaround"),
    ("x(?![^;]+y)", "inside a lookaround"),
    ("x(?<=a{2,})", "inside a lookaround"),
    ("a*", "empty string"),
    ("x" * 1001, "at most 1000"),
])
def test_validator_refuses_unsafe_patterns(module_db, regex, why):
    problem = module_db.scalar("SELECT coord_private.guardrail_regex_problem(%s, true)", regex)
    assert problem is not None and why in problem


def test_admin_adds_validated_pattern_and_agents_cannot(module_db):
    admin = module_db.admin()
    row = admin.rows("add_guardrail_pattern", "t_corpus_fixture", "custom", r"\mfrobnicate\s+--all\M", "warn")[0]
    assert row["ok"] and row["reason"] == "allowed" and not row["replaced"]
    _, agent = module_db.agent("implementer")
    check = agent.rows("check_guardrails", "please frobnicate --all now", [])[0]
    assert check["ok"] and [m["name"] for m in check["guardrails"]] == ["t_corpus_fixture"]
    from pgcoord import errors
    with pytest.raises(errors.InvalidPattern):
        admin.rows("add_guardrail_pattern", "t_corpus_bad", "custom", "x(?=.*y)", "block")
    with pytest.raises(errors.PermissionDenied):
        agent.rows("add_guardrail_pattern", "t_corpus_agent", "custom", "x", "block")
    assert admin.rows("remove_guardrail_pattern", "t_corpus_fixture", "corpus test fixture")[0]["ok"]
    assert module_db.scalar("SELECT count(*) FROM coord_private.guardrail_patterns WHERE name LIKE 't_corpus%'") == 0
