"""Processes a node starts end with its runner process.

A code node may start children (``subprocess.Popen``, ``os.fork``) and return without
waiting for them. They used to outlive their runner: when the runner was ended (a
node past its timeout) or the server was killed, they were adopted by init and ran
(and could spin) for ever. A forked child also held the runner's socket open, so a
runner that died by itself went unnoticed and every later run stayed pending. A
runner is the leader of its own process group, and the group is ended with it; forked
children close its socket.
"""

from __future__ import annotations

import contextlib
import signal
import time
from pathlib import Path

import httpx
import psutil

from .helpers import client, code_workflow, execute, start, wait_status

SPAWN = "import subprocess\nchild = subprocess.Popen(['sleep', '600'])\nreturn child.pid"
FORK = (
    "import os, time\npid = os.fork()\nif pid == 0:\n    while True:\n        time.sleep(1)\n"
    "return pid"
)


def _gone(pid: int, seconds: float = 30.0) -> bool:
    """Whether ``pid`` has ended (or is a zombie nobody waits for) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def _child_of_a_run(api: httpx.Client, workflow_id: str) -> int:
    run = wait_status(api, execute(api, workflow_id))
    assert run["status"] == "succeeded", run
    pid = int(run["final_state"]["results"]["c"])
    assert psutil.Process(pid).is_running()
    return pid


def test_children_of_nodes_end_with_their_runner(tmp_path: Path) -> None:
    server = start(tmp_path / "server", runners=1)
    children: list[int] = []
    try:
        api = client(server)
        spawn = code_workflow(api, SPAWN, name="spawn")
        fork = code_workflow(api, FORK, name="fork")
        spin = code_workflow(api, "while True:\n    pass", name="spin", timeout=1)
        children += [_child_of_a_run(api, spawn), _child_of_a_run(api, fork)]

        # A node past its timeout ends its runner: the children it left end too.
        run = wait_status(api, execute(api, spin))
        assert run["status"] == "failed" and "timed out after 1s" in run["error"], run
        assert all(_gone(pid) for pid in children), [psutil.Process(p) for p in children]

        # A runner that dies by itself while a child it forked lives: the server sees
        # it go (the child does not hold its socket), fails the run, and ends the child.
        children += [_child_of_a_run(api, fork)]
        # (It dies a second in: its node_started event is stored by then, so the failure
        # names the node; one dying at once is failed the same, without the name.)
        dies = "import os, time\ntime.sleep(1)\nos._exit(3)"
        exit_run = wait_status(api, execute(api, code_workflow(api, dies)))
        assert exit_run["status"] == "failed", exit_run
        assert exit_run["error"].startswith(
            "node 'c' failed: its runner process died 3 times while running it (last: exit "
            "status 3)"
        ), exit_run["error"]
        assert exit_run["node_states"] == {"c": "failed"}
        assert _gone(children[-1])

        # A server killed outright: its runners leave, and take their children along.
        children += [_child_of_a_run(api, spawn)]
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(30)
        assert _gone(children[-1])
    finally:
        server.stop()
        for pid in children:  # never left behind, even by a failing test
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).kill()
