"""Evaluation feedback and rollout nodes of upstream Orcheo's conversational search,
with its names, fields and outputs: user ratings collected and stored (deduplicated,
in the memory store so they accumulate across runs), failure categories, A/B winner
selection with rollout gates, and dataset augmentation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support import conversation_memory as memory
from ..support.conversation_memory import MemoryStoreConfig


@register(
    category="evaluation",
    icon="user-round-pen",
    output="{feedback: {session_id, rating, comment, timestamp}}",
)
class UserFeedbackCollectionNode(BaseNode):
    """A user's rating (1-5) and comment from the inputs, checked."""

    rating_key: str = Field("rating", title="Inputs key of the rating")
    comment_key: str = Field("comment", title="Inputs key of the comment")
    session_id_key: str = Field("session_id", title="Inputs key of the session id")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        inputs = state.get("inputs") or {}
        rating = inputs.get(self.rating_key)
        if isinstance(rating, bool) or not isinstance(rating, int | float) or not 1 <= rating <= 5:
            raise NodeError(
                "rating_key", f"inputs.{self.rating_key} should be a number from 1 to 5"
            )
        return {
            "feedback": {
                "session_id": inputs.get(self.session_id_key, "unknown"),
                "rating": float(rating),
                "comment": str(inputs.get(self.comment_key, "")).strip(),
                "timestamp": time.time(),
            }
        }


@register(category="evaluation", icon="database", output="{ingested, store_size}")
class FeedbackIngestionNode(BaseNode):
    """Store feedback entries, skipping ones already stored (same session, rating, comment)."""

    feedback_key: str = Field("feedback", title="Inputs key of the feedback")
    memory_store: MemoryStoreConfig = Field(default_factory=MemoryStoreConfig, title="Store")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        feedback = (state.get("inputs") or {}).get(self.feedback_key)
        entries = [] if feedback is None else feedback if isinstance(feedback, list) else [feedback]
        if not all(isinstance(e, Mapping) for e in entries):
            raise NodeError("feedback_key", "feedback entries should be objects")
        ingested, size = await asyncio.to_thread(
            memory.add_feedback, self.memory_store, ctx.services, [dict(e) for e in entries]
        )
        return {"ingested": ingested, "store_size": size}


@register(category="evaluation", icon="copy", output="{augmented_dataset, augmented_count}")
class DataAugmentationNode(BaseNode):
    """Variants of each case's query ('(variant N: please elaborate)'), multiplier per case."""

    dataset_key: str = Field("dataset", title="Inputs key of the dataset")
    multiplier: int = Field(1, ge=1, le=100, title="Variants per case")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        dataset = (state.get("inputs") or {}).get(self.dataset_key)
        if not isinstance(dataset, list) or not all(isinstance(c, Mapping) for c in dataset):
            raise NodeError("dataset_key", f"inputs.{self.dataset_key} should be a list of cases")
        out = [
            {
                **case,
                "query": f"{case.get('query', '')} (variant {i + 1}: please elaborate)".strip(),
                "augmented": True,
                "variant_index": i + 1,
            }
            for case in dataset
            for i in range(self.multiplier)
        ]
        return {"augmented_dataset": out, "augmented_count": len(out)}


@register(category="evaluation", icon="bug", output="{categories: [low_recall | ...]}")
class FailureAnalysisNode(BaseNode):
    """Failure categories of an evaluation: low recall, low answer quality, bad ratings."""

    retrieval_metrics_key: str = Field("retrieval_metrics", title="Inputs key")
    answer_metrics_key: str = Field("answer_metrics", title="Inputs key")
    feedback_key: str = Field("feedback", title="Inputs key")
    recall_threshold: float = Field(0.6, ge=0, le=1, title="Least recall")
    faithfulness_threshold: float = Field(0.6, ge=0, le=1, title="Least faithfulness")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        inputs = state.get("inputs") or {}
        retrieval = inputs.get(self.retrieval_metrics_key) or {}
        answers = inputs.get(self.answer_metrics_key) or {}
        feedback = inputs.get(self.feedback_key) or []
        feedback = feedback if isinstance(feedback, list) else [feedback]
        categories = set()
        if (
            isinstance(retrieval, Mapping)
            and retrieval.get("recall_at_k", 1.0) < self.recall_threshold
        ):
            categories.add("low_recall")
        if (
            isinstance(answers, Mapping)
            and answers.get("faithfulness", 1.0) < self.faithfulness_threshold
        ):
            categories.add("low_answer_quality")
        if any(isinstance(f, Mapping) and f.get("rating", 5) <= 2 for f in feedback):
            categories.add("negative_feedback")
        return {"categories": sorted(categories)}


def _metric(value: Any, primary: str) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, Mapping):
        for key in (primary, "score"):
            if isinstance(value.get(key), int | float):
                return float(value[key])
        numbers = [float(v) for v in value.values() if isinstance(v, int | float)]
        return max(numbers) if numbers else None
    return None


@register(category="evaluation", icon="split", output="{winner, ranking, rollout_allowed}")
class ABTestingNode(BaseNode):
    """Rank variants by a metric; allow the winner's rollout when it and every evaluation
    metric clear the threshold (and the feedback score, when given)."""

    variants_key: str = Field("variants", title="Inputs key of the variants")
    primary_metric: str = Field("score", title="Ranking metric")
    evaluation_metrics_key: str = Field("evaluation_metrics", title="Inputs key of metrics")
    min_metric_threshold: float = Field(0.5, title="Least metric")
    min_feedback_score: float = Field(0.0, title="Least feedback score")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        inputs = state.get("inputs") or {}
        variants = inputs.get(self.variants_key)
        if (
            not isinstance(variants, list)
            or not variants
            or not all(isinstance(v, Mapping) for v in variants)
        ):
            raise NodeError("variants_key", f"inputs.{self.variants_key} should list variants")
        ranked = sorted(variants, key=lambda v: v.get(self.primary_metric, 0.0), reverse=True)
        winner = ranked[0]
        allowed = bool(winner.get(self.primary_metric, 0.0) >= self.min_metric_threshold)
        metrics = inputs.get(self.evaluation_metrics_key) or {}
        values = [
            m
            for v in (metrics.values() if isinstance(metrics, Mapping) else [])
            if (m := _metric(v, self.primary_metric)) is not None
        ]
        allowed = allowed and all(v >= self.min_metric_threshold for v in values)
        score = inputs.get("feedback_score")
        if isinstance(score, int | float):
            allowed = allowed and score >= self.min_feedback_score
        return {
            "winner": dict(winner),
            "ranking": ranked,
            "rollout_allowed": allowed,
        }
