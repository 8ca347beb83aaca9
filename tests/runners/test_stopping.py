"""Stopping means stopped: a node that never yields is ended with its runner process.

``while True: pass`` ignores a cancel and its timeout (a thread cannot be killed);
in the server process it kept a core busy forever and, eight of them later, no run
could start. With runners, its process is ended and replaced.
"""

from __future__ import annotations

import time
from pathlib import Path

import psutil

from tests.server.headless import wait_healthy

from .helpers import (
    client,
    code_workflow,
    cpu_seconds,
    execute,
    runner_processes,
    start,
    wait_node_running,
    wait_status,
)

SPIN = "while True:\n    pass"


#: A spinning node costs its process a whole core (1 CPU-second per second); idle hosts
#: cost a few hundredths. Half a core tells them apart even with other work on the machine.
SPINNING = 0.5


def _quiet_within(processes: list[psutil.Process], seconds: float) -> float:
    """CPU seconds the given processes use in the second after ``seconds`` have passed."""
    time.sleep(seconds)
    before = cpu_seconds(processes)
    time.sleep(1.0)
    return cpu_seconds(processes) - before


def test_cancel_and_timeout_of_a_busy_loop_free_the_cpu(tmp_path: Path) -> None:
    server = start(tmp_path / "server", runners=2)
    try:
        api = client(server)
        spin = code_workflow(api, SPIN, name="spin")
        spin_timeout = code_workflow(api, SPIN, name="spin-timeout", timeout=1)
        answer = code_workflow(api, "return 42", name="answer")
        server_proc = psutil.Process(server.proc.pid)

        # Cancel: the run ends cancelled, its runner is ended, nothing keeps spinning.
        run_id = execute(api, spin)
        wait_node_running(api, run_id)
        hosts = [server_proc, *runner_processes(server.proc.pid)]
        assert api.delete(f"/executions/{run_id}").status_code == 200
        run = wait_status(api, run_id, timeout=5)
        assert run["status"] == "cancelled"
        # The spinning runner is gone; the server and the other runner sit idle.
        assert _quiet_within(hosts, 2.0) < SPINNING

        # Timeout: the run fails naming the node and the limit, and stops spinning too.
        run_id = execute(api, spin_timeout)
        wait_node_running(api, run_id)
        hosts = [server_proc, *runner_processes(server.proc.pid)]
        run = wait_status(api, run_id, timeout=10)
        assert run["status"] == "failed"
        assert "node 'c'" in run["error"] and "timed out after 1s" in run["error"], run["error"]
        assert _quiet_within(hosts, 1.0) < SPINNING

        # Eight more in a row, cancelled or timed out: nothing leaks (each ends a runner, so
        # a leak would leave eight or more), and the next run is quick.
        for n in range(8):
            run_id = execute(api, spin if n % 2 else spin_timeout)
            wait_node_running(api, run_id)
            if n % 2:
                assert api.delete(f"/executions/{run_id}").status_code == 200
            run = wait_status(api, run_id, timeout=30)
            assert run["status"] == ("cancelled" if n % 2 else "failed"), run
        assert len(runner_processes(server.proc.pid)) <= 3  # replaced, not piled up
        wait_healthy(server)  # a runner is ready (replacements start in about a second)
        started = time.monotonic()
        run = wait_status(api, execute(api, answer), timeout=10, poll=0.01)
        elapsed = time.monotonic() - started
        assert run["status"] == "succeeded" and run["final_state"]["results"]["c"] == 42
        assert elapsed < 1.0, elapsed
        events = api.get(f"/executions/{run_id}/events").json()["items"]
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    finally:
        server.stop()
