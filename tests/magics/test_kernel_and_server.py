"""A real kernel and a real server sharing one store, as in JupyterLab.

The kernel runs the magics; ``jupyter orcheo`` (started with the same
ORCHEO_DATA_DIR, as a Jupyter server's kernels inherit it) must list what the
kernel saved and ran without a restart, and follow a kernel run live over its
WebSocket by replaying the store.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from orcheo_jupyter.client import HttpWorkflowExecutor, OrcheoClient
from tests.client.live_server import Server, running_server


@dataclass
class Reply:
    status: str
    outputs: list[dict[str, Any]]  # iopub messages: {"type", "content", "at"}
    payload: list[dict[str, Any]]

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [o for o in self.outputs if o["type"] in types]

    def texts(self) -> list[str]:
        out = []
        for o in self.of_type("display_data", "update_display_data", "execute_result"):
            out.append(o["content"]["data"].get("text/plain", ""))
        for o in self.of_type("stream"):
            out.append(o["content"]["text"])
        return out


class Kernel:
    def __init__(self, client: BlockingKernelClient) -> None:
        self.client = client

    def start(self, code: str) -> str:
        return str(self.client.execute(code))

    def collect(self, msg_id: str, timeout: float = 120) -> Reply:
        outputs: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
            when = msg["header"]["date"]
            at = when if isinstance(when, datetime) else datetime.fromisoformat(str(when))
            outputs.append({"type": kind, "content": msg["content"], "at": at})
        reply = self.client.get_shell_msg(timeout=30)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.client.get_shell_msg(timeout=30)
        content = reply["content"]
        return Reply(content["status"], outputs, content.get("payload", []))

    def run(self, code: str) -> Reply:
        return self.collect(self.start(code))

    def ok(self, code: str) -> Reply:
        reply = self.run(code)
        errors = reply.of_type("error")
        assert reply.status == "ok" and not errors, errors or reply.texts()
        return reply


@dataclass
class Setup:
    server: Server
    kernel: Kernel
    folder: Path
    api: OrcheoClient


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    with kernel_beside_server(tmp_path_factory.mktemp("shared")) as both:
        yield both


@contextlib.contextmanager
def kernel_beside_server(root: Path) -> Iterator[Setup]:
    """A server and a kernel with the extension loaded, sharing one store under ``root``."""
    data = root / "orcheo-data"
    folder = root / "notebooks"
    folder.mkdir()
    with (
        running_server(root / "server", data) as server,
        kernel_on(data, folder, root / "kernel") as kernel,
        OrcheoClient(server.url, server.token) as api,
    ):
        yield Setup(server, kernel, folder, api)


@contextlib.contextmanager
def kernel_on(data: Path, folder: Path, home: Path) -> Iterator[Kernel]:
    """A kernel in ``folder`` on the store in ``data`` (its Jupyter dirs under ``home``),
    the extension loaded: a notebook's kernel, as a Jupyter server starts it."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "ORCHEO_DATA_DIR": str(data),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(folder), env=env)
    client = manager.blocking_client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        kernel = Kernel(client)
        kernel.ok("%load_ext orcheo_jupyter")
        yield kernel
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


SLOW = """%%orcheo shared --no-show
def first(state):
    return "first"

def second(state, *, seconds=1.5):
    import time
    time.sleep(seconds)
    return "second"

workflow.add_node("first", first)
workflow.add_node("second", second)
workflow.add_edge(START, "first")
workflow.add_edge("first", "second")
workflow.add_edge("second", END)
"""


def test_saved_in_the_kernel_listed_by_the_server(setup: Setup) -> None:
    reply = setup.kernel.ok(SLOW)
    assert any("saved shared.orcheo.json · version 1" in t for t in reply.texts())
    names = {w["name"]: w for w in setup.api.list_workflows()["items"]}
    assert "shared" in names
    stored = setup.api.get_workflow(names["shared"]["id"])
    on_disk = json.loads((setup.folder / "shared.orcheo.json").read_text())
    assert stored["document"] == on_disk


