"""Upstream's store objects (``InMemoryVectorStore()``, ``PineconeVectorStore(...)``)
as the config our node types take.

A script passes a store object to a node (``vector_store=store``); the node's
document config gets the store's ``orcheo_config()``. A ``TaskNode`` of the script
that holds the object itself (``self.vector_store.records``) sees the memory
collection the workflow's nodes write to, as upstream's shared object does.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StoreStandIn(BaseModel):
    """A store object whose document form is ``orcheo_config()``."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    def orcheo_config(self) -> dict[str, Any]:
        raise NotImplementedError


class BaseVectorStore(StoreStandIn):
    """Upstream's vector store base class (for annotations and isinstance checks)."""


class InMemoryVectorStore(BaseVectorStore):
    """Vectors held by the process running the workflow (our ``memory`` store type)."""

    collection: str = Field("default", min_length=1, max_length=200)

    def orcheo_config(self) -> dict[str, Any]:
        return {"type": "memory", "collection": self.collection}

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        """The collection's records by id, as this process holds them now."""
        from ..nodes.support.vector_backends import memory_records

        return memory_records(self.collection)


class PineconeVectorStore(BaseVectorStore):
    """Upstream's Pinecone index; a run reaching it fails naming the service."""

    index_name: str
    namespace: str | None = None
    client_kwargs: dict[str, Any] | str = Field(default_factory=dict)

    def orcheo_config(self) -> dict[str, Any]:
        return {
            "type": "pinecone",
            "index_name": self.index_name,
            "namespace": self.namespace,
            "client_kwargs": self.client_kwargs,
        }


class BaseMemoryStore(StoreStandIn):
    """Upstream's conversation memory base class."""


class InMemoryMemoryStore(BaseMemoryStore):
    """Conversations held by the process running the workflow (our ``memory`` type)."""

    max_sessions: int | str | None = None
    max_total_turns: int | str | None = None
    namespace: str = Field("default", min_length=1, max_length=200)

    def orcheo_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "memory", "namespace": self.namespace}
        for key in ("max_sessions", "max_total_turns"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


class SearchResult(BaseModel):
    """Upstream's search result model: what the retrieval nodes return per hit."""

    model_config = ConfigDict(extra="allow")

    id: str
    score: float = 0.0
    text: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    sources: list[str] = Field(default_factory=list)


STAND_INS: dict[str, type[BaseModel]] = {
    "SearchResult": SearchResult,
    "BaseMemoryStore": BaseMemoryStore,
    "InMemoryMemoryStore": InMemoryMemoryStore,
    "BaseVectorStore": BaseVectorStore,
    "InMemoryVectorStore": InMemoryVectorStore,
    "PineconeVectorStore": PineconeVectorStore,
}
