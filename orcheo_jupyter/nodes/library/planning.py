"""Query planning and result shaping of upstream Orcheo's conversational search:
multi-hop plans of a compound query, search results grouped by source, and results
of any shape adapted to the retrieval nodes' form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.dotted_paths import MISSING, dig
from ..support.rag_items import user_message


@register(
    category="rag",
    icon="list-ordered",
    output="{plan: [{id: hop-N, query, depends_on}], hop_count}",
)
class MultiHopPlannerNode(BaseNode):
    """Split a compound query into sequential hops (at the delimiter)."""

    query_key: str = Field("message", title="Inputs key of the query")
    max_hops: int = Field(3, ge=1, le=100, title="Most hops")
    delimiter: str = Field(" and ", min_length=1, title="Delimiter")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = user_message(state, self.query_key)
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


@register(
    category="rag",
    icon="shuffle",
    output="{results: [{id, score, text, metadata, source, sources}]}",
)
class SearchResultAdapterNode(BaseNode):
    """Search results of any shape (a database query's rows...) as the retrieval nodes'
    results, each field read at a dotted path."""

    source_result_key: str = Field("retriever", title="Source node")
    results_field: str = Field("results", title="Results field")
    id_field: str = Field("id", title="Id path")
    score_field: str = Field("score", title="Score path")
    text_field: str = Field("text", title="Text path")
    metadata_field: str | None = Field("metadata", title="Metadata path")
    raw_field: str | None = Field(None, title="Metadata path if the first is missing")
    source_field: str = Field("source", title="Source path")
    sources_field: str = Field("sources", title="Sources path")
    source_name: str | None = Field(None, title="Source name", description="For every result.")
    default_score: float = Field(0.0, title="Score when missing")

    def _at(self, entry: Mapping[str, Any], path: str | None) -> Any:
        found = dig(entry, path) if path else MISSING
        return None if found is MISSING else found

    def _score(self, value: Any) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            return self.default_score

    def _convert(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        meta = self._at(entry, self.metadata_field)
        if not isinstance(meta, Mapping):
            meta = self._at(entry, self.raw_field)
        source = self.source_name
        if not source:
            found = self._at(entry, self.source_field)
            source = found.strip() if isinstance(found, str) and found.strip() else None
        listed = self._at(entry, self.sources_field)
        sources = (
            [str(s) for s in listed if s is not None]
            if isinstance(listed, list)
            else [listed]
            if isinstance(listed, str)
            else []
        )
        ident, text = self._at(entry, self.id_field), self._at(entry, self.text_field)
        return {
            "id": "" if ident is None else str(ident),
            "score": self._score(self._at(entry, self.score_field)),
            "text": "" if text is None else str(text),
            "metadata": dict(meta) if isinstance(meta, Mapping) else {},
            "source": source,
            "sources": sources or ([source] if source else []),
        }

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        payload = (state.get("results") or {}).get(self.source_result_key)
        entries = (
            payload[self.results_field]
            if isinstance(payload, Mapping) and self.results_field in payload
            else payload
        )
        if entries is None:
            return {"results": []}
        if not isinstance(entries, list):
            raise NodeError(
                "source_result_key", f"results.{self.source_result_key} holds no list of results"
            )
        out = []
        for i, entry in enumerate(entries):
            if entry is None:
                continue
            if not isinstance(entry, Mapping):
                raise NodeError("results_field", f"result {i} is not an object")
            out.append(self._convert(entry))
        return {"results": out}
