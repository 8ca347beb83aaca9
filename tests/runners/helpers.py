"""Real ``jupyter orcheo`` / ``jupyter lab`` processes with runner pools, and what tests read."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.exceptions import ConnectionClosedOK
from websockets.sync.client import connect

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.store.records import RunRecord
from tests.server.headless import Headless, start_headless, wait_healthy

RUNNER_MODULE = "orcheo_jupyter.runners.runner"


def start(root: Path, runners: int = 2, **env: str) -> Headless:
    """A headless server whose runner pool is ready."""
    server = start_headless(root, env={"ORCHEO_RUNNERS": str(runners), **env})
    wait_healthy(server)
    return server


def client(server: Headless) -> httpx.Client:
    return httpx.Client(base_url=server.api, headers=server.headers, timeout=30)


def runner_processes(server_pid: int) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(server_pid).children(recursive=True):
        try:
            if RUNNER_MODULE in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def code_workflow(api: httpx.Client, body: str, name: str = "code", **node: Any) -> str:
    doc = {
        "name": name,
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "c",
                "nodes": [{"kind": "code", "id": "c", "body": body, **node}],
                "edges": [{"source": "c", "target": "__end__"}],
            },
        },
    }
    reply = api.post("/workflows", json=doc)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def execute(api: httpx.Client, workflow_id: str) -> str:
    reply = api.post(f"/workflows/{workflow_id}/execute", json={})
    assert reply.status_code == 202, reply.text
    return str(reply.json()["execution_id"])


def wait_status(
    api: httpx.Client,
    run_id: str,
    until: tuple[str, ...] = ("succeeded", "failed", "cancelled"),
    timeout: float = 60.0,
    poll: float = 0.02,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = api.get(f"/executions/{run_id}").json()
        if run["status"] in until:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(poll)


def wait_node_running(api: httpx.Client, run_id: str, node: str = "c") -> None:
    deadline = time.monotonic() + 30
    while True:
        events = api.get(f"/executions/{run_id}/events").json()["items"]
        if any(e["type"] == "node_started" and e["node"] == node for e in events):
            return
        assert time.monotonic() < deadline, events
        time.sleep(0.02)


def follow(server: Headless, run_id: str, timeout: float = 120.0) -> list[dict[str, Any]]:
    """Every event a WebSocket follower of ``run_id`` receives until the stream ends."""
    url = f"ws://{server.url.split('://', 1)[1]}/orcheo/ws/executions/{run_id}"
    received = []
    with connect(url, additional_headers=server.headers, open_timeout=20) as ws:
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            except ConnectionClosedOK:  # the server closes it after the run's last event
                break
            received.append(json.loads(message))
    return received


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


async def settled(executor: Executor, run_id: str, seconds: float = 120) -> RunRecord:
    """The run's record once it is no longer pending or running (read from the store, as
    another process would see it)."""
    deadline = time.monotonic() + seconds
    while (record := await executor.get_run(run_id)).status in ("pending", "running"):
        assert time.monotonic() < deadline, f"run {run_id} never finished"
        await asyncio.sleep(0.05)
    return record
