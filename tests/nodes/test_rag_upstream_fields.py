"""Upstream Orcheo's retrieval fields: named dense/sparse embedding specs, a memory
vector store, embedding_names on upsert, extra output keys, and a Pinecone store
that loads but fails naming the service when a run reaches it. Offline throughout."""

from __future__ import annotations

from typing import Any

import pytest

from orcheo_jupyter.nodes.support import vector_backends
from orcheo_jupyter.nodes.support.sparse_models import LocalBM25, _index
from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, node, results, run, run_node

CHUNKS = [
    {
        "id": "a#0",
        "document_id": "a",
        "chunk_index": 0,
        "content": "cats purr cats",
        "metadata": {"document_id": "a", "chunk_index": 0},
    },
    {
        "id": "b#0",
        "document_id": "b",
        "chunk_index": 0,
        "content": "dogs bark at night",
        "metadata": {"document_id": "b", "chunk_index": 0},
    },
]
SPECS: dict[str, Any] = {
    "dense_embedding_specs": {"dense": {"embed_model": "local:hashing"}},
    "sparse_embedding_specs": {"bm25": {"sparse_model": "local:bm25"}},
}


@pytest.mark.asyncio
async def test_named_specs_make_one_record_list_per_embedding() -> None:
    out = await run_node("ChunkEmbeddingNode", {"chunks": CHUNKS, **SPECS})
    dense, sparse = out["chunk_embeddings"]["dense"], out["chunk_embeddings"]["bm25"]
    assert list(out) == ["chunk_embeddings"]
    assert [r["id"] for r in dense] == ["a#0-dense", "b#0-dense"]
    assert [r["id"] for r in sparse] == ["a#0-bm25", "b#0-bm25"]
    assert dense[0]["metadata"] == {
        "document_id": "a",
        "chunk_index": 0,
        "chunk_id": "a#0",
        "embedding_type": "dense",
    }
    assert len(dense[0]["values"]) == 384 and dense[0]["text"] == "cats purr cats"
    # BM25 weights over the batch: avg length 3.5; "cats" twice in a 3-word chunk.
    norm = 1.2 * (1 - 0.75 + 0.75 * 3 / 3.5)
    cats = round(2 * 2.2 / (2 + norm), 6)
    purr = round(1 * 2.2 / (1 + norm), 6)
    expected = sorted([(_index("cats"), cats), (_index("purr"), purr)])
    assert sparse[0]["values"] == []
    assert sparse[0]["sparse_values"] == {
        "indices": [i for i, _ in expected],
        "values": [v for _, v in expected],
    }
    one = await run_node(
        "ChunkEmbeddingNode",
        {"chunks": CHUNKS, "dense_embedding_specs": SPECS["dense_embedding_specs"]},
    )
    assert [r["id"] for r in one["chunk_embeddings"]["dense"]] == ["a#0", "b#0"]


def test_local_bm25_query_is_one_per_distinct_word() -> None:
    q = LocalBM25().encode_query("Cats cats purr")
    assert q == {"indices": sorted([_index("cats"), _index("purr")]), "values": [1.0, 1.0]}


@pytest.mark.asyncio
async def test_memory_store_indexes_the_named_embedding_and_dense_search_finds_it(
    executor: Executor,
) -> None:
    store = {"type": "memory", "collection": "pets"}
    doc = chain_doc(
        node("chunk_embedding", "ChunkEmbeddingNode", chunks=CHUNKS, **SPECS),
        node("upsert", "VectorStoreUpsertNode", embedding_names=["dense"], vector_store=store),
        node("search", "DenseSearchNode", query="dogs bark", vector_store=store, top_k=1),
        node("sparse", "SparseSearchNode", query="purr", vector_store=store, top_k=5),
    )
    out = results(await run(executor, doc))
    assert out["upsert"] == {
        "upserted": 2,
        "count": 2,
        "indexed": 2,
        "ids": ["a#0-dense", "b#0-dense"],
        "collection": "pets",
        "path": "memory",
        "namespace": None,
        "embedding_names": ["dense"],
    }
    [hit] = out["search"]["results"]
    assert (hit["id"], hit["text"], hit["source"]) == ("b#0-dense", "dogs bark at night", "b")
    assert [r["id"] for r in out["sparse"]["results"]] == ["a#0-dense"]
    assert sorted(vector_backends.memory_records("pets")) == ["a#0-dense", "b#0-dense"]
    # The sparse embedding kept in memory too (as upstream's in-memory store does).
    both = chain_doc(
        node("chunk_embedding", "ChunkEmbeddingNode", chunks=CHUNKS, **SPECS),
        node("upsert", "VectorStoreUpsertNode", vector_store=store, replace_collection=True),
    )
    out = results(await run(executor, both))
    assert out["upsert"]["embedding_names"] == ["dense", "bm25"]
    assert vector_backends.memory_records("pets")["a#0-bm25"]["sparse_values"]["values"]


