"""A runner whose server was killed starts no other node.

A runner learned that its server died only when its orders thread read the end of
the socket. A runner starved of CPU (CI, a loaded machine) could run its event loop
first and start the next node of a run after the kill; the restarted server then
resumed the run from its checkpoint and ran that node again: a side effect twice
(tests/server/test_crash_safety.py saw node ``b`` run twice).

Node ``a`` here stands in for that starved orders thread, deterministically: it
makes the thread wait when it would end the process, signals the test, and returns
only once the test has SIGKILLed the server. Node ``b`` appends to a file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import psutil

from .helpers import client, execute, start, wait_status


def _two_nodes(started: Path, go: Path, log: Path) -> dict[str, Any]:
    hold_orders = (
        # The orders thread would end this process on the server's end-of-file: it
        # waits instead, as if not scheduled yet. Only in the first runner, the one
        # the server's kill orphans; the resumed run passes straight through.
        f"if not os.path.exists({str(started)!r}):\n"
        "    real_killpg = os.killpg\n"
        "    def killpg(pid, sig):\n"
        "        if threading.current_thread().name == 'orcheo-orders':\n"
        "            threading.Event().wait()\n"
        "        real_killpg(pid, sig)\n"
        "    os.killpg = killpg\n"
        f"    with open({str(started)!r}, 'w') as f:\n"
        "        f.write(str(os.getpid()))\n"
    )
    a = (
        "import asyncio, os, threading\n"
        f"{hold_orders}"
        f"while not os.path.exists({str(go)!r}):\n"
        "    await asyncio.sleep(0.02)\n"
        "return 'a'"
    )
    b = (
        "run_id = config['configurable']['thread_id']\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    f.write(run_id + ':b\\n')\n"
        "return 'b'"
    )
    return {
        "name": "orphaned",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "a",
                "nodes": [
                    {"kind": "code", "id": "a", "body": a},
                    {"kind": "code", "id": "b", "body": b},
                ],
                "edges": [
                    {"source": "a", "target": "b"},
                    {"source": "b", "target": "__end__"},
                ],
            },
        },
    }


def _wait_for(path: Path, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_runner_whose_server_died_starts_no_other_node(tmp_path: Path) -> None:
    root = tmp_path / "server"
    started, go, log = tmp_path / "a-started", tmp_path / "go", tmp_path / "b.log"
    first = start(root, runners=1)
    second = None
    runner = 0
    try:
        api = client(first)
        reply = api.post("/workflows", json=_two_nodes(started, go, log))
        assert reply.status_code == 201, reply.text
        run_id = execute(api, reply.json()["id"])
        api.close()
        _wait_for(started)
        while not (text := started.read_text()):  # written, not only created
            time.sleep(0.02)
        runner = int(text)

        first.proc.kill()  # SIGKILL: no shutdown, the runner's socket just ends
        first.proc.wait(30)
        go.touch()  # node a returns now, in a runner whose server is dead

        deadline = time.monotonic() + 60
        while _running(runner) and not log.exists():
            assert time.monotonic() < deadline, "the orphaned runner neither left nor ran b"
            time.sleep(0.05)
        assert not log.exists(), "node b started in a runner whose server was dead"
        assert not _running(runner)

        # The next server resumes the run: b runs once, there.
        (root / "server.log").rename(root / "first-server.log")
        second = start(root, runners=1)
        api = client(second)
        run = wait_status(api, run_id)
        assert run["status"] == "succeeded", run
        assert log.read_text() == f"{run_id}:b\n"
    finally:
        if runner:  # never left behind, even by a failing test (it leads its group)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(runner, signal.SIGKILL)
        if first.proc.poll() is None:
            first.proc.kill()
            first.proc.wait()
        if second is not None:
            second.stop()
