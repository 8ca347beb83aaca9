"""ForEachNode: fan-out with LangGraph Send, results gathered in list order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from orcheo_jupyter.nodes import registry
from orcheo_jupyter.nodes.base import BaseNode, NodeContext
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.spec.problems import DocumentError

from .helpers import chain_doc, node, results, run

_probe: dict[str, Any] = {"active": 0, "max_active": 0, "finished": []}


class ProbeNode(BaseNode):
    """Test node: waits, records how many probes run at once and the finishing order."""

    value: Any = None
    delay: float = 0.0

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        _probe["active"] += 1
        _probe["max_active"] = max(_probe["max_active"], _probe["active"])
        try:
            await asyncio.sleep(self.delay)
        finally:
            _probe["active"] -= 1
        _probe["finished"].append(self.value)
        return {"value": self.value, "node": ctx.node_id}


@pytest.fixture
def probe() -> Iterator[dict[str, Any]]:
    registry.register("ProbeNode", category="test")(ProbeNode)
    _probe.update(active=0, max_active=0, finished=[])
    yield _probe
    registry.unregister("ProbeNode")


def _fan_doc(**config: Any) -> dict[str, Any]:
    return chain_doc(node("each", "ForEachNode", **config))


@pytest.mark.asyncio
async def test_items_run_in_parallel_and_results_keep_list_order(
    executor: Executor, probe: dict[str, Any]
) -> None:
    doc = _fan_doc(
        items="{{inputs.jobs}}",
        body={"type": "ProbeNode", "config": {"value": "{{item.name}}", "delay": "{{item.wait}}"}},
    )
    jobs = [
        {"name": "slow", "wait": 0.15},
        {"name": "fast", "wait": 0.0},
        {"name": "mid", "wait": 0.05},
        {"name": "quick", "wait": 0.01},
    ]
    record = await run(executor, doc, {"jobs": jobs})
    out = results(record)["each"]
    assert [o["value"] for o in out["outputs"]] == ["slow", "fast", "mid", "quick"]
    assert [o["node"] for o in out["outputs"]] == ["each[0]", "each[1]", "each[2]", "each[3]"]
    assert out["count"] == 4 and out["errors"] == []
    assert probe["max_active"] == 4  # all four were in flight together
    assert probe["finished"][0] == "fast" and probe["finished"][-1] == "slow"


@pytest.mark.asyncio
async def test_max_concurrency_limits_items_in_flight(
    executor: Executor, probe: dict[str, Any]
) -> None:
    doc = _fan_doc(
        items=[1, 2, 3, 4, 5],
        max_concurrency=2,
        body={"type": "ProbeNode", "config": {"value": "{{item}}", "delay": 0.02}},
    )
    out = results(await run(executor, doc))["each"]
    assert [o["value"] for o in out["outputs"]] == [1, 2, 3, 4, 5]
    assert probe["max_active"] == 2


@pytest.mark.asyncio
async def test_body_sees_item_index_and_state(executor: Executor) -> None:
    doc = chain_doc(
        node("prefix", "SetVariableNode", variables={"text": "#"}),
        node(
            "each",
            "ForEachNode",
            items=["a", "b"],
            item_key="letter",
            index_key="pos",
            body={
                "type": "SetVariableNode",
                "config": {
                    "variables": {"label": "{{prefix.text}}{{pos}}={{letter}}", "raw": "{{pos}}"}
                },
            },
        ),
    )
    out = results(await run(executor, doc))["each"]
    assert out["outputs"] == [{"label": "#0=a", "raw": 0}, {"label": "#1=b", "raw": 1}]


@pytest.mark.asyncio
async def test_empty_list_gives_empty_outputs(executor: Executor) -> None:
    doc = _fan_doc(items=[], body={"type": "SetVariableNode", "config": {}})
    assert results(await run(executor, doc))["each"] == {"outputs": [], "count": 0, "errors": []}


_COMPARE = {
    "type": "IfElseNode",
    "config": {"conditions": [{"left": "{{item}}", "operator": "greater_than", "right": 1}]},
}


@pytest.mark.asyncio
async def test_a_failing_item_fails_the_run_naming_the_item(executor: Executor) -> None:
    record = await run(executor, _fan_doc(items=[2, "x", 0], body=_COMPARE))
    assert record.status == "failed"
    assert record.error == (
        "node 'each' failed: NodeError: items[1]: body failed: NodeError: conditions[0]: "
        "cannot compare str 'x' with int 1 using greater_than"
    )


@pytest.mark.asyncio
async def test_continue_on_error_records_failed_items(executor: Executor) -> None:
    record = await run(executor, _fan_doc(items=[2, "x", 0], body=_COMPARE, continue_on_error=True))
    out = results(record)["each"]
    assert [o and o["condition"] for o in out["outputs"]] == [True, None, False]
    assert out["errors"] == [
        {
            "index": 1,
            "error": "NodeError: conditions[0]: cannot compare str 'x' with int 1 using "
            "greater_than",
        }
    ]


@pytest.mark.asyncio
async def test_body_problems_are_found_before_the_run(executor: Executor) -> None:
    unknown = _fan_doc(items=[1], body={"type": "NoSuchNode", "config": {}})
    with pytest.raises(DocumentError) as err:
        await executor.submit(unknown)
    assert str(err.value) == (
        "error: node 'each' config.body: Value error, unknown node type 'NoSuchNode'"
    )
    bad_config = _fan_doc(items=[1], body={"type": "DelayNode", "config": {"duration_seconds": -1}})
    with pytest.raises(DocumentError) as err:
        await executor.submit(bad_config)
    assert "config.duration_seconds: Input should be greater than or equal to 0" in str(err.value)
    # A template where a number is expected is only known per item: not an error yet.
    templated = _fan_doc(
        items=[0.01], body={"type": "DelayNode", "config": {"duration_seconds": "{{item}}"}}
    )
    record = await run(executor, templated)
    assert results(record)["each"]["outputs"] == [{"duration_seconds": 0.01}]


@pytest.mark.asyncio
async def test_each_item_can_ask_a_person(executor: Executor) -> None:
    body = {
        "type": "HumanInputNode",
        "config": {"prompt": "Ship {{item}}?", "answer_schema": {"type": "boolean"}},
    }
    record = await run(executor, _fan_doc(items=["lamp", "desk"], body=body))
    assert record.status == "interrupted"
    prompts = {i["value"]["prompt"]: i["id"] for i in record.interrupt or []}
    assert set(prompts) == {"Ship lamp?", "Ship desk?"}
    # One answer per pending interrupt, keyed by interrupt id.
    await executor.resume(record.id, {prompts["Ship lamp?"]: True, prompts["Ship desk?"]: False})
    done = await executor.wait(record.id)
    assert [o["answer"] for o in results(done)["each"]["outputs"]] == [True, False]
