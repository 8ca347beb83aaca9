"""A vector store in one SQLite file under the data directory.

Vectors are stored L2-normalised as float32 blobs, so a search is a dot product
over the collection's rows (exact, brute force: fine for the tens of thousands
of chunks a notebook indexes). Each collection remembers its embedding model and
dimension and refuses vectors from another, since mixing them makes search silently
wrong. Writes are short transactions in WAL mode, so a kernel and the server can
share the file.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from array import array
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...common.sqlite_files import open_shared
from ..base import NodeError
from .embedding_models import normalise
from .sqlite_transaction import transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (
    name TEXT PRIMARY KEY, model TEXT NOT NULL, dimensions INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS vectors (
    collection TEXT NOT NULL, id TEXT NOT NULL, embedding BLOB NOT NULL,
    text TEXT NOT NULL, metadata TEXT NOT NULL, PRIMARY KEY (collection, id)
);
"""


def _connect(path: Path) -> sqlite3.Connection:
    return open_shared(path, _SCHEMA, isolation_level=None)


def _blob(values: Sequence[float]) -> bytes:
    return array("f", normalise(values)).tobytes()


def upsert(
    path: Path, collection: str, model: str, records: Sequence[Mapping[str, Any]], replace: bool
) -> dict[str, Any]:
    if not records and not replace:
        return {"upserted": 0, "count": count(path, collection)}
    dims = {len(r["values"]) for r in records}
    if len(dims) > 1:
        raise NodeError("records", f"vectors of different lengths: {sorted(dims)}")
    with closing(_connect(path)) as conn:
        with transaction(conn, "BEGIN IMMEDIATE"):
            if replace:
                conn.execute("DELETE FROM vectors WHERE collection = ?", (collection,))
                conn.execute("DELETE FROM collections WHERE name = ?", (collection,))
            if records:
                dim = dims.pop()
                known = conn.execute(
                    "SELECT model, dimensions FROM collections WHERE name = ?", (collection,)
                ).fetchone()
                if known is None:
                    conn.execute(
                        "INSERT INTO collections VALUES (?, ?, ?)", (collection, model, dim)
                    )
                elif tuple(known) != (model, dim):
                    raise NodeError(
                        "vector_store.collection",
                        f"{collection!r} holds {known[1]}-dimension vectors of {known[0]!r}, "
                        f"not {dim}-dimension vectors of {model!r} (use another collection "
                        "or replace it)",
                    )
                conn.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            collection,
                            str(r["id"]),
                            _blob(r["values"]),
                            str(r.get("text") or ""),
                            json.dumps(r.get("metadata") or {}, ensure_ascii=False, default=str),
                        )
                        for r in records
                    ],
                )
        total = conn.execute(
            "SELECT count(*) FROM vectors WHERE collection = ?", (collection,)
        ).fetchone()[0]
    return {"upserted": len(records), "count": int(total)}


def count(path: Path, collection: str) -> int:
    if not path.exists():
        return 0
    conn = _connect(path)
    try:
        row = conn.execute("SELECT count(*) FROM vectors WHERE collection = ?", (collection,))
        return int(row.fetchone()[0])
    finally:
        conn.close()


def matches(meta: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    for key, value in wanted.items():
        have = meta.get(key)
        if isinstance(value, list):
            if have not in value and not (isinstance(have, list) and set(have) & set(value)):
                return False
        elif have != value and not (isinstance(have, list) and value in have):
            return False
    return True


@dataclass(frozen=True)
class VectorQuery:
    """A search, as every vector store takes it: the ``top_k`` records nearest to
    ``vector`` (cosine), which ``model`` embedded, scoring at least ``threshold`` and
    whose metadata has ``where`` (key: value, or a list of allowed values)."""

    model: str
    vector: Sequence[float]
    top_k: int
    threshold: float = -1.0  # the least cosine: every record
    where: Mapping[str, Any] = field(default_factory=dict)

    def check_model(self, collection: str, known: tuple[str, int]) -> None:
        """NodeError when the collection was indexed with another model (or size)."""
        if tuple(known) != (self.model, len(self.vector)):
            raise NodeError(
                "embed_model",
                f"{collection!r} was indexed with {known[0]!r} ({known[1]} dimensions); "
                f"the query uses {self.model!r} ({len(self.vector)} dimensions)",
            )

    def wants(self, score: float, meta: Mapping[str, Any] | str) -> bool:
        """Whether a record of this score and metadata (or its JSON, read only when a
        filter needs it) is a result."""
        if score < self.threshold:
            return False
        if not self.where:
            return True
        return matches(json.loads(meta) if isinstance(meta, str) else meta, self.where)


def hit(doc_id: str, score: float, text: str, meta: dict[str, Any]) -> dict[str, Any]:
    """One search result, as every vector store returns it."""
    return {
        "id": doc_id,
        "score": round(score, 6),
        "text": text,
        "metadata": meta,
        "source": meta.get("source") or meta.get("document_id") or doc_id,
    }


def search(path: Path, collection: str, query: VectorQuery) -> list[dict[str, Any]]:
    if not path.exists():
        raise NodeError("vector_store.path", f"no vector store at {path} (upsert first)")
    conn = _connect(path)
    try:
        known = conn.execute(
            "SELECT model, dimensions FROM collections WHERE name = ?", (collection,)
        ).fetchone()
        if known is None:
            raise NodeError("vector_store.collection", f"no collection {collection!r} in {path}")
        query.check_model(collection, tuple(known))
        q = normalise(query.vector)
        best: list[tuple[float, str, str, str]] = []
        rows = conn.execute(
            "SELECT id, embedding, text, metadata FROM vectors WHERE collection = ?", (collection,)
        )
        for doc_id, blob, text, meta_json in rows:
            vec = array("f")
            vec.frombytes(blob)
            score = sum(a * b for a, b in zip(q, vec, strict=False))
            if not query.wants(score, meta_json):
                continue
            item = (score, doc_id, text, meta_json)
            if len(best) < query.top_k:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)
    finally:
        conn.close()
    out = []
    for score, doc_id, text, meta_json in sorted(best, reverse=True):
        out.append(hit(doc_id, score, text, json.loads(meta_json)))
    return out


def texts(path: Path, collection: str) -> list[dict[str, Any]]:
    """Every chunk of a collection, as chunks (for keyword search over an index)."""
    if not path.exists():
        raise NodeError("vector_store.path", f"no vector store at {path} (upsert first)")
    conn = _connect(path)
    try:
        rows = conn.execute(
            "SELECT id, text, metadata FROM vectors WHERE collection = ? ORDER BY id",
            (collection,),
        ).fetchall()
    finally:
        conn.close()
    return [{"id": i, "content": t, "metadata": json.loads(m)} for i, t, m in rows]


def metadata_of(path: Path, collection: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored metadata of those ``ids`` the collection has."""
    if not path.exists() or not ids:
        return {}
    conn = _connect(path)
    try:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            part = list(ids[start : start + 500])
            rows = conn.execute(
                "SELECT id, metadata FROM vectors WHERE collection = ? AND id IN "
                f"({', '.join('?' * len(part))})",
                (collection, *part),
            )
            out.update({i: json.loads(m) for i, m in rows})
        return out
    finally:
        conn.close()
