"""The edit engine (spec/edits.py): each op, atomic batches, clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from orcheo_jupyter import Workflow, spec
from orcheo_jupyter.spec.edits import EditError, apply_edits
from orcheo_jupyter.spec.models import WorkflowDocument


def _doc() -> WorkflowDocument:
    wf = (
        Workflow("d")
        .add_node("a", "SetVariableNode", variables={"x": 1})
        .add_node("b", "DebugNode")
        .add_edge("START", "a")
        .add_edge("a", "b")
        .add_edge("b", "END")
        .add_conditional_edges("a", "results.a.x", {"1": "b", "2": "END"}, default="b")
    )
    doc = wf.to_document()
    apply_edits(
        doc, [{"op": "move", "positions": {"a": {"x": 0, "y": 0}, "b": {"x": 0, "y": 100}}}]
    )
    return doc


def _ir(doc: WorkflowDocument) -> Any:
    return doc.graph.ir  # type: ignore[union-attr]


def test_add_node_with_position_and_index() -> None:
    doc = _doc()
    apply_edits(
        doc,
        [
            {
                "op": "add_node",
                "node": {"kind": "code", "id": "c", "body": "return 1"},
                "position": {"x": 5, "y": 6},
                "index": 0,
            }
        ],
    )
    assert [n.id for n in _ir(doc).nodes] == ["c", "a", "b"]
    assert _ir(doc).nodes[0].injected == []
    assert doc.canvas.positions["c"].model_dump() == {"x": 5.0, "y": 6.0}


def test_remove_node_takes_its_edges_routes_and_position() -> None:
    doc = _doc()
    apply_edits(doc, [{"op": "remove_node", "id": "b"}])
    ir = _ir(doc)
    assert [n.id for n in ir.nodes] == ["a"]
    assert [(e.source, e.target) for e in ir.edges] == [("__start__", "a")]
    assert ir.conditional_edges[0].mapping == {"2": "__end__"}
    assert ir.conditional_edges[0].default is None
    assert "b" not in doc.canvas.positions


def test_rename_updates_every_reference() -> None:
    doc = _doc()
    apply_edits(doc, [{"op": "rename_node", "id": "b", "new_id": "bee"}])
    ir = _ir(doc)
    assert [n.id for n in ir.nodes] == ["a", "bee"]
    assert ("a", "bee") in {(e.source, e.target) for e in ir.edges}
    assert ir.conditional_edges[0].mapping == {"1": "bee", "2": "__end__"}
    assert ir.conditional_edges[0].default == "bee"
    assert "bee" in doc.canvas.positions and "b" not in doc.canvas.positions


def test_set_config_update_node_edges_routing_entrypoint_viewport() -> None:
    doc = _doc()
    apply_edits(
        doc,
        [
            {"op": "set_config", "id": "a", "config": {"variables": {"y": "{{ inputs.y }}"}}},
            {
                "op": "update_node",
                "id": "a",
                "fields": {"timeout": 2.5, "retry": {"max_attempts": 4}},
            },
            {"op": "remove_edge", "source": "a", "target": "b"},
            {"op": "add_edge", "source": "a", "target": "__end__"},
            {"op": "set_conditional_edge", "source": "a", "edge": None},
            {"op": "set_entrypoint", "id": "a"},
            {"op": "set_viewport", "viewport": {"x": 1, "y": 2, "zoom": 0.5}},
        ],
    )
    ir = _ir(doc)
    assert ir.nodes[0].config == {"variables": {"y": "{{ inputs.y }}"}}
    assert ir.nodes[0].timeout == 2.5
    assert ir.nodes[0].retry.max_attempts == 4
    assert [(e.source, e.target) for e in ir.edges] == [
        ("__start__", "a"),
        ("b", "__end__"),
        ("a", "__end__"),
    ]
    assert ir.conditional_edges == []
    assert ir.entrypoint == "a" and doc.graph.entrypoint == "a"
    assert doc.canvas.viewport is not None and doc.canvas.viewport.zoom == 0.5
    # The result is still a valid document in canonical form.
    assert spec.loads(spec.dumps(doc)) == doc


def test_batch_is_all_or_nothing() -> None:
    doc = _doc()
    before = spec.dumps(doc)
    with pytest.raises(EditError, match=r"diff 2 \(add_edge\): edge end 'ghost' is not a node"):
        apply_edits(
            doc,
            [
                {"op": "remove_node", "id": "b"},
                {"op": "move", "positions": {"a": {"x": 9, "y": 9}}},
                {"op": "add_edge", "source": "a", "target": "ghost"},
            ],
        )
    assert spec.dumps(doc) == before


@pytest.mark.parametrize(
    ("diff", "message"),
    [
        ({"op": "explode"}, "diff 0: unknown op 'explode'"),
        ("nope", "diff 0: expected an object, got str"),
        (
            {"op": "set_config", "id": "a", "config": 3},
            "diff 0 (set_config): config: Input should be a valid dictionary",
        ),
        (
            {"op": "add_node", "node": {"kind": "builtin", "id": "a", "type": "X"}},
            "node 'a' already exists",
        ),
        ({"op": "add_node", "node": {"kind": "builtin", "id": "__end__", "type": "X"}}, "reserved"),
        ({"op": "rename_node", "id": "zz", "new_id": "y"}, "no node 'zz'"),
        (
            {"op": "update_node", "id": "a", "fields": {"body": "x"}},
            "field 'body' cannot be set on a builtin node",
        ),
        ({"op": "add_edge", "source": "__end__", "target": "a"}, "an edge cannot leave __end__"),
        ({"op": "add_edge", "source": "a", "target": "b"}, "edge a → b already exists"),
        ({"op": "remove_edge", "source": "b", "target": "a"}, "no edge b → a"),
        (
            {
                "op": "set_conditional_edge",
                "source": "a",
                "edge": {"path": "p", "mapping": {"k": "ghost"}},
            },
            "route target 'ghost' is not a node",
        ),
        ({"op": "move", "positions": {"a": {"x": "left", "y": 0}}}, "positions.a.x"),
        (
            {"op": "set_config", "id": "a", "config": {}, "extra": 1},
            "extra: Extra inputs are not permitted",
        ),
    ],
)
def test_bad_diffs_are_refused_with_a_message(diff: Any, message: str) -> None:
    doc = _doc()
    before = spec.dumps(doc)
    with pytest.raises(EditError) as err:
        apply_edits(doc, [diff])
    assert message in str(err.value)
    assert spec.dumps(doc) == before


def test_script_documents_are_read_only() -> None:
    doc = spec.document_from_data(
        {"name": "s", "graph": {"format": "langgraph-script", "source": "x = 1"}}
    )
    with pytest.raises(EditError, match="read-only"):
        apply_edits(doc, [{"op": "remove_node", "id": "a"}])


def test_move_only_positions_existing_nodes() -> None:
    doc = _doc()
    with pytest.raises(EditError, match="no node 'ghost' to position"):
        apply_edits(doc, [{"op": "move", "positions": {"ghost": {"x": 1, "y": 1}}}])
    assert "ghost" not in doc.canvas.positions


def test_only_structural_batches_need_revalidation() -> None:
    from orcheo_jupyter.spec.edits import changes_structure

    assert not changes_structure([{"op": "move", "positions": {"a": {"x": 1, "y": 2}}}])
    assert not changes_structure([{"op": "set_viewport", "viewport": None}])
    assert changes_structure([{"op": "move", "positions": {"a": None}}])
    assert changes_structure([{"op": "move", "positions": {}}, {"op": "add_edge"}])


def test_set_meta_renames_and_describes_the_workflow_all_or_nothing() -> None:
    doc = _doc()
    apply_edits(doc, [{"op": "set_meta", "name": "Greeter", "description": "Says hello"}])
    assert (doc.name, doc.description) == ("Greeter", "Says hello")
    apply_edits(doc, [{"op": "set_meta", "description": ""}])
    assert (doc.name, doc.description) == ("Greeter", "")
    with pytest.raises(EditError, match=r"diff 1 \(set_meta\): a workflow needs a name"):
        apply_edits(
            doc,
            [{"op": "set_meta", "description": "changed"}, {"op": "set_meta", "name": "  "}],
        )
    assert (doc.name, doc.description) == ("Greeter", "")
    with pytest.raises(EditError, match=r"name: String should have at least 1 character"):
        apply_edits(doc, [{"op": "set_meta", "name": ""}])


def test_pins_set_replace_and_remove_and_follow_their_node() -> None:
    doc = _doc()
    apply_edits(doc, [{"op": "set_pin", "id": "a", "output": {"x": 9}}])
    assert doc.pinned == {"a": {"x": 9}}
    apply_edits(doc, [{"op": "set_pin", "id": "a", "output": None}])  # null is an output too
    assert doc.pinned == {"a": None}
    apply_edits(doc, [{"op": "rename_node", "id": "a", "new_id": "first"}])
    assert doc.pinned == {"first": None}
    apply_edits(doc, [{"op": "remove_pin", "id": "first"}, {"op": "remove_pin", "id": "first"}])
    assert doc.pinned == {}
    apply_edits(doc, [{"op": "set_pin", "id": "b", "output": [1, 2]}])
    apply_edits(doc, [{"op": "remove_node", "id": "b"}])
    assert doc.pinned == {}  # a pin never outlives its node
    assert "pinned" not in spec.to_data(doc)  # an empty member is not written


def test_pin_batches_are_all_or_nothing_and_name_the_problem() -> None:
    doc = _doc()
    apply_edits(doc, [{"op": "set_pin", "id": "a", "output": 1}])
    with pytest.raises(EditError, match="diff 1 \\(set_pin\\)"):
        apply_edits(
            doc,
            [
                {"op": "set_pin", "id": "a", "output": 2},
                {"op": "set_pin", "id": "nope", "output": 3},
            ],
        )
    assert doc.pinned == {"a": 1}
    with pytest.raises(EditError, match="output"):
        apply_edits(doc, [{"op": "set_pin", "id": "a"}])
    with pytest.raises(EditError):
        apply_edits(
            doc,
            [{"op": "remove_node", "id": "a"}, {"op": "add_edge", "source": "x", "target": "y"}],
        )
    assert doc.pinned == {"a": 1}  # the removal was undone with its pin


def test_set_comment_adds_edits_moves_and_removes_a_sticky_note() -> None:
    doc = _doc()
    apply_edits(doc, [{"op": "set_comment", "id": "n1", "comment": {"text": "hi", "x": 1, "y": 2}}])
    apply_edits(doc, [{"op": "set_comment", "id": "n2", "comment": {"text": "", "x": 0, "y": 0}}])
    assert [(c.id, c.text, c.x, c.y) for c in doc.canvas.comments] == [
        ("n1", "hi", 1.0, 2.0),
        ("n2", "", 0.0, 0.0),
    ]
    apply_edits(
        doc, [{"op": "set_comment", "id": "n1", "comment": {"text": "moved", "x": 5, "y": 6}}]
    )
    assert doc.canvas.comments[0].model_dump() == {"id": "n1", "text": "moved", "x": 5.0, "y": 6.0}
    apply_edits(doc, [{"op": "set_comment", "id": "n1", "comment": None}])
    assert [c.id for c in doc.canvas.comments] == ["n2"]
    # Saved in the document (the canvas's comments member) and read back.
    again = spec.loads(spec.dumps(doc))
    assert [c.id for c in again.canvas.comments] == ["n2"]


def test_set_comment_errors_name_the_field_and_leave_the_notes_unchanged() -> None:
    doc = _doc()
    apply_edits(doc, [{"op": "set_comment", "id": "n1", "comment": {"text": "a", "x": 0, "y": 0}}])
    with pytest.raises(EditError, match=r"diff 1 \(set_comment\): comment.text"):
        apply_edits(
            doc,
            [
                {"op": "set_comment", "id": "n1", "comment": None},
                {"op": "set_comment", "id": "n2", "comment": {"text": 3, "x": 0, "y": 0}},
            ],
        )
    assert [c.text for c in doc.canvas.comments] == ["a"]
    with pytest.raises(EditError, match=r"diff 0 \(set_comment\): id"):
        apply_edits(doc, [{"op": "set_comment", "id": "", "comment": None}])


def test_notes_are_layout_only() -> None:
    from orcheo_jupyter.spec.edits import changes_structure

    assert not changes_structure([{"op": "set_comment", "id": "n", "comment": None}])
