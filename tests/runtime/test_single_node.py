"""Test one node alone, the state it received in a run, and pinned outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter.runtime.build import IGNORE_PINS
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.node_input import NodeNotReached, node_input
from orcheo_jupyter.runtime.single_node import NodeTestError
from orcheo_jupyter.store.sqlite import SqliteRepository
from tests.conftest import vaulted_executor
from tests.nodes.helpers import chain_doc, code, node

pytestmark = pytest.mark.asyncio


def _doc(**extra: Any) -> dict[str, Any]:
    return chain_doc(
        node("greet", "SetVariableNode", variables={"text": "Hello {{inputs.who}}"}),
        code("shout", "return state['results']['greet']['text'].upper() + '!'"),
        node("count", "SetVariableNode", variables={"n": "{{shout}}"}),
        name="pipeline",
        id="pipeline",
        **extra,
    )


async def _stored_runs(executor: Executor) -> int:
    _, total = await executor.store.list_runs(limit=1, offset=0)
    return total


async def test_a_node_runs_alone_on_the_given_state_and_nothing_is_stored(
    executor: Executor,
) -> None:
    state = {"inputs": {"who": "Ada"}, "results": {"greet": {"text": "hi there"}}}
    before = await _stored_runs(executor)
    tested = await executor.test_node(_doc(), "shout", state)
    assert (tested.output, tested.error, tested.pinned) == ("HI THERE!", None, False)
    templated = await executor.test_node(_doc(), "greet", state)
    assert templated.output == {"text": "Hello Ada"}
    assert await _stored_runs(executor) == before


async def test_a_failing_node_reports_the_error_a_run_would(executor: Executor) -> None:
    tested = await executor.test_node(_doc(), "shout", {"results": {}})
    assert tested.output is None
    assert tested.error == "node 'shout' failed (line 1 of its code): KeyError: 'greet'"
    with pytest.raises(NodeTestError, match=r"no node 'nope' \(nodes: count, greet, shout\)"):
        await executor.test_node(_doc(), "nope", {})


async def test_node_input_is_the_state_the_node_received(executor: Executor) -> None:
    record = await executor.execute(_doc(), {"who": "Ada"})
    assert record.status == "succeeded", record.error
    got = await node_input(executor, record.id, "shout")
    assert got.source == "checkpoint" and got.checkpoint_id
    assert got.state["results"] == {"greet": {"text": "Hello Ada"}}
    assert got.state["inputs"] == {"who": "Ada"}
    tested = await executor.test_node(_doc(), "shout", got.state)
    assert tested.output == "HELLO ADA!"


async def test_node_input_without_checkpoints_comes_from_the_events(tmp_path: Path) -> None:
    store = SqliteRepository(tmp_path / "orcheo.sqlite")
    await store.open()
    executor = Executor(store, None)
    try:
        record = await executor.execute(_doc(), {"who": "Bo"})
        got = await node_input(executor, record.id, "count")
        assert got.source == "events"
        assert got.state["results"] == {"greet": {"text": "Hello Bo"}, "shout": "HELLO BO!"}
        with pytest.raises(NodeNotReached, match="never reached node 'ghost'"):
            await node_input(executor, record.id, "ghost")
    finally:
        await executor.aclose()
        await store.close()


async def test_pinned_output_replaces_the_node_in_manual_runs_only(executor: Executor) -> None:
    doc = _doc(pinned={"shout": "PINNED"})
    manual = await executor.execute(doc, {"who": "Ada"})
    results = manual.final_state["results"]  # type: ignore[index]
    assert results["shout"] == "PINNED" and results["count"] == {"n": "PINNED"}
    events = await executor.store.list_events(manual.id)
    assert any(
        e.type == "node_message"
        and e.node == "shout"
        and e.data == {"message": "pinned output used"}
        for e in events
    )
    triggered = await executor.execute(
        doc, {"who": "Ada"}, config={"configurable": {IGNORE_PINS: True}}
    )
    assert triggered.final_state["results"]["shout"] == "HELLO ADA!"  # type: ignore[index]
    tested = await executor.test_node(doc, "shout", {})
    assert (tested.output, tested.pinned) == ("PINNED", True)


async def test_a_pin_for_a_missing_node_is_refused(executor: Executor) -> None:
    from orcheo_jupyter.spec.problems import DocumentError

    with pytest.raises(DocumentError, match="pinned output for node 'ghost', which does not exist"):
        await executor.execute(_doc(pinned={"ghost": 1}))


async def test_credentials_in_a_tested_node_are_resolved_and_scrubbed(tmp_path: Path) -> None:
    async with vaulted_executor(tmp_path / "data") as (executor, vault):
        await vault.create("pw", value="s3cret-value-123")
        doc = chain_doc(
            {
                "kind": "code",
                "id": "c",
                "body": "return 'x' + self.password",
                "config": {"password": "[[pw]]"},
                "injected": ["password"],
            },
            name="sec",
        )
        tested = await executor.test_node(doc, "c", {})
        assert tested.output == "x[redacted:pw]"
