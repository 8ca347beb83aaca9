"""Embedding models for the retrieval nodes, by name, like chat models.

``embed_model`` (``"openai:text-embedding-3-small"``) goes to LangChain's
``init_embeddings``. Before that, the run's ``services.embeddings`` and models
registered with ``register_embeddings`` are consulted. ``local:hashing`` is
registered here: a deterministic feature-hashing embedder that needs no network
and no model download, so indexing and search run offline and in tests.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings

from ..base import NodeContext, NodeError

EmbeddingsFactory = Callable[..., Embeddings]
_registered: dict[str, Embeddings | EmbeddingsFactory] = {}
LOCAL_MODEL = "local:hashing"

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens: the unit of the hashing embedder and of BM25."""
    return _WORD.findall(text.lower())


class HashingEmbeddings(Embeddings):
    """Words and word pairs hashed into ``dimensions`` signed buckets, L2-normalised.

    Texts that share words get similar vectors; identical texts get identical
    vectors on every machine (the hash is SHA-1, not Python's salted ``hash``).
    """

    def __init__(self, dimensions: int = 384) -> None:
        if not 8 <= dimensions <= 8192:
            raise ValueError("dimensions must be between 8 and 8192")
        self.dimensions = dimensions

    def _vector(self, text: str) -> list[float]:
        tokens = words(text)
        features = tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
        vec = [0.0] * self.dimensions
        for feature in features:
            digest = hashlib.sha1(feature.encode()).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dimensions
            vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vec))
        return [v / norm for v in vec] if norm else vec

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def register_embeddings(name: str, model: Embeddings | EmbeddingsFactory) -> None:
    """Make ``embed_model=name`` use this model (or factory) in this process."""
    _registered[name] = model


def unregister_embeddings(name: str) -> None:
    _registered.pop(name, None)


register_embeddings(LOCAL_MODEL, HashingEmbeddings)


def resolve_embeddings(
    name: str, kwargs: Mapping[str, Any], ctx: NodeContext, field: str = "embed_model"
) -> Embeddings:
    source = ctx.services.embeddings.get(name)
    if source is None:
        source = _registered.get(name)
    if source is not None:
        if isinstance(source, Embeddings):
            return source
        try:
            return source(**kwargs)
        except (TypeError, ValueError) as exc:
            raise NodeError("model_kwargs", f"rejected by {name!r}: {exc}") from None
    from langchain.embeddings import init_embeddings

    try:
        return init_embeddings(name, **kwargs)
    except ImportError as exc:
        raise NodeError(
            field,
            f"the provider package for {name!r} is not installed "
            f"(pip install langchain-<provider>): {exc}",
        ) from None
    except Exception as exc:
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        for value in kwargs.values():
            if isinstance(value, str) and len(value) >= 4:
                message = message.replace(value, "***")
        raise NodeError(field, f"cannot create embeddings {name!r}: {message}") from None


async def embed_texts(
    model: Embeddings, texts: Sequence[str], batch_size: int
) -> list[list[float]]:
    out: list[list[float]] = []
    for start in range(0, len(texts), batch_size):
        out += await model.aembed_documents(list(texts[start : start + batch_size]))
    return [[float(v) for v in vec] for vec in out]


def normalise(vec: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vec))
    return [v / norm for v in vec] if norm else list(vec)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0 when either is all zeros)."""
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0
