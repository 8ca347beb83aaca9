"""One edit engine: the Workflow API, the %%orcheo builder and canvas diffs refuse the
same edits with the same message (naming the node or edge), and leave the document as
it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orcheo_jupyter import Workflow, spec
from orcheo_jupyter.magics import OrcheoCellError, build_cell
from orcheo_jupyter.spec.edits import EditError, apply_edits

BASE = 'workflow.add_node("a", "SetVariableNode")\nworkflow.add_node("b", "DebugNode")\n'


def _workflow() -> Workflow:
    return Workflow("wf").add_node("a", "SetVariableNode").add_node("b", "DebugNode")


def _builder_error(extra: str) -> str:
    with pytest.raises(OrcheoCellError) as info:
        build_cell(BASE + extra, "wf", namespace={})
    problem = info.value.problems[0]
    assert problem.line == 3  # the line of the refused call
    return problem.message


# (Workflow call, builder cell line, canvas diff, the message all three give)
CASES: list[tuple[Callable[[Workflow], Any], str, dict[str, Any], str]] = [
    (
        lambda wf: wf.add_node("a", "DebugNode"),
        'workflow.add_node("a", "DebugNode")',
        {"op": "add_node", "node": {"kind": "builtin", "id": "a", "type": "DebugNode"}},
        "node 'a' already exists",
    ),
    (
        lambda wf: wf.add_code_node("b", "return {}"),
        'workflow.add_code_node("b", "return {}")',
        {"op": "add_node", "node": {"kind": "code", "id": "b", "body": "return {}"}},
        "node 'b' already exists",
    ),
    (
        lambda wf: wf.add_edge("a", "b").add_edge("a", "b"),
        'workflow.add_edge("a", "b")\nworkflow.add_edge("a", "b")',
        None,  # the canvas case is the fixture's (one op)
        "edge a → b already exists",
    ),
    (
        lambda wf: wf.add_edge("END", "a"),
        'workflow.add_edge(END, "a")',
        {"op": "add_edge", "source": "__end__", "target": "a"},
        "an edge cannot leave __end__",
    ),
    (
        lambda wf: wf.add_edge("a", "START"),
        'workflow.add_edge("a", START)',
        {"op": "add_edge", "source": "a", "target": "__start__"},
        "an edge cannot enter __start__",
    ),
    (
        lambda wf: wf.add_conditional_edges("a", "results.a.x", {"1": "START"}),
        'workflow.add_conditional_edges("a", "results.a.x", {"1": START})',
        {
            "op": "set_conditional_edge",
            "source": "a",
            "edge": {"path": "results.a.x", "mapping": {"1": "__start__"}},
        },
        "route target '__start__' is not a node",
    ),
]


@pytest.mark.parametrize(("call", "cell", "diff", "message"), CASES)
def test_every_surface_refuses_with_the_same_message(
    call: Callable[[Workflow], Any], cell: str, diff: dict[str, Any] | None, message: str
) -> None:
    wf = _workflow()
    with pytest.raises(EditError) as err:
        call(wf)
    assert err.value.reason == message

    if "\n" in cell:  # the second call is the refused one: it is on line 4
        with pytest.raises(OrcheoCellError) as info:
            build_cell(BASE + cell + "\n", "wf", namespace={})
        assert (info.value.problems[0].line, info.value.problems[0].message) == (4, message)
    else:
        assert _builder_error(cell + "\n") == message

    if diff is not None:
        doc = _workflow().to_document()
        before = spec.dumps(doc)
        with pytest.raises(EditError) as refused:
            apply_edits(doc, [diff])
        assert str(refused.value) == f"diff 0 ({diff['op']}): {message}"
        assert spec.dumps(doc) == before


def test_workflow_refuses_a_duplicate_id_and_keeps_its_document() -> None:
    import orcheo_jupyter

    assert orcheo_jupyter.EditError is EditError  # the public name users catch
    wf = _workflow()
    before = wf.to_json()
    with pytest.raises(EditError, match="node 'a' already exists"):
        wf.add_node("a", Workflow("inner"))
    with pytest.raises(EditError, match="node id '__end__' is reserved"):
        wf.add_node("__end__", "DebugNode")
    assert wf.to_json() == before
    assert [n.id for n in wf.ir.nodes] == ["a", "b"]


def test_a_second_conditional_edge_from_a_node_is_refused_in_builders() -> None:
    wf = _workflow().add_conditional_edges("a", "results.a.x", {"1": "b"})
    with pytest.raises(EditError, match="node 'a' already has a conditional edge"):
        wf.add_conditional_edges("a", "results.a.y", {"2": "END"})
    assert [c.path for c in wf.ir.conditional_edges] == ["results.a.x"]
    with pytest.raises(OrcheoCellError) as info:
        build_cell(
            BASE + 'workflow.add_conditional_edges("a", "results.a.x", ["b"])\n'
            'workflow.add_conditional_edges("a", "results.a.y", ["b"])\n',
            "wf",
            namespace={},
        )
    problem = info.value.problems[0]
    assert (problem.line, problem.message) == (4, "node 'a' already has a conditional edge")


def test_builders_may_name_a_node_before_adding_it() -> None:
    # LangGraph's builder order: validation (not the edit) reports an end never added.
    wf = Workflow("wf").add_edge("START", "later").set_entry_point("later")
    wf.add_node("later", "DebugNode").add_edge("later", "END")
    assert [(e.source, e.target) for e in wf.ir.edges] == [
        ("__start__", "later"),
        ("later", "__end__"),
    ]
    assert not [p for p in wf.validate() if p.severity == "error"]


def test_workflow_edits_rename_remove_config_and_position() -> None:
    events: list[str] = []
    wf = (
        _workflow()
        .add_edge("START", "a")
        .add_edge("a", "b")
        .add_conditional_edges("b", "results.b.ok", {"true": "END", "false": "a"}, default="a")
        .set_entry_point("a")
    )
    wf.subscribe(lambda kind, payload: events.append(kind))
    wf.set_position("a", 10, 20).set_config("a", variables={"x": 1}).rename_node("a", "first")
    doc = wf.document
    assert doc.canvas.positions["first"].x == 10 and "a" not in doc.canvas.positions
    assert wf.ir.entrypoint == "first" and wf.ir.nodes[0].config == {"variables": {"x": 1}}
    assert [(e.source, e.target) for e in wf.ir.edges] == [
        ("__start__", "first"),
        ("first", "b"),
    ]
    assert wf.ir.conditional_edges[0].mapping == {"true": "__end__", "false": "first"}
    wf.remove_edge("START", "first").remove_node("first")
    assert [n.id for n in wf.ir.nodes] == ["b"] and wf.ir.edges == []
    assert wf.ir.conditional_edges[0].mapping == {"true": "__end__"}
    assert wf.ir.conditional_edges[0].default is None and wf.ir.entrypoint is None
    assert events == ["document"] * 5
    with pytest.raises(EditError, match="no node 'first'"):
        wf.set_config("first", x=1)
    with pytest.raises(EditError, match="no node 'ghost' to position"):
        wf.set_position("ghost", 0, 0)
    with pytest.raises(EditError, match=r"diff 1 \(add_edge\): edge end 'ghost' is not a node"):
        wf.edit(
            [
                {"op": "add_edge", "source": "b", "target": "__end__"},
                {"op": "add_edge", "source": "b", "target": "ghost"},
            ]
        )
    assert wf.ir.edges == []  # all or nothing
