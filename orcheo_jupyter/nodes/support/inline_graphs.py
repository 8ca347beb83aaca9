"""Graphs inside nodes: a frozen-ir graph stored in a node's config (upstream's
``pipeline=`` of the batch evaluator, ``workflow_tools[].graph`` of the agent), run
as a pure function of its inputs.

It is compiled once per content and never checkpoints: a call is a pure function
of its inputs, many calls may run at once inside one node, and none may write into
the running workflow's checkpoint namespace.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ...common.lru import LRU
from ..base import NodeContext, NodeError

_compiled: LRU[str, Any] = LRU(32)


def compiled_graph(ir: Mapping[str, Any], field: str) -> Any:
    """The compiled graph of a frozen-ir ``ir``; NodeError naming ``field`` if invalid."""
    from ...runtime.build import build_graph
    from ...spec.problems import DocumentError

    key = hashlib.sha256(json.dumps(ir, sort_keys=True, default=str).encode()).hexdigest()

    def build() -> Any:
        doc = {"name": field, "graph": {"format": "frozen-ir", "ir": dict(ir)}}
        try:
            return build_graph(doc).compile(checkpointer=False)
        except DocumentError as exc:
            raise NodeError(field, f"not a valid graph: {exc}") from None

    return _compiled.get_or_make(key, build)


def user_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The run config an inner graph sees: the run's own configurable values only."""
    configurable = config.get("configurable") or {}
    out: dict[str, Any] = {
        "configurable": {k: v for k, v in configurable.items() if not str(k).startswith("__")}
    }
    if "recursion_limit" in config:
        out["recursion_limit"] = config["recursion_limit"]
    return out


async def run_graph(
    graph: Any, inputs: Mapping[str, Any], state: Mapping[str, Any], ctx: NodeContext
) -> dict[str, Any]:
    """Run a compiled inner graph on ``inputs``; its final state."""
    from ...runtime.state import initial_state

    final = await graph.ainvoke(
        initial_state(dict(inputs), state.get("config")), user_config(ctx.config)
    )
    return dict(final)
