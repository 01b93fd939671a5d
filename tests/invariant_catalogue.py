"""The invariant catalogue, docs/invariants.md, read as data (one row per ID)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = REPO / "docs" / "invariants.md"
COLUMNS = ("id", "statement", "enforced_in", "pgtap", "pytest", "tla", "status")


@dataclass(frozen=True)
class Invariant:
    id: str
    statement: str
    enforced_in: tuple[str, ...]
    pgtap: tuple[str, ...]
    pytest: tuple[str, ...]
    tla: str | None
    status: str

    @property
    def proven(self) -> bool:
        return self.status == "proven"


def _names(cell: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in cell.split(",") if n.strip())


def invariants() -> list[Invariant]:
    rows = []
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        if not re.match(r"^\|\s*INV-[A-Z0-9-]+\s*\|", line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == len(COLUMNS), f"docs/invariants.md: {len(cells)} columns in {line!r}"
        d = dict(zip(COLUMNS, cells, strict=True))
        rows.append(Invariant(d["id"], d["statement"], _names(d["enforced_in"]), _names(d["pgtap"]),
                              _names(d["pytest"]), None if d["tla"] in ("", "—") else d["tla"], d["status"]))
    return rows
