"""Traceability: every invariant ID of docs/invariants.md resolves — each Sqitch
change, pgTAP file and pytest module it names exists and names the ID, and every
`proven` ID is proven at the database layer (pgTAP) and under real sessions
(pytest); the TLA+ side is checked by tests/test_formal.py. No file may cite an ID
the catalogue does not define."""
from __future__ import annotations

import re

import pytest

from .invariant_catalogue import REPO, invariants

PLANNED = re.compile(r"^planned: issue \d+$")


def _mentions(text: str, inv_id: str) -> bool:
    # pytest names use underscores (test_INV_LOCK_EXCL_...), SQL and docstrings the ID
    return re.search(rf"{re.escape(inv_id)}(?![A-Z-])|{re.escape(inv_id.replace('-', '_'))}(?![A-Z_])", text) is not None


def test_catalogue_is_well_formed():
    rows = invariants()
    ids = [r.id for r in rows]
    assert len(ids) >= 13 and len(ids) == len(set(ids)), ids
    for r in rows:
        assert r.proven or PLANNED.match(r.status), f"{r.id}: status {r.status!r} is neither proven nor planned: issue N"
        if r.proven:
            assert r.enforced_in and r.pgtap and r.pytest, f"{r.id} is proven but names no enforcing change or suite"


@pytest.mark.parametrize("inv", [r for r in invariants() if r.proven], ids=lambda r: r.id)
def test_every_proven_invariant_resolves(inv):
    plan = (REPO / "sqitch.plan").read_text(encoding="utf-8")
    for change in inv.enforced_in:
        assert re.search(rf"^{re.escape(change)}\s", plan, re.M), f"{inv.id}: no Sqitch change {change}"
        assert (REPO / "sql" / "deploy" / f"{change}.sql").is_file(), f"{inv.id}: no sql/deploy/{change}.sql"
    for name in inv.pgtap:
        path = REPO / "pgtap" / f"{name}.sql"
        assert path.is_file(), f"{inv.id}: no {path}"
        assert _mentions(path.read_text(encoding="utf-8"), inv.id), f"{inv.id}: {path.name} never names it"
    for name in inv.pytest:
        path = REPO / "tests" / f"{name}.py"
        assert path.is_file(), f"{inv.id}: no {path}"
        assert _mentions(path.read_text(encoding="utf-8"), inv.id), f"{inv.id}: {path.name} never names it"


def test_no_file_cites_an_unknown_or_planned_id_as_proven():
    known = {r.id for r in invariants()}
    proven = {r.id for r in invariants() if r.proven}
    cited: dict[str, set[str]] = {}
    for pattern in ("pgtap/*.sql", "tests/test_*.py", "sql/deploy/*.sql", "formal/*.tla", "README.md"):
        for path in REPO.glob(pattern):
            for m in re.findall(r"INV-[A-Z0-9]+(?:-[A-Z0-9]+)*", path.read_text(encoding="utf-8")):
                cited.setdefault(m, set()).add(str(path.relative_to(REPO)))
    unknown = {i: sorted(f) for i, f in cited.items() if i not in known}
    assert not unknown, f"IDs cited but not in docs/invariants.md: {unknown}"
    tests_citing_planned = {i: sorted(f for f in files if f.startswith(("pgtap/", "tests/")))
                            for i, files in cited.items() if i in known - proven}
    assert not any(tests_citing_planned.values()), \
        f"tests cite planned IDs (mark them proven in docs/invariants.md): {tests_citing_planned}"


def test_sql_functions_cite_model_actions_or_invariants():
    """Each coord mutation function's comment names the model action or invariant it implements."""
    deploy = "\n".join(p.read_text() for p in sorted([*REPO.glob("sql/deploy/*.sql"), *REPO.glob("sql/parts/**/*.sql")]))
    comments = re.findall(r"COMMENT ON FUNCTION coord\.(acquire_lock|renew_lock|release_lock|claim_task|"
                          r"renew_claim|complete_task|fail_task|cancel_task|submit_task)\(.*?IS\s*'(.*?)';",
                          deploy, re.S)
    assert len(comments) >= 9
    for name, text in comments:
        assert re.search(r"TLA\+ \w+|INV-[A-Z-]+", text), f"coord.{name}'s comment cites no action or invariant"
