"""The code vocabularies have one source, the database's catalog tables
(coord.error_codes, coord.reason_codes); the README's tables and the Python
client's exception map must name every code there, and nothing else."""
from __future__ import annotations

import re

from pgcoord import errors

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
