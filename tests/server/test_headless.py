"""``jupyter orcheo``: the same API headless, in a real subprocess on a loopback port."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from orcheo_jupyter.store.sqlite import SqliteRepository
from tests.conftest import linear_doc

from .conftest import slow_doc
from .headless import Headless, start_headless


async def test_headless_server_runs_a_workflow_end_to_end(headless: Headless) -> None:
    log = headless.log.read_text()
    assert f"{headless.url}/orcheo/api/openapi.json" in log  # ORCHEO_HOST and ORCHEO_PORT
    assert "orcheo is running without loading other extensions" in log

    async with httpx.AsyncClient(base_url=headless.api, headers=headless.headers) as client:
        created = await client.post("/workflows", json=linear_doc("a", "b", "c"))
        assert created.status_code == 201
        started = await client.post(
            f"/workflows/{created.json()['id']}/execute", json={"inputs": {"who": "ops"}}
        )
        assert started.status_code == 202
        run_id = started.json()["execution_id"]

        request = HTTPRequest(
            f"ws://127.0.0.1:{headless.url.rsplit(':', 1)[1]}/orcheo/ws/executions/{run_id}",
            headers=headless.headers,
        )
        ws = await websocket_connect(request)
        messages = []
        while (message := await asyncio.wait_for(ws.read_message(), 20)) is not None:
            messages.append(json.loads(message))
        assert [m["seq"] for m in messages] == list(range(1, 9))
        assert messages[-1]["type"] == "run_finished"
        assert messages[-1]["data"]["state"]["inputs"] == {"who": "ops"}

        run = (await client.get(f"/executions/{run_id}")).json()
        assert run["status"] == "succeeded"
        assert (await client.get("/nodes")).status_code == 200
    async with httpx.AsyncClient() as anonymous:
        assert (await anonymous.get(f"{headless.api}/workflows")).status_code == 403
        # No JupyterLab in the headless server: only the API (and Jupyter's core REST).
        lab = await anonymous.get(f"{headless.url}/lab", headers=headless.headers)
        assert lab.status_code == 404


def test_sigterm_stops_runs_and_closes_the_store(tmp_path: Path) -> None:
    server = start_headless(tmp_path / "server")
    with httpx.Client(base_url=server.api, headers=server.headers) as client:
        wid = client.post("/workflows", json=slow_doc(60)).json()["id"]
        run_id = client.post(f"/workflows/{wid}/execute").json()["execution_id"]
        deadline = time.monotonic() + 20
        while client.get(f"/executions/{run_id}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    started = time.monotonic()
    assert server.stop() == 0, server.log.read_text()
    assert time.monotonic() - started < 15
    assert "Shutting down 1 extension" in server.log.read_text()

    async def stored() -> tuple[str, list[str]]:
        store = SqliteRepository(server.data_dir / "orcheo.sqlite")
        await store.open()
        try:
            run = await store.get_run(run_id)
            events = await store.list_events(run_id)
            return str(run.status), [e.type for e in events]
        finally:
            await store.close()

    status, events = asyncio.run(stored())
    assert status == "cancelled"
    assert events[0] == "run_started" and events[-1] == "run_cancelled"
