"""Retrieval from services, with upstream Orcheo's names and fields: web search through
Tavily's API (``WebSearchNode``), and Pinecone's hosted re-ranker
(``PineconeRerankNode``), which orcheo-jupyter ships no client for: its documents load,
and a run reaching it fails naming the service."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import httpx
from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.rag_items import user_message

_MAX_RESPONSE = 10 * 1024 * 1024


def _score(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


@register(
    category="rag",
    icon="globe",
    output="{results: [{id, score, text, metadata: {url, title}, source, sources}], "
    "answer, source[, warning]}",
)
class WebSearchNode(BaseNode):
    """Search the web through Tavily (an API key, e.g. [[tavily_api_key]])."""

    query_key: str = Field("message", title="Inputs key of the query")
    provider: Literal["tavily"] = Field("tavily", title="Provider")
    api_key: str | None = Field(None, title="API key", description="e.g. [[tavily_api_key]].")
    api_url: str = Field("https://api.tavily.com/search", title="API URL")
    search_depth: Literal["basic", "advanced"] = Field("basic", title="Depth")
    max_results: int = Field(5, ge=1, le=100, title="Results")
    include_answer: bool = Field(True, title="Include Tavily's answer")
    include_raw_content: bool = Field(False, title="Include page text")
    days: int | None = Field(None, gt=0, title="Past days only")
    topic: str | None = Field(None, title="Topic", description="e.g. news.")
    include_domains: list[str] | None = Field(None, title="Only these domains")
    exclude_domains: list[str] | None = Field(None, title="Not these domains")
    timeout: float | None = Field(10.0, gt=0, le=600, title="Timeout (s)")
    source_name: str = Field("web", title="Retriever name")
    suppress_errors: bool = Field(
        True,
        title="Suppress errors",
        description="A failed search returns no results and a warning instead of failing.",
    )

    def _payload(self, query: str, key: str) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "api_key": key,
            "query": query,
            "search_depth": self.search_depth,
            "max_results": self.max_results,
            "include_answer": self.include_answer,
            "include_raw_content": self.include_raw_content,
        }
        optional = {
            "days": self.days,
            "topic": self.topic,
            "include_domains": self.include_domains,
            "exclude_domains": self.exclude_domains,
        }
        payload.update({k: v for k, v in optional.items() if v})
        return payload

    def _result(self, entry: Any, index: int) -> dict[str, Any]:
        if not isinstance(entry, Mapping):
            raise NodeError("api_url", "each search result should be an object")
        url = str(entry.get("url") or "").strip()
        title = str(entry.get("title") or "").strip()
        content = str(entry.get("content") or "").strip()
        raw = entry.get("raw_content")
        text = " - ".join(p for p in (title, content) if p)
        if not text:
            text = (
                (raw if isinstance(raw, str) and raw else "")
                or url
                or f"{self.source_name}-{index}"
            )
        meta: dict[str, Any] = {}
        if url:
            meta["url"] = url
        if title:
            meta["title"] = title
        if self.include_raw_content and isinstance(raw, str) and raw:
            meta["raw_content"] = raw
        return {
            "id": url or f"{self.source_name}-{index}",
            "score": _score(entry.get("score")),
            "text": text,
            "metadata": meta,
            "source": self.source_name,
            "sources": [self.source_name],
        }

    async def _search(self, query: str) -> dict[str, Any]:
        key = (self.api_key or "").strip()
        if not key:
            raise NodeError("api_key", "Tavily needs an API key (e.g. [[tavily_api_key]])")
        try:
            async with (
                httpx.AsyncClient(timeout=self.timeout) as client,
                client.stream("POST", self.api_url, json=self._payload(query, key)) as response,
            ):
                body = b""
                async for part in response.aiter_bytes():
                    body += part
                    if len(body) > _MAX_RESPONSE:
                        raise NodeError("api_url", "the search response is over 10 MB")
        except httpx.HTTPError as exc:
            raise NodeError("api_url", f"web search failed: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise NodeError("api_url", f"web search answered HTTP {response.status_code}")
        try:
            data = json.loads(body)
        except ValueError:
            raise NodeError("api_url", "web search answered with something not JSON") from None
        raw = data.get("results") if isinstance(data, Mapping) else None
        if not isinstance(raw, list):
            raise NodeError("api_url", "web search answered without a results list")
        return {
            "results": [self._result(e, i) for i, e in enumerate(raw)],
            "answer": data.get("answer"),
            "source": self.source_name,
        }

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = user_message(state, self.query_key)
        try:
            return await self._search(query)
        except NodeError as exc:
            if not self.suppress_errors:
                raise
            return {"results": [], "warning": str(exc), "source": self.source_name}


@register(category="rag", icon="arrow-up-down", output="{results: [...]} (Pinecone: not shipped)")
class PineconeRerankNode(BaseNode):
    """Upstream's re-ranking through Pinecone's hosted models; use ReRankerNode here."""

    model: str = Field("bge-reranker-v2-m3", title="Pinecone model")
    source_result_key: str = Field("fusion", title="Source node")
    results_field: str = Field("results", title="Results field")
    query_key: str = Field("message", title="Inputs key of the query")
    rank_fields: list[str] = Field(default_factory=lambda: ["chunk_text"], title="Ranked fields")
    top_n: int = Field(10, ge=1, le=1000, title="Results")
    return_documents: bool = Field(True, title="Return documents")
    parameters: dict[str, Any] = Field(default_factory=dict, title="Parameters")
    client_kwargs: dict[str, Any] | str = Field(default_factory=dict, title="Client options")
    document_text_field: str = Field("chunk_text", title="Text field")
    document_id_field: str = Field("_id", title="Id field")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        raise NodeError(
            "model",
            f"Pinecone's hosted re-ranker {self.model!r} is a network service orcheo-jupyter "
            "has no client for; ReRankerNode re-ranks here (word overlap or an embedding model)",
        )
