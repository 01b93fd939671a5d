"""The fast path of coord_private.normalize_path agrees with the full check.

normalize_path answers plain paths (ASCII letters, digits, '_', '-', '.', no '.' or
'..' segment) itself and sends every other path to normalize_path_checked. On
thousands of generated paths, plain and hostile alike (dots, empty segments,
globs, backslashes, control characters, non-ASCII and decomposed Unicode, leading
and trailing slashes, lengths around the maximum), both functions must return the
same spelling or raise the same SQLSTATE (INV-LOCK-EXCL depends on one spelling
per path). Fixed seed.
"""
from __future__ import annotations

import random
import re

from .helpers import SPELL, spell

SEED = 20261122
PLAIN_PIECES = ["a", "b", "src", "x.py", "_", "-", ".", "..", "...", ".git", "Z9", "a.b.c"]
PIECES = PLAIN_PIECES + ["*", "**", "?", "[ab]", "[", "]", "é", "e\u0301", " ", "\\", "\t", "\x01", "~", "%", "ü"]

# the fast path's pattern, to count how many generated paths take it
PLAIN = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$")


def generated_paths(n: int) -> list[str]:
    rnd = random.Random(SEED)
    out = []
    for _ in range(n):
        pieces = PLAIN_PIECES if rnd.random() < 0.5 else PIECES
        segments = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 3))) for _ in range(rnd.randint(1, 5))]
        if rnd.random() < 0.15:
            segments.insert(rnd.randrange(len(segments) + 1), "")          # an empty segment
        path = "/".join(segments)
        path = rnd.choice(["", "", "", "/", "./"]) + path + rnd.choice(["", "", "/", "//"])
        out.append(path)
    # plain paths around the length limit
    out += ["a" * 1024, "a" * 1025, "d/" * 511 + "ab", "d/" * 512, "", "/", ".", "..", "a/./b", "a/../b", "a//b"]
    return out


def test_fast_path_agrees_with_the_full_check(module_db):
    su = module_db.su
    su.execute(SPELL)    # under the case-sensitive rule (the default): slow is normalize_path_checked alone
    assert su.execute("SELECT path_case FROM coord_private.settings").fetchone()["path_case"] == "sensitive"
    paths = generated_paths(4000)
    differ, plain, refused = [], 0, 0
    for p, row in zip(paths, spell(su, paths), strict=True):
        assert row["path"] == p
        if row["fast"] != row["slow"]:
            differ.append((p, row["fast"], row["slow"]))
        plain += bool(PLAIN.match(p)) and row["fast"] == p
        refused += row["fast"].startswith("ERROR")
    print(f"\nnormalize_path: {len(paths)} generated paths, {plain} plain (the fast path), {refused} refused, "
          f"{len(differ)} where the fast path and the full check differ")
    assert plain >= 300 and refused >= 300, "not vacuous: both plain and refused paths were generated"
    assert differ == [], f"fast path and full check differ: {differ[:10]}"
