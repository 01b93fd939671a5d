"""`python -m bench.chart`: bench/results/peers.json (written by `python -m bench.peers`) drawn
as bench/peers.png, the chart bench/README.md shows.

Two panels: operations per second per call (lease acquire+release, submit+claim+complete)
for pgcoord and the origin model at 1 and 4 connections; and jobs per second draining a
prefilled queue with one worker for pgcoord (claim_task, claim_tasks(10)), the origin
model, procrastinate and pgqueuer (batch 1 and 10). The figures are those of the last
peers run on this machine; the chart adds nothing to them.
"""
from __future__ import annotations

import sys
from pathlib import Path

from bench import budget

OUT = Path(__file__).resolve().parent / "peers.png"


def main() -> int:
    figures = budget.load("peers")
    if figures is None:
        print("bench.chart: no bench/results/peers.json (run python -m bench.peers first)", file=sys.stderr)
        return 1
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    per_call = figures["per_call"]
    labels = list(per_call)
    xs = range(len(labels))
    left.bar([x - 0.2 for x in xs], [per_call[k]["pgcoord_per_s"] for k in labels], width=0.4, label="pgcoord")
    left.bar([x + 0.2 for x in xs], [per_call[k]["origin_per_s"] for k in labels], width=0.4, label="origin (model)")
    short = {"lease acquire+release": "lease\nacquire+release",
             "submit+claim+complete": "queue\nsubmit+claim\n+complete"}
    ticks = [f"{short.get(k.split(' @')[0], k)}\n{k.split(' @')[1]} conn" for k in labels]
    left.set_xticks(list(xs), ticks, fontsize=8)
    left.set_ylabel("operations / s")
    left.set_title("per call, durable commits")
    left.legend()
    drain = {k: v["jobs_per_s"] for k, v in figures["drain"].items() if isinstance(v, dict)}
    names = list(drain)
    right.barh(names, [drain[n] for n in names],
               color=["tab:blue" if n.startswith("pgcoord") else "tab:gray" for n in names])
    right.invert_yaxis()
    right.set_xlabel("jobs / s")
    right.set_title(f"draining {figures['drain_jobs']} jobs, one worker")
    fig.suptitle(f"pgcoord beside its peers ({figures['cores']} cores, load {figures['load'][0]:.1f}, "
                 f"{figures['rounds']} interleaved rounds, medians)", fontsize=10)
    fig.tight_layout()
    fig.savefig(OUT, dpi=110)
    print(f"bench.chart: wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
