"""Orcheo's legacy JSON graph is imported into a frozen-ir document."""

from __future__ import annotations

import pytest

from orcheo_jupyter import Workflow, spec


def test_pairs_objects_and_start_end_nodes() -> None:
    doc = spec.document_from_data(
        {
            "nodes": [
                {"name": "START", "type": "START"},
                {
                    "name": "a",
                    "type": "SetVariableNode",
                    "display_name": "A",
                    "variables": {"x": 1},
                },
                {"name": "b", "type": "SetVariableNode", "variables": {"y": "{{a.x}}"}},
                {"name": "END", "type": "END"},
            ],
            "edges": [["START", "a"], {"source": "a", "target": "b"}, ["b", "END"]],
        },
        name="legacy",
    )
    ir = doc.graph.ir
    assert [n.id for n in ir.nodes] == ["a", "b"]
    assert ir.nodes[0].config == {"variables": {"x": 1}}  # display_name is dropped
    assert [(e.source, e.target) for e in ir.edges] == [
        ("__start__", "a"),
        ("a", "b"),
        ("b", "__end__"),
    ]
    assert ir.entrypoint == "a"
    result = Workflow.from_document(doc).run({})
    assert result.results["b"] == {"y": 1}


def test_conditional_edges_and_parallel_branches() -> None:
    doc = spec.document_from_data(
        {
            "nodes": [
                {"name": "check", "type": "SetVariableNode", "variables": {"ok": True}},
                {"name": "yes", "type": "SetVariableNode", "variables": {"v": 1}},
                {"name": "no", "type": "SetVariableNode", "variables": {"v": 0}},
                {"name": "p1", "type": "SetVariableNode", "variables": {"p": 1}},
                {"name": "p2", "type": "SetVariableNode", "variables": {"p": 2}},
                {"name": "join", "type": "SetVariableNode", "variables": {"done": True}},
            ],
            "edges": [["START", "check"], ["no", "END"], ["join", "END"]],
            "conditional_edges": [
                {
                    "source": "check",
                    "path": "results.check.ok",
                    "mapping": {"true": "yes", "false": "no"},
                }
            ],
            "parallel_branches": [{"source": "yes", "targets": ["p1", "p2"], "join": "join"}],
        }
    )
    result = Workflow.from_document(doc).run({})
    assert result.status == "succeeded", result.error
    assert set(result.results) == {"check", "yes", "p1", "p2", "join"}


def test_bad_edge_shape_is_named() -> None:
    with pytest.raises(spec.DocumentError) as info:
        spec.document_from_data(
            {"nodes": [{"name": "a", "type": "SetVariableNode"}], "edges": [["a"]]}
        )
    assert info.value.problems[0].field == "edges[0]"


@pytest.mark.parametrize(
    ("member", "entries", "code", "field", "message"),
    [
        ("edge_nodes", [{"name": "r"}, {"name": 5}], "legacy_edge_node", "edge_nodes[1]", "a name"),
        ("edge_nodes", ["router"], "legacy_edge_node", "edge_nodes[0]", "a name"),
        (
            "conditional_edges",
            [{"source": "a"}],
            "legacy_conditional_edge",
            "conditional_edges[0]",
            "source, path and mapping",
        ),
        (
            "parallel_branches",
            [{"source": "a", "targets": ["a"]}, {"targets": ["a"]}],
            "legacy_parallel_branch",
            "parallel_branches[1]",
            "source and targets",
        ),
    ],
)
def test_bad_entry_of_a_legacy_list_is_named(
    member: str, entries: list[object], code: str, field: str, message: str
) -> None:
    with pytest.raises(spec.DocumentError) as info:
        spec.document_from_data(
            {"nodes": [{"name": "a", "type": "SetVariableNode"}], "edges": [], member: entries}
        )
    (problem,) = info.value.problems
    assert (problem.code, problem.field) == (code, field)
    assert problem.message.startswith(f"expected an object with {message}")
