"""Retrieval nodes: index vectors, search them (dense), search words (BM25),
fuse rankings (reciprocal rank fusion) and re-rank.

The vector store is a SQLite file under the data directory by default
(``nodes/support/vector_store.py``), so an index built by one run is searched by the next.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support import vector_backends as _vectors
from ..support.embedding_models import LOCAL_MODEL, cosine, resolve_embeddings, words
from ..support.rag_items import as_list, from_results, objects_from, query_text, result_text
from ..support.sparse_models import LOCAL_SPARSE, sparse_encoder
from ..support.vector_backends import VectorStoreConfig
from ..support.vector_store import VectorQuery

_RESULTS = "{results: [{id, score, text, metadata, source}]}"


_STORE = Field(default_factory=VectorStoreConfig, title="Vector store")
_MODEL = Field(
    LOCAL_MODEL,
    min_length=1,
    title="Embedding model",
    description="The model the index was built with (provider:model or local:hashing).",
)
_QUERY = Field(None, title="Query", description="Default: inputs.<query_key>.")
_QUERY_KEY = Field("message", title="Inputs key of the query")


def _embedding_payload(
    payload: Any, names: list[str] | None, field: str
) -> tuple[list[dict[str, Any]], list[str] | None]:
    """Records from a list, or from upstream's {embedding name: [records]} (``names``
    selects among them); with the names taken when the payload had them."""
    if isinstance(payload, Mapping):
        chosen = list(names) if names else list(payload)
        missing = [n for n in chosen if n not in payload]
        if missing:
            raise NodeError(
                "embedding_names", f"{missing} not among the embeddings {sorted(payload)}"
            )
        records: list[dict[str, Any]] = []
        for name in chosen:
            records += as_list(payload[name], f"{field}.{name}", "record")
        return records, chosen
    if names:
        raise NodeError(
            "embedding_names", "the embeddings are one list, not {name: records}; unset it"
        )
    return as_list(payload, field, "record"), None


@register(
    category="rag",
    icon="database",
    output="{upserted, indexed, ids, count, collection, path, namespace[, embedding_names]}",
)
class VectorStoreUpsertNode(BaseNode):
    """Store embedded chunks in the vector store (insert or replace by id)."""

    source_result_key: str = Field("chunk_embedding", title="Source node")
    embeddings_field: str = Field("chunk_embeddings", title="Embeddings field")
    records: list[dict[str, Any]] | dict[str, Any] | None = Field(
        None,
        title="Records",
        description="Instead of the source node: [{id, values, text, metadata}] "
        "(or {embedding name: [records]}).",
    )
    embedding_names: list[str] | None = Field(
        None,
        title="Embedding names",
        description="Of {name: records} embeddings (ChunkEmbeddingNode's specs), store "
        "these; default: all.",
    )
    embed_model: str | None = Field(
        None, title="Embedding model", description="Default: the source node's model."
    )
    vector_store: VectorStoreConfig = _STORE
    replace_collection: bool = Field(
        False, title="Replace collection", description="Drop what the collection held first."
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        payload = from_results(
            state, self.records, self.source_result_key, self.embeddings_field, "records"
        )
        records, names = _embedding_payload(payload, self.embedding_names, "records")
        if names is not None and not records:
            raise NodeError("records", "no vector records to store")
        for i, rec in enumerate(records):
            values = rec.get("values")
            sparse = rec.get("sparse_values")
            if (
                rec.get("id") in (None, "")
                or not isinstance(values, list)
                or (not values and not sparse)
                or not all(isinstance(v, int | float) for v in values)
            ):
                raise NodeError(f"records[{i}]", "expected {id, values: [numbers], text, metadata}")
        model = self.embed_model
        source = (state.get("results") or {}).get(self.source_result_key) or {}
        if model is None and isinstance(source, Mapping):
            model = source.get("model")
        model = model or LOCAL_MODEL
        cfg = self.vector_store
        out = await _vectors.upsert(cfg, ctx, str(model), records, self.replace_collection)
        extra = {"embedding_names": names} if names is not None else {}
        return {
            **out,
            "indexed": len(records),
            "ids": [str(r["id"]) for r in records],
            "collection": cfg.collection,
            "path": _vectors.location(cfg),
            "namespace": cfg.namespace,
            **extra,
        }


@register(category="rag", icon="search", output=_RESULTS)
class DenseSearchNode(BaseNode):
    """Find the chunks nearest to the query in the vector store (cosine similarity)."""

    query_key: str = _QUERY_KEY
    query: str | None = _QUERY
    vector_store: VectorStoreConfig = _STORE
    embed_model: str = _MODEL
    model_kwargs: dict[str, Any] = Field(default_factory=dict, title="Model options")
    top_k: int = Field(5, ge=1, le=1000, title="Results")
    score_threshold: float = Field(0.0, ge=-1, le=1, title="Least score")
    filter_metadata: dict[str, Any] = Field(
        default_factory=dict,
        title="Metadata filter",
        description="key: value (or a list of allowed values) that results must have.",
    )
    source_name: str = Field("dense", title="Retriever name")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = query_text(state, self.query, self.query_key)
        model = resolve_embeddings(self.embed_model, self.model_kwargs, ctx)
        vector = [float(v) for v in await model.aembed_query(query)]
        query_vector = VectorQuery(
            self.embed_model, vector, self.top_k, self.score_threshold, self.filter_metadata
        )
        found = await _vectors.search(self.vector_store, ctx, query_vector)
        for item in found:
            item["retriever"] = self.source_name
        return {"results": found, "query": query}


def bm25(query: str, docs: list[list[str]], k1: float, b: float) -> list[float]:
    """Okapi BM25 scores of ``docs`` (token lists) for ``query``."""
    n = len(docs)
    if not n:
        return []
    avg = sum(len(d) for d in docs) / n or 1.0
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(d))
    terms = words(query)
    scores = []
    for d in docs:
        tf = Counter(d)
        score = 0.0
        for t in terms:
            if t not in tf:
                continue
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            f = tf[t]
            score += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len(d) / avg))
        scores.append(score)
    return scores


@register(category="rag", icon="search", output=_RESULTS)
class SparseSearchNode(BaseNode):
    """Rank chunks by keywords (BM25), from a chunking node or a vector store's collection."""

    source_result_key: str = Field("chunking_strategy", title="Source node")
    chunks_field: str = Field("chunks", title="Chunks field")
    chunks: list[dict[str, Any]] | None = Field(None, title="Chunks")
    vector_store: VectorStoreConfig | None = Field(
        None, title="Vector store", description="Search this collection's chunks instead."
    )
    query_key: str = _QUERY_KEY
    query: str | None = _QUERY
    top_k: int = Field(5, ge=1, le=1000, title="Results")
    score_threshold: float = Field(0.0, ge=0, title="Least score")
    k1: float = Field(1.5, ge=0, le=10, title="BM25 k1")
    b: float = Field(0.75, ge=0, le=1, title="BM25 b")
    source_name: str = Field("sparse", title="Retriever name")
    embed_model: str = Field(
        "",
        title="Candidate model",
        description="With a vector store: rank only the vector_store_candidate_k chunks "
        "nearest by this embedding model; empty: every chunk of the collection.",
    )
    model_kwargs: dict[str, Any] = Field(default_factory=dict, title="Model options")
    vector_store_candidate_k: int = Field(50, ge=1, le=10_000, title="Candidates")
    sparse_model: str | None = Field(
        None,
        title="Sparse model",
        description="local:bm25 (the default, built in); upstream's pinecone:bm25 needs "
        "Pinecone's encoder, which is not shipped.",
    )
    sparse_kwargs: dict[str, Any] = Field(default_factory=dict, title="Sparse model options")

    async def _candidates(self, query: str, ctx: NodeContext) -> list[dict[str, Any]]:
        assert self.vector_store is not None
        if not self.embed_model:
            return await _vectors.texts(self.vector_store, ctx)
        model = resolve_embeddings(self.embed_model, self.model_kwargs, ctx)
        vector = [float(v) for v in await model.aembed_query(query)]
        nearest = VectorQuery(self.embed_model, vector, self.vector_store_candidate_k)
        found = await _vectors.search(self.vector_store, ctx, nearest)
        return [{"id": f["id"], "content": f["text"], "metadata": f["metadata"]} for f in found]

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        sparse_encoder(self.sparse_model or LOCAL_SPARSE, self.sparse_kwargs, "sparse_model")
        query = query_text(state, self.query, self.query_key)
        if self.vector_store is not None and self.chunks is None:
            chunks = await self._candidates(query, ctx)
        else:
            chunks = objects_from(
                state, self.chunks, self.source_result_key, self.chunks_field, "chunks", "chunk"
            )
        texts = [result_text(c) for c in chunks]
        scores = bm25(query, [words(t) for t in texts], self.k1, self.b)
        ranked = sorted(
            (i for i, s in enumerate(scores) if s > self.score_threshold),
            key=lambda i: (-scores[i], i),
        )[: self.top_k]
        results = []
        for i in ranked:
            meta = dict(chunks[i].get("metadata") or {})
            results.append(
                {
                    "id": str(chunks[i].get("id", i)),
                    "score": round(scores[i], 6),
                    "text": texts[i],
                    "metadata": meta,
                    "source": meta.get("source") or chunks[i].get("id", i),
                    "retriever": self.source_name,
                }
            )
        return {"results": results, "query": query}


