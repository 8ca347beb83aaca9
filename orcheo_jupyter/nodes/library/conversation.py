"""Conversation nodes with upstream Orcheo's names, fields and outputs: session
history and summaries in a memory store, an answer cache, and the heuristic query
helpers of its conversational search (classification, pronoun resolution, topic
shifts, clarifying questions). All work offline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support import conversation_memory as memory
from ..support.conversation_memory import MemoryStoreConfig
from ..support.rag_items import user_message

_STORE = Field(default_factory=MemoryStoreConfig, title="Memory store")
_ROLES = ("user", "assistant", "system")


def _session(state: Mapping[str, Any], key: str) -> str:
    value = (state.get("inputs") or {}).get(key)
    if not isinstance(value, str) or not value.strip():
        raise NodeError("session_id_key", f"inputs.{key} should be a non-empty session id")
    return value.strip()


def _turn(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or value.get("role") not in _ROLES:
        raise NodeError(where, "a turn is {role: user|assistant|system, content, metadata}")
    content = value.get("content")
    if not isinstance(content, str) or not content.strip():
        raise NodeError(where, "a turn's content should be non-empty text")
    return {
        "role": value["role"],
        "content": content.strip(),
        "metadata": dict(value.get("metadata") or {}),
    }


@register(
    category="rag",
    icon="message-square",
    output="{session_id, conversation_history: [{role, content, metadata}], turn_count, "
    "summary, truncated}",
)
class ConversationStateNode(BaseNode):
    """Add this turn's user and assistant messages to the session; return its history."""

    session_id_key: str = Field("session_id", title="Inputs key of the session id")
    user_message_key: str = Field("user_message", title="Inputs key of the user message")
    assistant_message_key: str = Field(
        "assistant_message", title="Inputs key of the assistant message"
    )
    memory_store: MemoryStoreConfig = _STORE
    max_turns: int = Field(50, ge=1, le=100_000, title="Turns kept per session")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        session = _session(state, self.session_id_key)
        inputs = state.get("inputs") or {}
        turns = [
            {"role": role, "content": text.strip(), "metadata": {}}
            for key, role in (
                (self.user_message_key, "user"),
                (self.assistant_message_key, "assistant"),
            )
            if isinstance(text := inputs.get(key), str) and text.strip()
        ]
        history, summary = await asyncio.to_thread(
            memory.record_turns, self.memory_store, ctx.services, session, turns, self.max_turns
        )
        return {
            "session_id": session,
            "conversation_history": history,
            "turn_count": len(history),
            "summary": summary,
            "truncated": len(history) >= self.max_turns,
        }


@register(
    category="rag",
    icon="message-circle",
    output="{history: [{role, content, metadata}], turn_count}",
)
class SessionManagementNode(BaseNode):
    """Append the turns given in inputs to the session; return its (pruned) history."""

    session_id_key: str = Field("session_id", title="Inputs key of the session id")
    turns_input_key: str = Field("turns", title="Inputs key of new turns")
    max_turns: int | None = Field(50, ge=1, le=100_000, title="Turns kept per session")
    memory_store: MemoryStoreConfig = _STORE

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        session = _session(state, self.session_id_key)
        raw = (state.get("inputs") or {}).get(self.turns_input_key) or []
        if not isinstance(raw, list):
            raise NodeError("turns_input_key", f"inputs.{self.turns_input_key} should be a list")
        turns = [_turn(t, f"inputs.{self.turns_input_key}[{i}]") for i, t in enumerate(raw)]
        history, _ = await asyncio.to_thread(
            memory.record_turns, self.memory_store, ctx.services, session, turns, self.max_turns
        )
        return {"history": history, "turn_count": len(history)}


