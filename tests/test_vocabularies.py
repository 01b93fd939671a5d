"""The code vocabularies have one source, the database's catalog tables
(coord.error_codes, coord.reason_codes); the README's tables and the Python
client's exception map must name every code there, and nothing else."""
from __future__ import annotations

import re

from pgcoord import errors
from pgcoord.results import Refusal

from .invariant_catalogue import REPO


def _readme_codes(pattern: str) -> set[str]:
    return set(re.findall(pattern, (REPO / "README.md").read_text(encoding="utf-8"), re.M))


def test_INV_BOUNDARY_every_sqlstate_is_documented_and_typed(module_db):
    rows = module_db.su.execute("SELECT sqlstate FROM coord.error_codes").fetchall()
    codes = {r["sqlstate"] for r in rows}
    assert len(codes) >= 15
    assert codes == set(errors.SQLSTATE_EXCEPTIONS), \
        f"errors.py differs from coord.error_codes: {codes ^ set(errors.SQLSTATE_EXCEPTIONS)}"
    readme = _readme_codes(r"^\| (PC\d{3}) \|")
    assert codes == readme, f"README's SQLSTATE table differs from coord.error_codes: {codes ^ readme}"


def test_INV_BOUNDARY_every_reason_code_is_documented(module_db):
    rows = module_db.su.execute("SELECT code FROM coord.reason_codes").fetchall()
    codes = {r["code"] for r in rows}
    readme = _readme_codes(r"^\| `([a-z_]+)` \| (?:allow|deny|refuse) \|")
    assert codes == readme, f"README's reason-code table differs from coord.reason_codes: {codes ^ readme}"


def test_INV_BOUNDARY_every_refusal_reason_code_has_its_exception_class(module_db):
    """Every reason code a call can be refused with (outcome deny or refuse) has its
    Refused subclass, of the family its outcome says: Denied (follows the enforcement
    mode) or RefusedInEveryMode; and errors.py names no code the database lacks."""
    rows = module_db.su.execute("SELECT code, outcome FROM coord.reason_codes").fetchall()
    refusals = {r["code"]: r["outcome"] for r in rows if r["outcome"] in ("deny", "refuse")}
    assert {"not_permitted", "policy_error", "lock_held_by_other"} <= set(refusals)
    missing = set(refusals) - set(errors.REASON_EXCEPTIONS)
    assert not missing, f"reason codes without an exception class in pgcoord/errors.py: {sorted(missing)}"
    extra = set(errors.REASON_EXCEPTIONS) - set(refusals)
    assert not extra, f"pgcoord/errors.py maps codes coord.reason_codes does not refuse with: {sorted(extra)}"
    family = {"deny": errors.Denied, "refuse": errors.RefusedInEveryMode}
    for code, outcome in refusals.items():
        cls = errors.REASON_EXCEPTIONS[code]
        assert cls.reason == code and cls.outcome == outcome and issubclass(cls, family[outcome]), \
            f"{code}: {cls.__name__} is not the {outcome} class of its code"
        raised = errors.refused(Refusal.from_row("some_call", {"ok": False, "reason": code, "event_id": 7}))
        assert type(raised) is cls and raised.reason == code and raised.event_id == 7


def test_INV_BOUNDARY_every_sqlstate_class_carries_its_condition_name(module_db):
    rows = module_db.su.execute("SELECT sqlstate, name FROM coord.error_codes").fetchall()
    for r in rows:
        cls = errors.SQLSTATE_EXCEPTIONS[r["sqlstate"]]
        assert (cls.sqlstate, cls.condition) == (r["sqlstate"], r["name"]), cls.__name__