@register(
    category="rag",
    icon="merge",
    output="{results: [{id, score, text, metadata, source, sources: [retriever]}]}",
)
class HybridFusionNode(BaseNode):
    """Merge several rankings into one (reciprocal rank fusion, or weighted scores)."""

    results_field: str = Field(
        "retrieval_results",
        title="Results key",
        description="results.<key> holding {retriever: [results]} when result_sets is unset.",
    )
    result_sets: dict[str, Any] | None = Field(
        None,
        title="Rankings",
        description="{name: [results] or a search node's output}, e.g. {dense: '{{dense}}'}.",
    )
    strategy: Literal["rrf", "weighted"] = Field("rrf", title="Strategy")
    weights: dict[str, float] = Field(default_factory=dict, title="Weights")
    rrf_k: int = Field(60, ge=1, le=10_000, title="RRF k")
    top_k: int = Field(10, ge=1, le=1000, title="Results")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        sets = self.result_sets
        if sets is None:
            sets = (state.get("results") or {}).get(self.results_field)
        if not isinstance(sets, Mapping) or not sets:
            raise NodeError(
                "result_sets", f"no rankings: set result_sets or results.{self.results_field}"
            )
        fused: dict[str, dict[str, Any]] = {}
        for name, ranking in sets.items():
            items = ranking.get("results") if isinstance(ranking, Mapping) else ranking
            items = as_list(items, f"result_sets.{name}", "result")
            weight = self.weights.get(name, 1.0)
            top = max((float(it.get("score") or 0) for it in items), default=0.0) or 1.0
            for rank, item in enumerate(items, start=1):
                key = str(item.get("id"))
                entry = fused.setdefault(key, {**item, "score": 0.0, "sources": []})
                if self.strategy == "rrf":
                    entry["score"] += weight / (self.rrf_k + rank)
                else:
                    entry["score"] += weight * float(item.get("score") or 0) / top
                entry["sources"].append(name)
        ranked = sorted(fused.values(), key=lambda e: (-e["score"], str(e.get("id"))))
        for entry in ranked:
            entry["score"] = round(entry["score"], 6)
            entry.pop("retriever", None)
        return {"results": ranked[: self.top_k]}