@register(category="rag", icon="shrink", output="{summary, turns_summarized, ttl_seconds}")
class MemorySummarizerNode(BaseNode):
    """Store a compact summary of the session (the given one, or its turns abridged)."""

    session_id_key: str = Field("session_id", title="Inputs key of the session id")
    source_result_key: str = Field("conversation_state", title="Source node")
    history_key: str = Field("conversation_history", title="History field")
    summary_field: str = Field("summary", title="Summary field")
    memory_store: MemoryStoreConfig = _STORE
    retention_seconds: int | None = Field(
        3600, ge=1, title="Keep for (s)", description="None: never expires."
    )
    max_summary_tokens: int | None = Field(180, ge=1, title="Most words")

    def _summarize(self, turns: list[dict[str, Any]]) -> str:
        if not turns:
            return "No conversation history yet."
        parts: list[str] = []
        total = 0
        for turn in turns:
            n = len(turn["content"].split())
            if self.max_summary_tokens is not None and total + n > self.max_summary_tokens:
                parts.append("...")
                break
            parts.append(f"{turn['role']}: {turn['content']}")
            total += n
        return " | ".join(parts)

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        session = _session(state, self.session_id_key)
        source = (state.get("results") or {}).get(self.source_result_key)
        source = source if isinstance(source, Mapping) else {}
        raw = source.get(self.history_key) or []
        turns = [_turn(t, f"results.{self.source_result_key}.{self.history_key}") for t in raw]
        summary = source.get(self.summary_field)
        if not isinstance(summary, str) or not summary:
            summary = self._summarize(turns)
        await asyncio.to_thread(
            memory.write_summary,
            self.memory_store,
            ctx.services,
            session,
            summary,
            self.retention_seconds,
        )
        return {
            "summary": summary,
            "turns_summarized": len(turns),
            "ttl_seconds": self.retention_seconds,
        }


@register(category="rag", icon="database", output="{cached, reply}")
class AnswerCachingNode(BaseNode):
    """Answer a repeated question from the cache; otherwise cache the new answer."""

    query_key: str = Field("message", title="Inputs key of the query")
    source_result_key: str = Field(
        "grounded_generator", title="Source node", description="Whose answer to cache."
    )
    response_field: str = Field("reply", title="Answer field")
    ttl_seconds: int | None = Field(300, ge=1, title="Keep for (s)", description="None: ever.")
    max_entries: int = Field(256, ge=1, le=1_000_000, title="Most answers")
    cache: str | dict[str, Any] = Field(
        "answers",
        title="Cache name",
        description="Nodes naming one cache share it (an upstream script's shared cache "
        "object stands for the default one).",
    )
    memory_store: MemoryStoreConfig = _STORE

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = user_message(state, self.query_key).lower()
        name = self.cache if isinstance(self.cache, str) and self.cache else "answers"
        store, services = self.memory_store, ctx.services
        hit = await asyncio.to_thread(memory.cached_answer, store, services, name, query)
        if hit is not None:
            return {"cached": True, "reply": hit}
        source = (state.get("results") or {}).get(self.source_result_key)
        reply = source.get(self.response_field) if isinstance(source, Mapping) else None
        if reply is None:
            return {"cached": False, "reply": None}
        if not isinstance(reply, str) or not reply.strip():
            raise NodeError(
                "response_field",
                f"results.{self.source_result_key}.{self.response_field} should be non-empty text",
            )
        reply = reply.strip()
        await asyncio.to_thread(
            memory.cache_answer,
            store,
            services,
            name,
            query,
            reply,
            self.ttl_seconds,
            self.max_entries,
        )
        return {"cached": False, "reply": reply}


_STOPWORDS = ["the", "a", "an", "and", "or", "of", "it", "this", "that", "to", "for"]


@register(
    category="rag",
    icon="shuffle",
    output="{is_shift, similarity, route: continue|clarify, reason}",
)
class TopicShiftDetectorNode(BaseNode):
    """Whether the query leaves the recent turns' topic (word overlap, Jaccard)."""

    query_key: str = Field("message", title="Inputs key of the query")
    source_result_key: str = Field("conversation_state", title="Source node")
    history_key: str = Field("conversation_history", title="History field")
    similarity_threshold: float = Field(0.35, ge=0, le=1, title="Least overlap")
    recent_turns: int = Field(3, ge=1, le=1000, title="Turns compared")
    stopwords: list[str] = Field(default_factory=lambda: list(_STOPWORDS), title="Stopwords")

    def _words(self, text: str) -> set[str]:
        stop = set(self.stopwords)
        return {w for w in (t.lower() for t in text.split()) if w and w not in stop}

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = user_message(state, self.query_key)
        payload = (state.get("results") or {}).get(self.source_result_key)
        turns = payload.get(self.history_key) if isinstance(payload, Mapping) else payload
        if not turns:
            return {
                "is_shift": False,
                "similarity": 1.0,
                "route": "continue",
                "reason": "no_history",
            }
        if not isinstance(turns, list):
            raise NodeError("history_key", "the conversation history should be a list of turns")
        window = [_turn(t, "history_key") for t in turns][-self.recent_turns :]
        q = self._words(query)
        seen: set[str] = set()
        for turn in window:
            seen |= self._words(turn["content"])
        similarity = len(q & seen) / len(q | seen) if q and seen else 0.0
        shift = similarity < self.similarity_threshold
        return {
            "is_shift": shift,
            "similarity": similarity,
            "route": "clarify" if shift else "continue",
            "reason": "low_overlap" if shift else "aligned",
        }


