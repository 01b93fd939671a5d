"""`pgcoord mcp`: an MCP server (stdio) for one coding agent, on the official MCP Python SDK.

The agent's MCP client (Claude Code, Codex, any other) starts ``pgcoord mcp --dsn
<the agent's own connection string>``; the server speaks for that login role only.
Its tools, in toolsets (context, leases, tasks, checks), each call the typed client
:class:`pgcoord.AsyncClient` once: every rule is the database's. See docs/mcp.md.
"""
from .server import EXIT_NOT_AGENT, EXIT_UNREACHABLE, EXIT_USAGE, build_server, compact_schema, main, parse_toolsets
from .tools import DEFAULT_TOOLSETS, TOOLSETS

__all__ = ["main", "build_server", "parse_toolsets", "compact_schema", "TOOLSETS", "DEFAULT_TOOLSETS",
           "EXIT_UNREACHABLE", "EXIT_USAGE", "EXIT_NOT_AGENT"]
