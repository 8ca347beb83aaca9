"""LLMJudgeNode: grade answers with a chat model (a JSON verdict), or offline by
token overlap with the reference when no model is set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support import text_metrics as m
from .ai_loop import AnswerFormat, converse
from .ai_models import TokenMeter, resolve_chat_model

_VERDICT = {
    "title": "verdict",
    "type": "object",
    "properties": {
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "reason": {"type": "string"},
    },
    "required": ["score", "reason"],
}


@register(
    category="evaluation",
    icon="gavel",
    output="{score, passed, reason, per_item: [{score, passed, reason}], metric_name, "
    "corpus_score}",
)
class LLMJudgeNode(BaseNode):
    """Score answers from 0 to 1 against criteria (and a reference) with a judge model."""

    answers: str | list[str] | None = Field(None, title="Answers", description="e.g. {{gen.reply}}")
    answers_key: str = Field("answers", title="Inputs key of answers")
    question: str | None = Field(None, title="Question")
    reference: str | list[str] | None = Field(None, title="Reference answer(s)")
    criteria: str = Field(
        "Is the answer correct, complete and supported by the reference?",
        title="Criteria",
        json_schema_extra={"format": "textarea"},
    )
    min_score: float = Field(0.5, ge=0, le=1, title="Pass mark")
    ai_model: str | None = Field(
        None, title="Judge model", description="Empty: offline token-F1 against the reference."
    )
    model_kwargs: dict[str, Any] = Field(default_factory=dict, title="Model options")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        answers: Any = self.answers
        if answers is None:
            answers = (state.get("inputs") or {}).get(self.answers_key)
        single = isinstance(answers, str)
        items = [answers] if single else answers
        if not isinstance(items, list) or not items or not all(isinstance(a, str) for a in items):
            raise NodeError("answers", f"expected a text or a list (or inputs.{self.answers_key})")
        refs: list[str | None]
        if isinstance(self.reference, list):
            if len(self.reference) != len(items):
                raise NodeError(
                    "reference", f"{len(self.reference)} references for {len(items)} answers"
                )
            refs = list(self.reference)
        else:
            refs = [self.reference] * len(items)
        verdicts: list[dict[str, Any]] = []
        for answer, ref in zip(items, refs, strict=True):
            if self.ai_model:
                score, reason = await self._judge(answer, ref, ctx)
            elif ref is None:
                raise NodeError("ai_model", "without a judge model a reference is needed")
            else:
                score = round(m.token_f1(answer, ref), 6)
                reason = f"token F1 {score:.3f} against the reference (no judge model)"
            verdicts.append({"score": score, "passed": score >= self.min_score, "reason": reason})
        mean = round(sum(v["score"] for v in verdicts) / len(verdicts), 6)
        return {
            **verdicts[0],
            "score": verdicts[0]["score"] if single else mean,
            "passed": all(v["passed"] for v in verdicts),
            "per_item": verdicts,
            "metric_name": "judge_score",
            "corpus_score": mean,
        }

    async def _judge(self, answer: str, ref: str | None, ctx: NodeContext) -> tuple[float, str]:
        model = resolve_chat_model(self.ai_model or "", self.model_kwargs, ctx)
        parts = [f"Criteria: {self.criteria}"]
        if self.question:
            parts.append(f"Question: {self.question}")
        if ref is not None:
            parts.append(f"Reference answer: {ref}")
        parts.append(f"Answer to grade: {answer}")
        outcome = await converse(
            model,
            [
                SystemMessage("You grade answers. Give a score from 0 to 1 and a short reason."),
                HumanMessage("\n".join(parts)),
            ],
            answer=AnswerFormat(_VERDICT),
            meter=TokenMeter(None, model=self.ai_model or ""),
            max_iterations=3,
            max_fixes=2,
            config=ctx.config,
        )
        verdict = outcome.structured or {}
        return float(verdict["score"]), str(verdict["reason"])
