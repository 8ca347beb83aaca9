"""A script graph's nodes report like drawn ones: started, finished, failed, with output.

A LangGraph script defines its node functions itself, so nothing of ours ran around
them: a run of an imported script showed no node on the canvas or in the run viewer
until it ended, its outputs were not checked as they returned, and a runner whose
server had died still started its next node. Each plain node is wrapped here in the
same ``instrument`` as a drawn code node (events, trace span, storable-output check,
the runner's per-node checks). What LangGraph does around a node stays LangGraph's:
the script's retry policy, timeout, cache and error handler (a failure leaves as the
node raised it, for them to match); a compiled graph added as a node is left as it is
(LangGraph treats it as a subgraph: its own checkpoints and interrupts).
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from langchain_core.runnables import Runnable, RunnableConfig
from langgraph.graph import StateGraph
from langgraph.graph.state import coerce_to_runnable
from langgraph.pregel import Pregel

from .nodes_wrap import NodeCall, instrument, reports


def _reports(runnable: Runnable[Any, Any]) -> bool:
    return any(reports(getattr(runnable, attr, None)) for attr in ("afunc", "func"))


def _calling(runnable: Runnable[Any, Any]) -> NodeCall:
    async def call(state: dict[str, Any], config: dict[str, Any], attempt: int) -> Any:
        # The node's own runnable injects what its signature asks for (config,
        # runtime, store, writer) from the config LangGraph gave this node.
        return await runnable.ainvoke(state, cast(RunnableConfig, config))

    return call


def instrument_script_nodes(graph: StateGraph[Any, Any, Any, Any]) -> None:
    """Wrap each plain node of ``graph`` (in place) so that its runs report it."""
    for name, spec in list(graph.nodes.items()):
        runnable = spec.runnable  # add_node made it a Runnable
        if not isinstance(runnable, Runnable) or isinstance(runnable, Pregel) or _reports(runnable):
            continue
        fn: Any = instrument(
            name, _calling(runnable), retry=None, timeout=None, raise_as_raised=True
        )
        graph.nodes[name] = dataclasses.replace(
            spec, runnable=coerce_to_runnable(fn, name=name, trace=False)
        )
