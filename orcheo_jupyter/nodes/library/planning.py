"""Query planning and result routing of upstream Orcheo's conversational search:
multi-hop plans of a compound query, and search results grouped by source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from .conversation import _query


@register(
    category="conversation",
    icon="list-ordered",
    output="{plan: [{id: hop-N, query, depends_on}], hop_count}",
)
class MultiHopPlannerNode(BaseNode):
    """Split a compound query into sequential hops (at the delimiter)."""

    query_key: str = Field("message", title="Inputs key of the query")
    max_hops: int = Field(3, ge=1, le=100, title="Most hops")
    delimiter: str = Field(" and ", min_length=1, title="Delimiter")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = _query(state, self.query_key)
        parts = [p.strip() for p in query.split(self.delimiter) if p.strip()] or [query]
        plan: list[dict[str, Any]] = []
        for i, part in enumerate(parts[: self.max_hops]):
            plan.append(
                {
                    "id": f"hop-{i + 1}",
                    "query": part,
                    "depends_on": plan[-1]["id"] if plan else None,
                }
            )
        return {"plan": plan, "hop_count": len(plan)}


@register(category="rag", icon="split", output="{routed: {source: [result]}}")
class SourceRouterNode(BaseNode):
    """Group search results by their source, dropping those under min_score."""

    source_result_key: str = Field("retriever", title="Source node")
    results_field: str = Field("results", title="Results field")
    min_score: float = Field(0.0, title="Least score")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        payload = (state.get("results") or {}).get(self.source_result_key)
        items = payload.get(self.results_field) if isinstance(payload, Mapping) else payload
        if not isinstance(items, list):
            raise NodeError(
                "source_result_key",
                f"results.{self.source_result_key} holds no list of search results",
            )
        routed: dict[str, list[Any]] = {}
        for item in items:
            if not isinstance(item, Mapping):
                raise NodeError("source_result_key", "a search result should be an object")
            bucket = routed.setdefault(str(item.get("source") or "unknown"), [])
            if float(item.get("score") or 0.0) >= self.min_score:
                bucket.append(dict(item))
        return {"routed": routed}