@register(category="rag", icon="arrow-up-down", output=_RESULTS)
class ReRankerNode(BaseNode):
    """Re-order search results by how well they match the query (word overlap, or an
    embedding model's similarity), with an optional length penalty."""

    source_result_key: str = Field("retriever", title="Source node")
    results_field: str = Field("results", title="Results field")
    results: list[dict[str, Any]] | None = Field(None, title="Results")
    query_key: str = _QUERY_KEY
    query: str | None = _QUERY
    embed_model: str | None = Field(
        None, title="Embedding model", description="Score by similarity; default: word overlap."
    )
    model_kwargs: dict[str, Any] = Field(default_factory=dict, title="Model options")
    top_k: int = Field(10, ge=1, le=1000, title="Results")
    length_penalty: float = Field(0.0, ge=0, le=1, title="Length penalty (per word)")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        items = objects_from(
            state, self.results, self.source_result_key, self.results_field, "results", "result"
        )
        query = query_text(state, self.query, self.query_key)
        texts = [result_text(it) for it in items]
        if self.embed_model:
            model = resolve_embeddings(self.embed_model, self.model_kwargs, ctx)
            q = await model.aembed_query(query)
            vecs = await model.aembed_documents(texts) if texts else []
            scores = [cosine(q, v) for v in vecs]
        else:
            terms = set(words(query))
            scores = [len(terms & set(words(t))) / len(terms) if terms else 0.0 for t in texts]
        ranked = []
        for item, text, score in zip(items, texts, scores, strict=True):
            final = score - self.length_penalty * len(words(text))
            ranked.append({**item, "score": round(final, 6), "retrieval_score": item.get("score")})
        ranked.sort(key=lambda e: -e["score"])
        return {"results": ranked[: self.top_k], "query": query}
