"""WebSocket /orcheo/ws/executions/{id}: replay, live, close, reconnect, commands."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from orcheo_jupyter.server.ws import ExecutionSocket
from tests.conftest import linear_doc

from .conftest import Call, ask_doc, slow_doc

Create = Callable[..., Awaitable[dict[str, Any]]]
Wait = Callable[..., Awaitable[dict[str, Any]]]


def paced_doc(steps: int, pause: float) -> dict[str, Any]:
    """A chain of code nodes that each sleep a little, so a run is observable mid-way."""
    names = [f"s{i}" for i in range(steps)]
    nodes = [
        {
            "kind": "code",
            "id": n,
            "body": f"import asyncio\nawait asyncio.sleep({pause})\nreturn {i}",
        }
        for i, n in enumerate(names)
    ]
    chain = ["__start__", *names, "__end__"]
    edges = [{"source": a, "target": b} for a, b in itertools.pairwise(chain)]
    return {
        "name": "paced",
        "graph": {"format": "frozen-ir", "ir": {"nodes": nodes, "edges": edges}},
    }


async def read_all(ws: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Messages until the server closes the socket."""
    out = []
    while True:
        message = await asyncio.wait_for(ws.read_message(), timeout)
        if message is None:
            return out
        out.append(json.loads(message))


async def test_a_closed_socket_stops_its_keepalive_timer(
    api: Call, jp_ws_fetch: Any, create_workflow: Create, wait_run: Wait
) -> None:
    """Jupyter's 30 s keep-alive timer must not keep finished sockets (their requests
    and connections) alive: under load that was thousands of them, and GC pauses."""
    wid = (await create_workflow(linear_doc("a", "b")))["id"]
    for _ in range(3):
        run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
        await wait_run(run_id)
        ws = await jp_ws_fetch("orcheo", "ws", "executions", run_id)
        await read_all(ws)
        assert ws.close_code == 1000
    await asyncio.sleep(0.2)  # the server side sees the close
    gc.collect()
    sockets = [o for o in gc.get_objects() if isinstance(o, ExecutionSocket)]
    ticking = [s for s in sockets if s.ping_callback is not None and s.ping_callback.is_running()]
    assert ticking == []


