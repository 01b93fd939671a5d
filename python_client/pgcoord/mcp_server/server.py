"""`pgcoord mcp`: the MCP server of one agent, over stdio.

    pgcoord mcp --dsn postgresql://agent_a@db/pgcoord [--toolsets leases,tasks] [--read-only]

One server process per agent, connected as that agent's own login role (``--dsn``
or ``$PGCOORD_DSN``): identity is the connection, never a tool argument. At start
it asks the database who it is (``coord.whoami()``) and exits with a clear message
unless the role is a registered agent. Built on the official MCP Python SDK
(``mcp.server.mcpserver.MCPServer``); every tool calls :class:`pgcoord.AsyncClient`.

Exit codes: 0 the client closed the session; 1 the database is unreachable; 2 bad
usage (no DSN, unknown toolset); 3 the role is not a registered agent.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import psycopg
import pydantic_core
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError, UnexpectedToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent
from pydantic import ValidationError

from .. import __version__
from ..async_client import AsyncClient
from . import replies
from .connection import AgentConnection, Unreachable
from .tools import DEFAULT_TOOLSETS, TOOLSETS, Tools, tool_methods

INSTRUCTIONS = (
    "pgcoord coordinates you with the other coding agents on this repository. You act as this server's "
    "database role; every call is checked by the database's policy and recorded in its audit trail. "
    "Lease paths before editing them and release them when done; claim tasks from the queue and complete or "
    "fail them. granted=false or claimed=false is contention: wait or do something else, then retry. An error "
    "starts with its reason code or SQLSTATE and says what to do next; approval_required names an approval_id: "
    "once an approver grants it (approval_status follows it), repeat the identical call."
)

EXIT_UNREACHABLE = 1
EXIT_USAGE = 2
EXIT_NOT_AGENT = 3


class PgcoordTool(Tool):
    """A tool whose errors are pgcoord's: the text starts with the reason code or SQLSTATE
    (the SDK's own wording would start with "Error executing tool")."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        try:
            result = await super().run(arguments, context, convert_result=convert_result)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError) and not isinstance(exc, UnexpectedToolError):
                return replies.invalid_arguments(cause).result()   # the arguments (not our result) failed
            coded = replies.error_for(cause) if cause is not None else None
            if coded is None:
                raise
            return coded.result()
        if isinstance(result, CallToolResult) and result.structured_content is not None:
            # the text the model reads: the structured result as compact JSON (the SDK indents it)
            result.content = [TextContent(type="text", text=pydantic_core.to_json(result.structured_content).decode())]
        return result


# -- compact schemas -----------------------------------------------------------------------------
# tools/list is read by the model on every turn: pydantic's per-property titles and
# anyOf-with-null spellings cost tokens and say nothing. They are dropped from what
# is listed (validation uses the models, not these dicts).

_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not")
# An output schema's reader is the agent's model: every property is always present
# (null when it does not apply), and the tool's description says what it returns.
_OUTPUT_NOISE = frozenset({"default", "description", "format", "required"})


