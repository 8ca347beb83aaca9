"""A script's graph as frozen-ir, when nothing in it needs the script to run.

Static means: the state is the standard ``State``; every node is an Orcheo node
class from the registry (named as its node id, no LangGraph retry/cache/defer
options); edges are plain (no joins waiting on several sources); every
conditional edge routes through a decision node class with a path map. A
decision used as a router becomes a node of its own between the source and the
branches, with a conditional edge on its ``results.<name>.branch``, which is how
the canvas shows and edits routing. Anything else (``TaskNode`` subclasses,
plain functions, custom state) keeps the script: its code must run.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import StateGraph

from ..common.dotted import route_key
from ..runtime.state import State
from ..spec.models import END, START, GraphIR
from .builder import frozen_ir_of
from .nodes import OrcheoNode
from .routers import decision_of


def _end(name: str) -> str:
    return START if name == "__start__" else END if name == "__end__" else name


def _node_object(spec: Any) -> Any:
    runnable = spec.runnable
    return getattr(runnable, "afunc", None) or getattr(runnable, "func", None)


def freeze(graph: StateGraph) -> tuple[GraphIR | None, str]:
    """``(ir, "")`` for a static graph, else ``(None, why it stays a script)``."""
    built = frozen_ir_of(graph)
    if built is not None:
        return built, ""
    if graph.state_schema is not State:
        return None, "its state is not orcheo.graph.state.State"
    if graph.waiting_edges:
        return None, "it joins branches (an edge waits for several sources)"
    nodes: list[dict[str, Any]] = []
    for node_id, spec in graph.nodes.items():
        obj = _node_object(spec)
        if not isinstance(obj, OrcheoNode):
            return None, f"node {node_id!r} is code ({type(obj).__name__}), not a node class"
        if obj.name != node_id:
            return None, f"node {node_id!r} is named {obj.name!r}"
        if spec.retry_policy or spec.cache_policy or spec.defer:
            return None, f"node {node_id!r} uses LangGraph retry, cache or defer options"
        nodes.append(obj.node.model_dump(exclude_none=True))
    edges = [{"source": _end(s), "target": _end(t)} for s, t in sorted(graph.edges)]
    conditional: list[dict[str, Any]] = []
    taken = set(graph.nodes)
    for source, branches in graph.branches.items():
        for branch in branches.values():
            decision = decision_of(branch.path)
            if decision is None:
                return None, f"the route out of {source!r} is code, not a decision node class"
            if branch.ends is None:
                return None, f"the route out of {source!r} has no path map"
            if decision.name in taken:
                return None, f"router name {decision.name!r} is also a node or another router"
            taken.add(decision.name)
            nodes.append(decision.node.model_dump(exclude_none=True))
            edges.append({"source": _end(source), "target": decision.name})
            conditional.append(
                {
                    "source": decision.name,
                    "path": f"results.{decision.name}.branch",
                    "mapping": {route_key(k): _end(str(v)) for k, v in dict(branch.ends).items()},
                }
            )
    entry = next((e["target"] for e in edges if e["source"] == START), None)
    ir = GraphIR.model_validate(
        {"entrypoint": entry, "nodes": nodes, "edges": edges, "conditional_edges": conditional}
    )
    return ir, ""
