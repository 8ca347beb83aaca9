"""Retrieval nodes in real workflows: files on disk -> chunks -> local embeddings ->
a SQLite vector store in the data dir -> dense + BM25 search -> fusion -> answer
with citations. Offline: the local hashing embedder and the extractive answerer."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from orcheo_jupyter.nodes.support.embedding_models import HashingEmbeddings
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings

from .helpers import chain_doc, node, results, run, run_node

DOCS = {
    "checkpoints.md": "# Checkpoints\n\nEvery run is checkpointed to SQLite after each node. "
    "A run that crashed resumes from its last checkpoint when the server restarts.\n",
    "triggers.txt": "Cron triggers start runs on a schedule with a time zone. "
    "Webhook triggers start a run for each signed HTTP delivery.",
    "vault.html": "<html><head><title>Vault</title><style>p{}</style></head><body>"
    "<p>Credentials are encrypted with AES-256-GCM at rest.</p>"
    "<script>var secret = 1;</script><p>Secrets never appear in run events.</p></body></html>",
    "team.json": json.dumps({"owner": "Ada", "on_call": ["Bob", "Cy"]}),
    "prices.csv": "plan,price\nfree,0\npro,20\n",
    "notes/ignored.bin": "binary",
}


def make_docs(root: Path) -> Path:
    for name, text in DOCS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def index_doc(root: Path, **store: Any) -> dict[str, Any]:
    return chain_doc(
        node(
            "document_loader",
            "DocumentLoaderNode",
            root=str(root),
            extensions=["md", "txt", "html", "json", "csv"],
        ),
        node("chunking_strategy", "ChunkingStrategyNode", chunk_size=120, chunk_overlap=20),
        node("chunk_embedding", "ChunkEmbeddingNode"),
        node("upsert", "VectorStoreUpsertNode", vector_store=store, replace_collection=True),
        name="index",
    )


@pytest.mark.asyncio
async def test_document_loader_reads_every_type_and_stays_under_root(
    executor: Executor, tmp_path: Path
) -> None:
    root = make_docs(tmp_path / "docs")
    (tmp_path / "outside.txt").write_text("outside secret")
    os.symlink(tmp_path / "outside.txt", root / "link.txt")
    doc = chain_doc(node("load", "DocumentLoaderNode", root=str(root), default_metadata={"k": 1}))
    out = results(await run(executor, doc))["load"]
    by_id = {d["id"]: d for d in out["documents"]}
    assert sorted(by_id) == [
        "checkpoints.md",
        "prices.csv",
        "team.json",
        "triggers.txt",
        "vault.html",
    ]
    assert by_id["checkpoints.md"]["metadata"]["title"] == "Checkpoints"
    vault = by_id["vault.html"]
    assert vault["content"] == (
        "Credentials are encrypted with AES-256-GCM at rest.\nSecrets never appear in run events."
    )
    assert vault["metadata"]["title"] == "Vault" and vault["metadata"]["k"] == 1
    assert by_id["prices.csv"]["content"] == "plan: free; price: 0\nplan: pro; price: 20"
    assert json.loads(by_id["team.json"]["content"]) == {"owner": "Ada", "on_call": ["Bob", "Cy"]}
    assert all("outside secret" not in d["content"] for d in out["documents"])

    bad = chain_doc(node("load", "DocumentLoaderNode", root=str(root), patterns=["../*"]))
    record = await run(executor, bad)
    assert "patterns: '../*' must stay under the root" in (record.error or "")
    inline = chain_doc(node("load", "DocumentLoaderNode", documents=[{"content": "hi", "id": "x"}]))
    out = results(await run(executor, inline, {"documents": ["from inputs"]}))["load"]
    first = out["documents"][0]
    assert (first["id"], first["content"]) == ("x", "hi")
    assert out["documents"][1]["content"] == "from inputs"


@pytest.mark.asyncio
async def test_index_then_search_then_answer_with_citations(tmp_path: Path) -> None:
    data = tmp_path / "data"
    root = make_docs(tmp_path / "docs")
    executor = await Executor.open(Settings(data_dir=data, durability="sync"))
    try:
        out = results(await run(executor, index_doc(root, collection="handbook")))
        chunks = out["chunking_strategy"]["chunks"]
        assert all(len(c["content"]) <= 120 for c in chunks)
        assert chunks[0]["id"] == "checkpoints.md#0" and chunks[0]["metadata"]["document_id"]
        assert out["chunk_embedding"]["dimensions"] == 384
        assert out["upsert"] == {
            "upserted": len(chunks),
            "indexed": len(chunks),
            "ids": [c["id"] for c in chunks],
            "count": len(chunks),
            "collection": "handbook",
            "path": "vectors.sqlite",
            "namespace": None,
        }
        assert (data / "vectors.sqlite").exists()

        store = {"collection": "handbook"}
        ask = chain_doc(
            node("rewrite", "QueryRewriteNode"),
            node(
                "dense", "DenseSearchNode", query="{{rewrite.query}}", vector_store=store, top_k=4
            ),
            node(
                "sparse", "SparseSearchNode", query="{{rewrite.query}}", vector_store=store, top_k=4
            ),
            node(
                "fuse",
                "HybridFusionNode",
                result_sets={"dense": "{{dense}}", "sparse": "{{sparse}}"},
                top_k=4,
            ),
            node(
                "retriever", "ReRankerNode", results="{{fuse.results}}", query="{{rewrite.query}}"
            ),
            node("grounded_generator", "GroundedGeneratorNode", max_sentences=2),
            node("guard", "HallucinationGuardNode"),
            node("cite", "CitationsFormatterNode"),
            node("list", "SearchResultFormatterNode"),
            name="ask",
        )
        record = await run(executor, ask, {"message": "How does a crashed run resume?"})
        got = results(record)
        assert got["dense"]["results"][0]["id"].startswith("checkpoints.md#")
        assert got["sparse"]["results"][0]["id"].startswith("checkpoints.md#")
        assert {"dense", "sparse"} <= set(got["fuse"]["results"][0]["sources"])
        answer = got["grounded_generator"]
        assert answer["mode"] == "extractive"
        assert "resumes from its last checkpoint" in answer["reply"]
        assert "[1]" in answer["reply"]
        assert answer["citations"][0]["index"] == 1
        assert answer["citations"][0]["source"] == "checkpoints.md"
        assert got["guard"]["grounded"] is True, got["guard"]
        formatted = got["cite"]["formatted"]
        assert formatted.startswith(answer["reply"] + "\n\nSources:\n[1] checkpoints.md: ")
        assert got["list"]["markdown"].startswith("Search results:\n1. **Checkpoints**")

        # Nothing relevant: the answer says so and cites nothing.
        record = await run(executor, ask, {"message": "Which zebra species exist?"})
        got = results(record)
        assert got["grounded_generator"]["reply"] == (
            "The provided context does not contain an answer to this question."
        )
        assert got["grounded_generator"]["citations"] == []
        assert got["guard"]["grounded"] is False

        # A metadata filter narrows dense search to one file.
        only = chain_doc(
            node(
                "dense",
                "DenseSearchNode",
                query="runs",
                vector_store=store,
                filter_metadata={"document_id": "triggers.txt"},
            ),
        )
        hits = results(await run(executor, only))["dense"]["results"]
        assert hits and {h["metadata"]["document_id"] for h in hits} == {"triggers.txt"}

        # Searching with another embedding model than the index's is refused.
        wrong = chain_doc(
            node(
                "dense",
                "DenseSearchNode",
                query="runs",
                vector_store=store,
                model_kwargs={"dimensions": 64},
            ),
        )
        record = await run(executor, wrong)
        assert record.status == "failed"
        assert "'handbook' was indexed with 'local:hashing' (384 dimensions)" in (
            record.error or ""
        )
    finally:
        await executor.aclose()


@pytest.mark.asyncio
async def test_local_embeddings_are_deterministic_and_similarity_follows_words(
    executor: Executor,
) -> None:
    doc = chain_doc(
        node(
            "emb",
            "TextEmbeddingNode",
            text=[
                "the cat sat on the mat",
                "a cat on a mat",
                "quarterly revenue grew",
                "the cat sat on the mat",
            ],
            model_kwargs={"dimensions": 384},
        ),
        node("one", "TextEmbeddingNode", unwrap_single=True),
    )
    out = results(await run(executor, doc, {"text": "hello"}))
    vecs = out["emb"]["embeddings"]
    assert out["emb"]["dimensions"] == 384 and len(vecs) == 4
    assert vecs[0] == vecs[3] == HashingEmbeddings(384).embed_query("the cat sat on the mat")

    def cos(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert math.isclose(cos(vecs[0], vecs[0]), 1.0, rel_tol=1e-9)
    assert cos(vecs[0], vecs[1]) > 0.2 > abs(cos(vecs[0], vecs[2]))
    assert len(out["one"]["embeddings"]) == 384
    record = await run(executor, chain_doc(node("e", "TextEmbeddingNode", text="  ")))
    assert "text: empty text (set allow_empty to embed it anyway)" in (record.error or "")
    record = await run(
        executor, chain_doc(node("e", "TextEmbeddingNode", text="x", embed_model="nope:x"))
    )
    assert record.status == "failed" and "embed_model:" in (record.error or "")


@pytest.mark.asyncio
async def test_fusion_rrf_and_weighted() -> None:
    a = [{"id": "x", "score": 0.9, "text": "x"}, {"id": "y", "score": 0.5, "text": "y"}]
    b = [{"id": "y", "score": 12.0, "text": "y"}, {"id": "z", "score": 3.0, "text": "z"}]
    out = await run_node("HybridFusionNode", {"result_sets": {"a": a, "b": {"results": b}}})
    assert [r["id"] for r in out["results"]] == ["y", "x", "z"]
    assert out["results"][0]["score"] == round(1 / 62 + 1 / 61, 6)
    assert out["results"][0]["sources"] == ["a", "b"]
    out = await run_node(
        "HybridFusionNode",
        {"result_sets": {"a": a, "b": b}, "strategy": "weighted", "weights": {"a": 3}},
    )
    assert [r["id"] for r in out["results"]] == ["x", "y", "z"]
    assert out["results"][0]["score"] == 3.0


@pytest.mark.asyncio
async def test_model_backed_rewrite_and_answer(executor: Executor) -> None:
    rewrite_model = GenericFakeChatModel(messages=iter([AIMessage("vault encryption at rest")]))
    answer_model = GenericFakeChatModel(
        messages=iter([AIMessage("It uses AES-256-GCM [2], never logged [9].")])
    )
    executor.services = executor.services.replace(
        chat_models={"fake:rw": rewrite_model, "fake:ans": answer_model}
    )
    passages = [
        {"id": "a", "text": "Cron runs on schedules.", "source": "cron.md"},
        {"id": "b", "text": "The vault encrypts with AES-256-GCM.", "source": "vault.md"},
    ]
    doc = chain_doc(
        node("rewrite", "QueryRewriteNode", ai_model="fake:rw"),
        node(
            "gen",
            "GroundedGeneratorNode",
            ai_model="fake:ans",
            context=passages,
            query="{{rewrite.query}}",
        ),
        node("guard", "HallucinationGuardNode", generator_result_key="gen"),
    )
    got = results(
        await run(
            executor,
            doc,
            {"message": "and how is it stored?", "history": ["Tell me about the vault"]},
        )
    )
    assert got["rewrite"] == {
        "query": "vault encryption at rest",
        "original_query": "and how is it stored?",
        "used_history": True,
    }
    assert got["gen"]["mode"] == "model"
    assert [c["id"] for c in got["gen"]["citations"]] == ["b"]
    assert got["guard"]["grounded"] is False
    assert "[9] cites no known passage" in got["guard"]["problems"]


@pytest.mark.asyncio
async def test_offline_rewrite_uses_history_for_follow_ups() -> None:
    out = await run_node(
        "QueryRewriteNode",
        {"query": "how is it stored?"},
        {"inputs": {"history": ["Tell me about the credential vault"]}},
    )
    assert out["used_history"] is True
    assert out["query"].startswith("how is it stored? (") and "vault" in out["query"]
    out = await run_node(
        "QueryRewriteNode",
        {"query": "Which cron time zones work?"},
        {"inputs": {"history": ["Tell me about the vault"]}},
    )
    assert out == {
        "query": "Which cron time zones work?",
        "original_query": "Which cron time zones work?",
        "used_history": False,
    }


@pytest.mark.asyncio
async def test_compressor_metadata_and_chunking_markdown() -> None:
    items = [
        {"id": "1", "text": "Cron runs jobs. Bananas are yellow. Cron has time zones."},
        {"id": "1", "text": "duplicate"},
        {"id": "2", "text": "Unrelated text only."},
    ]
    out = await run_node(
        "ContextCompressorNode", {"query": "cron time zones", "results": items, "max_tokens": 12}
    )
    assert [r["id"] for r in out["results"]] == ["1", "2"]
    assert out["results"][0]["text"] == "Cron runs jobs. Cron has time zones."
    assert out["tokens"] <= 12 + 2
    docs = [{"id": "d", "content": "# Title\nBody line", "metadata": {"a": 1}}]
    meta = await run_node(
        "MetadataExtractorNode",
        {"documents": docs, "tags": ["x"], "static_metadata": {"team": "docs"}},
    )
    assert meta["documents"][0]["metadata"] == {
        "team": "docs",
        "a": 1,
        "tags": ["x"],
        "title": "Title",
    }
    with pytest.raises(Exception, match="required_fields: document 'd' lacks owner"):
        await run_node("MetadataExtractorNode", {"documents": docs, "required_fields": ["owner"]})
    md = "# A\nalpha text\n## B\nbeta text"
    out = await run_node(
        "ChunkingStrategyNode",
        {
            "documents": [{"id": "m", "content": md}],
            "strategy": "markdown",
            "chunk_size": 100,
            "chunk_overlap": 0,
        },
    )
    assert [(c["content"], c["metadata"].get("h2")) for c in out["chunks"]] == [
        ("# A\nalpha text", None),
        ("## B\nbeta text", "B"),
    ]
    with pytest.raises(Exception, match="chunk_overlap: must be smaller than chunk_size"):
        await run_node(
            "ChunkingStrategyNode", {"documents": [], "chunk_size": 50, "chunk_overlap": 50}
        )
    with pytest.raises(Exception, match=r"documents: not set, and results.document_loader"):
        await run_node("ChunkingStrategyNode", {})


@pytest.mark.asyncio
async def test_metadata_and_compression_in_a_workflow(executor: Executor, tmp_path: Path) -> None:
    root = make_docs(tmp_path / "docs")
    doc = chain_doc(
        node("document_loader", "DocumentLoaderNode", root=str(root), extensions=["md", "txt"]),
        node(
            "meta",
            "MetadataExtractorNode",
            tags=["handbook"],
            static_metadata={"team": "platform"},
            required_fields=["path"],
        ),
        node(
            "chunking_strategy",
            "ChunkingStrategyNode",
            documents="{{meta.documents}}",
            chunk_size=200,
            chunk_overlap=0,
        ),
        node("sparse", "SparseSearchNode", query="{{inputs.q}}", top_k=3),
        node(
            "compress",
            "ContextCompressorNode",
            query="{{inputs.q}}",
            results="{{sparse.results}}",
            max_tokens=20,
        ),
    )
    out = results(await run(executor, doc, {"q": "webhook delivery"}))
    metas = {d["id"]: d["metadata"] for d in out["meta"]["documents"]}
    assert metas["triggers.txt"]["tags"] == ["handbook"]
    assert metas["triggers.txt"]["team"] == "platform"
    assert out["chunking_strategy"]["chunks"][0]["metadata"]["team"] == "platform"
    kept = out["compress"]["results"]
    assert kept[0]["id"].startswith("triggers.txt#")
    assert kept[0]["text"] == "Webhook triggers start a run for each signed HTTP delivery."
    assert out["compress"]["context"].startswith("[1] Webhook triggers start a run")
