"""A search is one ``VectorQuery`` that both vector stores (SQLite file, memory) answer alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from orcheo_jupyter.nodes.base import NodeContext, NodeError
from orcheo_jupyter.nodes.support import vector_backends
from orcheo_jupyter.nodes.support.vector_backends import VectorStoreConfig
from orcheo_jupyter.nodes.support.vector_store import VectorQuery

pytestmark = pytest.mark.asyncio

RECORDS = [
    {"id": "a", "values": [1.0, 0.0], "text": "A", "metadata": {"tag": "x"}},
    {"id": "b", "values": [0.8, 0.6], "text": "B", "metadata": {"tag": ["x", "y"]}},
    {"id": "c", "values": [0.0, 1.0], "text": "C", "metadata": {"tag": "y"}},
    {"id": "d", "values": [-1.0, 0.0], "text": "D", "metadata": {"tag": "z"}},
]


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> VectorStoreConfig:
    path = str(tmp_path / "vectors.sqlite")
    return VectorStoreConfig(type=request.param, path=path, collection="q")


async def _ids(cfg: VectorStoreConfig, query: VectorQuery) -> list[tuple[str, float]]:
    found = await vector_backends.search(cfg, NodeContext("n"), query)
    return [(hit["id"], hit["score"]) for hit in found]


async def test_one_query_is_answered_alike(store: VectorStoreConfig) -> None:
    ctx = NodeContext("n")
    await vector_backends.upsert(store, ctx, "m", RECORDS, True)
    # The defaults: every record (threshold -1, no filter), top_k nearest first.
    assert await _ids(store, VectorQuery("m", [1.0, 0.0], 3)) == [
        ("a", 1.0),
        ("b", 0.8),
        ("c", 0.0),
    ]
    assert [i for i, _ in await _ids(store, VectorQuery("m", [1.0, 0.0], 10))] == [
        "a",
        "b",
        "c",
        "d",
    ]
    # The least score, then the metadata filter (a list value matches a list of tags).
    assert await _ids(store, VectorQuery("m", [1.0, 0.0], 10, threshold=0.5)) == [
        ("a", 1.0),
        ("b", 0.8),
    ]
    only_y = VectorQuery("m", [1.0, 0.0], 10, where={"tag": "y"})
    assert [i for i, _ in await _ids(store, only_y)] == ["b", "c"]
    x_or_z = VectorQuery("m", [1.0, 0.0], 10, where={"tag": ["x", "z"]})
    assert [i for i, _ in await _ids(store, x_or_z)] == ["a", "b", "d"]
    # Another model (or size) than the collection was indexed with is named.
    for wrong in (VectorQuery("other", [1.0, 0.0], 1), VectorQuery("m", [1.0, 0.0, 0.0], 1)):
        with pytest.raises(NodeError, match=r"'q' was indexed with 'm' \(2 dimensions\)"):
            await _ids(store, wrong)
