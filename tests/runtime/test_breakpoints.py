"""Breakpoints pause a run before/after chosen nodes; forks start from an edited checkpoint."""

from __future__ import annotations

from typing import Any

import pytest

from orcheo_jupyter.runtime.executor import Executor, RunStateError
from orcheo_jupyter.spec.edits import apply_edits
from orcheo_jupyter.spec.io import document_from_data
from orcheo_jupyter.spec.problems import DocumentError
from tests.nodes.helpers import chain_doc, code, node

pytestmark = pytest.mark.asyncio


def _doc() -> dict[str, Any]:
    return chain_doc(
        node("a", "SetVariableNode", variables={"x": 2}),
        code("b", "return state['results']['a']['x'] * 10"),
        code("c", "return state['results']['b'] + 1"),
        name="bp",
    )


async def test_break_before_pauses_shows_the_state_and_continues(executor: Executor) -> None:
    config = {"breakpoints": {"before": ["b"], "after": ["b"]}}
    record = await executor.execute(_doc(), {}, config=config)
    assert record.status == "interrupted"
    (pending,) = record.interrupt or []
    assert pending["id"] == "breakpoint"
    value = pending["value"]
    assert (value["type"], value["next"], value["before"]) == ("breakpoint", ["b"], ["b"])
    assert value["state"]["results"] == {"a": {"x": 2}}

    await executor.resume(record.id, None)
    after_b = await executor.wait(record.id)
    assert after_b.status == "interrupted"
    value = after_b.interrupt[0]["value"]  # type: ignore[index]
    assert (value["next"], value["before"], value["after"]) == (["c"], [], ["b"])
    assert value["state"]["results"]["b"] == 20

    await executor.resume(record.id, "anything")
    done = await executor.wait(record.id)
    assert done.status == "succeeded"
    assert done.final_state["results"]["c"] == 21  # type: ignore[index]
    statuses = [t.status for t in await executor.transitions(record.id)]
    assert statuses.count("interrupted") == 2


async def test_a_paused_run_continues_as_stored_after_its_document_is_edited_in_place(
    executor: Executor,
) -> None:
    """The notebook canvas edits its Workflow's document object in place. The graph
    compiled for a run was built from that object, so a run paused at a breakpoint,
    continued after a rename on the canvas, wrote its node's result under the new name
    (and a new run of the unedited document, same checksum, got the edited graph)."""
    doc = document_from_data(_doc())
    record = await executor.execute(doc, {}, config={"breakpoints": {"before": ["b"]}})
    assert record.status == "interrupted"
    apply_edits(doc, [{"op": "rename_node", "id": "c", "new_id": "last"}])
    apply_edits(doc, [{"op": "set_config", "id": "a", "config": {"variables": {"x": 3}}}])
    await executor.resume(record.id, None)
    done = await executor.wait(record.id)
    assert done.status == "succeeded"
    assert done.final_state["results"] == {"a": {"x": 2}, "b": 20, "c": 21}  # type: ignore[index]
    again = await executor.execute(document_from_data(_doc()), {})
    assert again.final_state["results"] == {"a": {"x": 2}, "b": 20, "c": 21}  # type: ignore[index]
    edited = await executor.execute(doc, {})  # the edited document runs as edited
    assert edited.final_state["results"] == {"a": {"x": 3}, "b": 30, "last": 31}  # type: ignore[index]


async def test_breakpoints_must_name_nodes(executor: Executor) -> None:
    with pytest.raises(DocumentError, match="no node 'zz' to break before"):
        await executor.submit(_doc(), config={"breakpoints": {"before": ["zz"]}})


async def test_fork_from_a_checkpoint_with_an_edited_state(executor: Executor) -> None:
    first = await executor.execute(_doc(), {})
    assert first.final_state["results"]["c"] == 21  # type: ignore[index]
    checkpoints = await executor.checkpoints(first.id)
    before_c = next(c for c in checkpoints if c["next"] == ["c"])
    fork = await executor.rerun(
        first.id, before_c["checkpoint_id"], state_patch={"results": {"b": 100}}
    )
    forked = await executor.wait(fork)
    assert forked.status == "succeeded", forked.error
    assert forked.final_state["results"] == {"a": {"x": 2}, "b": 100, "c": 101}  # type: ignore[index]
    assert forked.parent_run_id == first.id
    assert forked.parent_checkpoint_id == before_c["checkpoint_id"]
    # the source run is untouched
    assert (await executor.get_run(first.id)).final_state["results"]["b"] == 20  # type: ignore[index]
    with pytest.raises(RunStateError, match="a state patch needs a checkpoint_id"):
        await executor.rerun(first.id, None, state_patch={"results": {"b": 1}})


async def test_a_fork_patching_a_key_the_state_lacks_is_refused(executor: Executor) -> None:
    # LangGraph restores only its channels: the key would vanish and the edit with it.
    first = await executor.execute(_doc(), {})
    before_c = next(c for c in await executor.checkpoints(first.id) if c["next"] == ["c"])
    _, runs = await executor.store.list_runs()
    patch = {"results": {"b": 1}, "reslts": {"b": 1}, "__start__": 1}
    with pytest.raises(DocumentError) as refused:
        await executor.rerun(first.id, before_c["checkpoint_id"], state_patch=patch)
    keys = "(its keys: config, inputs, messages, results, structured_response)"
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("state_patch.reslts", f"the workflow's state has no key 'reslts' {keys}"),
        ("state_patch.__start__", f"the workflow's state has no key '__start__' {keys}"),
    ]
    assert (await executor.store.list_runs())[1] == runs  # no run was started


async def test_every_surface_puts_breakpoints_into_the_config_one_way() -> None:
    # REST, the CLI, the magics and the canvas all build the config with into_config.
    from orcheo_jupyter.runtime.breakpoints import into_config, node_list, requested

    assert into_config(None, [], []) is None
    given = {"configurable": {"team": "ops"}}
    assert into_config(given, (), []) == given
    config = into_config(given, node_list(" b, c ,"), ("c",))
    assert config == {
        "configurable": {"team": "ops"},
        "breakpoints": {"before": ["b", "c"], "after": ["c"]},
    }
    assert requested(config) == {"before": ["b", "c"], "after": ["c"]}
    assert given == {"configurable": {"team": "ops"}}  # the caller's config is not changed
