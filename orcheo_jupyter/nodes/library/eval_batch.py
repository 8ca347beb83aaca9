"""Batch evaluation of conversations, as upstream Orcheo runs it.

``ConversationalBatchEvalNode`` feeds every turn of every conversation through a
pipeline (a graph of node types, stored in the node's config) and pairs each
prediction with the turn's gold label; it also puts them in ``inputs.predictions`` /
``inputs.references``, where the metric nodes read them by default.
``AnalyticsExportNode`` merges the metric nodes' scores into one report, with a
per-conversation breakdown from the batch node.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.inline_graphs import compiled_graph, run_graph


@register(
    category="evaluation",
    icon="list-checks",
    output="{predictions, references, per_conversation: {id: {num_turns[, predictions, "
    "references]}}, total_turns, total_conversations}",
)
class ConversationalBatchEvalNode(BaseNode):
    """Run every conversation turn through a pipeline; collect predictions and gold labels."""

    returns_state_update = True
    deferred_fields = frozenset({"pipeline"})

    conversations_key: str = Field(
        "conversations",
        title="Conversations key",
        description="inputs.<key>, else results.<key>, else any node's <key> result.",
    )
    prediction_field: str = Field(
        "query", title="Prediction field", description="Read from the pipeline's output."
    )
    gold_field: str = Field("gold_rewrite", title="Gold field", description="Read from each turn.")
    max_conversations: int | None = Field(None, ge=1, title="Most conversations")
    max_concurrency: int | None = Field(1, ge=1, le=64, title="Conversations at once")
    history_window_size: int | None = Field(
        None, ge=1, title="History window", description="Earlier user turns a turn sees."
    )
    include_per_conversation_details: bool = Field(True, title="Per-conversation details")
    pipeline: dict[str, Any] | None = Field(
        None,
        title="Pipeline",
        description="A graph (frozen-ir: nodes, edges) run once per turn with inputs "
        "{message, query, history}; none: the turn's own prediction field is taken.",
    )

    def _conversations(self, state: Mapping[str, Any]) -> list[Any]:
        found = (state.get("inputs") or {}).get(self.conversations_key)
        results = state.get("results") or {}
        if not isinstance(found, list):
            found = results.get(self.conversations_key)
        if not isinstance(found, list):
            found = next(
                (
                    r[self.conversations_key]
                    for r in results.values()
                    if isinstance(r, Mapping) and isinstance(r.get(self.conversations_key), list)
                ),
                None,
            )
        if not isinstance(found, list):
            raise NodeError(
                "conversations_key",
                f"no list of conversations in inputs.{self.conversations_key} or any node's result",
            )
        return found[: self.max_conversations] if self.max_conversations else found

    def _prediction(self, final: Mapping[str, Any], fallback: str) -> str:
        field = self.prediction_field
        if final.get(field) is not None:
            return str(final[field])
        for value in reversed(list((final.get("results") or {}).values())):
            if isinstance(value, Mapping) and value.get(field) is not None:
                return str(value[field])
        inputs = final.get("inputs") or {}
        return str(inputs[field]) if inputs.get(field) is not None else fallback

    async def _turn(
        self, graph: Any, turn: Mapping[str, Any], history: list[str], state: Any, ctx: NodeContext
    ) -> str:
        question = str(turn.get("raw_question", turn.get("user_utterance", "")))
        if graph is None:
            own = turn.get(self.prediction_field)
            return str(own) if own is not None else question
        inputs = {"message": question, "query": question, "history": history}
        final = await run_graph(graph, inputs, state, ctx)
        return self._prediction(final, question)

    async def _conversation(
        self, graph: Any, conv: Any, state: Any, ctx: NodeContext
    ) -> dict[str, Any]:
        conv = conv if isinstance(conv, Mapping) else {}
        history: deque[str] = deque(maxlen=self.history_window_size)
        predictions: list[str] = []
        references: list[str] = []
        turns = conv.get("turns")
        for turn in turns if isinstance(turns, list) else []:
            if not isinstance(turn, Mapping):
                continue
            predictions.append(await self._turn(graph, turn, list(history), state, ctx))
            references.append(str(turn.get(self.gold_field, "")))
            history.append(str(turn.get("raw_question", turn.get("user_utterance", ""))))
        return {
            "id": str(conv.get("conversation_id", "unknown")),
            "predictions": predictions,
            "references": references,
        }

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        conversations = self._conversations(state)
        graph = compiled_graph(self.pipeline, "pipeline") if self.pipeline else None
        gate = asyncio.Semaphore(self.max_concurrency or 1)

        async def limited(conv: Any) -> dict[str, Any]:
            async with gate:
                return await self._conversation(graph, conv, state, ctx)

        done = await asyncio.gather(*(limited(c) for c in conversations))
        predictions: list[str] = []
        references: list[str] = []
        per_conversation: dict[str, dict[str, Any]] = {}
        for conv in done:
            predictions += conv["predictions"]
            references += conv["references"]
            summary: dict[str, Any] = {"num_turns": len(conv["predictions"])}
            if self.include_per_conversation_details:
                summary["predictions"] = conv["predictions"]
                summary["references"] = conv["references"]
            per_conversation[conv["id"]] = summary
        out = {
            "predictions": predictions,
            "references": references,
            "per_conversation": per_conversation,
            "total_turns": len(predictions),
            "total_conversations": len(conversations),
        }
        inputs = {**(state.get("inputs") or {}), "predictions": predictions}
        inputs["references"] = references
        return {"results": {ctx.result_key: out}, "inputs": inputs}


def _table(metrics: Mapping[str, float]) -> str:
    header = f"{'Metric':<30} {'Score':>10}"
    lines = [header, "-" * len(header)]
    lines += [f"{name:<30} {score:>10.4f}" for name, score in sorted(metrics.items())]
    return "\n".join(lines)


@register(
    category="evaluation",
    icon="table",
    output="{report: {dataset, metrics, per_conversation, config}, report_json, table} "
    "(without metric nodes: {export: {metrics, feedback_count, average_rating, "
    "feedback_categories}})",
)
class AnalyticsExportNode(BaseNode):
    """One report of an evaluation: every metric node's corpus score, per conversation too."""

    dataset_name: str = Field("", title="Dataset name")
    metric_node_names: list[str] = Field(
        default_factory=list,
        title="Metric nodes",
        description="Nodes whose {metric_name, corpus_score, per_item} to merge.",
    )
    batch_eval_node_name: str = Field(
        "batch_eval", title="Batch node", description="Its per_conversation splits per_item."
    )
    metrics_key: str = Field("metrics", title="Inputs key of metrics (no metric nodes)")
    feedback_key: str = Field("feedback", title="Inputs key of feedback (no metric nodes)")

    def _report(self, state: Mapping[str, Any]) -> dict[str, Any]:
        results = state.get("results") or {}
        missing = [
            n
            for n in self.metric_node_names
            if not (isinstance(results.get(n), Mapping) and "metric_name" in results[n])
        ]
        if missing:
            raise NodeError(
                "metric_node_names",
                f"no metric result from {', '.join(missing)} (a node returning "
                "{metric_name, corpus_score, per_item})",
            )
        scored = [results[n] for n in self.metric_node_names]
        metrics = {r["metric_name"]: r["corpus_score"] for r in scored}
        per_conversation: dict[str, dict[str, float]] = {}
        batch = results.get(self.batch_eval_node_name)
        convs = batch.get("per_conversation") if isinstance(batch, Mapping) else None
        offset = 0
        for conv_id, info in (convs or {}).items():
            n = int((info or {}).get("num_turns", 0))
            row = {}
            for r in scored:
                part = list(r.get("per_item") or [])[offset : offset + n]
                row[r["metric_name"]] = sum(part) / len(part) if part else 0.0
            per_conversation[conv_id] = row
            offset += n
        configurable = (state.get("config") or {}).get("configurable")
        report = {
            "dataset": self.dataset_name,
            "metrics": metrics,
            "per_conversation": per_conversation,
            "config": dict(configurable) if isinstance(configurable, Mapping) else {},
        }
        return {
            "report": report,
            "report_json": json.dumps(report, indent=2, default=str),
            "table": _table(metrics),
        }

    def _feedback(self, state: Mapping[str, Any]) -> dict[str, Any]:
        inputs = state.get("inputs") or {}
        feedback = inputs.get(self.feedback_key) or []
        if not isinstance(feedback, list):
            raise NodeError("feedback_key", f"inputs.{self.feedback_key} should be a list")
        entries = [f for f in feedback if isinstance(f, Mapping)]
        ratings = [float(f.get("rating") or 0) for f in entries]
        categories: dict[str, int] = {}
        for f in entries:
            if f.get("category"):
                categories[str(f["category"])] = categories.get(str(f["category"]), 0) + 1
        return {
            "export": {
                "metrics": inputs.get(self.metrics_key) or {},
                "feedback_count": len(feedback),
                "average_rating": sum(ratings) / len(ratings) if ratings else 0.0,
                "feedback_categories": categories,
            }
        }

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        return self._report(state) if self.metric_node_names else self._feedback(state)
