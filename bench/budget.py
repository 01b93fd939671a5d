"""`make bench`, last part: the server-instruction budget that 0.8x the floor leaves.

`python -m bench` measures operations per second (floor, bare lower bound,
pgcoord); `bench/instructions.py` counts the server instructions of the same
workloads. Both save their figures in bench/results/ (not committed). Here the
two meet: for each commit setting, at one connection, an operation's wall time is
fitted as fixed + k * instructions through the floor and pgcoord (the fixed part is
the client, the round trips and the commit flush, the same on both sides). Then:

  * the instruction budget for 0.8x the floor: (1.25 * floor time - fixed) / k;
  * the bare lower bound's ratio as the fit predicts it, beside the measured one
    (how well the straight line holds);
  * whether the bare statements alone, which leave out part of the required work,
    reach the target as measured (when they do not, no implementation through SQL
    meets it), and otherwise how much room the fit leaves for the work they leave
    out. See bench/floors.py and the README's Performance section.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 0.8


def save(name: str, figures: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=1, sort_keys=True))


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def fit(floor_ops: float, full_ops: float, floor_instr: float, full_instr: float) -> tuple[float, float]:
    """(fixed µs, µs per instruction) of the line through the floor and pgcoord."""
    t_floor, t_full = 1e6 / floor_ops, 1e6 / full_ops
    per_instruction = (t_full - t_floor) / (full_instr - floor_instr)
    return t_floor - per_instruction * floor_instr, per_instruction


def main() -> int:
    wall, instructions = load("wall"), load("instructions")
    if not wall or not instructions:
        missing = [n for n, v in (("wall", wall), ("instructions", instructions)) if not v]
        print(f"budget: skipped, no {' and no '.join(missing)} figures in {RESULTS} (run `make bench`)")
        return 0
    print(f"-- instruction budget of the >= {TARGET} target (1 conn; wall time fitted as fixed + k * instructions)")
    for sync, kinds in sorted(wall.items()):
        for kind, by_clients in sorted(kinds.items()):
            ops = by_clients["1"]
            floor_i = instructions[f"{kind} floor"]
            full_i = instructions[f"{kind}, native"]
            bare_i = instructions[f"{kind} bare lower bound"]
            fixed, k = fit(ops["floor"], ops["full"], floor_i, full_i)
            budget = (1e6 / (TARGET * ops["floor"]) - fixed) / k
            predicted = (1e6 / ops["floor"]) / (fixed + k * bare_i)
            measured = ops["bare"] / ops["floor"]
            # The measured ratio decides; the fit says how much room the work the bare
            # statements leave out would have.
            if measured < TARGET:
                verdict = "even the bare statements fall short: out of reach through SQL"
            else:
                verdict = (f"the bare statements reach it as measured; the fit leaves "
                           f"{max(budget - bare_i, 0):,.0f} instructions for all the work they leave out")
            print(f"{kind}, synchronous_commit={sync}: fixed {fixed:.0f} µs + {k * 1000:.3f} µs per 1k instructions; "
                  f"{TARGET}x the floor leaves {budget:,.0f} instructions per operation (pgcoord {full_i:,.0f}, "
                  f"bare lower bound {bare_i:,.0f}); bare ratio predicted {predicted:.2f}, measured "
                  f"{measured:.2f}; {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
