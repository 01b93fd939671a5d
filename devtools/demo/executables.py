"""How the demo runs `pgcoord`: the console script next to this interpreter (what an
operator or an agent's settings name), else ``python -m pgcoord.cli`` (the same program)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def pgcoord() -> list[str]:
    """The argv prefix of the `pgcoord` command."""
    script = Path(sys.executable).parent / "pgcoord"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "pgcoord.cli"]


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without PGCOORD_* (each process gets only its own
    settings: an agent its DSN, never the operator's), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGCOORD_")}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env
