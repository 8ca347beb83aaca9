"""Builder cells -> documents: registry nodes, functions as code nodes, routers, errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from orcheo_jupyter import Workflow
from orcheo_jupyter.magics import OrcheoCellError, build_cell
from orcheo_jupyter.spec.models import CodeNode


def build(source: str, name: str = "wf", **namespace: Any) -> Workflow:
    return build_cell(source, name, namespace=namespace).workflow


def node(wf: Workflow, node_id: str) -> Any:
    return next(n for n in wf.ir.nodes if n.id == node_id)


def error_of(source: str, **namespace: Any) -> OrcheoCellError:
    with pytest.raises(OrcheoCellError) as info:
        build_cell(source, "wf", namespace=namespace)
    return info.value


def test_registry_nodes_edges_and_entry() -> None:
    wf = build(
        """
workflow.add_node("hello", "SetVariableNode", variables={"message": "Hi {{inputs.name}}"})
workflow.add_node("call", "HttpRequestNode", url="http://x", config={"timeout": 5}, timeout=9)
workflow.set_entry_point("hello")
workflow.add_edge("hello", "call")
workflow.add_edge("call", END)
"""
    )
    data = wf.document.model_dump(mode="json")["graph"]
    assert data["entrypoint"] == "hello"
    assert data["ir"]["entrypoint"] == "hello"
    assert data["ir"]["nodes"][0]["config"] == {"variables": {"message": "Hi {{inputs.name}}"}}
    # config= carries keys that clash with the builder's own keywords
    assert data["ir"]["nodes"][1]["config"] == {"url": "http://x", "timeout": 5}
    assert data["ir"]["nodes"][1]["timeout"] == 9.0
    assert data["ir"]["edges"] == [
        {"source": "hello", "target": "call"},
        {"source": "call", "target": "__end__"},
    ]


def test_function_body_parameters_map_onto_state_and_config() -> None:
    wf = build(
        '''
def shout(s, cfg):
    """Upper-case the greeting."""
    # keep me
    text = """two
  lines"""
    return s["inputs"]["name"].upper() + cfg["configurable"].get("mark", "!") + text

workflow.add_node(shout)
workflow.add_edge(START, "shout")
workflow.add_edge("shout", END)
'''
    )
    code = node(wf, "shout")
    assert isinstance(code, CodeNode)
    assert code.body == (
        "s, cfg = state, config\n"
        '"""Upper-case the greeting."""\n'
        "# keep me\n"
        'text = """two\n'
        '  lines"""\n'
        'return s["inputs"]["name"].upper() + cfg["configurable"].get("mark", "!") + text'
    )
    result = wf.run({"name": "ada"}, config={"configurable": {"mark": "?"}})
    assert result.results["shout"] == "ADA?two\n  lines"


def test_keyword_only_parameters_are_injected_config() -> None:
    wf = build(
        """
def scale(state, *, factor, offset=1):
    return state["inputs"]["x"] * factor + offset

workflow.add_node("scale", scale, factor=3)
workflow.add_edge(START, "scale")
workflow.add_edge("scale", END)
"""
    )
    code = node(wf, "scale")
    assert code.config == {"factor": 3, "offset": 1}
    assert code.injected == ["factor", "offset"]
    assert code.body.splitlines()[:2] == ["factor = self.factor", "offset = self.offset"]
    assert wf.run({"x": 7}).results["scale"] == 22


def test_modules_importables_and_constants_travel_with_the_body() -> None:
    wf = build(
        """
import json as j
from math import sqrt
LIMIT = 10

def calc(state):
    n = state["inputs"]["n"]
    return j.dumps({"root": sqrt(n), "big": n > LIMIT})

workflow.add_node("calc", calc)
workflow.add_edge(START, "calc")
workflow.add_edge("calc", END)
"""
    )
    lines = node(wf, "calc").body.splitlines()
    assert lines[:3] == ["from math import sqrt", "import json as j", "LIMIT = 10"]
    assert json.loads(wf.run({"n": 16}).results["calc"]) == {"root": 4.0, "big": True}


