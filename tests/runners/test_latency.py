"""A real ``jupyter lab`` stays responsive while four runs block for five seconds each.

In the server process, one blocking node froze JupyterLab: ``/api/status`` answered
after 5 s and a kernel's WebSocket round trip took 4.9 s. With runner processes the
server only brokers I/O. The machine running this test is shared (in CI, with the
other test worker's browsers and servers), so the bounds are the issue's (p99 <= 50
ms, max <= 100 ms) unless the machine itself is slower: then twice what an idle
baseline measured here first took, or twice what a bare tornado server, probed in the
same loop while the runs block, took then. That control shares the machine's load but
not the runs: a server stalled by the runs still fails.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.server.headless import free_port

from .helpers import code_workflow, execute, wait_node_running, wait_status

BLOCKERS = {
    # an async node that blocks its event loop
    "sleep": "import asyncio\nimport time\nawait asyncio.sleep(0)\ntime.sleep(5)\nreturn 1",
    # a sync node in one long C call that holds the GIL
    "c-call": "return sum(range(2 * 10**8))",
    # a sync busy loop
    "busy": "import time\nt = time.time()\nwhile time.time() - t < 5:\n    pass\nreturn 1",
    # an async busy loop
    "async-busy": (
        "import asyncio\nimport time\nawait asyncio.sleep(0)\nt = time.time()\n"
        "while time.time() - t < 5:\n    pass\nreturn 1"
    ),
}


class Lab:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(root / "config"),
            "JUPYTER_DATA_DIR": str(root / "data"),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "IPYTHONDIR": str(root / "ipython"),
            "ORCHEO_DATA_DIR": str(root / "orcheo-data"),
            "ORCHEO_RUNNERS": "2",
        }
        jupyter = Path(sys.executable).with_name("jupyter")
        self.log = root / "lab.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    str(jupyter), "lab", "--no-browser", "--allow-root",
                    f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                    "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
                ],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root,
            )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        self.headers = {"Authorization": f"token {self.token}"}
        self.api = httpx.Client(base_url=f"{self.url}/orcheo/api", headers=self.headers, timeout=30)
        deadline = time.monotonic() + 90
        while True:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if self.api.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.2)

    def stop(self) -> None:
        self.api.close()
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _execute_request(session: str) -> dict[str, Any]:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "username": "test",
            "session": session,
            "msg_type": "execute_request",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {"code": "1 + 1", "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        "channel": "shell",
        "buffers": [],
    }  # fmt: skip


CONTROL = """
import sys
import tornado.ioloop, tornado.web

class Status(tornado.web.RequestHandler):
    def get(self):
        self.write({"ok": True})

tornado.web.Application([(r"/", Status)]).listen(int(sys.argv[1]), "127.0.0.1")
tornado.ioloop.IOLoop.current().start()
"""


class Control:
    """A bare tornado server: what the machine's load alone does to an HTTP answer."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen([sys.executable, "-c", CONTROL, str(self.port)])
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url, timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the control server did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _probe(
    lab: Lab, kernel: str, seconds: float, control: Control | None = None
) -> tuple[list[float], list[float], list[float]]:
    """/api/status every 50 ms (and the control, in the same loop), and a kernel round
    trip every 250 ms, for ``seconds``."""
    status: list[float] = []
    kernel_trips: list[float] = []
    controls: list[float] = []
    stop = time.monotonic() + seconds

    def kernel_loop() -> None:
        url = f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel}/channels"
        session = uuid.uuid4().hex
        with connect(url, additional_headers=lab.headers, open_timeout=30) as ws:
            while time.monotonic() < stop:
                request = _execute_request(session)
                started = time.perf_counter()
                ws.send(json.dumps(request))
                while True:
                    reply = json.loads(ws.recv(timeout=30))
                    parent = reply.get("parent_header", {}).get("msg_id")
                    if (
                        reply["msg_type"] == "execute_reply"
                        and parent == request["header"]["msg_id"]
                    ):
                        break
                kernel_trips.append((time.perf_counter() - started) * 1000)
                time.sleep(0.25)

    thread = threading.Thread(target=kernel_loop)
    thread.start()
    with (
        httpx.Client(base_url=lab.url, headers=lab.headers, timeout=30) as http,
        httpx.Client(timeout=30) as bare,
    ):
        while time.monotonic() < stop:
            started = time.perf_counter()
            assert http.get("/api/status").status_code == 200
            status.append((time.perf_counter() - started) * 1000)
            if control is not None:
                started = time.perf_counter()
                assert bare.get(control.url).status_code == 200
                controls.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)
    thread.join(60)
    return status, kernel_trips, controls


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def test_lab_stays_responsive_while_runs_block(tmp_path: Path) -> None:
    lab = Lab(tmp_path / "lab")
    control = Control()
    try:
        kernel = httpx.post(f"{lab.url}/api/kernels", json={"name": "python3"},
                            headers=lab.headers, timeout=60).json()["id"]  # fmt: skip
        blockers = {
            name: code_workflow(lab.api, body, name=name) for name, body in BLOCKERS.items()
        }
        _probe(lab, kernel, 1.0)  # warm: the kernel has started, connections are open
        idle_status, idle_kernel, _ = _probe(lab, kernel, 2.0)

        runs = [execute(lab.api, workflow) for workflow in blockers]
        for run_id in runs:
            wait_node_running(lab.api, run_id)
        busy_status, busy_kernel, busy_control = _probe(lab, kernel, 4.0, control)
        for run_id in runs:
            assert wait_status(lab.api, run_id, timeout=120)["status"] == "succeeded"

        p99_limit = max(50.0, 2 * _p99(idle_status), 2 * _p99(busy_control))
        max_limit = max(100.0, 2 * max(idle_status), 2 * max(idle_kernel), 2 * max(busy_control))
        report = (
            f"/api/status idle p99 {_p99(idle_status):.1f} max {max(idle_status):.1f}; "
            f"busy p99 {_p99(busy_status):.1f} max {max(busy_status):.1f}; "
            f"control busy p99 {_p99(busy_control):.1f} max {max(busy_control):.1f}; "
            f"kernel idle max {max(idle_kernel):.1f} busy max {max(busy_kernel):.1f} (ms)"
        )
        print(report)
        assert len(busy_status) >= 40 and len(busy_kernel) >= 8, report
        assert _p99(busy_status) <= p99_limit, report
        assert max(busy_status) <= max_limit, report
        # A kernel round trip crosses the server and the kernel, two processes the
        # machine's load slows each as much as the control: its own idle cost plus twice
        # that. A trip the runs stall takes seconds.
        kernel_limit = max(100.0, 2 * max(idle_kernel)) + 2 * max(busy_control)
        assert max(busy_kernel) <= kernel_limit, report
    finally:
        control.stop()
        lab.stop()
