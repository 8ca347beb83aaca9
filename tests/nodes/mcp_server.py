"""A small MCP server for the agent tests: ``python mcp_server.py [stdio | http PORT]``."""

from __future__ import annotations

import os
import sys

from mcp.server.fastmcp import FastMCP

port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
server = FastMCP("orders", host="127.0.0.1", port=port, log_level="WARNING")

ORDERS = {"A-17": {"status": "shipped", "total": 42.5}}


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def order_status(order_id: str) -> str:
    """The status of an order by id."""
    order = ORDERS.get(order_id)
    if order is None:
        raise ValueError(f"no order {order_id}")
    key = os.environ.get("SHOP_KEY", "-")
    return f"{order_id}: {order['status']}, total {order['total']} (key {key})"


if __name__ == "__main__":
    server.run("streamable-http" if len(sys.argv) > 1 and sys.argv[1] == "http" else "stdio")