def test_lambda_and_async_function() -> None:
    wf = build(
        """
import asyncio

async def slow(state):
    await asyncio.sleep(0)
    return "done"

workflow.add_node("quick", lambda state: {"n": state["inputs"]["n"] + 1})
workflow.add_node("slow", slow)
workflow.add_edge(START, "quick")
workflow.add_edge("quick", "slow")
workflow.add_edge("slow", END)
"""
    )
    assert node(wf, "quick").body == "return {'n': state['inputs']['n'] + 1}"
    assert wf.run({"n": 1}).results == {"quick": {"n": 2}, "slow": "done"}


def test_router_function_becomes_a_code_node_the_edge_routes_on() -> None:
    wf = build(
        """
def route(state):
    if state["inputs"]["n"] > 10:
        return "big"
    return "small"

workflow.add_node("start", "SetVariableNode", variables={"n": "{{inputs.n}}"})
workflow.add_node("big", "SetVariableNode", variables={"size": "big"})
workflow.add_node("small", "SetVariableNode", variables={"size": "small"})
workflow.add_edge(START, "start")
workflow.add_conditional_edges("start", route)
workflow.add_edge("big", END)
workflow.add_edge("small", END)
"""
    )
    cond = wf.ir.conditional_edges[0]
    assert (cond.source, cond.path) == ("route", "results.route")
    assert cond.mapping == {"big": "big", "small": "small"}
    assert {"source": "start", "target": "route"} in [e.model_dump() for e in wf.ir.edges]
    assert wf.run({"n": 30}).results["big"] == {"size": "big"}
    assert "big" not in wf.run({"n": 3}).results


def test_bool_keys_and_end_in_mappings() -> None:
    wf = build(
        """
workflow.add_node(
    "check", "IfElseNode", conditions=[{"left": "{{inputs.n}}", "operator": ">", "right": 5}]
)
workflow.add_node("yes", "SetVariableNode", variables={"ok": True})
workflow.add_edge(START, "check")
workflow.add_conditional_edges("check", "results.check.condition", {True: "yes", False: END})
workflow.add_edge("yes", END)
"""
    )
    assert wf.ir.conditional_edges[0].mapping == {"true": "yes", "false": "__end__"}
    assert wf.run({"n": 9}).results["yes"] == {"ok": True}
    assert "yes" not in wf.run({"n": 1}).results


def test_subgraph_builder() -> None:
    wf = build(
        """
inner = workflow.subgraph()
inner.add_node("a", "SetVariableNode", variables={"x": 1})
inner.add_edge(START, "a")
inner.add_edge("a", END)
workflow.add_node("sub", inner)
workflow.add_edge(START, "sub")
workflow.add_edge("sub", END)
"""
    )
    assert wf.run().results == {"a": {"x": 1}}


def test_metadata_setters() -> None:
    wf = build(
        """
workflow.description = "demo"
workflow.tags = ["a", "b"]
workflow.inputs_schema = {"type": "object", "required": ["name"]}
workflow.triggers = [{"type": "manual"}]
workflow.canvas = {"positions": {"x": {"x": 1, "y": 2}}}
workflow.add_node("x", "SetVariableNode", variables={})
workflow.add_edge(START, "x")
workflow.add_edge("x", END)
"""
    )
    doc = wf.document
    assert (doc.description, doc.tags, doc.inputs_schema["required"]) == (
        "demo",
        ["a", "b"],
        ["name"],
    )
    assert doc.triggers[0].type == "manual"
    assert doc.canvas.positions["x"].y == 2


