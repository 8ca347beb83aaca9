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
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph, coerce_to_runnable
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


def _unused(state: Any) -> None:
    """Stands in for every other node: a ``Command(goto=...)`` of the tested node lands here."""
    return None


def one_node_graph(
    graph: StateGraph[Any, Any, Any, Any], node_id: str, returned: list[Any]
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """``graph`` reduced to ``node_id`` alone, from the start to the end: "test node".

    The node keeps its runnable, input schema and retry policy, and gets its input the
    way LangGraph gives it (the state through the script's schema and reducers, its
    config, runtime and stream writer injected); what it returns (a ``Command``
    included) is appended to ``returned``. Its routes lead nowhere: the other nodes are
    replaced by ones that do nothing, so no other code of the script runs.
    """
    spec = graph.nodes[node_id]
    runnable = cast(Runnable[Any, Any], spec.runnable)  # add_node made it one

    async def recorded(state: Any, config: RunnableConfig) -> Any:
        result = await runnable.ainvoke(state, config)
        returned.append(result)
        return result

    one = StateGraph(graph.state_schema, context_schema=graph.context_schema)
    one.add_node(
        node_id,
        coerce_to_runnable(recorded, name=node_id, trace=False),
        input_schema=spec.input_schema,
        retry_policy=spec.retry_policy,
    )
    one.add_edge(START, node_id)
    one.add_edge(node_id, END)
    for other in graph.nodes:
        if other != node_id:
            one.add_node(other, _unused)
            one.add_edge(other, END)
    return one.compile()
