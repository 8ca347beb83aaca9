"""StreamingGeneratorNode (upstream Orcheo's name and fields): a chat model's answer
framed into chunks of words, each frame sent as a run event as soon as it is complete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from .ai_models import resolve_chat_model


@register(
    category="ai",
    icon="quote",
    output="{reply, stream: [{index, token}], frames: [{index, chunk, size}], token_count, "
    "truncated}",
)
class StreamingGeneratorNode(BaseNode):
    """Answer with a chat model, framed into chunks of words (each sent as it completes)."""

    prompt_key: str = Field("prompt", title="Inputs key of the prompt")
    chunk_size: int = Field(8, ge=1, le=10_000, title="Words per frame")
    buffer_limit: int | None = Field(64, ge=1, title="Most words")
    ai_model: str | None = Field(None, title="Model", description="provider:model.")
    model_kwargs: dict[str, Any] = Field(default_factory=dict, title="Model options")

    def _messages(self, query: str, history: Any) -> list[BaseMessage]:
        messages: list[BaseMessage] = [SystemMessage("You are a helpful assistant.")]
        for turn in history if isinstance(history, list) else []:
            if isinstance(turn, Mapping) and turn.get("content"):
                if turn.get("role") == "user":
                    messages.append(HumanMessage(str(turn["content"])))
                elif turn.get("role") == "assistant":
                    messages.append(AIMessage(str(turn["content"])))
        messages.append(HumanMessage(query))
        return messages

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        inputs = state.get("inputs") or {}
        query = inputs.get(self.prompt_key) or inputs.get("message")
        if not isinstance(query, str) or not query.strip():
            raise NodeError("prompt_key", f"no prompt: pass inputs.{self.prompt_key} or message")
        if not self.ai_model:
            raise NodeError("ai_model", "not set: a streaming generator needs a chat model")
        model = resolve_chat_model(self.ai_model, self.model_kwargs, ctx)
        text = ""
        frames: list[dict[str, Any]] = []
        sent = 0
        async for chunk in model.astream(self._messages(query.strip(), inputs.get("history"))):
            content = chunk.content
            text += content if isinstance(content, str) else str(getattr(chunk, "text", ""))
            words = text.split()
            # A frame is complete once a word follows it (the last word may still grow).
            while len(words) - 1 >= (sent + 1) * self.chunk_size and (
                self.buffer_limit is None or (sent + 1) * self.chunk_size <= self.buffer_limit
            ):
                part = words[sent * self.chunk_size : (sent + 1) * self.chunk_size]
                frames.append({"index": sent, "chunk": " ".join(part), "size": len(part)})
                ctx.emit("node_message", {"level": "info", "message": frames[-1]["chunk"]})
                sent += 1
        reply = text.strip()
        if not reply:
            raise NodeError("ai_model", f"{self.ai_model!r} answered with no text")
        tokens = reply.split()
        truncated = self.buffer_limit is not None and len(tokens) > self.buffer_limit
        if truncated:
            tokens = tokens[: self.buffer_limit]
        for start in range(sent * self.chunk_size, len(tokens), self.chunk_size):
            part = tokens[start : start + self.chunk_size]
            frames.append({"index": len(frames), "chunk": " ".join(part), "size": len(part)})
            ctx.emit("node_message", {"level": "info", "message": frames[-1]["chunk"]})
        return {
            "reply": reply,
            "stream": [{"index": i, "token": t} for i, t in enumerate(tokens)],
            "frames": frames,
            "token_count": len(tokens),
            "truncated": truncated,
        }
