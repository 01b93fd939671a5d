"""The `pgcoord` command's entry point; the commands are pgcoord.commands (one module per area)."""
from __future__ import annotations

from .commands import app, main
from .commands.common import DEFAULT_DB

__all__ = ["DEFAULT_DB", "app", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
