"""Embedding nodes: vectors for texts and for chunks, from any LangChain embeddings
model by name (``local:hashing`` works offline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.embedding_models import LOCAL_MODEL, embed_texts, resolve_embeddings
from ..support.rag_items import objects_from
from ..support.sparse_models import LOCAL_SPARSE, sparse_encoder

_MODEL = Field(
    LOCAL_MODEL,
    min_length=1,
    title="Embedding model",
    description="provider:model for LangChain's init_embeddings, or local:hashing (offline).",
)
_KWARGS: Any = Field(
    default_factory=dict,
    title="Model options",
    description="e.g. {dimensions: 384}; values may be [[secrets]] such as api_key.",
)


@register(
    category="rag", icon="hash", output="{embeddings: [[float]] | [float], dimensions, model}"
)
class TextEmbeddingNode(BaseNode):
    """Embed a text or a list of texts."""

    input_key: str = Field(
        "text", title="Inputs key", description="Read inputs.<key> when text is not set."
    )
    text: str | list[str] | None = Field(None, title="Text", description="A text or a list.")
    embed_model: str = _MODEL
    model_kwargs: dict[str, Any] = _KWARGS
    output_key: str = Field("embeddings", min_length=1, title="Output key")
    dense_output_key: str | None = Field(
        None, title="Vectors key too", description="Also put the vectors under this key."
    )
    text_output_key: str | None = Field(
        None, title="Texts key", description="Also put the texts embedded under this key."
    )
    allow_empty: bool = Field(False, title="Allow empty", description="Else an empty text fails.")
    unwrap_single: bool = Field(
        False, title="Unwrap single", description="One text in: one vector out, not a list."
    )
    batch_size: int = Field(64, ge=1, le=4096, title="Batch size")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        value: Any = self.text
        if value is None:
            inputs = state.get("inputs") or {}
            value = inputs.get(self.input_key, state.get(self.input_key))
        single = isinstance(value, str)
        texts = [value] if single else value
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise NodeError(
                "text", f"expected a text or a list of texts (or inputs.{self.input_key})"
            )
        if not self.allow_empty and (not texts or any(not t.strip() for t in texts)):
            raise NodeError("text", "empty text (set allow_empty to embed it anyway)")
        model = resolve_embeddings(self.embed_model, self.model_kwargs, ctx)
        vectors = await embed_texts(model, texts, self.batch_size)
        unwrap = single and self.unwrap_single and bool(vectors)
        out: dict[str, Any] = {
            self.output_key: vectors[0] if unwrap else vectors,
            "dimensions": len(vectors[0]) if vectors else 0,
            "model": self.embed_model,
        }
        if self.dense_output_key:
            out[self.dense_output_key] = vectors[0] if unwrap else vectors
        if self.text_output_key:
            out[self.text_output_key] = texts[0] if unwrap else texts
        return out


class DenseEmbeddingSpec(BaseModel):
    """One dense embedding of the chunks (upstream's spec)."""

    model_config = ConfigDict(extra="forbid")

    embed_model: str = Field(..., min_length=1, title="Embedding model")
    model_kwargs: dict[str, Any] = _KWARGS


class SparseEmbeddingSpec(BaseModel):
    """One sparse (keyword) embedding of the chunks (upstream's spec)."""

    model_config = ConfigDict(extra="forbid")

    sparse_model: str = Field(LOCAL_SPARSE, min_length=1, title="Sparse model")
    sparse_kwargs: dict[str, Any] = Field(default_factory=dict, title="Sparse model options")


def _named_records(
    chunks: list[dict[str, Any]], texts: list[str], name: str, several: bool
) -> list[dict[str, Any]]:
    """Upstream's records of one named embedding: ids gain -name when there are several."""
    out: list[dict[str, Any]] = []
    for i, (chunk, text) in enumerate(zip(chunks, texts, strict=True)):
        chunk_id = str(chunk.get("id") or i)
        meta = dict(chunk.get("metadata") or {})
        meta.setdefault("chunk_id", chunk_id)
        meta["embedding_type"] = name
        out.append(
            {"id": f"{chunk_id}-{name}" if several else chunk_id, "text": text, "metadata": meta}
        )
    return out


@register(
    category="rag",
    icon="hash",
    output="{chunk_embeddings: [{id, values, text, metadata}], dimensions, model} "
    "(with embedding specs: {chunk_embeddings: {name: [records]}})",
)
class ChunkEmbeddingNode(BaseNode):
    """Embed chunks, keeping their ids, text and metadata for a vector store."""

    source_result_key: str = Field("chunking_strategy", title="Source node")
    chunks_field: str = Field("chunks", title="Chunks field")
    chunks: list[dict[str, Any]] | None = Field(
        None, title="Chunks", description="Instead of the source node: e.g. {{split.chunks}}."
    )
    embed_model: str = _MODEL
    model_kwargs: dict[str, Any] = _KWARGS
    dense_embedding_specs: dict[str, DenseEmbeddingSpec] = Field(
        default_factory=dict,
        title="Dense embeddings",
        description="Several named embeddings instead of embed_model, as upstream: "
        "{name: {embed_model, model_kwargs}}; the output maps each name to its records.",
    )
    sparse_embedding_specs: dict[str, SparseEmbeddingSpec] = Field(
        default_factory=dict,
        title="Sparse embeddings",
        description="{name: {sparse_model: local:bm25, sparse_kwargs}}: records with "
        "sparse_values {indices, values}.",
    )
    required_metadata_keys: list[str] = Field(
        default_factory=lambda: ["document_id", "chunk_index"], title="Required metadata"
    )
    batch_size: int = Field(64, ge=1, le=4096, title="Batch size")

    async def _by_spec(
        self, chunks: list[dict[str, Any]], texts: list[str], ctx: NodeContext
    ) -> dict[str, Any]:
        several = len(self.dense_embedding_specs) + len(self.sparse_embedding_specs) > 1
        out: dict[str, list[dict[str, Any]]] = {}
        for name, dense in self.dense_embedding_specs.items():
            field = f"dense_embedding_specs.{name}.embed_model"
            model = resolve_embeddings(dense.embed_model, dense.model_kwargs, ctx, field)
            vectors = await embed_texts(model, texts, self.batch_size)
            records = _named_records(chunks, texts, name, several)
            for rec, vec in zip(records, vectors, strict=True):
                rec["values"] = vec
            out[name] = records
        for name, sparse in self.sparse_embedding_specs.items():
            field = f"sparse_embedding_specs.{name}.sparse_model"
            encoder = sparse_encoder(sparse.sparse_model, sparse.sparse_kwargs, field)
            records = _named_records(chunks, texts, name, several)
            for rec, sv in zip(records, encoder.encode_documents(texts), strict=True):
                rec["values"] = []
                rec["sparse_values"] = sv
            out[name] = records
        return {"chunk_embeddings": out}

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        chunks = objects_from(
            state, self.chunks, self.source_result_key, self.chunks_field, "chunks", "chunk"
        )
        texts: list[str] = []
        for i, chunk in enumerate(chunks):
            text = chunk.get("content", chunk.get("text"))
            if not isinstance(text, str) or not text.strip():
                raise NodeError(f"chunks[{i}].content", "expected non-empty text")
            meta = chunk.get("metadata") or {}
            missing = [k for k in self.required_metadata_keys if k not in meta]
            if missing:
                raise NodeError(
                    "required_metadata_keys",
                    f"chunk {chunk.get('id', i)!r} lacks metadata {', '.join(missing)}",
                )
            texts.append(text)
        if self.dense_embedding_specs or self.sparse_embedding_specs:
            return await self._by_spec(chunks, texts, ctx)
        model = resolve_embeddings(self.embed_model, self.model_kwargs, ctx)
        vectors = await embed_texts(model, texts, self.batch_size)
        records = [
            {
                "id": str(chunk.get("id") or i),
                "values": vec,
                "text": text,
                "metadata": dict(chunk.get("metadata") or {}),
            }
            for i, (chunk, text, vec) in enumerate(zip(chunks, texts, vectors, strict=True))
        ]
        return {
            "chunk_embeddings": records,
            "dimensions": len(vectors[0]) if vectors else 0,
            "model": self.embed_model,
        }
