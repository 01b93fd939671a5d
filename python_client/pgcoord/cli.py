"""The `pgcoord` command's entry point; the commands are pgcoord.commands (one module per area)."""
from __future__ import annotations

import typer

from .commands import PASSTHROUGH, app, main
from .commands.common import DEFAULT_DB

__all__ = ["DEFAULT_DB", "app", "main"]


@app.command(context_settings=PASSTHROUGH)
def mcp(ctx: typer.Context) -> None:
    """The MCP server of one agent over stdio: --dsn, --toolsets, --read-only, --list-tools (docs/mcp.md)."""
    from .mcp_server import main as serve
    raise typer.Exit(serve(list(ctx.args), dsn=ctx.find_root().obj.dsn))


if __name__ == "__main__":
    raise SystemExit(main())
