"""Where the retrieval nodes keep vectors: the ``vector_store`` config and its backends.

- ``sqlite`` (default): a file under the data directory (``vector_store.py``), so an
  index built by one run is searched by the next.
- ``memory``: a collection held by the process running the workflow (kernel or
  runner), gone when it ends, as upstream Orcheo's ``InMemoryVectorStore``; for
  tests and one-run pipelines that index and search together.
- ``pinecone``: upstream's ``PineconeVectorStore`` fields are kept so its documents
  load and show unchanged, but Pinecone is a network service orcheo-jupyter ships no
  client for: a run that reaches one fails naming it (never at load time).
"""

from __future__ import annotations

import asyncio
import heapq
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..base import NodeContext, NodeError
from . import vector_store as _sqlite
from .embedding_models import normalise
from .plain_values import under_data_dir
from .vector_store import VectorQuery


class VectorStoreConfig(BaseModel):
    """A vector store: a SQLite file (relative paths: the data dir), this process's
    memory, or a Pinecone index (upstream's fields; not reachable from here)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["sqlite", "memory", "pinecone"] = Field("sqlite", title="Type")
    path: str = Field("vectors.sqlite", min_length=1, title="File", description="sqlite only.")
    collection: str = Field(
        "default", min_length=1, max_length=200, title="Collection", description="Index name."
    )
    index_name: str | None = Field(None, title="Pinecone index", description="pinecone only.")
    namespace: str | None = Field(None, title="Pinecone namespace")
    client_kwargs: dict[str, Any] | str = Field(
        default_factory=dict,
        title="Pinecone client options",
        description="e.g. {api_key: '[[pinecone_api_key]]'}.",
    )


def _unreachable(cfg: VectorStoreConfig) -> NodeError:
    return NodeError(
        "vector_store",
        f"Pinecone index {cfg.index_name or '(no index_name)'!r} is a network service "
        "orcheo-jupyter has no client for; use vector_store.type 'sqlite' (a file under "
        "the data directory) or 'memory' to index and search here",
    )


_lock = threading.Lock()
#: collection -> {"model", "dimensions", "records": {id: record}} (memory stores)
_memory: dict[str, dict[str, Any]] = {}


def memory_records(collection: str) -> dict[str, dict[str, Any]]:
    """A copy of a memory collection's records by id (empty when it has none)."""
    with _lock:
        held = _memory.get(collection)
        return {k: dict(v) for k, v in held["records"].items()} if held else {}


def clear_memory(collection: str | None = None) -> None:
    """Forget one memory collection (or all of them)."""
    with _lock:
        if collection is None:
            _memory.clear()
        else:
            _memory.pop(collection, None)


def _memory_upsert(
    collection: str, model: str, records: Sequence[Mapping[str, Any]], replace: bool
) -> dict[str, Any]:
    dense = {len(r["values"]) for r in records if r.get("values")}
    if len(dense) > 1:
        raise NodeError("records", f"vectors of different lengths: {sorted(dense)}")
    with _lock:
        if replace:
            _memory.pop(collection, None)
        held = _memory.setdefault(collection, {"model": model, "dimensions": 0, "records": {}})
        if dense:
            dim = next(iter(dense))
            if held["dimensions"] and (held["model"], held["dimensions"]) != (model, dim):
                raise NodeError(
                    "vector_store.collection",
                    f"{collection!r} holds {held['dimensions']}-dimension vectors of "
                    f"{held['model']!r}, not {dim}-dimension vectors of {model!r} (use "
                    "another collection or replace it)",
                )
            held["model"], held["dimensions"] = model, dim
        for r in records:
            held["records"][str(r["id"])] = {
                "id": str(r["id"]),
                "values": [float(v) for v in r.get("values") or []],
                "text": str(r.get("text") or ""),
                "metadata": dict(r.get("metadata") or {}),
                **({"sparse_values": r["sparse_values"]} if r.get("sparse_values") else {}),
            }
        return {"upserted": len(records), "count": len(held["records"])}


