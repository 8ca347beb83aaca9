"""A node that blocks its runner's event loop is shown as started while it blocks.

A runner tells the server only what it has committed; a node's start used to wait in
the runner's group commit, which runs on the loop the node holds, so followers saw
the start only once the node had finished.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosedOK
from websockets.sync.client import connect

from tests.server.headless import Headless

from .helpers import client, execute, start, wait_status


def blocking_doc(go: Path, tried: Path, done: Path) -> dict[str, Any]:
    """``gate`` waits (yielding) for ``go``; ``c`` fails its first attempt at once, then
    blocks its loop for 3 s (``time.sleep`` in an async body) and writes ``done``."""
    gate = (
        "import asyncio, os\n"
        f"while not os.path.exists({str(go)!r}):\n"
        "    await asyncio.sleep(0.02)\n"
        "return 'open'"
    )
    blocker = (
        "import asyncio, os, time\n"
        f"if not os.path.exists({str(tried)!r}):\n"
        f"    open({str(tried)!r}, 'w').close()\n"
        "    raise RuntimeError('first attempt')\n"
        "await asyncio.sleep(0)\n"
        "time.sleep(3)\n"
        f"open({str(done)!r}, 'w').close()\n"
        "return 'done'"
    )
    return {
        "name": "blocking",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "gate",
                "nodes": [
                    {"kind": "code", "id": "gate", "body": gate},
                    {
                        "kind": "code",
                        "id": "c",
                        "body": blocker,
                        "retry": {"max_attempts": 2, "initial_interval": 0.05},
                    },
                ],
                "edges": [
                    {"source": "gate", "target": "c"},
                    {"source": "c", "target": "__end__"},
                ],
            },
        },
    }


def follow_noting(server: Headless, run_id: str, go: Path, done: Path) -> list[dict[str, Any]]:
    """A WebSocket follower's events, each with ``done_existed``: whether ``done`` existed
    when it arrived. It opens the gate once it receives its first event."""
    url = f"ws://{server.url.split('://', 1)[1]}/orcheo/ws/executions/{run_id}"
    received = []
    with connect(url, additional_headers=server.headers, open_timeout=20) as ws:
        deadline = time.monotonic() + 120
        while True:
            try:
                message = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            except ConnectionClosedOK:  # the server closes it after the run's last event
                break
            event = json.loads(message)
            event["done_existed"] = done.exists()
            received.append(event)
            go.touch()
    return received


def test_a_node_blocking_its_loop_is_seen_started_while_it_blocks(tmp_path: Path) -> None:
    go, tried, done = tmp_path / "go", tmp_path / "tried", tmp_path / "done"
    server = start(tmp_path / "server", runners=1)
    try:
        api = client(server)
        reply = api.post("/workflows", json=blocking_doc(go, tried, done))
        assert reply.status_code == 201, reply.text
        run_id = execute(api, reply.json()["id"])
        stream = follow_noting(server, run_id, go, done)
        run = wait_status(api, run_id)
        assert run["status"] == "succeeded", run
        assert done.exists()

        starts = [e for e in stream if e["type"] == "node_started" and e["node"] == "c"]
        assert [e["data"]["attempt"] for e in starts] == [1, 2], stream
        # The blocking attempt's start reached the follower before the node ended.
        assert not starts[1]["done_existed"], stream

        # Exactly one start per attempt, stored as streamed, in order.
        stored = api.get(f"/executions/{run_id}/events").json()["items"]
        assert [(e["seq"], e["type"], e["node"], e["data"]) for e in stored] == [
            (e["seq"], e["type"], e["node"], e["data"]) for e in stream
        ]
        assert [e["seq"] for e in stored] == list(range(1, len(stored) + 1))
        started = [(e["node"], e["data"]["attempt"]) for e in stored if e["type"] == "node_started"]
        assert started == [("gate", 1), ("c", 1), ("c", 2)], stored
    finally:
        server.stop()


def blocking_script() -> dict[str, Any]:
    """Two nodes in a LangGraph script (an uploaded script may not import os or time):
    ``gate`` yields for 1 s, ``c`` blocks its loop for 3 s and returns when it ended."""
    source = (
        "import asyncio, datetime\n"
        "from typing import TypedDict\n"
        "from langgraph.graph import END, START, StateGraph\n\n"
        "class S(TypedDict, total=False):\n"
        "    gate: str\n"
        "    ended: float\n\n"
        "async def gate(state):\n"
        "    await asyncio.sleep(1)\n"
        "    return {'gate': 'open'}\n\n"
        "async def c(state):\n"
        "    until = datetime.datetime.now() + datetime.timedelta(seconds=3)\n"
        "    while datetime.datetime.now() < until:\n"
        "        pass\n"
        "    return {'ended': datetime.datetime.now().timestamp()}\n\n"
        "graph = StateGraph(S)\n"
        "graph.add_node('gate', gate)\n"
        "graph.add_node('c', c)\n"
        "graph.add_edge(START, 'gate')\n"
        "graph.add_edge('gate', 'c')\n"
        "graph.add_edge('c', END)\n"
    )
    return {"name": "blocking-script", "graph": {"format": "langgraph-script", "source": source}}


def test_a_script_node_blocking_its_loop_is_seen_started_while_it_blocks(tmp_path: Path) -> None:
    server = start(tmp_path / "server", runners=1)
    try:
        api = client(server)
        reply = api.post("/workflows", json=blocking_script())
        assert reply.status_code == 201, reply.text
        run_id = execute(api, reply.json()["id"])
        url = f"ws://{server.url.split('://', 1)[1]}/orcheo/ws/executions/{run_id}"
        received: list[tuple[float, dict[str, Any]]] = []
        with (
            connect(url, additional_headers=server.headers, open_timeout=20) as ws,
            contextlib.suppress(ConnectionClosedOK),  # closed after the last event
        ):
            while True:
                received.append((time.time(), json.loads(ws.recv(timeout=60))))
        run = wait_status(api, run_id)
        assert run["status"] == "succeeded", run
        ended = run["final_state"]["ended"]

        nodes = [(e["type"], e["node"]) for _, e in received if e["node"] is not None]
        assert nodes == [
            ("node_started", "gate"),
            ("node_finished", "gate"),
            ("node_started", "c"),
            ("node_finished", "c"),
        ], received
        [c_seen] = [at for at, e in received if e["type"] == "node_started" and e["node"] == "c"]
        assert c_seen < ended, received  # the follower saw c start before c ended
    finally:
        server.stop()
