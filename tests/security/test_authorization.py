"""Jupyter's Authorizer decides every orcheo action, per resource and action (issue 14.6).

Before: handlers only checked that someone was logged in, and with
``allow_unauthenticated_access=False`` Jupyter warned about 48 endpoint methods
without an auth decorator.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tornado.web import RequestHandler

from orcheo_jupyter.server.authz import RESOURCES
from orcheo_jupyter.server.hooks import WebhookHandler
from orcheo_jupyter.server.routes import routes
from tests.conftest import linear_doc
from tests.server.conftest import Call, ask_doc
from tests.server.headless import start_headless

from .authorizers import Denying

METHODS = ("get", "post", "put", "delete", "patch")


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    server = {**jp_server_config["ServerApp"], "authorizer_class": Denying}
    return {**jp_server_config, "ServerApp": server}


@pytest.fixture(autouse=True)
def denied() -> Iterator[set[str]]:
    Denying.denied = set()
    Denying.asked = []
    yield Denying.denied
    Denying.denied = set()


def forbidden(reply: Any, action: str, resource: str) -> None:
    assert reply.code == 403, reply.body
    assert reply.error == {
        "code": "forbidden",
        "message": f"User is not authorized to {action} on resource: {resource}.",
        "details": None,
    }


async def test_without_execute_runs_cannot_be_started_or_steered_but_everything_reads(
    api: Call, jp_ws_fetch: Any, denied: set[str]
) -> None:
    wid = (await api("POST", "workflows", json_body=ask_doc())).body["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    ws = await jp_ws_fetch("orcheo", "ws", "executions", run_id)
    events = []
    while not events or events[-1]["type"] != "interrupted":
        events.append(json.loads(await asyncio.wait_for(ws.read_message(), 20)))

    denied.add("execute")
    forbidden(await api("POST", "workflows", wid, "execute"), "execute", "orcheo:workflows")
    resume = {"value": "Ada"}
    forbidden(
        await api("POST", "executions", run_id, "resume", json_body=resume),
        "execute",
        "orcheo:executions",
    )
    forbidden(
        await api("POST", "executions", run_id, "rerun", json_body={}),
        "execute",
        "orcheo:executions",
    )
    forbidden(await api("DELETE", "executions", run_id), "execute", "orcheo:executions")
    forbidden(
        await api("POST", "workflows", wid, "dispatch", json_body={"runs": [{}]}),
        "execute",
        "orcheo:triggers",
    )
    forbidden(await api("POST", "dead-letters", "job-1", "retry"), "execute", "orcheo:triggers")
    for command in ({"type": "cancel"}, {"type": "resume", "value": "Ada"}):
        await ws.write_message(json.dumps(command))
        error = json.loads(await asyncio.wait_for(ws.read_message(), 20))
        assert error == {
            "type": "error",
            "seq": None,
            "error": {
                "code": "forbidden",
                "message": "User is not authorized to execute on resource: orcheo:executions.",
            },
        }

    # Reads (and writes) still work, and the run is untouched: still waiting for its answer.
    run = await api("GET", "executions", run_id)
    assert run.code == 200 and run.body["status"] == "interrupted"
    assert (await api("GET", "executions", run_id, "events")).code == 200
    assert (await api("GET", "executions", params={"workflow_id": wid})).code == 200
    assert (await api("GET", "workflows", wid)).code == 200
    assert (await api("GET", "nodes")).code == 200
    assert (await api("POST", "workflows", json_body=linear_doc("a"))).code == 201
    watcher = await jp_ws_fetch("orcheo", "ws", "executions", run_id)  # reading is allowed
    first = json.loads(await asyncio.wait_for(watcher.read_message(), 20))
    assert first["type"] == "run_started"
    watcher.close()

    denied.clear()  # granted again: the same socket may now answer
    await ws.write_message(json.dumps({"type": "resume", "value": "Ada"}))
    rest = []
    while not rest or rest[-1]["type"] != "run_finished":
        rest.append(json.loads(await asyncio.wait_for(ws.read_message(), 20)))
    assert rest[-1]["data"]["state"]["results"]["ask"] == "Hello Ada"


async def test_without_credentials_the_vault_is_hidden(
    api: Call, denied: set[str], jp_ws_fetch: Any
) -> None:
    created = await api("POST", "credentials", json_body={"name": "api_key", "value": "s3cr3t"})
    assert created.code == 201, created.body
    denied.add("orcheo:credentials")
    for method, path, body in [
        ("GET", ("credentials",), None),
        ("GET", ("credentials", "api_key"), None),
        ("GET", ("credentials", "health"), None),
        ("GET", ("credentials", "api_key", "health"), None),
        ("GET", ("credentials", "api_key", "audit"), None),
    ]:
        reply = await api(method, *path, json_body=body)
        forbidden(reply, "read", "orcheo:credentials")
        assert "api_key" not in json.dumps(reply.body)
    for method, path, body in [
        ("POST", ("credentials",), {"name": "other", "value": "x"}),
        ("PUT", ("credentials", "api_key"), {"description": "changed"}),
        ("POST", ("credentials", "api_key", "rotate"), {"value": "new"}),
        ("DELETE", ("credentials", "api_key"), None),
    ]:
        forbidden(await api(method, *path, json_body=body), "write", "orcheo:credentials")
    assert (await api("GET", "workflows")).code == 200
    denied.clear()
    listed = await api("GET", "credentials")
    assert [c["name"] for c in listed.body["items"]] == ["api_key"]  # nothing was changed


def _implemented(handler: type) -> list[str]:
    return [m for m in METHODS if getattr(handler, m) is not getattr(RequestHandler, m)]


async def test_every_endpoint_asks_the_authorizer(api: Call, denied: set[str]) -> None:
    """A user allowed nothing gets 403 from every route and method (webhooks aside)."""
    denied.update(RESOURCES)
    tried = 0
    for route in routes():
        handler = route.handler
        if handler is WebhookHandler or route.path.startswith("/orcheo/ws"):
            continue
        assert handler.auth_resource in RESOURCES, handler  # type: ignore[attr-defined]
        path = route.path.removeprefix("/orcheo/api/")
        for name in route.path_params():
            path = path.replace(f"{{{name}}}", "1")
        for method in _implemented(handler):
            body = {} if method in ("post", "put", "patch") else None
            reply = await api(method.upper(), *path.split("/"), json_body=body)
            assert reply.code == 403, (method, route.path, reply.body)
            assert reply.error["code"] == "forbidden"
            assert reply.error["message"].endswith(f"resource: {handler.auth_resource}.")  # type: ignore[attr-defined]
            tried += 1
    assert tried >= 40


def test_with_unauthenticated_access_off_no_endpoint_lacks_an_auth_rule(tmp_path: Path) -> None:
    """Jupyter warns (JupyterServerAuthWarning) about any endpoint method without one."""
    server = start_headless(
        tmp_path / "server",
        "--ServerApp.allow_unauthenticated_access=False",
        env={"PYTHONWARNINGS": "always"},
    )
    try:
        api = httpx.Client(base_url=server.api, timeout=10)
        assert api.get("/workflows").status_code == 403  # no token
        assert api.get("/workflows", headers=server.headers).status_code == 200
        hook = httpx.post(f"{server.url}/orcheo/hooks/nonexistent", content=b"{}", timeout=10)
        assert hook.status_code == 404  # webhooks keep their own checks
    finally:
        server.stop()
    log = server.log.read_text()
    assert "JupyterServerAuthWarning" not in log, log
    assert "without @allow_unauthenticated" not in log, log
