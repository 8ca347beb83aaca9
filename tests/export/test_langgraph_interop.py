"""The bundle served by LangGraph's own tooling: ``langgraph.json`` -> ``graphs.py:variable``.

The loader below does what LangGraph's API server does with a graph spec: resolve the
path against the config file's directory, import the file under a fresh module name,
take the variable, compile it if it is an uncompiled graph, and require a Pregel.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import sys
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel
from langgraph.types import Command

from orcheo_jupyter.export import export_notebook
from tests.export.conftest import NotebookRun
from tests.export.test_export import make_notebook


def load_graph(config_path: Path, graph_id: str) -> Pregel:
    config = json.loads(config_path.read_text())
    module_path, _, variable = config["graphs"][graph_id].rpartition(":")
    path = (config_path.parent / module_path).resolve()
    name = "lg_" + secrets.token_hex(8)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    graph = getattr(module, variable)
    if isinstance(graph, StateGraph):
        graph = graph.compile()
    assert isinstance(graph, Pregel), f"{graph_id} is a {type(graph).__name__}, not a graph"
    return graph


def test_langgraph_json_points_at_one_graph_per_workflow(demo_run: NotebookRun) -> None:
    config = json.loads((demo_run.bundle / "langgraph.json").read_text())
    assert config == {
        "dependencies": ["."],
        "graphs": {"nightly": "./graphs.py:nightly"},
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


@pytest.mark.asyncio
async def test_each_graph_ends_with_the_notebook_runs_state(demo_run: NotebookRun) -> None:
    config_path = demo_run.bundle / "langgraph.json"
    for graph_id in json.loads(config_path.read_text())["graphs"]:
        graph = load_graph(config_path, graph_id)
        # What a LangGraph client sends: the run's inputs.
        assert await graph.ainvoke({"inputs": demo_run.inputs}) == demo_run.final_state
        # Nothing sent: the notebook's parameters are the defaults.
        assert await graph.ainvoke({}) == demo_run.final_state
        other = await graph.ainvoke({"inputs": {"team": "ops"}})
        assert other["results"]["report"] == {"text": "Friday report for ops: 3 items"}
        schema = graph.get_input_jsonschema()
        assert set(schema["properties"]) == {"inputs", "messages", "config"}


@pytest.mark.asyncio
async def test_an_interrupting_workflow_pauses_and_resumes_under_langgraphs_checkpointer(
    tmp_path: Path,
) -> None:
    cells: list[tuple[str, Any]] = [
        (
            "%%orcheo approve --format json",
            {
                "graph": {
                    "format": "frozen-ir",
                    "ir": {
                        "nodes": [
                            {
                                "kind": "builtin",
                                "id": "ask",
                                "type": "HumanInputNode",
                                "config": {"prompt": "Deploy {{inputs.service}}?"},
                            },
                        ],
                        "edges": [
                            {"source": "__start__", "target": "ask"},
                            {"source": "ask", "target": "__end__"},
                        ],
                    },
                }
            },
        )
    ]
    notebook = make_notebook(tmp_path / "approve.ipynb", cells)
    bundle = export_notebook(notebook, tmp_path / "bundle")
    graph = load_graph(bundle.directory / "langgraph.json", "approve")
    graph.checkpointer = InMemorySaver()  # what the LangGraph server attaches
    thread = {"configurable": {"thread_id": "t1"}}
    paused = await graph.ainvoke({"inputs": {"service": "billing"}}, thread)
    (interrupt,) = paused["__interrupt__"]
    assert interrupt.value["prompt"] == "Deploy billing?"
    done = await graph.ainvoke(Command(resume="yes"), thread)
    assert done["results"]["ask"]["answer"] == "yes"
