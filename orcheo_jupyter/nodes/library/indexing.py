"""IncrementalIndexerNode: embed and store chunks in one step, re-embedding only the
chunks whose text changed since they were stored (a content hash in their metadata),
with bounded retries of the store write. Re-indexing a large corpus after a small
edit costs the edited chunks, not the corpus."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support import vector_backends as _vectors
from ..support.embedding_models import LOCAL_MODEL, embed_texts, resolve_embeddings
from ..support.rag_items import objects_from
from ..support.vector_backends import VectorStoreConfig


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@register(category="rag", icon="database", output="{indexed_count, skipped, upserted_ids}")
class IncrementalIndexerNode(BaseNode):
    """Embed chunks and upsert them, skipping chunks stored with the same text."""

    source_result_key: str = Field("chunking_strategy", title="Source node")
    chunks_field: str = Field("chunks", title="Chunks field")
    chunks: list[dict[str, Any]] | None = Field(
        None, title="Chunks", description="Instead of the source node: e.g. {{split.chunks}}."
    )
    vector_store: VectorStoreConfig = Field(default_factory=VectorStoreConfig, title="Vector store")
    embed_model: str = Field(LOCAL_MODEL, min_length=1, title="Embedding model")
    model_kwargs: dict[str, Any] = Field(default_factory=dict, title="Model options")
    batch_size: int = Field(32, ge=1, le=4096, title="Batch size")
    max_retries: int = Field(2, ge=0, le=10, title="Store retries")
    backoff_seconds: float = Field(
        0.05, ge=0, le=60, title="Backoff (s)", description="Doubles after each failed write."
    )
    skip_unchanged: bool = Field(
        True, title="Skip unchanged", description="Keep chunks stored with the same text."
    )

    async def _upsert(self, records: list[dict[str, Any]], ctx: NodeContext) -> None:
        for attempt in range(self.max_retries + 1):
            try:
                await _vectors.upsert(self.vector_store, ctx, self.embed_model, records, False)
                return
            except NodeError as exc:
                if attempt == self.max_retries or exc.field == "vector_store":
                    raise
            except Exception as exc:
                if attempt == self.max_retries:
                    raise NodeError(
                        "vector_store",
                        f"the store refused the write {attempt + 1} times: {exc}",
                    ) from None
            await asyncio.sleep(self.backoff_seconds * (2**attempt))

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        chunks = objects_from(
            state, self.chunks, self.source_result_key, self.chunks_field, "chunks", "chunk"
        )
        if not chunks:
            raise NodeError("chunks", "no chunks to index")
        items = []
        for i, chunk in enumerate(chunks):
            text = chunk.get("content", chunk.get("text"))
            if not isinstance(text, str) or not text.strip():
                raise NodeError(f"chunks[{i}].content", "expected non-empty text")
            items.append((str(chunk.get("id") or i), text, chunk))
        stored: dict[str, dict[str, Any]] = {}
        if self.skip_unchanged:
            stored = await _vectors.metadata_of(self.vector_store, ctx, [i for i, _, _ in items])
        todo = [
            it
            for it in items
            if stored.get(it[0], {}).get("content_hash") != content_hash(it[1])
            or not self.skip_unchanged
        ]
        model = resolve_embeddings(self.embed_model, self.model_kwargs, ctx) if todo else None
        upserted: list[str] = []
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            assert model is not None
            vectors = await embed_texts(model, [t for _, t, _ in batch], self.batch_size)
            records: list[dict[str, Any]] = []
            for (chunk_id, text, chunk), vec in zip(batch, vectors, strict=True):
                meta = {
                    "document_id": chunk.get("document_id"),
                    "chunk_index": chunk.get("chunk_index", chunk.get("index")),
                    "content_hash": content_hash(text),
                    **dict(chunk.get("metadata") or {}),
                }
                records.append({"id": chunk_id, "values": vec, "text": text, "metadata": meta})
            await self._upsert(records, ctx)
            upserted += [str(r["id"]) for r in records]
        return {
            "indexed_count": len(upserted),
            "skipped": len(items) - len(todo),
            "upserted_ids": upserted,
        }
