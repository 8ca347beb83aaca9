"""A bundle's workflows as compiled LangGraph graphs, for LangGraph's own server.

``langgraph.json`` points at ``graphs.py``, which calls ``workflow_graph`` once
per document. The graph is the workflow's own (``build_graph(doc).compile()``)
behind one small step that starts the state the way orcheo's runner does: the
run's ``inputs`` (over the notebook's parameter defaults), empty ``results``,
the inputs' top-level keys, and the run ``config``. A LangGraph client sends
``{"inputs": {...}}``; the output is the state orcheo's runner would finish with.

The LangGraph server brings its own checkpointer, so interrupts
(``HumanInputNode``) pause and resume there too. It has no orcheo vault:
workflows that use ``[[credentials]]`` belong on ``jupyter orcheo --bundle``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from typing_extensions import TypedDict

from .. import spec
from ..runtime import build_graph
from ..runtime.state import State, initial_state
from ..spec.models import WorkflowDocument
from .defaults import input_defaults

#: The node that runs the workflow inside the graph LangGraph serves.
WORKFLOW_NODE = "workflow"
_STATE_KEYS = ("messages", "inputs", "results", "structured_response", "config")


class GraphInput(TypedDict, total=False):
    """What a client sends: the run's inputs, optionally chat messages and run config."""

    inputs: dict[str, Any]
    messages: list[Any]
    config: dict[str, Any]


def compile_document(doc: WorkflowDocument) -> CompiledStateGraph:
    """The workflow as a compiled graph taking ``GraphInput`` (see the module docstring)."""
    defaults = input_defaults(doc)
    inner = build_graph(doc).compile(name=doc.name)

    def start(state: State) -> dict[str, Any]:
        inputs = {**defaults, **dict(state.get("inputs") or {})}
        begun = initial_state(inputs, state.get("config") or {})
        if state.get("messages"):
            begun.pop("messages", None)  # already in the state (the client sent them)
        return {key: begun[key] for key in _STATE_KEYS if key in begun}

    graph = StateGraph(State, input_schema=GraphInput)
    graph.add_node("start", start)
    graph.add_node(WORKFLOW_NODE, inner)
    graph.add_edge(START, "start")
    graph.add_edge("start", WORKFLOW_NODE)
    graph.add_edge(WORKFLOW_NODE, END)
    return graph.compile(name=doc.name)


def workflow_graph(path: str | Path) -> CompiledStateGraph:
    """The compiled graph of the workflow document at ``path`` (a bundle's ``graphs.py``)."""
    return compile_document(spec.load(path))
