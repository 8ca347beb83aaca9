"""Fixtures for server tests: pytest-jupyter's in-process server with orcheo enabled.

pytest-jupyter's fixtures and hooks are imported here rather than registered for
the whole suite, so only tests in this directory run on its event loop. Its
hooks run ``async def`` tests themselves: tests here are *not* marked
``@pytest.mark.asyncio`` (pytest-asyncio would run them on a different loop
than the server's).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403

from tests.conftest import linear_doc

from .headless import Headless, start_headless


@pytest.fixture
def orcheo_config() -> dict[str, Any]:
    """Per-test OrcheoApp traitlets; tests override keys before the server starts.

    Runs execute in one runner process (the production default is min(cores, 4)),
    started by the first run (``runners_on_demand``): every test starts a server, and a
    runner costs a Python start-up with LangGraph (most of these tests' CPU when each
    server started one). tests/runners/ and the browser tests start theirs eagerly,
    as the product's default does.
    """
    return {"script_timeout": 20.0, "runners": 1, "runners_on_demand": True}


@pytest.fixture
def jp_server_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, orcheo_config: dict[str, Any]
) -> dict[str, Any]:
    monkeypatch.setenv("ORCHEO_DATA_DIR", str(tmp_path / "orcheo-data"))
    return {
        "ServerApp": {"jpserver_extensions": {"orcheo_jupyter": True}},
        "OrcheoApp": orcheo_config,
    }


@dataclass
class Reply:
    code: int
    body: Any
    headers: Any

    @property
    def error(self) -> dict[str, Any]:
        assert isinstance(self.body, dict) and "error" in self.body, self.body
        return self.body["error"]  # type: ignore[no-any-return]


Call = Callable[..., Awaitable[Reply]]


@pytest.fixture
def api(jp_fetch: Any) -> Call:
    """``await api("POST", "workflows", json={...})`` -> Reply; never raises on 4xx/5xx."""
    return make_api(jp_fetch)


def make_api(jp_fetch: Any) -> Call:
    """``api`` over a given ``jp_fetch`` (a test may pass one with another timeout)."""

    async def call(
        method: str,
        *path: str,
        json_body: Any = None,
        body: bytes | str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        if json_body is not None:
            body = json.dumps(json_body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        if body is None and method in ("POST", "PUT"):
            body = b""
        response = await jp_fetch(
            "orcheo",
            "api",
            *path,
            method=method,
            body=body,
            params=params,
            headers=headers,
            raise_error=False,
            allow_nonstandard_methods=True,
        )
        text = response.body.decode("utf-8") if response.body else ""
        data = json.loads(text) if text else None
        return Reply(response.code, data, response.headers)

    return call


@pytest.fixture
def create_workflow(api: Call) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def create(doc: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = await api("POST", "workflows", json_body=doc or linear_doc("a", "b", "c"))
        assert reply.code == 201, reply.body
        return reply.body  # type: ignore[no-any-return]

    return create


@pytest.fixture
def wait_run(api: Call) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Poll GET /executions/{id} until the run is no longer pending or running."""

    async def wait(run_id: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            reply = await api("GET", "executions", run_id)
            assert reply.code == 200, reply.body
            if reply.body["status"] not in ("pending", "running"):
                return reply.body  # type: ignore[no-any-return]
            assert time.monotonic() < deadline, f"run still {reply.body['status']}"
            await asyncio.sleep(0.02)

    return wait


def slow_doc(seconds: float = 30.0, name: str = "slow") -> dict[str, Any]:
    """One async code node that sleeps (cancellable), then answers."""
    return {
        "name": name,
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "wait",
                "nodes": [
                    {
                        "kind": "code",
                        "id": "wait",
                        "body": f"import asyncio\nawait asyncio.sleep({seconds})\nreturn 'done'",
                    }
                ],
                "edges": [{"source": "wait", "target": "__end__"}],
            },
        },
    }


def ask_doc(name: str = "ask") -> dict[str, Any]:
    """A code node that interrupts for a name, then greets it."""
    return {
        "name": name,
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "ask",
                "nodes": [
                    {
                        "kind": "code",
                        "id": "ask",
                        "body": "answer = interrupt({'question': 'name?'})\n"
                        "return 'Hello ' + answer",
                    }
                ],
                "edges": [{"source": "ask", "target": "__end__"}],
            },
        },
    }


@pytest.fixture(scope="session")
def headless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Headless]:
    """One real ``jupyter orcheo`` subprocess shared by the tests that need one."""
    server = start_headless(tmp_path_factory.mktemp("headless"))
    yield server
    server.stop()
