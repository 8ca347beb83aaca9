"""A real ``jupyter lab`` stays responsive while four runs block for five seconds each
(on two runner processes, the default on a two-core machine: two at a time).

In the server process, one blocking node froze JupyterLab: ``/api/status`` answered
after 5 s and a kernel's WebSocket round trip took 4.9 s. With runner processes the
server only brokers I/O.

The probe asks from before the runs start until every one has ended, and each blocker
reports when it ran, which must lie inside that window. Waiting for "node started"
first, then probing, measured an idle server in both modes: a node that blocks the
event loop delivering its events (a runner's, or the server's) is seen to start only
once it has finished. The same blockers, shorter, with the runs inside the server
(``ORCHEO_RUNNERS=0``) must fail the same bounds: the probe sees a stall when there is
one.

The machine running this test is shared (in CI, with the other test worker's browsers
and servers), so the p99 bound is the issue's (50 ms) unless the machine itself is
slower: then twice what an idle baseline measured here first took, or twice what a bare
tornado server, probed in the same loop while the runs block, took then. That control
shares the machine's load but not the runs: a server stalled by the runs still fails.
The longest answer is bounded the same way but never below ``NOISE_MS``: on a loaded
machine the OS alone holds one answer now and then for hundreds of milliseconds (a CI
run saw 240 ms for ``/api/status`` and 466 ms for a kernel round trip while the
control's longest was 95 ms), while a stall holds it for the blocker's whole duration.
The issue's 100 ms maximum is measured where the machine is quiet: benchmarks/README.md.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.server.headless import free_port

from .helpers import code_workflow, execute, wait_status

#: How long each blocker blocks with runner processes (the issue's five seconds) and in
#: the server process, where they stall it one after the other.
SECONDS = 5.0
IN_SERVER_SECONDS = 2.0
#: The floor of the bounds on the longest answer: half the shortest stall a blocker
#: causes in the server process, several times what the OS alone was seen to cause.
NOISE_MS = 1000.0


def blockers(seconds: float) -> dict[str, str]:
    """Node bodies blocking for about ``seconds``, each as a node can, that return when
    they ran: ``[start, end]`` (``time.time()``)."""
    until = f"t = time.time()\nwhile time.time() - t < {seconds}:\n    pass\n"
    return {
        # an async node that blocks its event loop
        "sleep": (
            "import asyncio\nimport time\nawait asyncio.sleep(0)\nt = time.time()\n"
            f"time.sleep({seconds})\nreturn [t, time.time()]"
        ),
        # a sync node in one long C call that holds the GIL: 10**8 for five seconds (2 s
        # of CPU here, idle: at nice 10 on a loaded machine it takes as long as the rest)
        "c-call": (
            f"import time\nt = time.time()\nsum(range({int(seconds * 2 * 10**7)}))\n"
            "return [t, time.time()]"
        ),
        # a sync busy loop
        "busy": f"import time\n{until}return [t, time.time()]",
        # an async busy loop
        "async-busy": (
            f"import asyncio\nimport time\nawait asyncio.sleep(0)\n{until}return [t, time.time()]"
        ),
    }


class Lab:
    def __init__(self, root: Path, runners: int) -> None:
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
            "ORCHEO_RUNNERS": str(runners),
            "ORCHEO_RUNNER_NICE": "",  # the product's default priority (tests/conftest.py)
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


@dataclass
class Samples:
    """Answer times (ms) of /api/status, the control and kernel round trips, and when
    the probe began asking and had its last answer (``time.time()``)."""

    status: list[float] = field(default_factory=list)
    kernel: list[float] = field(default_factory=list)
    control: list[float] = field(default_factory=list)
    began: float = 0.0
    ended: float = 0.0


def _probe(lab: Lab, kernel: str, stop: threading.Event, control: Control | None = None) -> Samples:
    """/api/status every 50 ms (and the control, in the same loop), and a kernel round
    trip every 250 ms, until ``stop`` is set."""
    samples = Samples(began=time.time())

    def kernel_loop() -> None:
        url = f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel}/channels"
        session = uuid.uuid4().hex
        with connect(url, additional_headers=lab.headers, open_timeout=30) as ws:
            while not stop.is_set():
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
                samples.kernel.append((time.perf_counter() - started) * 1000)
                stop.wait(0.25)

    thread = threading.Thread(target=kernel_loop)
    thread.start()
    with (
        httpx.Client(base_url=lab.url, headers=lab.headers, timeout=30) as http,
        httpx.Client(timeout=30) as bare,
    ):
        while not stop.is_set():
            started = time.perf_counter()
            assert http.get("/api/status").status_code == 200
            samples.status.append((time.perf_counter() - started) * 1000)
            if control is not None:
                started = time.perf_counter()
                assert bare.get(control.url).status_code == 200
                samples.control.append((time.perf_counter() - started) * 1000)
            stop.wait(0.05)
    samples.ended = time.time()
    thread.join(60)
    return samples


def _probe_for(lab: Lab, kernel: str, seconds: float) -> Samples:
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    try:
        return _probe(lab, kernel, stop)
    finally:
        timer.cancel()


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


@dataclass
class Measured:
    idle: Samples
    busy: Samples
    #: Each blocker's name: when it ran, [start, end] (``time.time()``).
    ran: dict[str, list[float]]

    def report(self) -> str:
        idle, busy = self.idle, self.busy
        ran = ", ".join(
            f"{name} {start - busy.began:.1f}-{end - busy.began:.1f}"
            for name, (start, end) in self.ran.items()
        )
        return (
            f"/api/status idle p99 {_p99(idle.status):.1f} max {max(idle.status):.1f}; "
            f"busy p99 {_p99(busy.status):.1f} max {max(busy.status):.1f} "
            f"({len(busy.status)} samples); "
            f"control busy p99 {_p99(busy.control):.1f} max {max(busy.control):.1f}; "
            f"kernel idle max {max(idle.kernel):.1f} busy max {max(busy.kernel):.1f} "
            f"({len(busy.kernel)} trips) (ms); "
            f"probed for {busy.ended - busy.began:.1f} s, blockers ran (s after it began): {ran}"
        )

    def exceeded(self) -> list[str]:
        """The bounds the answers while the runs blocked exceed."""
        idle, busy = self.idle, self.busy
        p99_limit = max(50.0, 2 * _p99(idle.status), 2 * _p99(busy.control))
        max_limit = max(NOISE_MS, 2 * max(idle.status), 2 * max(idle.kernel), 2 * max(busy.control))
        # A kernel round trip crosses the server and the kernel, two processes the
        # machine's load slows each as much as the control: its own idle cost plus twice
        # that. A trip the runs stall takes seconds.
        kernel_limit = max(NOISE_MS, 2 * max(idle.kernel) + 2 * max(busy.control))
        checks = [
            ("/api/status p99", _p99(busy.status), p99_limit),
            ("/api/status max", max(busy.status), max_limit),
            ("kernel round trip max", max(busy.kernel), kernel_limit),
        ]
        return [
            f"{name} {value:.0f} > {limit:.0f} ms" for name, value, limit in checks if value > limit
        ]


def _measure(root: Path, runners: int, seconds: float) -> Measured:
    """Idle answer times, then answer times from before the blockers start until every
    one has ended."""
    lab = Lab(root / "lab", runners)
    control = Control()
    try:
        kernel = httpx.post(f"{lab.url}/api/kernels", json={"name": "python3"},
                            headers=lab.headers, timeout=60).json()["id"]  # fmt: skip
        workflows = {
            name: code_workflow(lab.api, body, name=name)
            for name, body in blockers(seconds).items()
        }
        _probe_for(lab, kernel, 1.0)  # warm: the kernel has started, connections are open
        idle = _probe_for(lab, kernel, 2.0)

        stop = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            probing = pool.submit(_probe, lab, kernel, stop, control)
            try:
                time.sleep(0.2)  # asking already
                runs = {name: execute(lab.api, workflow) for name, workflow in workflows.items()}
                ran = {}
                for name, run_id in runs.items():
                    run = wait_status(lab.api, run_id, timeout=120, poll=0.2)
                    assert run["status"] == "succeeded", run
                    ran[name] = run["final_state"]["results"]["c"]
            finally:
                stop.set()
            busy = probing.result()
        measured = Measured(idle, busy, ran)
        print(measured.report())
        for name, (start, end) in ran.items():
            assert busy.began < start and end < busy.ended, (
                f"{name} did not block while the probe asked: {measured.report()}"
            )
        return measured
    finally:
        control.stop()
        lab.stop()


def test_lab_stays_responsive_while_runs_block(tmp_path: Path) -> None:
    measured = _measure(tmp_path, runners=2, seconds=SECONDS)
    report = measured.report()
    assert measured.exceeded() == [], report
    assert len(measured.busy.status) >= 40 and len(measured.busy.kernel) >= 8, report


def test_runs_in_the_server_process_stall_it(tmp_path: Path) -> None:
    """What the first test rules out happens with the runs in the server process (the
    in-process backend): the same probe and bounds catch the stall. Async nodes block
    the server's event loop; the C call holds the GIL its thread shares with it."""
    measured = _measure(tmp_path, runners=0, seconds=IN_SERVER_SECONDS)
    exceeded = measured.exceeded()
    assert any(e.startswith("/api/status max") for e in exceeded), measured.report()
    assert any(e.startswith("kernel round trip max") for e in exceeded), measured.report()
