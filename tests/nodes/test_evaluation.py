"""Evaluation nodes in workflows, the evaluate command and %orcheo evaluate."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, node, results, run, run_node
from .test_ai import scripted

PASSAGES = [
    {
        "id": "cron",
        "text": "Cron triggers start runs on a schedule in a time zone.",
        "source": "cron.md",
    },
    {
        "id": "vault",
        "text": "The vault encrypts credentials with AES-256-GCM.",
        "source": "vault.md",
    },
    {"id": "ckpt", "text": "A crashed run resumes from its last checkpoint.", "source": "ckpt.md"},
]


def qa_doc() -> dict[str, Any]:
    return chain_doc(
        node(
            "gen",
            "GroundedGeneratorNode",
            query="{{inputs.question}}",
            context=PASSAGES,
            max_sentences=1,
        ),
        node(
            "f1", "TokenF1MetricsNode", predictions="{{gen.reply}}", references="{{inputs.answer}}"
        ),
        node(
            "rouge",
            "RougeMetricsNode",
            predictions="{{gen.reply}}",
            references="{{inputs.answer}}",
            variant="rougeL",
        ),
        node(
            "ret",
            "RetrievalEvaluationNode",
            results="{{gen.citations}}",
            relevant_ids="{{inputs.relevant}}",
            k=3,
        ),
        name="qa",
    )


CASES = [
    {
        "id": "q1",
        "question": "How are credentials encrypted?",
        "answer": "The vault encrypts credentials with AES-256-GCM.",
        "relevant": ["vault"],
    },
    {
        "id": "q2",
        "question": "What happens when a run crashed?",
        "answer": "It resumes from its last checkpoint.",
        "relevant": ["ckpt"],
    },
    {
        "id": "q3",
        "question": "Which zebra is fastest?",
        "answer": "Grevy's zebra.",
        "relevant": ["zoo"],
    },
]


@pytest.mark.asyncio
async def test_text_metrics_have_the_textbook_values(executor: Executor) -> None:
    doc = chain_doc(
        node(
            "f1",
            "TokenF1MetricsNode",
            predictions=["The cat sat", "x"],
            references=["a cat sat down", ["y", "x"]],
        ),
        node(
            "r2",
            "RougeMetricsNode",
            predictions="the cat sat on the mat",
            references="the cat lay on the mat",
            variant="rouge2",
        ),
        node(
            "rl",
            "RougeMetricsNode",
            predictions="the cat sat on the mat",
            references="the cat lay on the mat",
            variant="rougeL",
            measure="recall",
        ),
        node(
            "bleu",
            "BleuMetricsNode",
            predictions=["the quick brown fox jumps over"],
            references=["the quick brown fox jumps over"],
        ),
        node(
            "sim",
            "SemanticSimilarityMetricsNode",
            predictions=["same words", "same words"],
            references=["same words", "other things"],
        ),
        node("aq", "AnswerQualityEvaluationNode"),
    )
    out = results(
        await run(
            executor, doc, {"answers": ["Paris, France", "Rome"], "references": ["Paris", "Madrid"]}
        )
    )
    assert out["f1"] == {
        "metric_name": "token_f1",
        "corpus_score": 0.9,
        "per_item": [0.8, 1.0],
        "exact_match": 0.5,
    }
    assert out["r2"]["metric_name"] == "rouge2_fmeasure"
    assert out["r2"]["per_item"] == [round(1 / 3, 6)]
    assert out["rl"] == {"metric_name": "rougeL_recall", "corpus_score": 0.75, "per_item": [0.75]}
    assert out["bleu"]["corpus_score"] == 100.0 and out["bleu"]["per_item"] == [100.0]
    assert out["sim"]["per_item"][0] == 1.0 and out["sim"]["per_item"][1] < 0.5
    assert out["aq"]["metrics"] == {
        "exact_match": 0.0,
        "token_f1": 0.333334,
        "contains_reference": 0.5,
    }
    bleu = await run_node(
        "BleuMetricsNode",
        {"predictions": ["the cat is on the mat"], "references": ["there is a cat on the mat"]},
    )
    assert 0 < bleu["per_item"][0] < 100 and bleu["corpus_score"] == 0.0  # no 4-gram match


@pytest.mark.asyncio
async def test_retrieval_metrics_single_and_batch() -> None:
    ranked = [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}]
    out = await run_node(
        "RetrievalEvaluationNode", {"results": ranked, "relevant_ids": ["b", "d"], "k": 3}
    )
    q = out["metrics"]
    assert q["recall_at_k"] == 0.5 and q["mrr"] == 0.5 and q["map"] == 0.25
    assert q["precision_at_k"] == round(1 / 3, 6)
    assert math.isclose(q["ndcg"], (1 / math.log2(3)) / (1 + 1 / math.log2(3)), abs_tol=1e-6)
    chunks = [
        {"id": "x#0", "metadata": {"document_id": "x"}},
        {"id": "x#1", "metadata": {"document_id": "x"}},
    ]
    out = await run_node(
        "RetrievalEvaluationNode",
        {"results": chunks, "relevant_ids": "x", "id_field": "metadata.document_id"},
    )
    assert out["metrics"]["recall_at_k"] == 1.0 and out["metrics"]["mrr"] == 1.0
    batch = await run_node(
        "RetrievalEvaluationNode",
        {"k": 2},
        {
            "inputs": {
                "dataset": [{"id": 1, "relevant_ids": ["a"]}, {"id": 2, "relevant_ids": ["z"]}],
                "retrieval_results": [
                    {"query_id": 1, "results": [{"id": "a"}]},
                    {"query_id": 2, "results": [{"id": "a"}]},
                ],
            }
        },
    )
    assert batch["metrics"]["recall_at_k"] == 0.5
    assert batch["per_query"]["2"]["mrr"] == 0.0


@pytest.mark.asyncio
async def test_dataset_node_reads_jsonl_csv_and_json(executor: Executor, tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text(
        "\n".join(json.dumps({**c, "split": "test" if i else "dev"}) for i, c in enumerate(CASES))
    )
    (tmp_path / "d.csv").write_text("question,answer\nWho?,Ada\nWhat?,Code\n")
    (tmp_path / "d.json").write_text(json.dumps({"dataset": [{"q": 1}]}))
    (tmp_path / "bad.jsonl").write_text('{"ok": 1}\nnot json\n')
    doc = chain_doc(
        node("jsonl", "DatasetNode", path=str(tmp_path / "d.jsonl"), split="test", limit=1),
        node("csv", "DatasetNode", path=str(tmp_path / "d.csv")),
        node("json", "DatasetNode", path=str(tmp_path / "d.json")),
    )
    out = results(await run(executor, doc))
    assert [c["id"] for c in out["jsonl"]["dataset"]] == ["q2"]
    assert out["csv"]["dataset"] == [
        {"question": "Who?", "answer": "Ada"},
        {"question": "What?", "answer": "Code"},
    ]
    assert out["json"] == {
        "dataset": [{"q": 1}],
        "count": 1,
        "split": None,
        "limit": None,
        "references": {},
        "keyword_corpus": [],
    }
    record = await run(
        executor, chain_doc(node("d", "DatasetNode", path=str(tmp_path / "bad.jsonl")))
    )
    assert "path: " in (record.error or "") and "line 2 is not JSON" in (record.error or "")


@pytest.mark.asyncio
async def test_llm_judge_with_a_model_and_offline(executor: Executor) -> None:
    judge = scripted(
        AIMessage(
            "",
            tool_calls=[
                {
                    "name": "verdict",
                    "id": "1",
                    "args": {"score": 0.9, "reason": "correct and cited"},
                }
            ],
        )
    )
    executor.services = executor.services.replace(chat_models={"fake:judge": judge})
    doc = chain_doc(
        node(
            "judge",
            "LLMJudgeNode",
            answers="{{inputs.a}}",
            question="Capital of France?",
            reference="Paris",
            ai_model="fake:judge",
            min_score=0.8,
        ),
        node("offline", "LLMJudgeNode", answers=["Paris", "Lyon"], reference=["Paris", "Paris"]),
    )
    out = results(await run(executor, doc, {"a": "Paris [1]"}))
    assert out["judge"]["score"] == 0.9 and out["judge"]["passed"] is True
    assert out["judge"]["reason"] == "correct and cited"
    sent = judge.received[0][-1].content
    assert "Reference answer: Paris" in sent and "Answer to grade: Paris [1]" in sent
    assert out["offline"]["per_item"][0]["score"] == 1.0
    assert out["offline"]["passed"] is False and out["offline"]["corpus_score"] == 0.5


@pytest.mark.asyncio
async def test_evaluate_runs_each_case_and_tabulates(executor: Executor) -> None:
    from orcheo_jupyter.evaluate import evaluate

    result = await evaluate(executor, qa_doc(), CASES, name="qa")
    assert [c.status for c in result.cases] == ["succeeded"] * 3
    assert result.metrics == [
        "token_f1",
        "rougeL_fmeasure",
        "recall_at_k",
        "precision_at_k",
        "mrr",
        "ndcg",
        "map",
    ]
    by_case = {c.case: c.scores for c in result.cases}
    assert by_case["q1"]["recall_at_k"] == 1.0 and by_case["q3"]["recall_at_k"] == 0.0
    assert by_case["q1"]["token_f1"] > 0.8
    for case in result.cases:  # every case is a stored run with its own inputs
        record = await executor.store.get_run(case.run_id or "")
        assert record.inputs["question"] in {c["question"] for c in CASES}
    table = result.table().splitlines()
    assert table[0].split() == ["case", "status", *result.metrics]
    assert table[2].split()[:2] == ["q1", "succeeded"]
    assert table[-1].split()[:3] == ["mean", "3/3", "ok"]
    assert "<caption>qa</caption>" in result._repr_html_()


def test_evaluate_command(tmp_path: Path) -> None:
    wf = tmp_path / "qa.orcheo.json"
    wf.write_text(json.dumps(qa_doc()))
    data = tmp_path / "cases.jsonl"
    data.write_text("\n".join(json.dumps(c) for c in CASES))
    env = {**os.environ, "ORCHEO_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "evaluate", str(wf), str(data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["case", "status", "token_f1", "rougeL_fmeasure"]
    assert [line.split()[0] for line in lines[2:5]] == ["q1", "q2", "q3"]
    assert lines[-1].startswith("mean")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "orcheo_jupyter",
            "evaluate",
            str(wf),
            str(data),
            "--json",
            "--limit",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    report = json.loads(proc.stdout)
    assert report["metrics"]["recall_at_k"] == 1.0 and len(report["cases"]) == 1
    runs = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "runs", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert json.loads(runs.stdout)["total"] == 4
    bad = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "evaluate", str(wf), str(tmp_path / "no.jsonl")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "cannot read" in bad.stderr
