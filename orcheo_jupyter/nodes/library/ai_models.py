"""Chat models for the AI nodes: where they come from and what they cost.

``ai_model`` (``"openai:gpt-4o-mini"``) goes to LangChain's ``init_chat_model``;
provider packages are the ``ai`` extra. Before that, two in-process sources are
consulted, so notebooks and tests can supply a model without touching the
production path: the run's ``services.chat_models`` mapping, then models
registered with ``register_chat_model``. Either maps the ``ai_model`` string to a
chat model or to a factory called with ``model_kwargs``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import ValidationError

from ... import tracing
from ..base import NodeContext, NodeError

ChatModelFactory = Callable[..., BaseChatModel]
_registered: dict[str, BaseChatModel | ChatModelFactory] = {}


def register_chat_model(name: str, model: BaseChatModel | ChatModelFactory) -> None:
    """Make ``ai_model=name`` use this model (or factory) in this process."""
    _registered[name] = model


def unregister_chat_model(name: str) -> None:
    _registered.pop(name, None)


def _redact(text: str, secrets: Sequence[Any]) -> str:
    for value in secrets:
        if isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def _secret_values(kwargs: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    for value in kwargs.values():
        out.extend(_secret_values(value) if isinstance(value, Mapping) else [value])
    return out


def resolve_chat_model(
    ai_model: str, model_kwargs: Mapping[str, Any], ctx: NodeContext
) -> BaseChatModel:
    """The chat model for ``ai_model``; errors name the field and never echo kwargs."""
    source = ctx.services.chat_models.get(ai_model)
    if source is None:
        source = _registered.get(ai_model)
    if source is not None:
        return source if isinstance(source, BaseChatModel) else source(**model_kwargs)
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(ai_model, **model_kwargs)
    except ImportError as exc:
        raise NodeError(
            "ai_model",
            f"the provider package for {ai_model!r} is not installed "
            f"(pip install 'orcheo-jupyter[ai]' or the langchain-<provider> package): {exc}",
        ) from None
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise NodeError("model_kwargs", f"rejected by {ai_model!r}: {details}") from None
    except Exception as exc:
        message = _redact(str(exc), _secret_values(model_kwargs))
        raise NodeError("ai_model", f"cannot create chat model {ai_model!r}: {message}") from None


def usage_of(reply: AIMessage, sent: Sequence[BaseMessage]) -> tuple[int, int, bool]:
    """(input tokens, output tokens, estimated) of one model call."""
    usage = reply.usage_metadata
    if usage:
        used_in = int(usage.get("input_tokens") or 0)
        used_out = int(usage.get("output_tokens") or 0)
        if not used_in and not used_out:
            used_out = int(usage.get("total_tokens") or 0)
        return used_in, used_out, False
    return estimate_tokens(sent), estimate_tokens([reply]), True


async def call_model(
    runnable: Any, messages: Sequence[BaseMessage], config: Any, model: str
) -> BaseMessage:
    """``runnable.ainvoke(messages, config)``, as a model-call span when tracing is on
    (model name, input/output/total tokens, latency, the error if it fails)."""
    tracer = tracing.current
    if tracer is None:
        reply: BaseMessage = await runnable.ainvoke(messages, config)
        return reply
    with tracer.model_call(model or type(runnable).__name__) as call:
        reply = await runnable.ainvoke(messages, config)
        if isinstance(reply, AIMessage):
            used_in, used_out, estimated = usage_of(reply, messages)
            metadata = reply.response_metadata or {}
            name = metadata.get("model_name") or metadata.get("model")
            call.usage(
                used_in,
                used_out,
                estimated=estimated,
                response_model=name if isinstance(name, str) else None,
            )
    return reply


class TokenBudgetExceeded(NodeError):
    """The node used more tokens than its budget allows; the run stops."""


def _text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return json.dumps(content, default=str)


def estimate_tokens(messages: Sequence[BaseMessage]) -> int:
    """A rough count (4 characters a token) for models that report no usage."""
    chars = sum(len(_text_of(m)) for m in messages)
    calls = sum(len(json.dumps(getattr(m, "tool_calls", []), default=str)) for m in messages)
    return max((chars + calls) // 4, 1)


@dataclass
class TokenMeter:
    """Adds up the tokens of a node's model calls and enforces its budget."""

    budget: int | None
    #: The ``ai_model`` the node calls (names its model-call spans).
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0
    estimated: bool = False
    log: list[dict[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(self, reply: AIMessage, sent: Sequence[BaseMessage]) -> None:
        used_in, used_out, estimated = usage_of(reply, sent)
        self.estimated = self.estimated or estimated
        self.calls += 1
        self.input_tokens += used_in
        self.output_tokens += used_out
        self.log.append({"input_tokens": used_in, "output_tokens": used_out})
        if self.budget is not None and self.total > self.budget:
            raise TokenBudgetExceeded(
                "token_budget",
                f"used {self.total} tokens, over the budget of {self.budget}, after "
                f"{self.calls} model call(s); the run was stopped",
            )

    def summary(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total,
            "model_calls": self.calls,
            "estimated": self.estimated,
            "budget": self.budget,
        }


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_json_text(text: str) -> Any:
    """JSON from a reply's text, also when wrapped in a ``` fence; ValueError if none."""
    match = _FENCE.match(text)
    return json.loads(match.group(1) if match else text)
