"""Evaluation nodes: load a dataset, and score answers and rankings against it.

Metric nodes take predictions and references either from their fields (a text
or a list, usually ``{{templates}}``: one case per run, as ``evaluate`` runs
them) or, as Orcheo's do, from ``inputs.<predictions_key>`` / ``inputs.<references_key>``
(a whole batch in one run). Every metric node returns ``metric_name``,
``corpus_score`` and ``per_item``, which is what the ``evaluate`` command tabulates.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support import text_metrics as m
from ..support.dotted_paths import MISSING, dig
from ..support.embedding_models import LOCAL_MODEL, cosine, embed_texts, resolve_embeddings

Texts = str | list[Any] | None
_OUT = "{metric_name, corpus_score, per_item: [score]}"


def _pairs(
    state: Mapping[str, Any],
    predictions: Texts,
    references: Texts,
    predictions_key: str,
    references_key: str,
) -> list[tuple[str, list[str]]]:
    """(prediction, [references]) per item; a reference may be a list of alternatives."""
    inputs = state.get("inputs") or {}
    preds = predictions if predictions is not None else inputs.get(predictions_key)
    refs = references if references is not None else inputs.get(references_key)
    if preds is None:
        raise NodeError("predictions", f"not set, and inputs.{predictions_key} is missing")
    if refs is None:
        raise NodeError("references", f"not set, and inputs.{references_key} is missing")
    single = isinstance(preds, str)
    pred_list = [preds] if single else preds
    ref_list = [refs] if single else refs
    if not isinstance(pred_list, list) or not isinstance(ref_list, list):
        raise NodeError("predictions", "expected a text or a list of texts")
    if len(pred_list) != len(ref_list):
        raise NodeError(
            "references", f"{len(ref_list)} references for {len(pred_list)} predictions"
        )
    out = []
    for i, (p, r) in enumerate(zip(pred_list, ref_list, strict=True)):
        alts = r if isinstance(r, list) else [r]
        if not isinstance(p, str) or not all(isinstance(a, str) for a in alts) or not alts:
            raise NodeError(f"predictions[{i}]", "predictions and references must be texts")
        out.append((p, [str(a) for a in alts]))
    return out


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 6) if values else 0.0


class _TextMetric(BaseNode):
    predictions: Texts = Field(
        None, title="Predictions", description="A text or a list, e.g. {{answer.reply}}."
    )
    references: Texts = Field(
        None, title="References", description="Same shape; an item may list alternatives."
    )
    predictions_key: str = Field("predictions", title="Inputs key of predictions")
    references_key: str = Field("references", title="Inputs key of references")

    def _items(self, state: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
        return _pairs(
            state, self.predictions, self.references, self.predictions_key, self.references_key
        )


@register(category="evaluation", icon="percent", output=_OUT + " + exact_match")
class TokenF1MetricsNode(_TextMetric):
    """Token-overlap F1 (and exact match) between answers and references, SQuAD style."""

    normalize: bool = Field(
        True, title="Normalise", description="Lower-case, drop punctuation and articles."
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        items = self._items(state)
        per_item = [
            round(max(m.token_f1(p, r, self.normalize) for r in refs), 6) for p, refs in items
        ]
        exact = [max(m.exact_match(p, r) for r in refs) for p, refs in items]
        return {
            "metric_name": "token_f1",
            "corpus_score": _mean(per_item),
            "per_item": per_item,
            "exact_match": _mean(exact),
        }


@register(category="evaluation", icon="percent", output=_OUT)
class RougeMetricsNode(_TextMetric):
    """ROUGE-1/2/L between answers and references."""

    variant: Literal["rouge1", "rouge2", "rougeL", "rougeLsum"] = Field("rouge1", title="Variant")
    measure: Literal["precision", "recall", "fmeasure"] = Field("fmeasure", title="Measure")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        per_item = [
            round(max(m.rouge(p, r, self.variant)[self.measure] for r in refs), 6)
            for p, refs in self._items(state)
        ]
        return {
            "metric_name": f"{self.variant}_{self.measure}",
            "corpus_score": _mean(per_item),
            "per_item": per_item,
        }


@register(category="evaluation", icon="percent", output=_OUT + " (0-100)")
class BleuMetricsNode(_TextMetric):
    """BLEU-4 between answers and references (corpus score and sentence scores, 0-100)."""

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        items = self._items(state)
        corpus, per_item = m.bleu([p for p, _ in items], [r for _, r in items])
        return {
            "metric_name": "bleu",
            "corpus_score": round(corpus, 4),
            "per_item": [round(s, 4) for s in per_item],
        }


@register(category="evaluation", icon="percent", output=_OUT)
class SemanticSimilarityMetricsNode(_TextMetric):
    """Cosine similarity of answer and reference embeddings (any embeddings model)."""

    embed_model: str = Field(LOCAL_MODEL, min_length=1, title="Embedding model")
    model_kwargs: dict[str, Any] = Field(default_factory=dict, title="Model options")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        items = self._items(state)
        model = resolve_embeddings(self.embed_model, self.model_kwargs, ctx)
        preds = await embed_texts(model, [p for p, _ in items], 64)
        per_item = []
        for vec, (_, refs) in zip(preds, items, strict=True):
            ref_vecs = await embed_texts(model, refs, 64)
            per_item.append(round(max(cosine(vec, r) for r in ref_vecs), 6))
        return {
            "metric_name": "semantic_similarity",
            "corpus_score": _mean(per_item),
            "per_item": per_item,
        }


@register(
    category="evaluation",
    icon="check-check",
    output="{metrics: {exact_match, token_f1, contains_reference}, per_item: [...]}",
)
class AnswerQualityEvaluationNode(BaseNode):
    """Exact match, token F1 and whether the answer contains the reference, per answer."""

    answers: Texts = Field(None, title="Answers")
    references: Texts = Field(None, title="References")
    answers_key: str = Field("answers", title="Inputs key of answers")
    references_key: str = Field("references", title="Inputs key of references")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        items = _pairs(state, self.answers, self.references, self.answers_key, self.references_key)
        per_item = []
        for p, refs in items:
            per_item.append(
                {
                    "exact_match": max(m.exact_match(p, r) for r in refs),
                    "token_f1": round(max(m.token_f1(p, r) for r in refs), 6),
                    "contains_reference": float(
                        any(m.normalise(r) and m.normalise(r) in m.normalise(p) for r in refs)
                    ),
                }
            )
        metrics = {k: _mean([it[k] for it in per_item]) for k in per_item[0]} if per_item else {}
        return {"metrics": metrics, "per_item": per_item}


@register(
    category="evaluation",
    icon="list-checks",
    output="{metrics: {recall_at_k, precision_at_k, mrr, ndcg, map}, per_query: {id: {...}}}",
)
class RetrievalEvaluationNode(BaseNode):
    """Recall@k, precision@k, MRR, nDCG@k and MAP of search results against relevant ids."""

    results: list[Any] | None = Field(
        None, title="Results", description="One query's ranked results, e.g. {{search.results}}."
    )
    relevant_ids: list[str] | str | None = Field(
        None, title="Relevant ids", description="For results: e.g. {{inputs.relevant_ids}}."
    )
    id_field: str = Field(
        "id",
        title="Id path",
        description="Where a result's id is, e.g. metadata.document_id to score documents.",
    )
    dataset_key: str = Field("dataset", title="Inputs key of the dataset")
    results_key: str = Field("retrieval_results", title="Inputs key of the results")
    k: int = Field(5, ge=1, le=1000, title="k")

    def _ids(self, items: Any, where: str) -> list[str]:
        if not isinstance(items, list):
            raise NodeError(where, "expected a list of results")
        out = []
        for item in items:
            value = item if isinstance(item, str) else dig(item, self.id_field)
            if value is not MISSING and value is not None:
                out.append(str(value))
        return out

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        per_query: dict[str, dict[str, float]] = {}
        if self.results is not None or self.relevant_ids is not None:
            relevant = self.relevant_ids
            if isinstance(relevant, str):
                relevant = [relevant]
            if relevant is None:
                raise NodeError("relevant_ids", "set relevant_ids with results")
            scores = m.retrieval_scores(
                self._ids(self.results or [], "results"), set(relevant), self.k
            )
            per_query["query"] = scores
        else:
            inputs = state.get("inputs") or {}
            dataset, batch = inputs.get(self.dataset_key), inputs.get(self.results_key)
            if not isinstance(dataset, list) or not isinstance(batch, list):
                raise NodeError(
                    "results",
                    f"set results and relevant_ids, or pass inputs.{self.dataset_key} and "
                    f"inputs.{self.results_key} lists",
                )
            by_query = {str(row.get("query_id")): row.get("results", []) for row in batch}
            for case in dataset:
                qid = str(case.get("id"))
                ranked = self._ids(by_query.get(qid, []), f"inputs.{self.results_key}")
                per_query[qid] = m.retrieval_scores(
                    ranked, set(case.get("relevant_ids", [])), self.k
                )
        names = ("recall_at_k", "precision_at_k", "mrr", "ndcg", "map")
        metrics = {n: _mean([q[n] for q in per_query.values()]) for n in names}
        return {
            "metrics": metrics,
            "per_query": {q: {n: round(v, 6) for n, v in s.items()} for q, s in per_query.items()},
            "k": self.k,
        }


def _read_dataset(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [dict(row) for row in csv.DictReader(io.StringIO(text))]
    if suffix == ".json":
        data = json.loads(text)
        if isinstance(data, Mapping):
            data = data.get("dataset") or data.get("data") or data.get("examples")
        if not isinstance(data, list):
            raise ValueError("expected a JSON list of cases (or {dataset: [...]})")
        return data
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {n} is not JSON: {exc.msg}") from None
    return rows


def load_dataset(path: Path) -> list[dict[str, Any]]:
    """Cases from a .jsonl, .json or .csv file; each case an object."""
    rows = _read_dataset(path)
    bad = next((i for i, r in enumerate(rows) if not isinstance(r, Mapping)), None)
    if bad is not None:
        raise ValueError(f"case {bad + 1} is not an object")
    return [dict(r) for r in rows]


async def _json_source(path: str, field: str, timeout: float) -> Any:
    from .eval_datasets import load_json

    return await load_json(path, field, 256 * 1024 * 1024, timeout)


def _keyword_corpus(docs_path: str) -> list[dict[str, str]]:
    """Upstream's keyword corpus: every .md file of a folder, by name."""
    return [
        {"id": p.name, "content": p.read_text(encoding="utf-8").strip(), "source": p.name}
        for p in sorted(Path(os.path.expanduser(docs_path)).glob("*.md"))
    ]


