"""ForEachNode: run a node for every item of a list in parallel, gather in order.

The fan-out is a small LangGraph graph whose start sends one ``Send`` per item to
a worker; it runs inside the node with the run's config, so it shares the run's
checkpointer and an interrupt in an item pauses the whole run.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Annotated, Any, TypedDict, cast

from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphBubbleUp
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.inline_nodes import InlineNode, run_inline

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _FanState(TypedDict, total=False):
    count: int
    done: Annotated[list[dict[str, Any]], operator.add]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


@register(
    category="logic",
    icon="layers",
    output="{outputs: [one per item, in order], count, errors: [{index, error}]}",
)
class ForEachNode(BaseNode):
    """Run one node for every item of a list, in parallel; outputs keep the list's order.

    The body's config sees each item as ``{{item}}`` and its position as ``{{index}}``
    (names configurable), besides the usual state.
    """

    deferred_fields = frozenset({"body"})

    items: list[Any] = Field(
        default_factory=list, title="Items", description="The list to fan out over."
    )
    body: InlineNode = Field(
        title="Body", description="The node run per item: {type, config}; config may use {{item}}."
    )
    item_key: str = Field("item", pattern=_NAME, title="Item name")
    index_key: str = Field("index", pattern=_NAME, title="Index name")
    max_concurrency: int | None = Field(
        None, ge=1, title="Max concurrency", description="Items running at once (default: all)."
    )
    continue_on_error: bool = Field(
        False,
        title="Continue on error",
        description="Record a failed item (output null) instead of failing the run.",
    )

    def _graph(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        async def each(payload: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
            index = payload["index"]
            item_state = {**state, self.item_key: self.items[index], self.index_key: index}
            try:
                output = await run_inline(
                    self.body,
                    item_state,
                    ctx,
                    node_id=f"{ctx.node_id}[{index}]",
                    field="body",
                )
            except GraphBubbleUp:
                raise
            except Exception as exc:
                if not self.continue_on_error:
                    raise NodeError(f"items[{index}]", f"body failed: {_describe(exc)}") from exc
                return {"done": [{"index": index, "error": _describe(exc)}]}
            return {"done": [{"index": index, "output": output}]}

        def fan_out(fan: _FanState) -> list[Send]:
            return [Send("each", {"index": i}) for i in range(fan["count"])]

        graph: StateGraph = StateGraph(_FanState)
        graph.add_node("each", cast(Any, each))
        graph.add_conditional_edges(START, fan_out, ["each"])
        graph.add_edge("each", END)
        return graph.compile()

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        if not self.items:
            return {"outputs": [], "count": 0, "errors": []}
        config: dict[str, Any] = dict(ctx.config)
        if self.max_concurrency is not None:
            config["max_concurrency"] = self.max_concurrency
        final = await self._graph(state, ctx).ainvoke(
            {"count": len(self.items), "done": []}, config
        )
        done = sorted(final["done"], key=lambda d: d["index"])
        return {
            "outputs": [d.get("output") for d in done],
            "count": len(done),
            "errors": [{"index": d["index"], "error": d["error"]} for d in done if "error" in d],
        }
