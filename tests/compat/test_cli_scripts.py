"""Upstream-style ``workflow.py`` files through the command line.

Orcheo users keep workflows as Python files; ``validate``, ``run`` and ``test``
take them wherever they take a document file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orcheo_jupyter import Workflow
from orcheo_jupyter.spec import DocumentError
from tests.cli.helpers import cli, cli_env, write
from tests.compat.scripts import PLAIN_DICT, ROUTED


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path)


def test_validate_a_script(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path, "workflow.py", ROUTED)
    proc = cli(env, "validate", path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"{path}: ok\n", "")


def test_run_a_plain_langgraph_script(env: dict[str, str], tmp_path: Path) -> None:
    proc = cli(env, "run", write(tmp_path, "greet.py", PLAIN_DICT), "--inputs", '{"name": "Ada"}')
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"shout": "HELLO ADA!"}


def test_run_a_script_of_node_classes(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path, "orders.py", ROUTED)
    proc = cli(env, "run", path, "--inputs", '{"amount": 250, "tier": "gold"}')
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert results["large"] == {"label": "large 250"} and results["gold"] == {"discount": 0.2}


def test_test_one_node_of_a_script(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path, "orders.py", ROUTED)
    state = json.dumps({"inputs": {"amount": 7, "tier": "x"}, "results": {}})
    proc = cli(env, "test", path, "order", "--state", state)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["output"] == {"amount": 7, "tier": "x"}


BROKEN_BUILDER = """\
from langgraph.graph import StateGraph
from orcheo.graph.state import State
from orcheo.nodes.logic import SetVariableNode


def build_graph():
    graph = StateGraph(State)
    graph.add_node("x", SetVariableNode(name="x", variabels={"a": 1}))
    return graph
"""


#: A graph with nothing in it: LangGraph cannot compile it, so no surface takes it.
EMPTY_GRAPH = """\
from typing_extensions import TypedDict
from langgraph.graph import StateGraph


class State(TypedDict):
    x: int


graph = StateGraph(State)
"""


def test_a_graph_that_cannot_compile_is_refused_on_load_as_over_rest() -> None:
    with pytest.raises(DocumentError) as err:
        Workflow.from_script(EMPTY_GRAPH, "empty")
    (problem,) = err.value.problems
    assert (problem.field, problem.message.split(":")[0]) == (
        "graph.source",
        "the graph does not compile",
    )
    assert "Graph must have an entrypoint" in problem.message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            BROKEN_BUILDER,
            "error: graph.source: build_graph() raised NodeConfigError: "
            "SetVariableNode(name='x'): config.variabels: unknown key",
        ),
        ("def build_graph(:\n", "error: graph.source: syntax error on line 1"),
        (
            EMPTY_GRAPH,
            "error: graph.source: the graph does not compile: Graph must have an entrypoint",
        ),
    ],
)
def test_a_broken_script_is_one_line(
    env: dict[str, str], tmp_path: Path, source: str, message: str
) -> None:
    proc = cli(env, "validate", write(tmp_path, "broken.py", source))
    assert proc.returncode == 1
    assert proc.stderr.startswith(message), proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_a_missing_script(env: dict[str, str], tmp_path: Path) -> None:
    proc = cli(env, "run", str(tmp_path / "nowhere.py"))
    assert proc.returncode == 1
    assert proc.stderr == f"error: no such file: {tmp_path / 'nowhere.py'}\n"