def _memory_search(collection: str, query: VectorQuery) -> list[dict[str, Any]]:
    with _lock:
        held = _memory.get(collection)
        rows = list(held["records"].values()) if held else []
        known = (held["model"], held["dimensions"]) if held else None
    if known is None:
        raise NodeError("vector_store.collection", f"no collection {collection!r} in memory")
    if known[1]:  # a collection of sparse records only has no dense model yet
        query.check_model(collection, known)
    q = normalise(query.vector)
    best: list[tuple[float, str, int]] = []
    for n, row in enumerate(rows):
        if not row["values"]:
            continue
        score = sum(a * b for a, b in zip(q, normalise(row["values"]), strict=False))
        if not query.wants(score, row["metadata"]):
            continue
        heapq.heappush(best, (score, row["id"], n))
        if len(best) > query.top_k:
            heapq.heappop(best)
    out = []
    for score, _, n in sorted(best, reverse=True):
        row = rows[n]
        out.append(_sqlite.hit(row["id"], score, row["text"], row["metadata"]))
    return out


async def upsert(
    cfg: VectorStoreConfig,
    ctx: NodeContext,
    model: str,
    records: Sequence[Mapping[str, Any]],
    replace: bool,
) -> dict[str, Any]:
    """Insert or replace ``records`` ({id, values, text, metadata}) by id."""
    if cfg.type == "pinecone":
        raise _unreachable(cfg)
    if cfg.type == "memory":
        return _memory_upsert(cfg.collection, model, records, replace)
    sparse = next((r["id"] for r in records if not r.get("values")), None)
    if sparse is not None:
        raise NodeError(
            "vector_store",
            f"record {sparse!r} has no dense values (a sparse embedding): a sqlite store "
            "keeps dense vectors; SparseSearchNode ranks a collection's texts by BM25 itself",
        )
    path = under_data_dir(cfg.path, ctx.services)
    return await asyncio.to_thread(_sqlite.upsert, path, cfg.collection, model, records, replace)


async def search(
    cfg: VectorStoreConfig, ctx: NodeContext, query: VectorQuery
) -> list[dict[str, Any]]:
    """What ``query`` asks of the configured store, best first."""
    if cfg.type == "pinecone":
        raise _unreachable(cfg)
    if cfg.type == "memory":
        return _memory_search(cfg.collection, query)
    path = under_data_dir(cfg.path, ctx.services)
    return await asyncio.to_thread(_sqlite.search, path, cfg.collection, query)


async def texts(cfg: VectorStoreConfig, ctx: NodeContext) -> list[dict[str, Any]]:
    """Every record of the collection as a chunk ``{id, content, metadata}``, by id."""
    if cfg.type == "pinecone":
        raise _unreachable(cfg)
    if cfg.type == "memory":
        rows = memory_records(cfg.collection)
        return [
            {"id": k, "content": rows[k]["text"], "metadata": rows[k]["metadata"]}
            for k in sorted(rows)
        ]
    path = under_data_dir(cfg.path, ctx.services)
    return await asyncio.to_thread(_sqlite.texts, path, cfg.collection)


def location(cfg: VectorStoreConfig) -> str:
    """What an upsert reports as ``path``: the file, or where the collection lives."""
    if cfg.type == "memory":
        return "memory"
    return cfg.path


async def metadata_of(
    cfg: VectorStoreConfig, ctx: NodeContext, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The stored metadata of those ``ids`` the collection has (to skip unchanged chunks)."""
    if cfg.type == "pinecone":
        raise _unreachable(cfg)
    if cfg.type == "memory":
        rows = memory_records(cfg.collection)
        return {i: rows[i]["metadata"] for i in ids if i in rows}
    path = under_data_dir(cfg.path, ctx.services)
    return await asyncio.to_thread(_sqlite.metadata_of, path, cfg.collection, ids)
