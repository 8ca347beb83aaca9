"""MCP servers as agent tools (langchain-mcp-adapters): stdio and streamable HTTP.

Each server named in ``AgentNode.mcp_servers`` is connected once per node run
(a stdio server is started as a child process and stopped afterwards); its tools
join the agent's own, with their MCP input schemas as argument schemas.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..base import NodeError
from ..support.plain_values import missing_extra
from .ai_loop import ToolDef


class McpServer(BaseModel):
    """How to reach one MCP server."""

    model_config = ConfigDict(extra="forbid")

    transport: Literal["stdio", "streamable_http", "sse"] = Field("stdio", title="Transport")
    command: str | None = Field(None, title="Command", description="stdio: the program to start.")
    args: list[str] = Field(default_factory=list, title="Arguments")
    env: dict[str, str] | None = Field(
        None, title="Environment", description="stdio; values may be [[secrets]]."
    )
    cwd: str | None = Field(None, title="Working directory")
    url: str | None = Field(None, title="URL", description="streamable_http/sse endpoint.")
    headers: dict[str, str] | None = Field(
        None, title="Headers", description="Values may be [[secrets]]."
    )
    timeout: float = Field(30.0, gt=0, le=3600, title="Timeout (s)")

    @model_validator(mode="after")
    def _target(self) -> McpServer:
        if self.transport == "stdio" and not self.command:
            raise ValueError("a stdio server needs a command")
        if self.transport != "stdio" and not self.url:
            raise ValueError(f"a {self.transport} server needs a url")
        return self

    def connection(self) -> dict[str, Any]:
        if self.transport == "stdio":
            conn: dict[str, Any] = {
                "transport": "stdio",
                "command": self.command,
                "args": self.args,
            }
            if self.env is not None:
                conn["env"] = self.env
            if self.cwd is not None:
                conn["cwd"] = self.cwd
            return conn
        conn = {"transport": self.transport, "url": self.url, "timeout": self.timeout}
        if self.headers:
            conn["headers"] = self.headers
        return conn


def _content(value: Any) -> Any:
    """An MCP tool result as text or JSON (content blocks joined)."""
    if isinstance(value, tuple):
        value = value[0]
    if isinstance(value, list):
        texts = [
            b.get("text", "") if isinstance(b, dict) else str(getattr(b, "text", b)) for b in value
        ]
        return "\n".join(t for t in texts if t)
    return value


async def mcp_tools(
    servers: dict[str, McpServer], stack: contextlib.AsyncExitStack, taken: set[str]
) -> list[ToolDef]:
    """Connect to every server (sessions live until ``stack`` closes) and list its tools."""
    if not servers:
        return []
    try:
        from langchain_mcp_adapters.client import MultiServerMCPClient
        from langchain_mcp_adapters.tools import load_mcp_tools
    except ImportError:
        raise missing_extra("langchain-mcp-adapters", "mcp", "mcp_servers") from None
    client = MultiServerMCPClient(
        {name: server.connection() for name, server in servers.items()}  # type: ignore[misc]
    )
    defs: list[ToolDef] = []
    for name in servers:
        try:
            session = await stack.enter_async_context(client.session(name))
            tools = await load_mcp_tools(session, server_name=name)
        except Exception as exc:
            cause: BaseException = exc
            while isinstance(cause, BaseExceptionGroup) and cause.exceptions:
                cause = cause.exceptions[0]
            raise NodeError(
                f"mcp_servers.{name}", f"cannot connect: {type(cause).__name__}: {cause}"
            ) from None
        for tool in tools:
            if tool.name in taken:
                raise NodeError(
                    f"mcp_servers.{name}", f"tool {tool.name!r} clashes with another tool's name"
                )
            taken.add(tool.name)
            schema = tool.args_schema if isinstance(tool.args_schema, dict) else None
            params = dict(schema) if schema else {"type": "object", "properties": {}}

            async def call(args: dict[str, Any], tool: Any = tool) -> Any:
                return _content(await tool.ainvoke(args))

            defs.append(ToolDef(tool.name, tool.description or tool.name, params, call))
    return defs
