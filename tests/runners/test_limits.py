"""A node that allocates too much fails its run, not the server: ``runner_memory_limit``."""

from __future__ import annotations

from pathlib import Path

import psutil

from .helpers import client, code_workflow, execute, runner_processes, start, wait_status


def test_out_of_memory_fails_the_run_and_leaves_the_server_alone(tmp_path: Path) -> None:
    server = start(tmp_path / "server", runners=1)
    try:
        api = client(server)
        greedy = code_workflow(api, "text = 'a' * 10**10\nreturn len(text)", name="greedy")
        first = runner_processes(server.proc.pid)
        run = wait_status(api, execute(api, greedy), timeout=60)
        assert run["status"] == "failed"
        assert run["error"].startswith("out of memory in node 'c'"), run["error"]
        assert "4 GiB" in run["error"] and "runner_memory_limit" in run["error"]
        assert run["node_states"] == {"c": "failed"}
        assert psutil.Process(server.proc.pid).memory_info().rss < 500 * 2**20

        # The runner is replaced (it may hold memory it cannot give back); runs go on.
        answer = code_workflow(api, "return 42", name="answer")
        run = wait_status(api, execute(api, answer), timeout=60)
        assert run["status"] == "succeeded" and run["final_state"]["results"]["c"] == 42
        assert {p.pid for p in runner_processes(server.proc.pid)}.isdisjoint(p.pid for p in first)
    finally:
        server.stop()


def test_memory_limit_is_configurable(tmp_path: Path) -> None:
    server = start(tmp_path / "server", runners=1, ORCHEO_RUNNER_MEMORY_LIMIT=str(2 * 2**30))
    try:
        api = client(server)
        greedy = code_workflow(api, "blob = bytearray(3 * 2**30)\nreturn 1", name="greedy")
        run = wait_status(api, execute(api, greedy), timeout=60)
        assert run["status"] == "failed" and "2 GiB" in run["error"], run["error"]
    finally:
        server.stop()


NICENESS = "import os\nreturn os.nice(0)"
#: Linux with autogroup: the scheduler shares the CPU between sessions first, and a
#: process's nice counts only within its session. Each runner leads its own.
AUTOGROUP = Path("/proc/self/autogroup")


def _session_niceness(pid: int) -> int:
    """The nice value of the session (autogroup) ``pid`` is in: "/autogroup-7 nice 10"."""
    return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])


def test_runs_yield_the_cpu_to_the_server_and_kernels(tmp_path: Path) -> None:
    """Runners run user code at a lower CPU priority (nice +10, configurable), and so
    does their session where the scheduler shares the CPU between sessions first: a
    niced process alone in its own would take as much as the server's whole session."""
    base = psutil.Process().nice()
    server = start(tmp_path / "server", runners=1, ORCHEO_RUNNER_NICE="")  # the default
    try:
        api = client(server)
        assert psutil.Process(server.proc.pid).nice() == base
        run = wait_status(api, execute(api, code_workflow(api, NICENESS)), timeout=60)
        assert run["final_state"]["results"]["c"] == min(base + 10, 19), run
        runners = runner_processes(server.proc.pid)
        assert [p.nice() for p in runners] == [min(base + 10, 19)]
        if AUTOGROUP.exists():
            assert [_session_niceness(p.pid) for p in runners] == [min(base + 10, 19)]
    finally:
        server.stop()
    server = start(tmp_path / "server3", runners=1, ORCHEO_RUNNER_NICE="3")
    try:
        api = client(server)
        run = wait_status(api, execute(api, code_workflow(api, NICENESS)), timeout=60)
        assert run["final_state"]["results"]["c"] == min(base + 3, 19), run
        if AUTOGROUP.exists():
            sessions = [_session_niceness(p.pid) for p in runner_processes(server.proc.pid)]
            assert sessions == [min(base + 3, 19)]
    finally:
        server.stop()
