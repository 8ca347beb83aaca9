"""AI nodes: one chat model call, and a tool-using agent, on LangChain chat models.

Both return a state update: the new ``messages`` (the prompt, the model's
replies, tool results), ``structured_response`` when a response format is set,
and their own entry under ``results`` (text, usage, tool calls) for routing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, convert_to_messages
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..base import BaseNode, NodeContext, NodeError
from ..registry import get, register
from ..support import predefined_tools as predefined
from ..support.dotted_paths import MISSING, dig
from ..support.inline_graphs import compiled_graph, run_graph
from ..support.inline_nodes import InlineNode, run_inline
from ..support.schema_checks import check_schema
from .ai_loop import AnswerFormat, Outcome, ToolDef, converse
from .ai_mcp import McpServer, mcp_tools
from .ai_models import TokenMeter, resolve_chat_model
from .subworkflow import find_workflow, run_child

_OUTPUT = (
    "state update: messages (+ structured_response); results.<id> = {content, usage, "
    "iterations, tool_calls[, structured_response]}"
)


class _ChatNode(BaseNode):
    returns_state_update = True

    ai_model: str = Field(
        min_length=1,
        title="Model",
        description="provider:model for LangChain's init_chat_model, e.g. openai:gpt-4o-mini.",
    )
    model_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        title="Model options",
        description="e.g. {temperature: 0}; keys may be [[secrets]] such as api_key.",
    )
    system_prompt: str | None = Field(
        None, title="System prompt", json_schema_extra={"format": "textarea"}
    )
    prompt: str | None = Field(
        None,
        title="Prompt",
        description="User message added to the conversation; may use {{templates}}.",
        json_schema_extra={"format": "textarea"},
    )
    use_history: bool = Field(
        True, title="Use conversation", description="Send the run's messages before the prompt."
    )
    response_format: dict[str, Any] | None = Field(
        None, title="Response format", description="JSON Schema of a structured answer."
    )
    token_budget: int | None = Field(
        None, ge=1, title="Token budget", description="Stop the run if this node uses more."
    )
    max_format_retries: int = Field(
        2, ge=0, le=10, title="Format retries", description="Re-asks when the answer is off-schema."
    )

    @field_validator("response_format")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else check_schema(value)

    def _conversation(self, state: Mapping[str, Any]) -> tuple[list[BaseMessage], list[Any]]:
        sent: list[BaseMessage] = []
        if self.system_prompt:
            sent.append(SystemMessage(self.system_prompt))
        if self.use_history:
            sent.extend(convert_to_messages(state.get("messages") or []))
        added: list[Any] = []
        if self.prompt:
            added.append(HumanMessage(self.prompt))
        return sent + added, added

    def _update(
        self, ctx: NodeContext, added: list[Any], outcome: Outcome, meter: TokenMeter
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "content": outcome.text,
            "usage": meter.summary(),
            "iterations": outcome.iterations,
            "tool_calls": outcome.tool_calls,
        }
        update: dict[str, Any] = {"messages": [*added, *outcome.messages]}
        if self.response_format is not None:
            result["structured_response"] = outcome.structured
            update["structured_response"] = outcome.structured
        update["results"] = {ctx.result_key: result}
        return update


@register(category="ai", icon="message-square", output=_OUTPUT)
class ChatModelNode(_ChatNode):
    """Ask a chat model once (system prompt, conversation, prompt), optionally for JSON."""

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        model = resolve_chat_model(self.ai_model, self.model_kwargs, ctx)
        sent, added = self._conversation(state)
        meter = TokenMeter(self.token_budget, model=self.ai_model)
        answer = AnswerFormat(self.response_format) if self.response_format else None
        outcome = await converse(
            model,
            sent,
            answer=answer,
            meter=meter,
            max_iterations=1 + self.max_format_retries,
            max_fixes=self.max_format_retries,
            config=ctx.config,
        )
        return self._update(ctx, added, outcome, meter)


_TOOL_NAME = r"^[A-Za-z0-9_-]{1,64}$"


class AgentTool(BaseModel):
    """A tool for the agent: a node, a stored workflow or a graph the model may call."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_TOOL_NAME, title="Name", description="How the model calls it.")
    description: str = Field(min_length=1, title="Description", description="When to use it.")
    node: InlineNode | None = Field(
        None,
        title="Node",
        description="{type, config}; without args_schema the model fills the config fields "
        "not set here, with it the config reads {{args.<name>}}.",
    )
    workflow: str | None = Field(
        None, title="Workflow", description="Stored workflow run with the arguments as inputs."
    )
    version: int | None = Field(None, ge=1, title="Workflow version")
    graph: dict[str, Any] | None = Field(
        None,
        title="Graph",
        description="A graph (frozen-ir: nodes, edges) run with the arguments as inputs, "
        "as upstream's workflow_tools.",
    )
    args_schema: dict[str, Any] | None = Field(
        None, title="Arguments schema", description="JSON Schema of the tool's arguments."
    )
    output_path: str | None = Field(
        None,
        min_length=1,
        title="Output path",
        description="Workflow or graph tools: a dotted path in the final state to return "
        "(default: its structured response, else its results).",
    )

    @field_validator("args_schema")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else check_schema(value)

    @model_validator(mode="after")
    def _one_target(self) -> AgentTool:
        if [self.node, self.workflow, self.graph].count(None) != 2:
            raise ValueError("set exactly one of node, workflow or graph")
        return self


