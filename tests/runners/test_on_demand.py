"""``runners_on_demand``: no runner process until the first run or node test needs one.

A server whose user never runs a workflow (a JupyterHub of many users) keeps no idle
runner, each of which holds LangGraph in memory and took seconds of CPU to start.
"""

from __future__ import annotations

from pathlib import Path

from .helpers import client, code_workflow, execute, runner_processes, start, wait_status


def test_runners_start_with_the_first_run_and_stay(tmp_path: Path) -> None:
    server = start(tmp_path / "server", runners=2, ORCHEO_RUNNERS_ON_DEMAND="true")
    try:
        api = client(server)
        workflow_id = code_workflow(api, "return 6 * 7")  # the runtime is open now
        health = api.get("/health")
        assert health.status_code == 200, health.text  # healthy with no runner yet
        assert runner_processes(server.proc.pid) == []

        run = wait_status(api, execute(api, workflow_id))
        assert run["status"] == "succeeded", run
        assert run["final_state"]["results"] == {"c": 42}
        assert len(runner_processes(server.proc.pid)) == 2  # the pool, full

        tested = api.post(f"/workflows/{workflow_id}/nodes/c/test", json={"state": {}})
        assert tested.status_code == 200, tested.text
        assert tested.json()["output"] == 42
    finally:
        server.stop()


def test_a_node_test_starts_them_too(tmp_path: Path) -> None:
    server = start(tmp_path / "server", runners=1, ORCHEO_RUNNERS_ON_DEMAND="1")
    try:
        api = client(server)
        workflow_id = code_workflow(api, "return 'alone'")
        assert runner_processes(server.proc.pid) == []
        tested = api.post(f"/workflows/{workflow_id}/nodes/c/test", json={"state": {}})
        assert tested.status_code == 200, tested.text
        assert tested.json()["output"] == "alone"
        assert len(runner_processes(server.proc.pid)) == 1
    finally:
        server.stop()