@register(
    category="evaluation",
    icon="table",
    output="{dataset: [case], count, split, limit, references: {id: answer}, "
    "keyword_corpus: [{id, content, source}]}",
)
class DatasetNode(BaseNode):
    """Load evaluation cases from a JSONL, JSON or CSV file (or inline), filtered by split;
    or from upstream's four files (golden answers, queries, relevance labels, docs)."""

    path: str | None = Field(
        None, title="File", description=".jsonl, .json or .csv; relative to the working directory."
    )
    dataset: list[dict[str, Any]] = Field(default_factory=list, title="Inline cases")
    dataset_key: str = Field("dataset", title="Inputs key", description="Cases from inputs.<key>.")
    split: str | None = Field(None, title="Split", description="Keep cases whose split is this.")
    limit: int | None = Field(None, ge=1, title="Most cases")
    references: dict[str, str] = Field(
        default_factory=dict, title="References", description="Case id -> expected answer."
    )
    keyword_corpus: list[dict[str, Any]] = Field(default_factory=list, title="Keyword corpus")
    golden_path: str | None = Field(
        None,
        title="Golden answers",
        description="[{id, query, expected_answer, "
        "expected_citations}] (a file or URL; with the three paths below).",
    )
    queries_path: str | None = Field(
        None, title="Queries", description="[{id, question}]: cases labelled by labels_path."
    )
    labels_path: str | None = Field(
        None, title="Relevance labels", description="[{query_id, doc_id}]."
    )
    docs_path: str | None = Field(
        None, title="Docs folder", description="Its .md files are the keyword corpus."
    )
    http_timeout: float = Field(30.0, gt=0, le=3600, title="Download timeout (s)")

    async def _from_sources(self) -> tuple[list[dict[str, Any]], dict[str, str], list[Any]]:
        paths = {
            "golden_path": self.golden_path,
            "queries_path": self.queries_path,
            "labels_path": self.labels_path,
            "docs_path": self.docs_path,
        }
        missing = [k for k, v in paths.items() if not v]
        if missing:
            raise NodeError(missing[0], f"set {', '.join(missing)} too, to load from files")
        golden, queries, labels = [
            await _json_source(str(paths[k]), k, self.http_timeout)
            for k in ("golden_path", "queries_path", "labels_path")
        ]
        for key, data in (
            ("golden_path", golden),
            ("queries_path", queries),
            ("labels_path", labels),
        ):
            if not isinstance(data, list) or not all(isinstance(x, Mapping) for x in data):
                raise NodeError(key, "expected a JSON list of objects")
        relevant: dict[str, list[str]] = {}
        for label in labels:
            relevant.setdefault(str(label.get("query_id")), []).append(str(label.get("doc_id")))
        cases: list[dict[str, Any]] = []
        references: dict[str, str] = {}
        for item in golden:
            case_id = str(item.get("id"))
            cases.append(
                {
                    "id": case_id,
                    "query": item.get("query", ""),
                    "relevant_ids": [str(d) for d in item.get("expected_citations") or [] if d],
                    "split": self.split or item.get("split", "test"),
                }
            )
            references[case_id] = str(item.get("expected_answer", ""))
        for item in queries:
            case_id = str(item.get("id"))
            cases.append(
                {
                    "id": case_id,
                    "query": item.get("question", ""),
                    "relevant_ids": relevant.get(case_id, []),
                    "split": self.split or item.get("split", "test"),
                }
            )
        try:
            corpus = self.keyword_corpus or await asyncio.to_thread(
                _keyword_corpus, str(self.docs_path)
            )
        except (OSError, UnicodeDecodeError) as exc:
            raise NodeError("docs_path", f"cannot read {self.docs_path}: {exc}") from None
        return cases, references, corpus

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        cases: list[dict[str, Any]] = list(self.dataset)
        references = dict(self.references)
        corpus = list(self.keyword_corpus)
        if self.path:
            path = Path(os.path.expanduser(self.path))
            try:
                cases += await asyncio.to_thread(load_dataset, path)
            except OSError as exc:
                raise NodeError("path", f"cannot read {self.path}: {exc.strerror}") from None
            except (ValueError, csv.Error) as exc:
                raise NodeError("path", f"{self.path}: {exc}") from None
        from_inputs = (state.get("inputs") or {}).get(self.dataset_key)
        if not cases and isinstance(from_inputs, list):
            cases = [dict(c) for c in from_inputs if isinstance(c, Mapping)]
        if not cases and any(
            (self.golden_path, self.queries_path, self.labels_path, self.docs_path)
        ):
            cases, loaded, corpus = await self._from_sources()
            references = references or loaded
        if self.split is not None:
            cases = [c for c in cases if c.get("split") == self.split]
        if self.limit is not None:
            cases = cases[: self.limit]
        return {
            "dataset": cases,
            "count": len(cases),
            "split": self.split,
            "limit": self.limit,
            "references": references,
            "keyword_corpus": corpus,
        }