def compact_schema(schema: Any, *, output: bool = False) -> Any:
    """``schema`` without titles or null defaults, with ``anyOf: [X, null]`` as ``type: [x,
    "null"]`` and, in an output schema, without defaults, descriptions, formats and
    ``required`` (every property is always present); otherwise the same JSON Schema."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (output and key in _OUTPUT_NOISE):
            continue
        if key == "default" and value is None or key == "additionalProperties" and value is True:
            continue   # the same as saying nothing
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: compact_schema(v, output=output) for k, v in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [compact_schema(v, output=output) for v in value]
        elif key in _SCHEMA_ONE:
            out[key] = compact_schema(value, output=output)
        else:
            out[key] = value
    options = out.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = next(o for o in options if o != {"type": "null"})
        if isinstance(other.get("type"), str) and not (set(other) & set(out) - {"anyOf"}):
            del out["anyOf"]
            out = {**other, **out, "type": [other["type"], "null"]}
    return out


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each ``{"$ref": "#/$defs/X"}`` replaced by X and no ``$defs`` (the
    shapes here are not recursive)."""
    defs = schema.get("$defs", {})

    def resolve(node: Any, depth: int = 0) -> Any:
        if isinstance(node, list):
            return [resolve(v, depth) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1 and depth < 16:
            return resolve(defs[ref.removeprefix("#/$defs/")], depth + 1)
        return {k: resolve(v, depth) for k, v in node.items() if k != "$defs"}
    return resolve(schema)


def _tool(fn: Callable[..., Any], name: str, description: str, annotations: Any) -> PgcoordTool:
    made = PgcoordTool.from_function(fn, name=name, description=description, annotations=annotations)
    made.parameters = inline_refs(compact_schema(made.parameters))
    if made.fn_metadata.output_schema is not None:
        made.fn_metadata.output_schema = inline_refs(compact_schema(made.fn_metadata.output_schema, output=True))
    return made


# -- resources ------------------------------------------------------------------------------------


def _json(value: Any) -> str:
    """A client result (typed dataclasses, lists of them) as compact JSON."""
    return pydantic_core.to_json(value, fallback=str).decode()


def _resources(tools: Tools, toolsets: Iterable[str]) -> list[FunctionResource]:
    db = tools.db

    def reader(op: Callable[[AsyncClient], Awaitable[Any]]) -> Callable[[], Awaitable[str]]:
        async def read() -> str:
            try:
                return _json(await db.run(op, read_only=True))
            except Exception as exc:
                coded = replies.error_for(exc)
                if coded is None:
                    raise
                raise ResourceError(coded.text) from exc
        return read

    async def my_claims(c: AsyncClient) -> list[Any]:
        me = await c.whoami()
        return [t for t in await c.list_tasks(status=["claimed"], limit=None) if t.claimed_by == me.role_name]

    async def my_leases(c: AsyncClient) -> list[Any]:
        return await c.live_locks((await c.whoami()).role_name)

    wanted = set(toolsets)
    specs: list[tuple[str, str, str, Callable[[AsyncClient], Awaitable[Any]], str]] = [
        ("pgcoord://leases/mine", "my_leases", "The live leases you hold.", my_leases, "leases"),
        ("pgcoord://leases", "live_leases", "Every live lease, of every agent.", lambda c: c.live_locks(), "leases"),
        ("pgcoord://tasks/mine", "my_claims", "The tasks you hold the claim of.", my_claims, "tasks"),
        ("pgcoord://queue", "queue", "The pending and claimed tasks you may see, oldest first.",
         lambda c: c.list_tasks(status=["pending", "claimed"], limit=500), "tasks"),
        ("pgcoord://audit/mine", "my_audit", "Your 50 most recent audit events, newest first.",
         lambda c: c.my_audit_events(50), "context"),
    ]
    return [FunctionResource.from_function(reader(op), uri=uri, name=name, description=description,
                                           mime_type="application/json")
            for uri, name, description, op, toolset in specs if toolset in wanted]


# -- the server -----------------------------------------------------------------------------------


def parse_toolsets(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``leases,tasks`` (or ``all``) as toolset names, in TOOLSETS order; ValueError for an unknown one."""
    if text is None:
        return DEFAULT_TOOLSETS
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    if "all" in names:
        return tuple(TOOLSETS)
    unknown = [n for n in names if n not in TOOLSETS]
    if unknown:
        raise ValueError(f"unknown toolset {', '.join(unknown)} (known: {', '.join(TOOLSETS)}, all)")
    return tuple(n for n in TOOLSETS if n in names)


def build_server(db: AgentConnection, toolsets: Sequence[str] = DEFAULT_TOOLSETS, *,
                 read_only: bool = False) -> MCPServer:
    """The MCP server of one agent's session: the tools of ``toolsets`` (only those that
    change nothing when ``read_only``) and the resources that go with them."""
    tools = Tools(db)
    chosen = [_tool(fn, fn.__name__, info.description, info.annotations())
              for fn, info in tool_methods(tools)
              if info.toolset in toolsets and (info.read_only or not read_only)]
    return MCPServer("pgcoord", title="pgcoord", version=__version__, instructions=INSTRUCTIONS,
                     tools=chosen, resources=_resources(tools, toolsets), log_level="WARNING")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pgcoord mcp",
        description="The MCP server of one agent (stdio), connected as the agent's own login role.",
        epilog="exit codes: 0 session closed, 1 database unreachable, 2 bad usage, 3 not a registered agent")
    p.add_argument("--dsn", help="the agent's database URL (default: $PGCOORD_DSN)")
    p.add_argument("--toolsets", default=",".join(DEFAULT_TOOLSETS),
                   help=f"comma-separated toolsets to serve (default: all of {', '.join(TOOLSETS)}), or 'all'")
    p.add_argument("--read-only", action="store_true", help="serve only the tools that change nothing")
    p.add_argument("--list-tools", action="store_true",
                   help="print the tools that would be served, with their annotations, and exit (no database)")
    return p


def _fail(message: str, code: int) -> int:
    print(f"pgcoord mcp: {message}", file=sys.stderr)
    return code


async def serve(dsn: str, toolsets: Sequence[str], read_only: bool) -> int:
    db = AgentConnection(dsn)
    try:
        try:
            me = await db.start()
        except Unreachable as exc:
            return _fail(f"cannot connect to the database: {exc}", EXIT_UNREACHABLE)
        except psycopg.Error as exc:
            return _fail(f"database error at start: {str(exc).strip()}", EXIT_UNREACHABLE)
        if not me.registered:
            return _fail(f"role {me.role_name} is not a registered pgcoord agent: an operator registers it with "
                         f"SELECT coord.register_agent('{me.role_name}', 'implementer') (or `pgcoord agent add`); "
                         f"connect as the agent's own login role", EXIT_NOT_AGENT)
        if me.status != "active":
            print(f"pgcoord mcp: warning: agent {me.role_name} is {me.status}: the database will refuse its "
                  f"mutations", file=sys.stderr)
        with contextlib.suppress(Exception):   # the wording of refusals only; the codes stand alone
            replies.load_descriptions(await (await db.client()).query(
                "SELECT code, description FROM coord.reason_codes"))
        await build_server(db, toolsets, read_only=read_only).run_stdio_async()
        return 0
    finally:
        await db.close()


def main(argv: Sequence[str] | None = None, dsn: str | None = None) -> int:
    """`pgcoord mcp [--dsn DSN] [--toolsets ...] [--read-only] [--list-tools]`."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    try:
        toolsets = parse_toolsets(args.toolsets)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    if args.list_tools:
        server = build_server(AgentConnection(""), toolsets, read_only=args.read_only)
        for listed in asyncio.run(server.list_tools()):
            print(f"{listed.name:<16} {json.dumps(listed.annotations.model_dump(by_alias=True, exclude_none=True))}")
        return 0
    target = args.dsn or dsn or os.environ.get("PGCOORD_DSN")
    if not target:
        return _fail("no database: pass --dsn or set PGCOORD_DSN to the agent's own connection string", EXIT_USAGE)
    logging.getLogger("mcp").setLevel(logging.WARNING)
    try:
        return asyncio.run(serve(target, toolsets, args.read_only))
    except KeyboardInterrupt:
        return 0
