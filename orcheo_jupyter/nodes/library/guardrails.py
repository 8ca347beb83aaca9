"""Guardrails of upstream Orcheo's conversational search, with its names, fields and
outputs: policy and privacy redaction of texts and histories, and turn annotation."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from .conversation import _turn

_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_EMAIL = re.compile(r"\b\S+@\S+\.[a-z]{2,}\b", re.IGNORECASE)
_PHONE = re.compile(r"\b\d{10}\b")


def _history(state: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    raw = (state.get("inputs") or {}).get(key) or []
    if not isinstance(raw, list):
        raise NodeError("history_key", f"inputs.{key} should be a list of turns")
    return [_turn(t, f"inputs.{key}[{i}]") for i, t in enumerate(raw)]


@register(
    category="rag",
    icon="shield-check",
    output="{compliant, violations, sanitized, audit_log: [{timestamp, violations, "
    "original_length, sanitized_length}]}",
)
class PolicyComplianceNode(BaseNode):
    """Flag blocked terms, SSNs and e-mail addresses in a text, and redact them."""

    text_key: str = Field("content", title="Inputs key of the text")
    blocked_terms: list[str] = Field(
        default_factory=lambda: ["password", "ssn"], title="Blocked terms"
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        content = (state.get("inputs") or {}).get(self.text_key, "")
        if not isinstance(content, str):
            raise NodeError("text_key", f"inputs.{self.text_key} should be text")
        terms = [t for t in self.blocked_terms if t]
        violations = [
            f"blocked_term:{t}"
            for t in terms
            if re.search(rf"\b{re.escape(t)}\b", content, re.IGNORECASE)
        ]
        if _SSN.search(content):
            violations.append("pii:ssn_pattern")
        if _EMAIL.search(content):
            violations.append("pii:email")
        clean = _EMAIL.sub("[REDACTED_EMAIL]", _SSN.sub("[REDACTED_SSN]", content))
        for term in terms:
            clean = re.sub(rf"\b{re.escape(term)}\b", "[REDACTED_TERM]", clean, flags=re.I)
        return {
            "compliant": not violations,
            "violations": violations,
            "sanitized": clean,
            "audit_log": [
                {
                    "timestamp": time.time(),
                    "violations": violations,
                    "original_length": len(content),
                    "sanitized_length": len(clean),
                }
            ],
        }


@register(
    category="rag",
    icon="eye-off",
    output="{sanitized_history: [turn], redaction_count, truncated}",
)
class MemoryPrivacyNode(BaseNode):
    """Redact SSNs, e-mail addresses and phone numbers in a history; keep its last turns."""

    history_key: str = Field("conversation_history", title="Inputs key of the history")
    retention_count: int | None = Field(None, ge=0, title="Turns kept")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        turns = _history(state, self.history_key)
        count = 0
        clean = []
        for turn in turns:
            text = turn["content"]
            for pattern, mark in (
                (_SSN, "[REDACTED_SSN]"),
                (_EMAIL, "[REDACTED_EMAIL]"),
                (_PHONE, "[REDACTED_PHONE]"),
            ):
                text, n = pattern.subn(mark, text)
                count += n
            clean.append({**turn, "content": text})
        kept = clean if self.retention_count is None else clean[len(clean) - self.retention_count :]
        if self.retention_count == 0:
            kept = []
        return {
            "sanitized_history": kept,
            "redaction_count": count,
            "truncated": len(kept) < len(turns),
        }


@register(
    category="rag",
    icon="tags",
    output="{annotations: [{role, content, is_question, sentiment}]}",
)
class TurnAnnotationNode(BaseNode):
    """Label each turn of a history: a question or not, and a rough sentiment."""

    history_key: str = Field("conversation_history", title="Inputs key of the history")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        out = []
        for turn in _history(state, self.history_key):
            low = turn["content"].lower()
            sentiment = "neutral"
            if any(w in low for w in ("thank", "great", "awesome")):
                sentiment = "positive"
            elif any(w in low for w in ("error", "terrible", "fail")):
                sentiment = "negative"
            out.append(
                {
                    "role": turn["role"],
                    "content": turn["content"],
                    "is_question": turn["content"].endswith("?"),
                    "sentiment": sentiment,
                }
            )
        return {"annotations": out}
