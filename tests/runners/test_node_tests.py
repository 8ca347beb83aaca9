"""Testing a node runs it in a runner process, not in the Jupyter server.

In the server process a node test whose code blocked (``time.sleep`` inside an
async node) froze ``/api/status`` for as long, and one that never yielded past its
timeout never answered at all. A test is now a runner order like a run: the
server stays responsive, and a node past its timeout ends its runner.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from .helpers import client, code_workflow, runner_processes, start

BLOCKS = "import asyncio\nimport time\nawait asyncio.sleep(0)\ntime.sleep(5)\nreturn 'slept'"
SPINS = "import asyncio\nawait asyncio.sleep(0)\nwhile True:\n    pass"


class StatusProbe:
    """``GET /api/status`` every 50 ms on its own thread, until stopped: each latency (s)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.took: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, args=(url, headers))
        self._thread.start()

    def _poll(self, url: str, headers: dict[str, str]) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            while not self._stop.is_set():
                started = time.perf_counter()
                assert http.get("/api/status").status_code == 200
                self.took.append(time.perf_counter() - started)
                time.sleep(0.05)

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join(30)
        return self.took


def test_a_blocking_node_test_leaves_the_server_responsive(tmp_path: Path) -> None:
    server = start(tmp_path / "server", runners=1)
    try:
        api = client(server)
        blocks = code_workflow(api, BLOCKS, name="blocks")
        probe = StatusProbe(server.url, server.headers)
        try:
            reply = api.post(f"/workflows/{blocks}/nodes/c/test", json={"state": {}})
        finally:
            took = probe.stop()
        assert reply.status_code == 200, reply.text
        assert reply.json()["output"] == "slept" and reply.json()["error"] is None
        assert reply.json()["duration_ms"] >= 5000
        assert len(took) >= 20, took  # polled all along the five seconds
        assert max(took) < 1.0, max(took)  # in the server process: 5 s
        # Nothing was stored: no run, no new version.
        assert api.get("/executions", params={"workflow_id": blocks}).json()["total"] == 0
    finally:
        server.stop()


def test_a_node_test_past_its_timeout_ends_its_runner(tmp_path: Path) -> None:
    server = start(tmp_path / "server", runners=1)
    try:
        api = client(server)
        spins = code_workflow(api, SPINS, name="spins", timeout=1)
        before = {p.pid for p in runner_processes(server.proc.pid)}
        started = time.monotonic()
        reply = api.post(f"/workflows/{spins}/nodes/c/test", json={"state": {}})
        elapsed = time.monotonic() - started
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["output"] is None
        assert body["error"].startswith("node 'c' failed: timed out after 1s (its timeout)")
        assert elapsed < 10, elapsed  # in the server process it never answered
        # The spinning runner was ended and replaced; the next test runs in the new one.
        deadline = time.monotonic() + 30
        while not (after := {p.pid for p in runner_processes(server.proc.pid)}) or after & before:
            assert time.monotonic() < deadline, (before, after)
            time.sleep(0.1)
        answer = code_workflow(api, "return 42", name="answer")
        again = api.post(f"/workflows/{answer}/nodes/c/test", json={"state": {}})
        assert again.json()["output"] == 42 and again.json()["error"] is None
    finally:
        server.stop()
