"""Embedding nodes: vectors for texts and for chunks, from any LangChain embeddings
model by name (``local:hashing`` works offline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.embedding_models import LOCAL_MODEL, embed_texts, resolve_embeddings
from ..support.rag_items import objects_from

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
        out: Any = vectors[0] if single and self.unwrap_single and vectors else vectors
        return {
            self.output_key: out,
            "dimensions": len(vectors[0]) if vectors else 0,
            "model": self.embed_model,
        }


@register(
    category="rag",
    icon="hash",
    output="{chunk_embeddings: [{id, values, text, metadata}], dimensions, model}",
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
    required_metadata_keys: list[str] = Field(
        default_factory=lambda: ["document_id", "chunk_index"], title="Required metadata"
    )
    batch_size: int = Field(64, ge=1, le=4096, title="Batch size")

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
