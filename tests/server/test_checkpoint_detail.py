"""GET /executions/{id}/checkpoints/{checkpoint_id}: one checkpoint's whole state (fork editor)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.nodes.helpers import chain_doc, code, node

from .conftest import Call

Wait = Callable[..., Awaitable[dict[str, Any]]]


async def test_one_checkpoint_with_its_whole_state(api: Call, wait_run: Wait) -> None:
    doc = chain_doc(
        node("a", "SetVariableNode", variables={"x": 2}),
        code("b", "return state['results']['a']['x'] * 10"),
        name="Stateful",
    )
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    run_id = (
        await api(
            "POST",
            "workflows",
            wid,
            "execute",
            json_body={"inputs": {"who": "ada"}, "break_before": ["b"]},
        )
    ).body["execution_id"]
    # Paused before b: the checkpoint b starts from is stored whatever the durability policy.
    assert (await wait_run(run_id))["status"] == "interrupted"
    listed = (await api("GET", "executions", run_id, "checkpoints")).body["items"]
    at_b = next(c for c in listed if c["next"] == ["b"])

    reply = await api("GET", "executions", run_id, "checkpoints", at_b["checkpoint_id"])
    assert reply.code == 200, reply.body
    body = reply.body
    assert (body["checkpoint_id"], body["next"], body["step"]) == (
        at_b["checkpoint_id"],
        ["b"],
        at_b["step"],
    )
    assert body["values"]["results"] == {"a": {"x": 2}}
    assert body["values"]["inputs"] == {"who": "ada"}
    assert body["results"] == {"a": {"x": 2}}

    missing = await api("GET", "executions", run_id, "checkpoints", "1f0-not-a-checkpoint")
    assert missing.code == 404
    assert "has no checkpoint 1f0-not-a-checkpoint" in missing.error["message"]
    no_run = await api("GET", "executions", "nope", "checkpoints", at_b["checkpoint_id"])
    assert no_run.code == 404
