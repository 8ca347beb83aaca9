"""Breakpoints and forks over REST: execute with break_before, resume, rerun with a state patch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.nodes.helpers import chain_doc, code, node

from .conftest import Call

Wait = Callable[..., Awaitable[dict[str, Any]]]


def _doc() -> dict[str, Any]:
    return chain_doc(
        node("a", "SetVariableNode", variables={"x": 2}),
        code("b", "return state['results']['a']['x'] * 10"),
        code("c", "return state['results']['b'] + 1"),
        name="Stepper",
    )


async def test_pause_before_a_node_resume_and_fork_with_an_edited_state(
    api: Call, wait_run: Wait
) -> None:
    wid = (await api("POST", "workflows", json_body=_doc())).body["id"]
    started = await api("POST", "workflows", wid, "execute", json_body={"break_before": ["c"]})
    assert started.code == 202, started.body
    run_id = started.body["execution_id"]
    paused = await wait_run(run_id)
    assert paused["status"] == "interrupted"
    (pending,) = paused["interrupt"]
    assert pending["value"]["before"] == ["c"]
    assert pending["value"]["state"]["results"] == {"a": {"x": 2}, "b": 20}

    checkpoints = (await api("GET", "executions", run_id, "checkpoints")).body["items"]
    at_c = next(c for c in checkpoints if c["next"] == ["c"])
    fork = await api(
        "POST",
        "executions",
        run_id,
        "rerun",
        json_body={"checkpoint_id": at_c["checkpoint_id"], "state_patch": {"results": {"b": 7}}},
    )
    assert fork.code == 202, fork.body
    forked = await wait_run(fork.body["execution_id"])
    assert forked["status"] == "succeeded", forked["error"]
    assert forked["final_state"]["results"]["c"] == 8
    assert forked["parent_run_id"] == run_id

    resumed = await api("POST", "executions", run_id, "resume", json_body={"value": None})
    assert resumed.code in (200, 202), resumed.body
    done = await wait_run(run_id)
    assert done["status"] == "succeeded"
    assert done["final_state"]["results"]["c"] == 21


async def test_bad_breakpoints_and_patches_are_refused(api: Call) -> None:
    wid = (await api("POST", "workflows", json_body=_doc())).body["id"]
    bad = await api("POST", "workflows", wid, "execute", json_body={"break_after": ["zz"]})
    assert bad.code == 422
    assert "no node 'zz' to break after" in str(bad.body)
    run_id = (await api("POST", "workflows", wid, "execute", json_body={})).body["execution_id"]
    patch_only = await api(
        "POST", "executions", run_id, "rerun", json_body={"state_patch": {"results": {}}}
    )
    assert patch_only.code == 422
    assert "state_patch needs a checkpoint_id" in str(patch_only.body)
