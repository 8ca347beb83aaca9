"""A run whose kernel stops (restart, shutdown, a kill) ends ``failed``, saying why.

A real ``jupyter orcheo`` server starts a real kernel through its kernels API (as
JupyterLab does); the kernel runs a workflow whose node blocks, with
``Workflow.run`` on the store it shares with the server. Restarting the kernel
through the server, or killing its process, must end the run ``failed`` with the
cause and the node, within a bounded wait, while a run the server's runner pool
executes is left alone.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jupyter_client.blocking.client import BlockingKernelClient

from orcheo_jupyter.client import OrcheoClient
from orcheo_jupyter.triggers.kernel_runs import KERNEL_STOPPED
from tests.client.live_server import Server, running_server
from tests.conftest import code_doc

from .test_kernel_and_server import Kernel

BLOCKING_RUN = """
from orcheo_jupyter import Workflow
wf = Workflow("kernel-blocks")
wf.add_code_node("first", "return 1")
wf.add_code_node("block", "import time\\ntime.sleep(600)\\nreturn 2")
wf.add_edge("START", "first").add_edge("first", "block").add_edge("block", "END")
"""


def until(check: Callable[[], Any], what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.1)
    return found


class ServerKernels:
    """Kernels started and restarted through the server's REST API."""

    def __init__(self, server: Server, runtime_dir: Path) -> None:
        self.server = server
        self.runtime_dir = runtime_dir
        self.headers = {"Authorization": f"token {server.token}"}

    def start(self) -> str:
        reply = httpx.post(
            f"{self.server.url}/api/kernels", json={"name": "python3"}, headers=self.headers
        )
        assert reply.status_code == 201, reply.text
        return str(reply.json()["id"])

    def connect(self, kernel_id: str) -> Kernel:
        """A client of the kernel once it answers (a restarted one may take a while)."""
        deadline = time.monotonic() + 120
        while True:
            client = BlockingKernelClient()
            client.load_connection_file(str(self.runtime_dir / f"kernel-{kernel_id}.json"))
            client.start_channels()
            try:
                client.wait_for_ready(timeout=30)
                return Kernel(client)
            except RuntimeError:  # its heartbeat not seen yet
                client.stop_channels()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def restart(self, kernel_id: str) -> None:
        reply = httpx.post(
            f"{self.server.url}/api/kernels/{kernel_id}/restart",
            headers=self.headers,
            timeout=120,
        )
        assert reply.status_code == 200, reply.text

    def shutdown(self, kernel_id: str) -> None:
        httpx.delete(f"{self.server.url}/api/kernels/{kernel_id}", headers=self.headers)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path / "server", tmp_path / "orcheo-data") as server:
        yield server


def blocked_kernel_run(kernel: Kernel, api: OrcheoClient, known: set[str]) -> str:
    """Start the blocking workflow in the kernel; the run's id once it is stored as
    running the blocking node (runs in ``known`` are not it)."""
    kernel.ok(BLOCKING_RUN)
    kernel.start("wf.run()")

    def blocked() -> str | None:
        for run in api.list_executions(status="running")["items"]:
            if run["id"] in known:
                continue
            events = api.events(run["id"])["items"]
            if ("node_started", "block") in [(e["type"], e["node"]) for e in events]:
                return str(run["id"])
        return None

    run_id = str(until(blocked, "the kernel's run to reach the blocking node", 60))
    known.add(run_id)
    return run_id


def assert_failed_by_kernel_stop(api: OrcheoClient, run_id: str, timeout: float) -> None:
    run = until(
        lambda: (r := api.get_execution(run_id))["status"] != "running" and r, "failure", timeout
    )
    assert run["status"] == "failed", run
    assert run["error"] == f"{KERNEL_STOPPED} while node 'block' was running"
    assert run["node_states"] == {"first": "succeeded", "block": "failed"}
    events = api.events(run_id)["items"]
    assert [(e["type"], e["node"]) for e in events[-2:]] == [
        ("node_failed", "block"),
        ("run_failed", None),
    ]
    assert events[-1]["data"]["error"] == run["error"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


@pytest.mark.timeout(300)
def test_a_run_whose_kernel_restarts_or_dies_fails_and_runner_runs_are_untouched(
    server: Server,
) -> None:
    kernels = ServerKernels(server, server.log.parent / "runtime")
    with OrcheoClient(server.url, server.token) as api:
        # A run of the server's runner pool, blocked too: none of this is its business.
        pooled_wf = api.create_workflow(
            code_doc("import asyncio\nawait asyncio.sleep(600)\nreturn 1", node_id="wait")
        )["id"]
        pooled = api.execute(pooled_wf)
        until(lambda: api.get_execution(pooled)["status"] == "running", "the pooled run", 60)

        known = {pooled}
        kernel_id = kernels.start()
        kernel = kernels.connect(kernel_id)
        try:
            # 1. The kernel is restarted through the server (JupyterLab's Restart Kernel).
            run_id = blocked_kernel_run(kernel, api, known)
            kernels.restart(kernel_id)
            assert_failed_by_kernel_stop(api, run_id, timeout=30)

            # 2. The kernel process is killed (no kernel action: the periodic sweep).
            kernel.client.stop_channels()
            kernel = kernels.connect(kernel_id)  # the restarted kernel
            pid = int(kernel.ok("import os; print(os.getpid())").texts()[-1])
            run_id = blocked_kernel_run(kernel, api, known)
            os.kill(pid, signal.SIGKILL)
            assert_failed_by_kernel_stop(api, run_id, timeout=30)
        finally:
            kernel.client.stop_channels()
            kernels.shutdown(kernel_id)

        # The runner pool's run went on through all of it.
        run = api.get_execution(pooled)
        assert run["status"] == "running" and run["error"] is None
        assert [e["type"] for e in api.events(pooled)["items"]] == ["run_started", "node_started"]
        assert api.cancel(pooled)["status"] == "cancelled"
    log = server.log.read_text()
    assert log.count(KERNEL_STOPPED) == 2  # each failure said once in the server's log