async def test_replays_then_streams_live_then_closes(
    api: Call, jp_ws_fetch: Any, create_workflow: Create
) -> None:
    wid = (await create_workflow(paced_doc(4, 0.05)))["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    ws = await jp_ws_fetch("orcheo", "ws", "executions", run_id)
    messages = await read_all(ws)
    assert ws.close_code == 1000
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert messages[0]["type"] == "run_started"
    assert messages[-1]["type"] == "run_finished"
    assert [m["node"] for m in messages if m["type"] == "node_finished"] == ["s0", "s1", "s2", "s3"]
    assert messages[-1]["data"]["state"]["results"] == {"s0": 0, "s1": 1, "s2": 2, "s3": 3}

    # A finished run replays from the store and closes at once.
    ws = await jp_ws_fetch("orcheo", "ws", "executions", run_id, params={"after": 3})
    replay = await read_all(ws)
    assert replay == messages[3:]


async def test_reconnect_with_last_seq_gets_every_event_exactly_once(
    api: Call, jp_ws_fetch: Any, create_workflow: Create
) -> None:
    wid = (await create_workflow(paced_doc(6, 0.05)))["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    seen: list[dict[str, Any]] = []
    reconnects = 0
    while not seen or seen[-1]["type"] != "run_finished":
        ws = await jp_ws_fetch(
            "orcheo", "ws", "executions", run_id, params={"after": seen[-1]["seq"] if seen else 0}
        )
        reconnects += 1
        for _ in range(3):  # take a few events, then drop the connection mid-run
            message = await asyncio.wait_for(ws.read_message(), 20)
            if message is None:
                break
            seen.append(json.loads(message))
            if seen[-1]["type"] == "run_finished":
                break
        ws.close()
        await asyncio.sleep(0.03)  # events keep happening while disconnected
    assert reconnects >= 3
    seqs = [m["seq"] for m in seen]
    assert seqs == list(range(1, len(seen) + 1))  # in order, no gap, no duplicate
    finished = [m["node"] for m in seen if m["type"] == "node_finished"]
    assert finished == [f"s{i}" for i in range(6)]
    stored = (await api("GET", "executions", run_id, "events")).body["items"]
    assert seen == stored


async def test_cancel_over_the_socket(
    api: Call, jp_ws_fetch: Any, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow(slow_doc()))["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    ws = await jp_ws_fetch("orcheo", "ws", "executions", run_id)
    first = json.loads(await ws.read_message())
    assert first["type"] == "run_started"
    await ws.write_message(json.dumps({"type": "cancel"}))
    rest = await read_all(ws)
    assert rest[-1]["type"] == "run_cancelled"
    assert (await wait_run(run_id))["status"] == "cancelled"


async def test_resume_over_the_socket_and_bad_commands(
    api: Call, jp_ws_fetch: Any, create_workflow: Create
) -> None:
    wid = (await create_workflow(ask_doc()))["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    ws = await jp_ws_fetch("orcheo", "ws", "executions", run_id)
    events = []
    while not events or events[-1]["type"] != "interrupted":
        events.append(json.loads(await asyncio.wait_for(ws.read_message(), 20)))
    assert events[-1]["data"]["interrupts"][0]["value"] == {"question": "name?"}

    await ws.write_message("not json")
    error = json.loads(await asyncio.wait_for(ws.read_message(), 20))
    assert error["type"] == "error" and error["seq"] is None
    assert error["error"]["code"] == "invalid_command"
    await ws.write_message(json.dumps({"type": "resume"}))
    error = json.loads(await asyncio.wait_for(ws.read_message(), 20))
    assert 'needs a "value"' in error["error"]["message"]

    await ws.write_message(json.dumps({"type": "resume", "value": "Ada"}))
    # Sent as soon as the interrupt is seen: before the runner has settled the run
    # (this once lost the answer: the server refused it as "already being resumed").
    rest = await read_all(ws)
    assert rest[0]["type"] == "resumed"
    assert rest[-1]["type"] == "run_finished"
    assert rest[-1]["data"]["state"]["results"]["ask"] == "Hello Ada"
    assert [m["seq"] for m in events + rest] == list(range(1, len(events) + len(rest) + 1))


async def test_resume_of_a_finished_run_is_refused_on_the_socket(
    api: Call, jp_ws_fetch: Any, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow(slow_doc(0.3)))["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    ws = await jp_ws_fetch("orcheo", "ws", "executions", run_id)
    await ws.write_message(json.dumps({"type": "resume", "value": 1}))
    messages = await read_all(ws)
    errors = [m for m in messages if m["type"] == "error"]
    assert errors and errors[0]["error"]["code"] == "invalid_state"
    assert messages[-1]["type"] == "run_finished"


@pytest.mark.parametrize(
    ("run", "params", "status"),
    [("nope", {}, 404), ("RUN", {"after": "-1"}, 422), ("RUN", {"after": "x"}, 422)],
)
async def test_refused_before_the_upgrade(
    api: Call,
    jp_ws_fetch: Any,
    create_workflow: Create,
    run: str,
    params: dict[str, str],
    status: int,
) -> None:
    if run == "RUN":
        wid = (await create_workflow(linear_doc("a")))["id"]
        run = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    with pytest.raises(HTTPClientError) as info:
        await jp_ws_fetch("orcheo", "ws", "executions", run, params=params)
    assert info.value.code == status


async def test_socket_needs_credentials(
    api: Call, jp_ws_fetch: Any, create_workflow: Create
) -> None:
    wid = (await create_workflow(linear_doc("a")))["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    with pytest.raises(HTTPClientError) as info:
        await jp_ws_fetch(
            "orcheo", "ws", "executions", run_id, headers={"Authorization": "token wrong"}
        )
    assert info.value.code == 403
