"""Document -> builder code, and the round trips: code -> doc -> code -> doc is identical."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter import spec
from orcheo_jupyter.magics import build_cell, document_to_code
from orcheo_jupyter.spec.models import WorkflowDocument

CONFORMANCE = Path(__file__).parents[1] / "conformance"


def cell_to_doc(cell: str) -> WorkflowDocument:
    header, body = cell.split("\n", 1)
    words = shlex.split(header)
    assert words[0] == "%%orcheo"
    fmt = words[words.index("--format") + 1] if "--format" in words else "python"
    return build_cell(body, words[1], fmt).workflow.document  # type: ignore[arg-type]


def canonical(doc: WorkflowDocument) -> str:
    return spec.dumps(doc.model_copy(update={"id": None}))


CELLS = {
    "functions": '''%%orcheo functions
import json
LIMIT = 3

def check(s, cfg):
    """Is it big?"""
    # a comment that stays
    text = """keep
    this    indentation"""
    return {"big": s["inputs"]["n"] > LIMIT, "dump": json.dumps(cfg.get("x")), "t": text}

def scale(state, *, factor=2):
    return state["inputs"]["n"] * factor

def route(state):
    return "big" if state["results"]["check"]["big"] else END

workflow.description = "round trip"
workflow.tags = ["demo"]
workflow.add_node("check", check)
workflow.add_node("scale", scale, retry={"max_attempts": 2}, timeout=3)
workflow.add_node("big", "SetVariableNode", variables={"v": "{{results.scale}}"})
workflow.add_node("empty", lambda state: None)
workflow.add_edge(START, "check")
workflow.add_edge("check", "scale")
workflow.add_conditional_edges("scale", route)
workflow.add_edge("big", "empty")
workflow.add_edge("empty", END)
''',
    "subgraph": """%%orcheo "with spaces"
inner = workflow.subgraph()
inner.add_node("a", "SetVariableNode", variables={"x": 1})
inner.set_entry_point("a")
inner.add_edge("a", END)
workflow.add_node("sub", inner, timeout=4)
workflow.add_node("odd", "HttpRequestNode", config={"url": "http://127.0.0.1:9/", "timeout": 1})
workflow.add_edge(START, "sub")
workflow.add_edge("sub", "odd")
workflow.add_edge("odd", END)
""",
    "async_and_injected": """%%orcheo injected
import asyncio

async def wait(self, state, config):
    await asyncio.sleep(self.delay)
    return config["configurable"]

workflow.add_node("wait", wait, config={"delay": 0, "unused": 1}, injected=["delay"])
workflow.add_code_node("raw", "return 1\\n")
workflow.set_entry_point("wait")
workflow.add_edge("wait", "raw")
workflow.add_edge("raw", END)
workflow.canvas = {
    "positions": {"wait": {"x": 10, "y": 20}},
    "viewport": {"x": 0, "y": 0, "zoom": 1.5},
}
workflow.triggers = [{"type": "cron", "config": {"expression": "0 * * * *"}}]
workflow.inputs_schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
""",
}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_code_document_code_document_is_identical(name: str) -> None:
    doc1 = cell_to_doc(CELLS[name])
    code1 = document_to_code(doc1)
    doc2 = cell_to_doc(code1)
    assert canonical(doc2) == canonical(doc1)
    code2 = document_to_code(doc2)
    assert code2 == code1
    assert canonical(cell_to_doc(code2)) == canonical(doc1)


def test_generated_code_reads_like_a_builder_cell() -> None:
    code = document_to_code(cell_to_doc(CELLS["functions"]))
    assert code.startswith('%%orcheo functions\nworkflow.description = "round trip"\n')
    assert (
        "def check(state, config):\n"
        "    import json\n"
        "    LIMIT = 3\n"
        "    s, cfg = state, config\n"
        '    """Is it big?"""\n'
        "    # a comment that stays\n"
        '    text = """keep\n'
        '    this    indentation"""\n'
    ) in code
    assert 'workflow.add_node(\n    "scale",\n    scale,\n    factor=2,\n    retry={' in code
    assert "def scale(self, state):\n    factor = self.factor\n" in code
    assert (
        'workflow.add_conditional_edges("route", "results.route", {"big": "big", "__end__": END})'
        in code
    )
    assert 'workflow.add_edge(START, "check")' in code


def test_generated_cell_runs_the_same() -> None:
    doc = cell_to_doc(CELLS["functions"])
    again = cell_to_doc(document_to_code(doc))
    from orcheo_jupyter import Workflow

    first = Workflow.from_document(doc).run({"n": 5})
    second = Workflow.from_document(again).run({"n": 5})
    assert first.status == second.status == "succeeded"
    assert first.results == second.results
    assert first.results["check"]["t"] == "keep\n    this    indentation"


def _conformance_docs() -> list[Any]:
    out = []
    for path in sorted(CONFORMANCE.glob("*.json")):
        case = json.loads(path.read_text())
        try:
            doc = spec.document_from_data(case["document"])
        except spec.DocumentError:
            continue
        out.append(pytest.param(doc, id=path.stem))
    return out


@pytest.mark.parametrize("doc", _conformance_docs())
def test_documents_round_trip_through_code(doc: WorkflowDocument) -> None:
    from orcheo_jupyter.magics import OrcheoCellError

    code = document_to_code(doc)
    try:
        again = cell_to_doc(code)
    except OrcheoCellError as exc:
        # documents that do not validate cannot be saved from a cell either
        assert doc.graph.format == "frozen-ir"
        from orcheo_jupyter.nodes.registry import check_node

        assert any(p.severity == "error" for p in spec.validate_document(doc, check_node)), exc
        return
    assert canonical(again) == canonical(doc)


def test_odd_bodies_fall_back_to_add_code_node() -> None:
    doc = spec.document_from_data(
        {
            "name": "odd",
            "graph": {
                "format": "frozen-ir",
                "ir": {
                    "entrypoint": "a",
                    "nodes": [
                        {"kind": "code", "id": "a", "body": "return 1\n\n"},
                        {"kind": "code", "id": "b-2", "body": "  x = 1\n  return x"},
                        {"kind": "code", "id": "len", "body": ""},
                    ],
                    "edges": [
                        {"source": "a", "target": "b-2"},
                        {"source": "b-2", "target": "len"},
                        {"source": "len", "target": "__end__"},
                    ],
                },
            },
        }
    )
    code = document_to_code(doc)
    assert 'workflow.add_code_node("a", "return 1\\n\\n")' in code
    assert "def node_len(state):\n    pass\n" in code  # no builtin shadowed
    assert canonical(cell_to_doc(code)) == canonical(doc)


def test_script_graphs_become_json_cells() -> None:
    from orcheo_jupyter.server.models import EXAMPLE_SCRIPT

    doc = spec.document_from_data(
        {"name": "script", "graph": {"format": "langgraph-script", "source": EXAMPLE_SCRIPT}}
    )
    code = document_to_code(doc)
    assert code.startswith("%%orcheo script --format json\n{")
    assert canonical(cell_to_doc(code)) == canonical(doc)