@pytest.mark.asyncio
async def test_upsert_refusals_name_the_field(executor: Executor) -> None:
    sqlite_sparse = chain_doc(
        node("chunk_embedding", "ChunkEmbeddingNode", chunks=CHUNKS, **SPECS),
        node("upsert", "VectorStoreUpsertNode", embedding_names=["bm25"]),
    )
    record = await run(executor, sqlite_sparse)
    assert record.status == "failed"
    assert (
        "vector_store: record 'a#0-bm25' has no dense values (a sparse embedding): a sqlite "
        "store keeps dense vectors" in (record.error or "")
    )
    unknown = chain_doc(
        node("chunk_embedding", "ChunkEmbeddingNode", chunks=CHUNKS, **SPECS),
        node("upsert", "VectorStoreUpsertNode", embedding_names=["colbert"]),
    )
    record = await run(executor, unknown)
    assert "embedding_names: ['colbert'] not among the embeddings ['bm25', 'dense']" in (
        record.error or ""
    )


@pytest.mark.asyncio
async def test_a_pinecone_store_loads_and_fails_at_run_time_naming_the_service(
    executor: Executor,
) -> None:
    store = {
        "type": "pinecone",
        "index_name": "orcheo-demo-dense",
        "namespace": "hybrid",
        "client_kwargs": {"environment": "eu"},
    }
    doc = chain_doc(
        node("search", "DenseSearchNode", query="x", vector_store=store),
    )
    record = await run(executor, doc)
    assert record.status == "failed"
    assert (
        "vector_store: Pinecone index 'orcheo-demo-dense' is a network service "
        "orcheo-jupyter has no client for; use vector_store.type 'sqlite'"
    ) in (record.error or "")


@pytest.mark.asyncio
async def test_pinecone_sparse_models_fail_naming_the_encoder() -> None:
    with pytest.raises(Exception, match=r"sparse_embedding_specs\.s\.sparse_model: 'pinecone:bm25"):
        await run_node(
            "ChunkEmbeddingNode",
            {"chunks": CHUNKS, "sparse_embedding_specs": {"s": {"sparse_model": "pinecone:bm25"}}},
        )
    with pytest.raises(Exception, match="sparse_model: 'pinecone:bm25-default' is Pinecone's"):
        await run_node(
            "SparseSearchNode",
            {"chunks": CHUNKS, "query": "cats", "sparse_model": "pinecone:bm25-default"},
        )


@pytest.mark.asyncio
async def test_sparse_search_ranks_only_dense_candidates_when_given_a_model(
    executor: Executor,
) -> None:
    store = {"type": "memory", "collection": "c"}
    doc = chain_doc(
        node("chunk_embedding", "ChunkEmbeddingNode", chunks=CHUNKS),
        node("upsert", "VectorStoreUpsertNode", vector_store=store),
        node(
            "sparse",
            "SparseSearchNode",
            query="cats purr",
            vector_store=store,
            embed_model="local:hashing",
            vector_store_candidate_k=1,
        ),
    )
    out = results(await run(executor, doc))
    assert [r["id"] for r in out["sparse"]["results"]] == ["a#0"]


@pytest.mark.asyncio
async def test_text_embedding_puts_vectors_and_texts_under_extra_keys() -> None:
    out = await run_node(
        "TextEmbeddingNode",
        {
            "text": "hello",
            "unwrap_single": True,
            "dense_output_key": "vector",
            "text_output_key": "texts",
        },
    )
    assert out["vector"] == out["embeddings"] and len(out["vector"]) == 384
    assert out["texts"] == "hello"
    many = await run_node("TextEmbeddingNode", {"text": ["a b", "c"], "text_output_key": "t"})
    assert many["t"] == ["a b", "c"] and len(many["embeddings"]) == 2
