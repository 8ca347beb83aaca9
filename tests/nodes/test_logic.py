"""Logic nodes: conditions, if/else, switch, while, for loop, merge, fail."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from orcheo_jupyter.nodes.base import NodeError
from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, code, node, results, run, run_node


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("left", "operator", "right", "case_sensitive", "expected"),
    [
        (5, "equals", 5, True, True),
        ("5", "equals", 5, True, True),  # a template's text compares as a number
        ("abc", "equals", "ABC", True, False),
        ("abc", "equals", "ABC", False, True),
        (True, "equals", "true", True, True),
        (1, "not_equals", 2, True, True),
        (10, "greater_than", 9, True, True),
        ("10", "greater_than", "9", True, True),  # numeric text orders as numbers
        (3, "greater_than_or_equal", 3, True, True),
        (2.5, "less_than", 3, True, True),
        (3, "less_than_or_equal", 2, True, False),
        ("Hello World", "contains", "world", False, True),
        ("Hello World", "contains", "world", True, False),
        (["a", "b"], "contains", "b", True, True),
        (["a", "b"], "not_contains", "c", True, True),
        ("B", "in", ["a", "b"], False, True),
        ("B", "in", ["a", "b"], True, False),
        ("x", "not_in", ["a", "b"], True, True),
        ("key", "in", {"key": 1}, True, True),
        ([], "is_truthy", None, True, False),
        ("", "is_falsy", None, True, True),
        (None, "contains", "a", True, False),
        (4, ">=", 4, True, True),
    ],
)
async def test_if_else_operators(
    left: Any, operator: str, right: Any, case_sensitive: bool, expected: bool
) -> None:
    cond = {"left": left, "operator": operator, "right": right, "case_sensitive": case_sensitive}
    out = await run_node("IfElseNode", {"conditions": [cond]})
    assert out["condition"] is expected
    assert out["branch"] == ("true" if expected else "false")
    assert out["evaluations"][0]["result"] is expected


@pytest.mark.asyncio
async def test_if_else_and_or() -> None:
    conds = [
        {"left": 1, "operator": "equals", "right": 1},
        {"left": 1, "operator": "equals", "right": 2},
    ]
    assert (await run_node("IfElseNode", {"conditions": conds}))["condition"] is False
    both = {"conditions": conds, "condition_logic": "or"}
    assert (await run_node("IfElseNode", both))["condition"] is True


@pytest.mark.asyncio
async def test_uncomparable_values_name_the_condition() -> None:
    conds = [
        {"left": 1, "operator": "equals", "right": 1},
        {"left": "abc", "operator": "greater_than", "right": 5},
    ]
    with pytest.raises(NodeError) as err:
        await run_node("IfElseNode", {"conditions": conds})
    assert str(err.value) == (
        "conditions[1]: cannot compare str 'abc' with int 5 using greater_than"
    )


def test_if_else_config_errors_are_found_before_running() -> None:
    from orcheo_jupyter.nodes.library.logic import IfElseNode

    with pytest.raises(ValidationError) as err:
        IfElseNode.model_validate({"conditions": []})
    assert err.value.errors()[0]["loc"] == ("conditions",)
    with pytest.raises(ValidationError) as err:
        IfElseNode.model_validate({"conditions": [{"left": 1, "operator": "bigger"}]})
    assert err.value.errors()[0]["loc"] == ("conditions", 0, "operator")


@pytest.mark.asyncio
async def test_if_else_routes_a_run(executor: Executor) -> None:
    doc = chain_doc(
        node(
            "check",
            "IfElseNode",
            conditions=[{"left": "{{inputs.amount}}", "operator": "greater_than", "right": 100}],
        ),
        node("big", "SetVariableNode", variables={"size": "big"}),
        node("small", "SetVariableNode", variables={"size": "small"}),
        edges=[("__start__", "check"), ("big", "__end__"), ("small", "__end__")],
        conditional=[
            {
                "source": "check",
                "path": "results.check.condition",
                "mapping": {"true": "big", "false": "small"},
            }
        ],
    )
    high = results(await run(executor, doc, {"amount": 250}))
    assert high["big"] == {"size": "big"} and "small" not in high
    low = results(await run(executor, doc, {"amount": "99"}))
    assert low["small"] == {"size": "small"} and "big" not in low


@pytest.mark.asyncio
async def test_switch_first_match_default_and_case_rules() -> None:
    cases = [
        {"match": "gold", "branch_key": "vip"},
        {"match": ["silver", "bronze"], "label": "metal"},
        {"match": "GOLD", "branch_key": "shouty"},
    ]
    out = await run_node("SwitchNode", {"value": "gold", "cases": cases})
    assert out == {
        "value": "gold",
        "branch": "vip",
        "matched": True,
        "case": "vip",
        "case_index": 0,
    }
    out = await run_node("SwitchNode", {"value": "bronze", "cases": cases})
    assert (out["branch"], out["case"]) == ("case_2", "metal")
    out = await run_node("SwitchNode", {"value": "Gold", "cases": cases})
    assert out["branch"] == "default" and out["matched"] is False
    out = await run_node(
        "SwitchNode",
        {"value": "Gold", "cases": cases, "case_sensitive": False, "default_branch_key": "other"},
    )
    assert out["branch"] == "vip"
    out = await run_node(
        "SwitchNode",
        {"value": 2, "cases": [{"match": "2", "branch_key": "two"}, {"match": True}]},
    )
    assert out["branch"] == "two"
    out = await run_node("SwitchNode", {"value": True, "cases": [{"match": "true"}]})
    assert out["branch"] == "case_1"


@pytest.mark.asyncio
async def test_switch_routes_a_run(executor: Executor) -> None:
    doc = chain_doc(
        node(
            "route",
            "SwitchNode",
            value="{{inputs.kind}}",
            cases=[{"match": "a", "branch_key": "A"}, {"match": "b", "branch_key": "B"}],
        ),
        node("on_a", "SetVariableNode", variables={"got": "a"}),
        node("on_other", "SetVariableNode", variables={"got": "other"}),
        edges=[("__start__", "route"), ("on_a", "__end__"), ("on_other", "__end__")],
        conditional=[
            {
                "source": "route",
                "path": "results.route.branch",
                "mapping": {"A": "on_a"},
                "default": "on_other",
            }
        ],
    )
    assert results(await run(executor, doc, {"kind": "a"}))["on_a"] == {"got": "a"}
    assert results(await run(executor, doc, {"kind": "z"}))["on_other"] == {"got": "other"}


def _while_doc(**while_config: Any) -> dict[str, Any]:
    return chain_doc(
        node("loop", "WhileNode", **while_config),
        code("body", "prev = state['results'].get('body', {}).get('n', 0)\nreturn {'n': prev + 1}"),
        edges=[("__start__", "loop"), ("body", "loop")],
        conditional=[
            {
                "source": "loop",
                "path": "results.loop.branch",
                "mapping": {"continue": "body", "exit": "__end__"},
            }
        ],
    )


@pytest.mark.asyncio
async def test_while_counts_iterations_when_left_is_not_set(executor: Executor) -> None:
    doc = _while_doc(conditions=[{"operator": "less_than", "right": 3}])
    out = results(await run(executor, doc))
    assert out["body"] == {"n": 3}
    assert out["loop"] == {
        "should_continue": False,
        "iteration": 3,
        "limit_reached": False,
        "branch": "exit",
    }


@pytest.mark.asyncio
async def test_while_reads_state_and_stops_at_max_iterations(executor: Executor) -> None:
    reads_state = _while_doc(
        conditions=[{"left": "{{results.body.n}}", "operator": "not_equals", "right": 4}]
    )
    # Before the body ran, the template stays verbatim and differs from 4: loop starts.
    assert results(await run(executor, reads_state))["body"] == {"n": 4}
    capped = _while_doc(conditions=[{"operator": "is_truthy", "left": True}], max_iterations=5)
    out = results(await run(executor, capped))
    assert out["body"] == {"n": 5}
    assert out["loop"]["limit_reached"] is True and out["loop"]["branch"] == "exit"


@pytest.mark.asyncio
async def test_while_restarts_after_an_exit() -> None:
    config = {"conditions": [{"operator": "less_than", "right": 2}]}
    exited = {"results": {"n": {"branch": "exit", "iteration": 2}}}
    out = await run_node("WhileNode", config, exited)
    assert out["iteration"] == 1 and out["branch"] == "continue"


@pytest.mark.asyncio
async def test_for_loop_steps_through_items(executor: Executor) -> None:
    doc = chain_doc(
        node("loop", "ForLoopNode", items="{{inputs.names}}"),
        code(
            "body",
            "seen = state['results'].get('body', {}).get('seen', [])\n"
            "return {'seen': seen + [state['results']['loop']['current_item']]}",
        ),
        edges=[("__start__", "loop"), ("body", "loop")],
        conditional=[
            {
                "source": "loop",
                "path": "results.loop.branch",
                "mapping": {"continue": "body", "exit": "__end__"},
            }
        ],
    )
    out = results(await run(executor, doc, {"names": ["ada", "bob", "cy"]}))
    assert out["body"] == {"seen": ["ada", "bob", "cy"]}
    assert out["loop"] == {
        "done": True,
        "index": 3,
        "iteration": 3,
        "total": 3,
        "current_item": None,
        "branch": "exit",
    }


@pytest.mark.asyncio
async def test_merge_modes() -> None:
    a = {"user": {"name": "Ada", "tags": ["x"]}, "n": 1}
    b = {"user": {"email": "ada@example.org"}, "n": 2}
    deep = await run_node("MergeNode", {"items": [a, None, b]})
    assert deep == {
        "result": {"user": {"name": "Ada", "tags": ["x"], "email": "ada@example.org"}, "n": 2}
    }
    shallow = await run_node("MergeNode", {"items": [a, b], "deep": False})
    assert shallow == {"result": {"user": {"email": "ada@example.org"}, "n": 2}}
    joined = await run_node("MergeNode", {"items": [[1, 2], 3, [2, 4]], "deduplicate": True})
    assert joined == {"result": [1, 2, 3, 4]}
    as_list = await run_node("MergeNode", {"items": [a, b], "mode": "list"})
    assert as_list == {"result": [a, b]}
    with pytest.raises(NodeError) as err:
        await run_node("MergeNode", {"items": [a, [1]], "mode": "dict"})
    assert str(err.value) == "items[1]: expected an object in dict mode, got list"


@pytest.mark.asyncio
async def test_fail_node_stops_the_run_with_its_message(executor: Executor) -> None:
    doc = chain_doc(
        node("stop", "FailNode", message="order {{inputs.id}} has no items"),
        node("after", "SetVariableNode", variables={"x": 1}),
    )
    record = await run(executor, doc, {"id": 42})
    assert record.status == "failed"
    assert record.error == "node 'stop' failed: WorkflowStopped: order 42 has no items"


@pytest.mark.asyncio
async def test_legacy_edge_nodes_route_through_decision_nodes(executor: Executor) -> None:
    legacy = {
        "nodes": [
            {"name": "START", "type": "START"},
            {"name": "score", "type": "SetVariableNode", "variables": {"v": "{{inputs.v}}"}},
            {"name": "high", "type": "SetVariableNode", "variables": {"band": "high"}},
            {"name": "low", "type": "SetVariableNode", "variables": {"band": "low"}},
            {"name": "END", "type": "END"},
        ],
        "edges": [["START", "score"], ["high", "END"], ["low", "END"]],
        "edge_nodes": [
            {
                "name": "is_high",
                "type": "IfElse",
                "conditions": [{"left": "{{score.v}}", "operator": ">=", "right": 50}],
            }
        ],
        "conditional_edges": [
            {"source": "score", "path": "is_high", "mapping": {"true": "high", "false": "low"}}
        ],
    }
    out = results(await run(executor, legacy, {"v": 70}))
    assert out["high"] == {"band": "high"} and out["is_high"]["condition"] is True
    assert results(await run(executor, legacy, {"v": 10}))["low"] == {"band": "low"}
