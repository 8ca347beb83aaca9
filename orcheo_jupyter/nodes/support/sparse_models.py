"""Sparse (keyword) embeddings for hybrid indexes, by name like dense models.

``local:bm25`` is built in and offline: a document's vector holds, for each word
(its index a stable 32-bit hash of the word), the BM25 term-frequency weight
``tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len))`` over the batch encoded
together; a query's vector holds 1 per distinct word (the dot product of the two is
BM25 without the idf factor, as Pinecone's BM25 encoder splits it). Upstream's
``pinecone:bm25`` / ``pinecone:bm25-default`` are Pinecone's encoder (its default
parameters are downloaded): they fail naming it when a run reaches them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..base import NodeError
from .embedding_models import words

LOCAL_SPARSE = "local:bm25"


def _index(word: str) -> int:
    return int.from_bytes(hashlib.sha1(word.encode()).digest()[:4], "little")


@dataclass(frozen=True)
class LocalBM25:
    k1: float = 1.2
    b: float = 0.75

    def encode_documents(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        docs = [words(t) for t in texts]
        avg = (sum(len(d) for d in docs) / len(docs)) if docs else 0.0
        out: list[dict[str, Any]] = []
        for doc in docs:
            tf = Counter(doc)
            norm = self.k1 * (1 - self.b + self.b * len(doc) / avg) if avg else self.k1
            weight = {w: round(n * (self.k1 + 1) / (n + norm), 6) for w, n in tf.items()}
            pairs = sorted((_index(w), v) for w, v in weight.items())
            out.append({"indices": [i for i, _ in pairs], "values": [v for _, v in pairs]})
        return out

    def encode_query(self, text: str) -> dict[str, Any]:
        indices = sorted({_index(w) for w in words(text)})
        return {"indices": indices, "values": [1.0] * len(indices)}


def sparse_encoder(name: str, kwargs: Mapping[str, Any], field: str) -> LocalBM25:
    """The encoder ``name`` names; NodeError naming the field for one not available here."""
    if name == LOCAL_SPARSE:
        unknown = sorted(set(kwargs) - {"k1", "b"})
        if unknown:
            raise NodeError(field, f"local:bm25 takes k1 and b, not {', '.join(unknown)}")
        try:
            return LocalBM25(**{k: float(v) for k, v in kwargs.items()})
        except (TypeError, ValueError):
            raise NodeError(field, "local:bm25's k1 and b are numbers") from None
    if name.startswith("pinecone:"):
        raise NodeError(
            field,
            f"{name!r} is Pinecone's BM25 encoder (pinecone-text, parameters fetched from "
            f"Pinecone), which orcheo-jupyter does not ship; use {LOCAL_SPARSE!r} (offline)",
        )
    raise NodeError(field, f"unknown sparse model {name!r} (expected {LOCAL_SPARSE!r})")
