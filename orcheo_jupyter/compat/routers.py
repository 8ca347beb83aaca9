"""Decision nodes used as conditional-edge paths route, as upstream's edges do.

Annotations here are real objects (no postponed evaluation): LangGraph reads
``config: RunnableConfig`` to decide whether to pass the run config.

``graph.add_conditional_edges("check", IfElseNode(name="is_big", conditions=[...]),
{"true": "big", "false": "small"})``: LangGraph would call the object as a node
and get a state update back. After the script has built its graph, each such
path is replaced by a router that runs the decision and returns its ``branch``
(``"true"``/``"false"`` for IfElseNode, the case key for SwitchNode,
``"continue"``/``"exit"`` for WhileNode).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph._internal._runnable import coerce_to_runnable
from langgraph.graph import StateGraph

from .nodes import DECISION_TYPES, OrcheoNode

Router = Callable[[dict[str, Any], RunnableConfig], Awaitable[str]]


def decision_of(path: Any) -> OrcheoNode | None:
    """The decision facade behind a branch path (bound or not), if it is one."""
    for candidate in (getattr(path, "afunc", None), getattr(path, "func", None)):
        found = getattr(candidate, "orcheo_decision", candidate)
        if isinstance(found, OrcheoNode) and found.type_name in DECISION_TYPES:
            return found
    return None


def _router(decision: OrcheoNode) -> Router:
    async def route(state: dict[str, Any], config: RunnableConfig) -> str:
        update = await decision(state, config)
        out = update["results"][decision.name]
        return str(out["branch"])

    route.orcheo_decision = decision  # type: ignore[attr-defined]
    route.__name__ = decision.name
    return route


def bind_routers(graph: StateGraph) -> StateGraph:
    """Replace decision facades used as branch paths by routers (in place)."""
    for branches in graph.branches.values():
        for key, spec in list(branches.items()):
            decision = getattr(spec.path, "afunc", None)
            if isinstance(decision, OrcheoNode) and decision_of(spec.path) is decision:
                router: Any = _router(decision)
                branches[key] = spec._replace(
                    path=coerce_to_runnable(router, name=None, trace=False)
                )
    return graph
