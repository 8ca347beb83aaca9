"""A runner whose server was killed starts no other node.

A runner learned that its server died only when its orders thread read the end of
the socket. A runner starved of CPU (CI, a loaded machine) could run its event loop
first and start the next node of a run after the kill; the restarted server then
resumed the run from its checkpoint and ran that node again: a side effect twice
(tests/server/test_crash_safety.py saw node ``b`` run twice).

Node ``a`` here stands in for that starved orders thread, deterministically: it
makes the thread wait when it would end the process, signals the test, and returns
only once the test has SIGKILLed the server. Node ``b`` appends to a file.

On Linux the runner is also told at once by a parent-death signal, which leaves
even inside a long node; Linux sends it when the *thread* that started the runner
exits too, which must not end the runner of a live server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from orcheo_jupyter.runners import RunnerConfig, pool
from orcheo_jupyter.runners.wire import BlockingChannel
from orcheo_jupyter.settings import Settings
from tests.server.headless import Headless

from .helpers import client, execute, start, wait_status


def _two_nodes(started: Path, go: Path, log: Path, *, parent_death_signal: bool) -> dict[str, Any]:
    hold_orders = (
        # The orders thread would end this process on the server's end-of-file: it
        # waits instead, as if not scheduled yet. Only in the first runner, the one
        # the server's kill orphans; the resumed run passes straight through.
        f"if not os.path.exists({str(started)!r}):\n"
        f"    if {not parent_death_signal}:  # as where prctl is missing\n"
        "        signal.signal(PARENT_DEATH_SIGNAL, signal.SIG_IGN)\n"
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
        "import asyncio, os, signal, threading\n"
        "from orcheo_jupyter.runners.runner import PARENT_DEATH_SIGNAL\n"
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


def _inside_a(
    server: Headless, started: Path, go: Path, log: Path, *, parent_death_signal: bool
) -> tuple[str, int]:
    """Run the two nodes until a holds the orders thread: the run and its runner's pid."""
    doc = _two_nodes(started, go, log, parent_death_signal=parent_death_signal)
    with client(server) as api:
        reply = api.post("/workflows", json=doc)
        assert reply.status_code == 201, reply.text
        run_id = execute(api, reply.json()["id"])
    _wait_for(started)
    while not (text := started.read_text()):  # written, not only created
        time.sleep(0.02)
    return run_id, int(text)


def _end_group(pid: int) -> None:
    """Never left behind, even by a failing test (the runner leads its group)."""
    if pid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def test_a_runner_whose_server_died_starts_no_other_node(tmp_path: Path) -> None:
    root = tmp_path / "server"
    started, go, log = tmp_path / "a-started", tmp_path / "go", tmp_path / "b.log"
    first = start(root, runners=1)
    second = None
    runner = 0
    try:
        # Only the check before each node can stop b: no signal, the orders thread held.
        run_id, runner = _inside_a(first, started, go, log, parent_death_signal=False)
        first.proc.kill()  # SIGKILL: no shutdown, the runner's socket just ends
        first.proc.wait(30)
        go.touch()  # node a returns now (if its runner still runs): b is next

        deadline = time.monotonic() + 60
        while _running(runner) and not log.exists():
            assert time.monotonic() < deadline, "the orphaned runner neither left nor ran b"
            time.sleep(0.05)
        assert not log.exists(), "node b started in a runner whose server was dead"
        assert not _running(runner)

        # The next server resumes the run: b runs once, there.
        (root / "server.log").rename(root / "first-server.log")
        second = start(root, runners=1)
        with client(second) as api:
            run = wait_status(api, run_id)
        assert run["status"] == "succeeded", run
        assert log.read_text() == f"{run_id}:b\n"
    finally:
        _end_group(runner)
        if first.proc.poll() is None:
            first.proc.kill()
            first.proc.wait()
        if second is not None:
            second.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_runner_leaves_mid_node_when_its_server_dies(tmp_path: Path) -> None:
    """Linux tells the runner at once (its parent-death signal), even in a long node."""
    started, go, log = tmp_path / "a-started", tmp_path / "go", tmp_path / "b.log"
    server = start(tmp_path / "server", runners=1)
    runner = 0
    try:
        _, runner = _inside_a(server, started, go, log, parent_death_signal=True)
        server.proc.kill()
        server.proc.wait(30)
        deadline = time.monotonic() + 60
        while _running(runner):  # node a waits for a go that never comes
            assert time.monotonic() < deadline, "the orphaned runner stayed inside node a"
            time.sleep(0.05)
        assert not log.exists()
    finally:
        _end_group(runner)
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


def test_a_runner_outlives_the_thread_that_started_it(tmp_path: Path) -> None:
    """Linux sends the parent-death signal when the *thread* that started a process
    exits; a runner whose server lives on must ignore it."""
    spawned: list[tuple[subprocess.Popen[bytes], socket.socket]] = []

    def spawn_and_wait_ready() -> None:
        spawned.append(pool._start_process())
        sock = spawned[0][1]
        sock.settimeout(120)
        channel = BlockingChannel(sock)
        channel.send(RunnerConfig(1, Settings(data_dir=tmp_path), nice=0).message())
        assert (channel.recv() or {}).get("t") == "ready"  # past its start: signal armed

    thread = threading.Thread(target=spawn_and_wait_ready)
    thread.start()
    thread.join()  # the thread that started the runner is gone, this process is not
    assert spawned, "the runner could not start"
    proc, sock = spawned[0]
    try:
        channel = BlockingChannel(sock)
        channel.send({"op": "history", "run": "no-such-run", "call": "after"})
        try:
            reply = channel.recv()
        except OSError:  # reset: it died with the answer unread
            reply = None
        assert reply is not None, f"the runner died (exit status {proc.wait(30)})"
        assert reply["t"] == "answer" and reply["call"] == "after", reply
        channel.send({"op": "shutdown"})
        assert proc.wait(30) == 0
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _end_group(proc.pid)
