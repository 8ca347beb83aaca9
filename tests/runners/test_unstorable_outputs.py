"""A node returning what a checkpoint cannot store fails naming the node, the value and where.

Before, every surface said only "the run's state cannot be checkpointed: TypeError:
Type is not msgpack serializable: _thread.lock", with no node, after LangGraph had
taken the output into its state. A real headless server executes these runs in its
runner process; the REST run, its events and the WebSocket stream all say it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orcheo_jupyter.runtime.serialize import Unstorable, check_storable

from .helpers import client, code_workflow, execute, follow, start, wait_status

ADVICE = "return JSON-like data (dicts, lists, strings, numbers, booleans, None)"

CASES = {
    # body: what is named, and where
    "import threading\nreturn {'foo': threading.Lock()}": ("a _thread.lock object", "foo"),
    "return {'rows': [1, {'gen': (i for i in range(3))}]}": (
        "a generator object",
        "rows[1].gen",
    ),
    "import socket\ns = socket.socket()\ns.close()\nreturn [s]": ("a socket.socket object", "[0]"),
    "class Thing:\n    pass\n\nreturn {'thing': Thing()}": ("a Thing object", "thing"),
    "return {'big': 2**70}": ("an integer beyond 64 bits", "big"),
}


@pytest.mark.timeout(240)
def test_unstorable_outputs_fail_naming_the_node_on_the_runner_path(tmp_path: Path) -> None:
    server = start(tmp_path / "server", runners=1)
    try:
        api = client(server)
        runs = {}
        for n, body in enumerate(CASES):
            runs[body] = execute(api, code_workflow(api, body, name=f"unstorable-{n}"))
        for body, (what, where) in CASES.items():
            run_id = runs[body]
            run = wait_status(api, run_id)
            expected = (
                f"node 'c' failed: it returned a value that cannot be stored: {what} at"
                f" results.c{'' if where.startswith('[') else '.'}{where}; {ADVICE}"
            )
            assert (run["status"], run["error"]) == ("failed", expected), body
            assert run["node_states"] == {"c": "failed"}
            events = api.get(f"/executions/{run_id}/events").json()["items"]
            assert [(e["type"], e["node"]) for e in events] == [
                ("run_started", None),
                ("node_started", "c"),
                ("node_failed", "c"),
                ("run_failed", None),
            ]
            assert events[2]["data"]["error"] == expected
            assert events[3]["data"]["error"] == expected
            assert [e["type"] for e in follow(server, run_id)][-1] == "run_failed"
        # The runner that ran them is fine: the next run succeeds on it.
        ok = execute(api, code_workflow(api, "return {'fine': [1, 'two', None]}", name="ok"))
        assert wait_status(api, ok)["final_state"]["results"]["c"] == {"fine": [1, "two", None]}
    finally:
        server.stop()


def test_what_the_checkpoint_stores_passes_and_the_first_unstorable_value_is_named() -> None:
    import datetime as dt
    import decimal
    import uuid

    from langchain_core.messages import AIMessage
    from pydantic import BaseModel

    class Model(BaseModel):
        x: int

    check_storable(
        {
            "plain": [1, 2.5, "s", None, True, {"n": {"deep": [()]}}],
            "rich": [dt.datetime.now(), decimal.Decimal("1.5"), uuid.uuid4(), {1, 2}, b"x"],
            "model": Model(x=1),
            "message": AIMessage(content="hi"),
            "edge": [2**64 - 1, -(2**63)],
        }
    )
    with pytest.raises(Unstorable) as caught:
        check_storable({"results": {"x": {"ok": 1, "items": [0, frozenset([lambda: 1])]}}})
    assert (caught.value.what, caught.value.path) == ("a function object", "results.x.items[1][0]")
