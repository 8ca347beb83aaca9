"""Upstream Orcheo's conversational evaluation: QReCC / MultiDoc2Dial datasets, a batch
node running a pipeline per turn, metric nodes, and the analytics report; and the
incremental indexer. Offline (pipelines of plain node types, local embeddings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter.nodes.base import NodeError
from orcheo_jupyter.nodes.support import vector_backends
from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, node, results, run, run_node

QRECC = [
    {
        "Conversation_no": 2,
        "Turn_no": 1,
        "Question": "Who wrote Dune?",
        "Rewrite": "Who wrote Dune?",
    },
    {
        "Conversation_no": 1,
        "Turn_no": 1,
        "Question": "What is tea?",
        "Truth_rewrite": "What is tea?",
        "Context": [],
        "Truth_answer": "A drink.",
    },
    {
        "Conversation_no": 1,
        "Turn_no": 2,
        "Question": "Where is it grown?",
        "Truth_rewrite": "Where is tea grown?",
        "Context": ["What is tea?", "A drink."],
        "Truth_answer": "In China and India.",
    },
]

MD2D = {
    "dial_data": {
        "ssa": {
            "doc-1": [
                {
                    "dial_id": "d1",
                    "turns": [
                        {"turn_id": 1, "role": "user", "utterance": "How do I apply?"},
                        {
                            "turn_id": 2,
                            "role": "agent",
                            "utterance": "Apply online.",
                            "references": [{"sp_id": "4", "label": "solution"}],
                        },
                        {"turn_id": 3, "role": "user", "utterance": "Thanks"},
                    ],
                }
            ]
        }
    }
}


@pytest.mark.asyncio
async def test_qrecc_records_become_conversations_sorted_by_number(tmp_path: Path) -> None:
    out = await run_node("QReCCDatasetNode", {}, {"inputs": {"qrecc_data": QRECC}})
    assert (out["total_conversations"], out["total_turns"]) == (2, 3)
    first = out["conversations"][0]
    assert first["conversation_id"] == "1"
    assert first["turns"][1] == {
        "turn_id": "2",
        "raw_question": "Where is it grown?",
        "gold_rewrite": "Where is tea grown?",
        "context": ["What is tea?", "A drink."],
        "gold_answer": "In China and India.",
    }
    data = tmp_path / "qrecc.json"
    data.write_text(json.dumps(QRECC))
    one = await run_node("QReCCDatasetNode", {"data_path": str(data), "max_conversations": 1})
    assert [c["conversation_id"] for c in one["conversations"]] == ["1"]
    with pytest.raises(NodeError, match=r"data_path: cannot read /nope\.json"):
        await run_node("QReCCDatasetNode", {"data_path": "/nope.json"})
    with pytest.raises(NodeError, match="data_path: expected a JSON list of QReCC records"):
        await run_node("QReCCDatasetNode", {}, {"inputs": {"qrecc_data": {"a": 1}}})


@pytest.mark.asyncio
async def test_official_multidoc2dial_dialogs_pair_user_turns_with_agent_replies() -> None:
    out = await run_node("MultiDoc2DialDatasetNode", {}, {"inputs": {"md2d_data": MD2D}})
    assert out == {
        "conversations": [
            {
                "conversation_id": "d1",
                "domain": "ssa",
                "turns": [
                    {
                        "turn_id": "1",
                        "user_utterance": "How do I apply?",
                        "gold_response": "Apply online.",
                        "grounding_spans": [
                            {"doc_id": "doc-1", "span_text": "solution:4", "start": 0, "end": 0}
                        ],
                    },
                    {
                        "turn_id": "3",
                        "user_utterance": "Thanks",
                        "gold_response": "",
                        "grounding_spans": [],
                    },
                ],
            }
        ],
        "total_conversations": 1,
        "total_turns": 2,
    }


@pytest.mark.asyncio
async def test_the_multidoc2dial_corpus_becomes_documents(tmp_path: Path) -> None:
    corpus = {
        "doc_data": {
            "ssa": {
                "Benefits": {
                    "doc_id": "Benefits",
                    "title": "Benefits#1",
                    "doc_text": " Apply online. ",
                    "spans": {"1": {}, "2": {}},
                },
                "Empty": {"doc_text": "  "},
            }
        }
    }
    path = tmp_path / "doc2dial_doc.json"
    path.write_text(json.dumps(corpus))
    out = await run_node("MultiDoc2DialCorpusLoaderNode", {"corpus_path": str(path)})
    assert out == {
        "documents": [
            {
                "id": "Benefits",
                "content": "Apply online.",
                "metadata": {"domain": "ssa", "title": "Benefits#1", "span_count": 2},
                "source": f"{path}#doc_id=Benefits",
            }
        ],
        "count": 1,
    }


def _pipeline() -> dict[str, Any]:
    """A turn's 'rewrite': the question, plus the previous question when there is one."""
    return {
        "entrypoint": "rewrite",
        "nodes": [
            node(
                "rewrite",
                "SetVariableNode",
                variables={"query": "{{inputs.message}} {{inputs.history.0}}"},
            )
        ],
        "edges": [
            {"source": "__start__", "target": "rewrite"},
            {"source": "rewrite", "target": "__end__"},
        ],
    }


