"""The model loop shared by ChatModelNode and AgentNode.

Call the model; run the tools it asks for and feed their results back; stop at
a plain answer, or, with a response format, at an answer that matches the JSON
Schema (given through a final-answer tool, or as JSON text by models without
tool calling). Every call is metered against the node's token budget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.errors import GraphBubbleUp

from ..base import NodeError
from ..support.schema_checks import describe, schema_errors
from .ai_models import TokenMeter, call_model, parse_json_text

ToolCall = Callable[[dict[str, Any]], Awaitable[Any]]


@dataclass
class ToolDef:
    """A tool the model may call: its name, description, argument schema and action."""

    name: str
    description: str
    parameters: dict[str, Any]
    call: ToolCall

    def definition(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


class AnswerFormat:
    """The structured answer: a JSON Schema, offered to the model as a final tool."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        title = str(schema.get("title") or "final_answer")
        self.name = re.sub(r"[^A-Za-z0-9_-]", "_", title)[:64] or "final_answer"
        self.wrapped = schema.get("type") != "object"
        self.parameters = (
            {"type": "object", "properties": {"value": schema}, "required": ["value"]}
            if self.wrapped
            else schema
        )

    def definition(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": str(
                    self.schema.get("description") or "Give the final answer in this structure."
                ),
                "parameters": self.parameters,
            },
        }

    def from_call(self, args: dict[str, Any]) -> Any:
        return args.get("value") if self.wrapped else args

    def check(self, value: Any) -> list[dict[str, str]]:
        return schema_errors(self.schema, value, "response")

    def instruction(self) -> str:
        return (
            "Reply with only a JSON value (no other text) matching this JSON Schema:\n"
            + json.dumps(self.schema)
        )


@dataclass
class Outcome:
    messages: list[BaseMessage]
    text: str
    structured: Any = None
    iterations: int = 0
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = [p.get("text", "") if isinstance(p, dict) else str(p) for p in content]
    return "".join(parts)


def _tool_content(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


async def converse(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    *,
    tools: Sequence[ToolDef] = (),
    answer: AnswerFormat | None = None,
    meter: TokenMeter,
    max_iterations: int,
    max_fixes: int,
    config: Mapping[str, Any] | None = None,
) -> Outcome:
    """Run the model loop; ``messages`` already holds the system prompt and history."""
    by_name = {t.name: t for t in tools}
    definitions = [t.definition() for t in tools]
    if answer is not None:
        definitions.append(answer.definition())
    history = list(messages)
    runnable: Any = model
    if definitions:
        try:
            runnable = model.bind_tools(definitions)
        except NotImplementedError:
            if tools:
                raise NodeError("ai_model", "this model cannot call tools") from None
            # Structured output without tool calling: ask for JSON text instead.
            history.append(HumanMessage(answer.instruction() if answer else ""))
    new: list[BaseMessage] = []
    log: list[dict[str, Any]] = []
    fixes = 0

    def retry_or_fail(errors: list[dict[str, str]]) -> None:
        nonlocal fixes
        fixes += 1
        if fixes > max_fixes:
            raise NodeError(
                "response_format",
                f"the model's answer does not match the schema after {fixes} tries: "
                f"{describe(errors)}",
            )

    for iteration in range(1, max_iterations + 1):
        reply = await call_model(runnable, history, dict(config or {}), meter.model)
        if not isinstance(reply, AIMessage):
            reply = AIMessage(content=_text(reply))
        meter.add(reply, history)
        history.append(reply)
        new.append(reply)
        calls = list(reply.tool_calls or [])
        if calls:
            done: Any = None
            finished = False
            for call in calls:
                call_id = call.get("id") or f"call_{iteration}_{len(log)}"
                name, args = call["name"], call.get("args") or {}
                if answer is not None and name == answer.name:
                    value = answer.from_call(args)
                    errors = answer.check(value)
                    if errors:
                        retry_or_fail(errors)
                        content = f"error: the answer does not match the schema: {describe(errors)}"
                    else:
                        done, finished, content = value, True, "ok"
                    message = ToolMessage(content=content, tool_call_id=call_id, name=name)
                else:
                    message = await _run_tool(by_name.get(name), name, args, call_id, log)
                history.append(message)
                new.append(message)
            if finished:
                return Outcome(new, _text(reply), done, iteration, log)
            continue
        text = _text(reply)
        if answer is None:
            return Outcome(new, text, None, iteration, log)
        try:
            value = parse_json_text(text)
            errors = answer.check(value)
        except ValueError as exc:
            errors = [{"path": "response", "message": f"not JSON: {exc}"}]
        if not errors:
            return Outcome(new, text, value, iteration, log)
        retry_or_fail(errors)
        nudge = HumanMessage(
            f"That answer does not match the schema ({describe(errors)}). {answer.instruction()}"
        )
        history.append(nudge)
        new.append(nudge)
    raise NodeError("max_iterations", f"no final answer after {max_iterations} model call(s)")


async def _run_tool(
    tool: ToolDef | None, name: str, args: dict[str, Any], call_id: str, log: list[dict[str, Any]]
) -> ToolMessage:
    """Run one tool call; failures go back to the model as an error result."""

    def failed(reason: str, **entry: Any) -> ToolMessage:
        log.append({"name": name, "args": args, "ok": False, **entry})
        return ToolMessage(
            content=f"error: {reason}", tool_call_id=call_id, name=name, status="error"
        )

    if tool is None:
        return failed(f"there is no tool named {name!r}")
    problems = schema_errors(tool.parameters, args, "args")
    if problems:
        return failed(f"invalid arguments: {describe(problems)}")
    try:
        result = await tool.call(args)
    except GraphBubbleUp:
        raise
    except Exception as exc:
        return failed(f"{type(exc).__name__}: {exc}", error=str(exc))
    log.append({"name": name, "args": args, "ok": True})
    return ToolMessage(content=_tool_content(result), tool_call_id=call_id, name=name)
