"""Upstream Orcheo's evaluation feedback nodes and DatasetNode's four-file layout
(golden answers, queries, relevance labels, a docs folder)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orcheo_jupyter.nodes.base import NodeError
from orcheo_jupyter.nodes.support import conversation_memory
from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, node, results, run, run_node


@pytest.fixture(autouse=True)
def fresh_memory() -> Iterator[None]:
    conversation_memory.forget_memory()
    yield
    conversation_memory.forget_memory()


@pytest.mark.asyncio
async def test_dataset_from_golden_queries_labels_and_docs(tmp_path: Path) -> None:
    golden = [
        {
            "id": "g1",
            "query": "Secrets?",
            "expected_answer": "A vault.",
            "expected_citations": ["a.md"],
        }
    ]
    queries = [{"id": "q1", "question": "Auth from CI?"}]
    labels = [{"query_id": "q1", "doc_id": "auth.md"}, {"query_id": "q1", "doc_id": "b.md"}]
    for name, data in (("golden", golden), ("queries", queries), ("labels", labels)):
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "auth.md").write_text(" Use tokens. \n")
    (docs / "notes.txt").write_text("ignored")
    config = {
        "golden_path": str(tmp_path / "golden.json"),
        "queries_path": str(tmp_path / "queries.json"),
        "labels_path": str(tmp_path / "labels.json"),
        "docs_path": str(docs),
    }
    out = await run_node("DatasetNode", config)
    assert out == {
        "dataset": [
            {"id": "g1", "query": "Secrets?", "relevant_ids": ["a.md"], "split": "test"},
            {
                "id": "q1",
                "query": "Auth from CI?",
                "relevant_ids": ["auth.md", "b.md"],
                "split": "test",
            },
        ],
        "count": 2,
        "split": None,
        "limit": None,
        "references": {"g1": "A vault."},
        "keyword_corpus": [{"id": "auth.md", "content": "Use tokens.", "source": "auth.md"}],
    }
    with pytest.raises(
        NodeError, match="queries_path: set queries_path, labels_path, docs_path too"
    ):
        await run_node("DatasetNode", {"golden_path": config["golden_path"]})


@pytest.mark.asyncio
async def test_feedback_is_collected_and_stored_once(executor: Executor) -> None:
    doc = chain_doc(
        node("collect", "UserFeedbackCollectionNode"),
        node("ingest", "FeedbackIngestionNode", feedback_key="entry"),
    )
    entry = {"session_id": "s", "rating": 2, "comment": "slow"}
    first = results(await run(executor, doc, {"rating": 4, "comment": " ok ", "entry": entry}))
    feedback = first["collect"]["feedback"]
    assert (feedback["session_id"], feedback["rating"], feedback["comment"]) == (
        "unknown",
        4.0,
        "ok",
    )
    assert first["ingest"] == {"ingested": 1, "store_size": 1}
    again = results(
        await run(executor, doc, {"rating": 4, "entry": [entry, {**entry, "rating": 5}]})
    )
    assert again["ingest"] == {"ingested": 1, "store_size": 2}
    record = await run(executor, doc, {"rating": 9})
    assert "rating_key: inputs.rating should be a number from 1 to 5" in (record.error or "")


@pytest.mark.asyncio
async def test_failures_ab_winner_and_augmentation() -> None:
    failures = await run_node(
        "FailureAnalysisNode",
        {},
        {
            "inputs": {
                "retrieval_metrics": {"recall_at_k": 0.5},
                "answer_metrics": {"faithfulness": 0.9},
                "feedback": [{"rating": 1}],
            }
        },
    )
    assert failures == {"categories": ["low_recall", "negative_feedback"]}
    variants = [{"name": "dense", "score": 0.4}, {"name": "hybrid", "score": 0.7}]
    ab = await run_node(
        "ABTestingNode",
        {"min_metric_threshold": 0.6},
        {"inputs": {"variants": variants, "evaluation_metrics": {"recall": {"score": 0.65}}}},
    )
    assert ab == {
        "winner": variants[1],
        "ranking": [variants[1], variants[0]],
        "rollout_allowed": True,
    }
    gated = await run_node(
        "ABTestingNode",
        {"min_metric_threshold": 0.6},
        {"inputs": {"variants": variants, "evaluation_metrics": {"mrr": 0.3}}},
    )
    assert gated["rollout_allowed"] is False
    more = await run_node(
        "DataAugmentationNode",
        {"multiplier": 2},
        {"inputs": {"dataset": [{"id": "a", "query": "tea"}]}},
    )
    assert more == {
        "augmented_dataset": [
            {
                "id": "a",
                "query": "tea (variant 1: please elaborate)",
                "augmented": True,
                "variant_index": 1,
            },
            {
                "id": "a",
                "query": "tea (variant 2: please elaborate)",
                "augmented": True,
                "variant_index": 2,
            },
        ],
        "augmented_count": 2,
    }
