"""Validation reports every problem with the node and field, before anything runs."""

from __future__ import annotations

from typing import Any

from orcheo_jupyter import spec
from orcheo_jupyter.nodes.registry import check_node
from tests.conftest import linear_doc


def problems(data: dict[str, Any]) -> list[tuple[str, str | None, str | None, str]]:
    doc = spec.document_from_data(data)
    return [(p.severity, p.node, p.field, p.code) for p in spec.validate_document(doc, check_node)]


def test_valid_document_has_no_problems() -> None:
    assert problems(linear_doc("a", "b")) == []


def test_every_error_is_reported_at_once() -> None:
    data = linear_doc("a", "b")
    ir = data["graph"]["ir"]
    ir["nodes"].append(dict(ir["nodes"][0]))  # duplicate "a"
    ir["nodes"][1]["type"] = "NoSuchNode"
    ir["edges"].append({"source": "a", "target": "ghost"})
    ir["conditional_edges"] = [{"source": "b", "path": "results.b.me", "mapping": {"x": "nowhere"}}]
    found = problems(data)
    assert ("error", "a", "id", "duplicate_id") in found
    assert ("error", "b", "type", "unknown_type") in found
    assert ("error", None, "edges[3].target", "dangling_edge") in found
    assert ("error", "b", "conditional_edges[0].mapping.x", "dangling_target") in found


def test_entrypoint_missing_or_unknown() -> None:
    data = linear_doc("a")
    ir = data["graph"]["ir"]
    ir["edges"] = [e for e in ir["edges"] if e["source"] != "__start__"]
    ir["entrypoint"] = None
    data["graph"]["entrypoint"] = None
    assert ("error", None, "entrypoint", "no_entrypoint") in problems(data)
    ir["entrypoint"] = "zzz"
    data["graph"]["entrypoint"] = "zzz"
    assert ("error", None, "entrypoint", "unknown_entrypoint") in problems(data)


def test_an_empty_graph_or_subgraph_is_refused_by_name_before_langgraph_is_asked() -> None:
    empty = {"name": "blank", "graph": {"format": "frozen-ir", "ir": {"nodes": []}}}
    assert problems(empty) == [("error", None, "nodes", "empty_graph")]
    data = linear_doc("a", "b")
    data["graph"]["ir"]["nodes"][1] = {"kind": "subgraph", "id": "b", "graph": {"nodes": []}}
    assert problems(data) == [("error", "b", "nodes", "empty_graph")]


def test_unreachable_and_dead_end_nodes_are_warnings() -> None:
    data = linear_doc("a")
    ir = data["graph"]["ir"]
    ir["nodes"].append({"kind": "builtin", "id": "island", "type": "SetVariableNode", "config": {}})
    ir["nodes"].append({"kind": "builtin", "id": "sink", "type": "SetVariableNode", "config": {}})
    ir["nodes"].append({"kind": "builtin", "id": "loop", "type": "SetVariableNode", "config": {}})
    ir["edges"] += [{"source": "a", "target": "loop"}, {"source": "loop", "target": "loop"}]
    found = problems(data)
    assert ("warning", "island", None, "unreachable") in found
    assert ("warning", "sink", None, "unreachable") in found
    assert ("warning", "loop", None, "no_path_to_end") in found
    assert all(sev == "warning" for sev, *_ in found)


def test_config_type_errors_are_found_before_the_run() -> None:
    data = linear_doc("a")
    data["graph"]["ir"]["nodes"][0]["config"] = {"variables": "not a dict", "bogus": 1}
    found = problems(data)
    assert ("error", "a", "config.variables", "dict_type") in found
    assert ("error", "a", "config.bogus", "extra_forbidden") in found


def test_templated_values_are_checked_at_run_time_not_before() -> None:
    data = linear_doc("a")
    data["graph"]["ir"]["nodes"][0]["config"] = {"variables": "{{inputs.vars}}"}
    assert problems(data) == []


def test_subgraph_problems_name_the_nested_node() -> None:
    data = linear_doc("a")
    data["graph"]["ir"]["nodes"].append(
        {
            "kind": "subgraph",
            "id": "sub",
            "graph": {
                "entrypoint": "inner",
                "nodes": [{"kind": "builtin", "id": "inner", "type": "Nope", "config": {}}],
                "edges": [{"source": "inner", "target": "__end__"}],
            },
        }
    )
    assert ("error", "sub/inner", "type", "unknown_type") in problems(data)


def test_injected_field_must_exist_in_config() -> None:
    data = linear_doc("a")
    data["graph"]["ir"]["nodes"][0] = {
        "kind": "code",
        "id": "a",
        "body": "return 1",
        "injected": ["factor"],
        "config": {},
    }
    assert ("error", "a", "injected", "injected_missing") in problems(data)