def _node_args_schema(node: InlineNode) -> dict[str, Any]:
    """The node type's config schema without the fields the tool already fixes."""
    schema = get(node.type).config_schema()
    fixed = set(node.config)
    params: dict[str, Any] = {
        "type": "object",
        "properties": {k: v for k, v in schema.get("properties", {}).items() if k not in fixed},
        "required": [r for r in schema.get("required", []) if r not in fixed],
        "additionalProperties": False,
    }
    if "$defs" in schema:
        params["$defs"] = schema["$defs"]
    return params


def _tool_output(final: Mapping[str, Any], path: str | None) -> Any:
    """What a workflow or graph tool returns to the model."""
    if path is not None:
        found = dig(final, path)
        if found is MISSING:
            raise NodeError("output_path", f"{path!r} is not in the tool's final state")
        return found
    if final.get("structured_response") is not None:
        return final["structured_response"]
    return final.get("results") or {}


@register(category="ai", icon="bot", output=_OUTPUT)
class AgentNode(_ChatNode):
    """A chat model that calls tools (nodes or stored workflows) until it can answer."""

    deferred_fields = frozenset({"tools", "workflow_tools"})

    tools: list[AgentTool] = Field(default_factory=list, title="Tools")
    predefined_tools: list[str] = Field(
        default_factory=list,
        title="Built-in tools",
        description="Upstream's named tools: greet_user (mongodb_find and "
        "mongodb_update_one need MongoDB, not shipped).",
    )
    workflow_tools: list[AgentTool] = Field(
        default_factory=list,
        title="Graph tools",
        description="Upstream's name for tools that run a graph: [{name, description, "
        "graph, args_schema, output_path}]; they join tools.",
    )
    mcp_servers: dict[str, McpServer] = Field(
        default_factory=dict,
        title="MCP servers",
        description="name: {transport: stdio|streamable_http, command/args or url}; their "
        "tools join the agent's.",
    )
    max_iterations: int = Field(
        10, ge=1, le=100, title="Max model calls", description="Fail if no answer by then."
    )

    @field_validator("predefined_tools")
    @classmethod
    def _known_tools(cls, value: list[str]) -> list[str]:
        return predefined.check_names(value)

    @model_validator(mode="after")
    def _unique_names(self) -> AgentNode:
        names = [t.name for t in self.tools + self.workflow_tools] + self.predefined_tools
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"tool names must be unique: {', '.join(duplicates)}")
        return self

    def _builtin_defs(self) -> list[ToolDef]:
        missing = predefined.unavailable(self.predefined_tools)
        if missing is not None:
            raise missing
        defs = []
        for name in self.predefined_tools:
            description, params = predefined.BUILT_IN[name]

            async def call_builtin(args: dict[str, Any], name: str = name) -> Any:
                return await predefined.call(name, args)

            defs.append(ToolDef(name, description, dict(params), call_builtin))
        return defs

    async def _tool_defs(self, state: Mapping[str, Any], ctx: NodeContext) -> list[ToolDef]:
        defs = self._builtin_defs()
        listed = [(f"tools[{i}]", t) for i, t in enumerate(self.tools)]
        listed += [(f"workflow_tools[{i}]", t) for i, t in enumerate(self.workflow_tools)]
        for where, tool in listed:
            if tool.graph is not None:
                graph = compiled_graph(tool.graph, f"{where}.graph")
                params: dict[str, Any] | None = tool.args_schema or {"type": "object"}

                async def call_graph(
                    args: dict[str, Any], graph: Any = graph, tool: AgentTool = tool
                ) -> Any:
                    final = await run_graph(graph, args, state, ctx)
                    return _tool_output(final, tool.output_path)

                defs.append(ToolDef(tool.name, tool.description, dict(params or {}), call_graph))
            elif tool.node is not None:
                node = tool.node
                explicit = tool.args_schema is not None
                params = tool.args_schema if explicit else _node_args_schema(node)

                async def call_node(
                    args: dict[str, Any],
                    node: InlineNode = node,
                    name: str = tool.name,
                    where: str = where,
                    explicit: bool = explicit,
                ) -> Any:
                    return await run_inline(
                        node,
                        {**state, "args": args},
                        ctx,
                        node_id=f"{ctx.node_id}/{name}",
                        field=f"{where}.node",
                        overrides=None if explicit else args,
                    )

                defs.append(ToolDef(tool.name, tool.description, dict(params or {}), call_node))
            else:
                ref, version = tool.workflow or "", tool.version
                params = tool.args_schema
                if params is None:
                    _, record = await find_workflow(ctx, ref, version)
                    params = (record.document or {}).get("inputs_schema") or {"type": "object"}

                async def call_workflow(
                    args: dict[str, Any],
                    ref: str = ref,
                    version: int | None = version,
                    tool: AgentTool = tool,
                ) -> Any:
                    _, _, final = await run_child(ctx, state, ref, version, args)
                    return _tool_output(final, tool.output_path)

                defs.append(ToolDef(tool.name, tool.description, dict(params or {}), call_workflow))
        return defs

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        model = resolve_chat_model(self.ai_model, self.model_kwargs, ctx)
        sent, added = self._conversation(state)
        meter = TokenMeter(self.token_budget, model=self.ai_model)
        answer = AnswerFormat(self.response_format) if self.response_format else None
        async with contextlib.AsyncExitStack() as stack:
            tools = await self._tool_defs(state, ctx)
            if self.mcp_servers:
                tools += await mcp_tools(self.mcp_servers, stack, {t.name for t in tools})
            outcome = await converse(
                model,
                sent,
                tools=tools,
                answer=answer,
                meter=meter,
                max_iterations=self.max_iterations,
                max_fixes=self.max_format_retries,
                config=ctx.config,
            )
        return self._update(ctx, added, outcome, meter)