@pytest.mark.asyncio
async def test_a_batch_of_conversations_runs_the_pipeline_per_turn_and_reports(
    executor: Executor,
) -> None:
    doc = chain_doc(
        node("dataset", "QReCCDatasetNode"),
        node(
            "batch_eval",
            "ConversationalBatchEvalNode",
            pipeline=_pipeline(),
            history_window_size=1,
            max_concurrency=2,
        ),
        node("rouge", "RougeMetricsNode", variant="rouge1", measure="recall"),
        node(
            "analytics_export",
            "AnalyticsExportNode",
            dataset_name="qrecc",
            metric_node_names=["rouge"],
        ),
    )
    record = await run(executor, doc, {"qrecc_data": QRECC})
    out = results(record)
    batch = out["batch_eval"]
    # Unresolved {{inputs.history.0}} stays verbatim on a conversation's first turn.
    assert batch["predictions"] == [
        "What is tea? {{inputs.history.0}}",
        "Where is it grown? What is tea?",
        "Who wrote Dune? {{inputs.history.0}}",
    ]
    assert batch["references"] == ["What is tea?", "Where is tea grown?", "Who wrote Dune?"]
    assert batch["per_conversation"]["1"]["num_turns"] == 2
    assert (batch["total_turns"], batch["total_conversations"]) == (3, 2)
    assert record.final_state is not None
    assert record.final_state["inputs"]["predictions"] == batch["predictions"]
    rouge = out["rouge"]
    assert rouge["metric_name"] == "rouge1_recall" and rouge["per_item"][0] == 1.0
    report = out["analytics_export"]["report"]
    assert report["dataset"] == "qrecc" and report["config"] == {}
    assert report["metrics"] == {"rouge1_recall": rouge["corpus_score"]}
    assert report["per_conversation"]["2"] == {"rouge1_recall": rouge["per_item"][2]}
    assert report["per_conversation"]["1"]["rouge1_recall"] == pytest.approx(
        sum(rouge["per_item"][:2]) / 2
    )
    assert out["analytics_export"]["table"].splitlines()[2] == (
        f"{'rouge1_recall':<30} {rouge['corpus_score']:>10.4f}"
    )


@pytest.mark.asyncio
async def test_batch_refusals_name_the_field(executor: Executor) -> None:
    record = await run(executor, chain_doc(node("b", "ConversationalBatchEvalNode")))
    assert "conversations_key: no list of conversations in inputs.conversations" in (
        record.error or ""
    )
    report = chain_doc(node("r", "AnalyticsExportNode", metric_node_names=["bleu"]))
    record = await run(executor, report)
    assert "metric_node_names: no metric result from bleu" in (record.error or "")
    feedback = await run(
        executor,
        chain_doc(node("r", "AnalyticsExportNode")),
        {"feedback": [{"rating": 4, "category": "ux"}, {"rating": 2, "category": "ux"}]},
    )
    assert results(feedback)["r"] == {
        "export": {
            "metrics": {},
            "feedback_count": 2,
            "average_rating": 3.0,
            "feedback_categories": {"ux": 2},
        }
    }


@pytest.mark.asyncio
async def test_the_incremental_indexer_embeds_only_changed_chunks(executor: Executor) -> None:
    store = {"type": "memory", "collection": "kb"}

    def indexing(second: str) -> dict[str, Any]:
        chunks = [
            {"id": "a", "document_id": "d", "chunk_index": 0, "content": "tea is a drink"},
            {"id": "b", "document_id": "d", "chunk_index": 1, "content": second},
        ]
        return chain_doc(
            node("indexer", "IncrementalIndexerNode", chunks=chunks, vector_store=store)
        )

    first = results(await run(executor, indexing("grown in China")))["indexer"]
    assert first == {"indexed_count": 2, "skipped": 0, "upserted_ids": ["a", "b"]}
    again = results(await run(executor, indexing("grown in China")))["indexer"]
    assert again == {"indexed_count": 0, "skipped": 2, "upserted_ids": []}
    changed = results(await run(executor, indexing("grown in India")))["indexer"]
    assert changed == {"indexed_count": 1, "skipped": 1, "upserted_ids": ["b"]}
    meta = vector_backends.memory_records("kb")["b"]["metadata"]
    assert (meta["document_id"], meta["chunk_index"]) == ("d", 1)
    assert len(meta["content_hash"]) == 64
