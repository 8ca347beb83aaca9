"""AgentNode with MCP servers the test starts itself (stdio and streamable HTTP)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.services import RuntimeServices
from orcheo_jupyter.spec.problems import DocumentError
from tests.conftest import vaulted_executor
from tests.services import free_port

from .helpers import chain_doc, node, results, run
from .test_ai import scripted

SERVER = str(Path(__file__).with_name("mcp_server.py"))


def call(name: str, args: dict[str, Any], call_id: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": call_id}])


@pytest.fixture
def http_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, SERVER, "http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.asyncio
async def test_agent_uses_a_stdio_mcp_server_with_a_secret_env(tmp_path: Path) -> None:
    model = scripted(
        call("add", {"a": 2, "b": 3}, "c1"),
        call("order_status", {"order_id": "A-17"}, "c2"),
        call("order_status", {"order_id": "Z-0"}, "c3"),
        AIMessage("2 + 3 = 5 and A-17 has shipped."),
    )
    services = RuntimeServices(chat_models={"fake:m": model})
    async with vaulted_executor(tmp_path / "data", services) as (executor, vault):
        await vault.create("shop_key", value="shop-KEY-123456", scope=["agent"])
        doc = chain_doc(
            node(
                "agent",
                "AgentNode",
                ai_model="fake:m",
                prompt="What is 2+3, and where is order A-17?",
                mcp_servers={
                    "shop": {
                        "transport": "stdio",
                        "command": sys.executable,
                        "args": [SERVER],
                        "env": {"SHOP_KEY": "[[shop_key]]"},
                    }
                },
            ),
            name="agent",
            id="agent",
        )
        record = await run(executor, doc)
        out = results(record)["agent"]
        assert out["content"] == "2 + 3 = 5 and A-17 has shipped."
        assert [(c["name"], c["ok"]) for c in out["tool_calls"]] == [
            ("add", True),
            ("order_status", True),
            ("order_status", True),
        ]
        offered = {t["function"]["name"]: t["function"] for t in model.bound[0]}
        assert set(offered) == {"add", "order_status"}
        assert offered["add"]["parameters"]["required"] == ["a", "b"]
        tool_messages = [m for m in record.final_state["messages"] if m["type"] == "tool"]
        assert tool_messages[0]["content"] == "5"
        assert tool_messages[1]["content"].startswith("A-17: shipped, total 42.5")
        assert "no order Z-0" in tool_messages[2]["content"]
        # The secret reached the server's environment; the run shows only a mask.
        assert "(key -)" not in tool_messages[1]["content"]
        assert "shop-KEY-123456" not in str(record.final_state)


@pytest.mark.asyncio
async def test_agent_uses_a_streamable_http_mcp_server(
    executor: Executor, http_server: str
) -> None:
    model = scripted(call("add", {"a": 40, "b": 2}, "c1"), AIMessage("42"))
    executor.services = executor.services.replace(chat_models={"fake:m": model})
    doc = chain_doc(
        node(
            "agent",
            "AgentNode",
            ai_model="fake:m",
            prompt="40+2?",
            mcp_servers={"calc": {"transport": "streamable_http", "url": http_server}},
        )
    )
    record = await run(executor, doc)
    assert results(record)["agent"]["content"] == "42"
    tool = next(m for m in record.final_state["messages"] if m["type"] == "tool")
    assert tool["content"] == "42"


@pytest.mark.asyncio
async def test_unreachable_mcp_server_fails_naming_it(executor: Executor) -> None:
    executor.services = executor.services.replace(
        chat_models={"fake:m": scripted(AIMessage("never"))}
    )
    doc = chain_doc(
        node(
            "agent",
            "AgentNode",
            ai_model="fake:m",
            prompt="hi",
            mcp_servers={
                "gone": {
                    "transport": "streamable_http",
                    "url": f"http://127.0.0.1:{free_port()}/mcp",
                    "timeout": 3,
                }
            },
        )
    )
    record = await run(executor, doc)
    assert record.status == "failed"
    assert "mcp_servers.gone: cannot connect" in (record.error or "")
    bad = chain_doc(
        node("agent", "AgentNode", ai_model="fake:m", mcp_servers={"x": {"transport": "stdio"}})
    )
    with pytest.raises(DocumentError, match="a stdio server needs a command"):
        await run(executor, bad)
