"""``orcheo.graph.builder.build_graph``: upstream's graph from its legacy JSON config.

Upstream scripts pass the same ``{"nodes": [...], "edges": [...]}`` config the
canvas stores to ``build_graph`` and get a LangGraph ``StateGraph``. Here the
config goes through the legacy importer (so it means exactly what the same JSON
file means) and the runtime's builder. The graph remembers the frozen-ir it came
from, so a script whose graph is such a config imports as that typed document,
unless the script changed the graph afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.graph import StateGraph

from ..runtime.build import build_graph as build_document_graph
from ..spec.io import document_from_data
from ..spec.models import FrozenIRGraph, GraphIR
from ..spec.problems import DocumentError

_FROZEN = "orcheo_frozen_ir"


def _shape(graph: StateGraph[Any, Any, Any, Any]) -> tuple[Any, ...]:
    return (
        tuple(graph.nodes),
        frozenset(graph.edges),
        frozenset(graph.waiting_edges),
        tuple((s, tuple(b)) for s, b in graph.branches.items()),
    )


def build_graph(graph_config: Mapping[str, Any]) -> StateGraph[Any, Any, Any, Any]:
    """The StateGraph of a legacy graph config (``nodes``, ``edges``, ``edge_nodes``...)."""
    if not isinstance(graph_config, Mapping):
        raise TypeError(
            f"build_graph expects the graph config (a dict), got {type(graph_config).__name__}"
        )
    doc = document_from_data(dict(graph_config), name=str(graph_config.get("name") or "workflow"))
    if not isinstance(doc.graph, FrozenIRGraph):
        raise DocumentError.single("shape", "build_graph expects a graph config, not a script")
    graph = build_document_graph(doc)
    setattr(graph, _FROZEN, (doc.graph.ir, _shape(graph)))
    return graph


def frozen_ir_of(graph: StateGraph[Any, Any, Any, Any]) -> GraphIR | None:
    """The frozen-ir ``build_graph`` made ``graph`` from, if the graph is unchanged since."""
    marked = getattr(graph, _FROZEN, None)
    if marked is None:
        return None
    ir, shape = marked
    return ir if shape == _shape(graph) else None


def is_builder(value: Any) -> bool:
    """True for this ``build_graph`` (a script that imports it does not define it)."""
    return value is build_graph