# --- errors name the cell line -----------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "line", "text"),
    [
        (
            'workflow.add_node("a", "SetVariableNode")\nworkflow.add_edge(START, "a"\n',
            2,
            "syntax error",
        ),
        (
            'workflow.add_node("a", "NoSuchNode")\nworkflow.add_edge(START, "a")\n',
            1,
            "NoSuchNode",
        ),
        (
            'workflow.add_node("a", "SetVariableNode")\n\nworkflow.add_edge(START, "a")\n'
            'workflow.add_edge("a", "ghost")\n',
            4,
            "'ghost' is not a node",
        ),
        (
            'workflow.add_node("a", "SetVariableNode")\n'
            'workflow.add_node("a", "SetVariableNode")\n',
            2,
            "node 'a' already exists",
        ),
        ('x = 1\nworkflow.add_node("a", undefined_thing)\n', 2, "NameError"),
        (
            'workflow.add_node("a", "SetVariableNode", variables="oops")\n'
            'workflow.add_edge(START, "a")\n',
            1,
            "variables",
        ),
        (
            "def f(a, b, c):\n    return 1\n\nworkflow.add_node('f', f)\n",
            1,
            "3 positional parameters",
        ),
        (
            'workflow.add_node("a", "SetVariableNode")\n'
            'workflow.add_conditional_edges("a", "results.a.x")\n',
            2,
            "mapping is missing",
        ),
    ],
)
def test_errors_point_at_the_cell_line(source: str, line: int, text: str) -> None:
    error = error_of(source)
    assert error.problems[0].line == line, error
    assert text in str(error)
    rendered = error._render_traceback_()
    assert not any("Traceback" in part for part in rendered)
    assert len(rendered) <= 4


def test_helper_from_the_notebook_is_an_error_at_its_use() -> None:
    error = error_of(
        """
def helper(x):
    return x * 2

def use(state):
    y = 1
    return helper(y)

workflow.add_node("use", use)
""",
    )
    assert error.problems[0].line == 7
    assert "'helper'" in error.problems[0].message
    assert "define or import it inside the function" in error.problems[0].message


def test_helper_error_for_a_function_from_another_cell_points_at_add_node(tmp_path: Any) -> None:
    namespace: dict[str, Any] = {}
    exec(compile("def helper():\n    return 1\n", str(tmp_path / "other.py"), "exec"), namespace)
    error = error_of("workflow.add_node('h', helper)\n", helper=namespace["helper"])
    # the source of a function from elsewhere must be readable (a file or a cell)
    assert error.problems[0].line == 1
    assert "cannot read the source" in error.problems[0].message


def test_undefined_name_in_a_function_is_a_warning_not_an_error() -> None:
    built = build_cell(
        "def f(state):\n    return nope\n\nworkflow.add_node('f', f)\n"
        "workflow.add_edge(START, 'f')\nworkflow.add_edge('f', END)\n",
        "wf",
    )
    assert [(w.line, "'nope' is not defined" in w.message) for w in built.warnings] == [(2, True)]


def test_warnings_for_unreachable_nodes_name_their_line() -> None:
    built = build_cell(
        'workflow.add_node("a", "SetVariableNode")\nworkflow.add_node("b", "SetVariableNode")\n'
        'workflow.add_edge(START, "a")\nworkflow.add_edge("a", END)\n',
        "wf",
    )
    assert [(w.line, "not reachable" in w.message) for w in built.warnings] == [(2, True)]


def test_empty_cell_explains_the_workflow_object() -> None:
    error = error_of("x = 1\n")
    assert "the `workflow` object" in str(error)


def test_user_namespace_is_visible_but_not_changed() -> None:
    namespace = {"GREETING": "Hello", "math": math}
    wf = build_cell(
        'workflow.add_node("a", "SetVariableNode", variables={"g": GREETING})\n'
        'workflow.add_edge(START, "a")\nworkflow.add_edge("a", END)\nleak = 1\n',
        "wf",
        namespace=namespace,
    ).workflow
    assert node(wf, "a").config == {"variables": {"g": "Hello"}}
    assert "leak" not in namespace and "workflow" not in namespace


def test_secret_looking_constants_are_not_copied_into_the_document() -> None:
    error = error_of(
        'API_KEY = "sk-live-123"\n\ndef call(state):\n    return API_KEY[:2]\n\n'
        "workflow.add_node('call', call)\n",
    )
    assert error.problems[0].line == 4
    assert "looks like a secret" in error.problems[0].message
    assert "sk-live-123" not in str(error)
