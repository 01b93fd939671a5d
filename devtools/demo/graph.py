"""The demo's task graph: a small API change, shaped like work on a repository.

    design the API ──> implement /users  ──> integrate ──> release
                  └──> implement /orders ──┘

Each task names the files its worker leases (``input.files``); both implementations
register their routes in the same file, src/api/routes.py, which is where two agents
meet. The lead agent submits the graph (``submit_task`` with ``depends_on``); a task
becomes claimable when its dependencies are complete (NOTIFY pgcoord_tasks).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    key: str
    task_type: str
    description: str
    files: tuple[str, ...]
    depends: tuple[str, ...] = ()
    priority: int = 0


GRAPH: tuple[Step, ...] = (
    Step("design", "design", "design the API", ("src/api/schema.py",)),
    Step("users", "implement", "implement /users", ("src/api/users.py", "src/api/routes.py"), ("design",),
         priority=2),
    Step("orders", "implement", "implement /orders", ("src/api/orders.py", "src/api/routes.py"), ("design",),
         priority=1),
    Step("integrate", "integrate", "integrate the API", ("src/api/",), ("users", "orders")),
    Step("release", "release", "release v0.2.0", ("pyproject.toml", "CHANGELOG.md"), ("integrate",)),
)

STEPS = {s.key: s for s in GRAPH}


def outline(ids: dict[str, int]) -> str:
    """The graph in one line, with the task ids it was given."""
    def t(key: str) -> str:
        return f"#{ids[key]} {STEPS[key].description}"
    return (f"{t('design')} → {t('users')}, {t('orders')} → {t('integrate')} → {t('release')}")