@register(
    category="rag",
    icon="help",
    output="{clarifications: [question], needs_clarification, context_hint}",
)
class QueryClarificationNode(BaseNode):
    """Clarifying questions for an ambiguous query (pronouns, 'or')."""

    query_key: str = Field("message", title="Inputs key of the query")
    history_key: str = Field(
        "conversation_history",
        title="Context result",
        description="results.<key>: its summary, or the last text of a list, is the hint.",
    )
    max_questions: int = Field(2, ge=1, le=20, title="Most questions")
    ambiguous_markers: list[str] = Field(
        default_factory=lambda: ["it", "that", "those", "they", "this"], title="Ambiguous words"
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = user_message(state, self.query_key)
        context = (state.get("results") or {}).get(self.history_key)
        hint = ""
        if isinstance(context, Mapping) and "summary" in context:
            hint = context.get("summary") or ""
        elif isinstance(context, list) and context and isinstance(context[-1], str):
            hint = context[-1]
        words = {w.lower().strip(".,?!") for w in query.split()}
        questions = []
        if words & set(self.ambiguous_markers):
            questions.append("What specific item are you referring to?")
        if "or" in words:
            questions.append("Which option should I focus on first?")
        if not questions:
            questions.append(f"Can you provide more detail about {hint or 'your last request'}?")
        return {
            "clarifications": questions[: self.max_questions],
            "needs_clarification": bool(questions),
            "context_hint": hint or None,
        }


def _message_texts(history: list[Any]) -> list[str]:
    out = []
    for item in history:
        text = item.get("content") if isinstance(item, Mapping) else item
        if isinstance(text, str) and text.strip():
            out.append(text.strip())
    return out


@register(category="rag", icon="link", output="{query, resolved, antecedent}")
class CoreferenceResolverNode(BaseNode):
    """Replace the query's first pronoun by the previous message (inputs.history)."""

    query_key: str = Field("message", title="Inputs key of the query")
    history_key: str = Field("history", title="Inputs key of the history")
    pronouns: list[str] = Field(
        default_factory=lambda: ["it", "they", "this", "that", "those", "them"], title="Pronouns"
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = user_message(state, self.query_key)
        history = (state.get("inputs") or {}).get(self.history_key) or []
        if not isinstance(history, list):
            raise NodeError("history_key", f"inputs.{self.history_key} should be a list")
        texts = _message_texts(history)
        referent = texts[-1] if texts else None
        tokens = query.split()
        resolved = False
        if referent:
            for i, token in enumerate(tokens):
                bare = token.rstrip(".,?!")
                if bare.lower() in self.pronouns:
                    tokens[i] = referent + token[len(bare) :]
                    resolved = True
                    break
        return {
            "query": " ".join(tokens),
            "resolved": resolved,
            "antecedent": referent if resolved else None,
        }


@register(
    category="rag",
    icon="tags",
    output="{classification: search|clarification|finalization, confidence}",
)
class QueryClassifierNode(BaseNode):
    """Route a query: search, a request to clarify, or the end of the conversation."""

    query_key: str = Field("message", title="Inputs key of the query")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        text = user_message(state, self.query_key).lower()
        if any(k in text for k in ("clarify", "more detail", "which one")):
            return {"classification": "clarification", "confidence": 0.8}
        if text.startswith(("thanks", "thank you", "that helps")):
            return {"classification": "finalization", "confidence": 0.9}
        return {"classification": "search", "confidence": 0.6}