def test_kernel_run_is_live_in_the_kernel_and_followed_by_the_server(setup: Setup) -> None:
    setup.kernel.ok(SLOW)
    workflow = next(w for w in setup.api.list_workflows()["items"] if w["name"] == "shared")
    before = setup.api.list_executions(workflow_id=workflow["id"])["total"]
    msg_id = setup.kernel.start("%orcheo run shared -o res")

    # The server sees the kernel's run while it runs, and follows it over its WebSocket.
    deadline = time.monotonic() + 30
    while True:
        page = setup.api.list_executions(workflow_id=workflow["id"])
        if page["total"] > before:
            run = page["items"][0]
            break
        assert time.monotonic() < deadline, "the kernel's run never reached the server"
        time.sleep(0.05)
    follower = HttpWorkflowExecutor(client=setup.api)
    seen: list[dict[str, Any]] = []
    execution = follower.wait(run["id"], on_event=seen.append, timeout=60)
    assert execution["status"] == "succeeded"
    assert (execution["workflow_id"], execution["version"]) == (workflow["id"], 1)
    assert execution["final_state"]["results"] == {"first": "first", "second": "second"}
    assert [e["seq"] for e in seen] == list(range(1, execution["last_seq"] + 1))
    assert follower.transport_used == "websocket"

    reply = setup.kernel.collect(msg_id)
    assert reply.status == "ok"
    updates = reply.of_type("update_display_data")
    running = [u for u in updates if "◐ second" in u["content"]["data"]["text/plain"]]
    finished = [u for u in updates if "succeeded in" in u["content"]["data"]["text/plain"]]
    assert running and finished
    # progress was on screen while the node ran, not only at the end
    assert (finished[-1]["at"] - running[0]["at"]).total_seconds() > 1.0
    assert len({u["content"]["transient"]["display_id"] for u in updates}) == 1
    check = setup.kernel.ok("print(res.status, res.id)")
    assert check.texts()[-1].split() == ["succeeded", run["id"]]


def test_errors_in_a_real_kernel_are_short(setup: Setup) -> None:
    reply = setup.kernel.run(
        '%%orcheo broken\nworkflow.add_node("a", "SetVariableNode")\n'
        'workflow.add_edge(START, "a")\nworkflow.add_edge("a", "missing")\n'
    )
    assert reply.status == "error"
    (error,) = reply.of_type("error")
    assert error["content"]["ename"] == "OrcheoCellError"
    lines = error["content"]["traceback"]
    assert len(lines) == 2 and "line 4" in lines[0]
    assert not any("Traceback" in line or "File " in line for line in lines)


def test_code_magic_inserts_a_cell(setup: Setup) -> None:
    setup.kernel.ok(SLOW)
    reply = setup.kernel.ok("%orcheo code shared")
    (payload,) = [p for p in reply.payload if p.get("source") == "set_next_input"]
    assert payload["text"].startswith("%%orcheo shared\n")
    assert payload["replace"] is False


def test_an_unstorable_node_output_is_named_in_the_kernel_and_on_the_server(
    setup: Setup,
) -> None:
    """Workflow.run in the kernel: a node returning a generator fails naming the node, the
    value and where it is, in the kernel's result and in what the server shows of the run."""
    reply = setup.kernel.ok(
        "from orcheo_jupyter import Workflow\n"
        'wf = Workflow("leaky")\n'
        'wf.add_code_node("fetch", "return {\'rows\': (r for r in range(3))}")\n'
        'wf.add_edge("START", "fetch").add_edge("fetch", "END")\n'
        "res = wf.run()\n"
        "print(res.status)\n"
        "print(res.error)\n"
        "print(res.id)\n"
    )
    status, error, run_id = reply.texts()[-1].strip().split("\n")
    expected = (
        "node 'fetch' failed: it returned a value that cannot be stored: a generator object"
        " at results.fetch.rows; return JSON-like data (dicts, lists, strings, numbers,"
        " booleans, None)"
    )
    assert (status, error) == ("failed", expected)
    raised = setup.kernel.run("res.raise_for_status()")
    (shown,) = raised.of_type("error")
    assert shown["content"]["evalue"] == expected
    run = setup.api.get_execution(run_id)
    assert (run["status"], run["error"]) == ("failed", expected)
    events = setup.api.events(run_id)["items"]
    assert [(e["type"], e["node"]) for e in events][-2:] == [
        ("node_failed", "fetch"),
        ("run_failed", None),
    ]
    assert events[-2]["data"]["error"] == expected
