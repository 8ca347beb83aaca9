"""ChatModelNode and AgentNode with LangChain's fake chat models (no network)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import pytest_asyncio
from langchain_core.language_models.fake_chat_models import (
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatResult
from pydantic import Field, ValidationError

from orcheo_jupyter import spec
from orcheo_jupyter.nodes.base import NodeError
from orcheo_jupyter.nodes.library.ai import AgentNode, ChatModelNode
from orcheo_jupyter.nodes.library.ai_models import register_chat_model, unregister_chat_model
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.services import RuntimeServices
from orcheo_jupyter.settings import Settings

from .helpers import chain_doc, node, results, run, run_node


class ScriptedModel(GenericFakeChatModel):
    """A fake chat model that supports tool binding and records what it was sent."""

    received: list[list[BaseMessage]] = Field(default_factory=list)
    bound: list[Any] = Field(default_factory=list)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        self.bound.append(list(tools))
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.received.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


class LoopingModel(FakeMessagesListChatModel):
    """Cycles through its replies forever; supports tool binding."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self


def scripted(*replies: AIMessage | str) -> ScriptedModel:
    return ScriptedModel(messages=iter(replies))


def usage(total: int) -> dict[str, int]:
    return {"input_tokens": total - 10, "output_tokens": 10, "total_tokens": total}


@pytest_asyncio.fixture
async def ai_executor(tmp_path: Any) -> AsyncIterator[tuple[Executor, dict[str, Any]]]:
    models: dict[str, Any] = {}
    executor = await Executor.open(
        Settings(data_dir=tmp_path, durability="sync"), services=RuntimeServices(chat_models=models)
    )
    yield executor, models
    await executor.aclose()


def kinds(messages: Sequence[Any]) -> list[str]:
    return [m["type"] if isinstance(m, dict) else m.type for m in messages]


@pytest.mark.asyncio
async def test_chat_model_node_in_a_run(ai_executor: tuple[Executor, dict[str, Any]]) -> None:
    executor, models = ai_executor
    model = scripted(AIMessage("Bonjour Ada!", usage_metadata=usage(42)))
    models["fake:chat"] = model
    doc = chain_doc(
        node(
            "chat",
            "ChatModelNode",
            ai_model="fake:chat",
            system_prompt="You translate to French.",
            prompt="Say hello to {{inputs.name}}",
        ),
        node("after", "SetVariableNode", variables={"said": "{{chat.content}}"}),
    )
    record = await run(
        executor, doc, {"name": "Ada", "messages": [{"role": "user", "content": "Hi"}]}
    )
    out = results(record)
    assert out["chat"]["content"] == "Bonjour Ada!"
    assert out["chat"]["usage"] == {
        "input_tokens": 32,
        "output_tokens": 10,
        "total_tokens": 42,
        "model_calls": 1,
        "estimated": False,
        "budget": None,
    }
    assert out["after"] == {"said": "Bonjour Ada!"}
    sent = model.received[0]
    assert [(m.type, m.content) for m in sent] == [
        ("system", "You translate to French."),
        ("human", "Hi"),
        ("human", "Say hello to Ada"),
    ]
    messages = record.final_state["messages"]
    assert kinds(messages) == ["human", "human", "ai"]
    assert messages[-1]["content"] == "Bonjour Ada!"


@pytest.mark.asyncio
async def test_structured_output_through_the_answer_tool() -> None:
    schema = {
        "title": "Verdict",
        "type": "object",
        "properties": {"label": {"enum": ["spam", "ham"]}, "score": {"type": "number"}},
        "required": ["label", "score"],
    }
    bad = AIMessage("", tool_calls=[{"name": "Verdict", "args": {"label": "eggs"}, "id": "c1"}])
    good = AIMessage(
        "", tool_calls=[{"name": "Verdict", "args": {"label": "spam", "score": 0.9}, "id": "c2"}]
    )
    model = scripted(bad, good)
    out = await run_node(
        "ChatModelNode",
        {"ai_model": "fake:judge", "prompt": "Classify: WIN $$$", "response_format": schema},
        node_id="judge",
        services=RuntimeServices(chat_models={"fake:judge": model}),
    )
    assert out["structured_response"] == {"label": "spam", "score": 0.9}
    assert out["results"]["judge"]["structured_response"] == {"label": "spam", "score": 0.9}
    assert model.bound[0][0]["function"]["name"] == "Verdict"
    retry_note = model.received[1][-1]
    assert isinstance(retry_note, ToolMessage)
    assert retry_note.content == (
        "error: the answer does not match the schema: response: 'score' is a required property; "
        "response.label: 'eggs' is not one of ['spam', 'ham']"
    )
    # Every tool call is answered, so the stored conversation stays valid for providers.
    assert [m.type for m in out["messages"]] == ["human", "ai", "tool", "ai", "tool"]


@pytest.mark.asyncio
async def test_structured_output_as_json_text_without_tool_calling() -> None:
    model = GenericFakeChatModel(messages=iter(['```json\n{"n": 3}\n```']))
    out = await run_node(
        "ChatModelNode",
        {
            "ai_model": "fake:plain",
            "prompt": "Count",
            "response_format": {"type": "object", "properties": {"n": {"type": "integer"}}},
        },
        services=RuntimeServices(chat_models={"fake:plain": model}),
    )
    assert out["structured_response"] == {"n": 3}
    assert out["results"]["n"]["usage"]["estimated"] is True


@pytest.mark.asyncio
async def test_off_schema_answers_fail_naming_response_format() -> None:
    model = FakeMessagesListChatModel(responses=[AIMessage("not json")])
    with pytest.raises(NodeError) as err:
        await run_node(
            "ChatModelNode",
            {
                "ai_model": "fake:stubborn",
                "response_format": {"type": "array"},
                "max_format_retries": 1,
            },
            services=RuntimeServices(chat_models={"fake:stubborn": model}),
        )
    assert str(err.value) == (
        "response_format: the model's answer does not match the schema after 2 tries: "
        "response: not JSON: Expecting value: line 1 column 1 (char 0)"
    )


async def _store_workflow(executor: Executor, workflow_id: str, doc: dict[str, Any]) -> None:
    document = spec.document_from_data(doc)
    await executor.store.create_workflow(
        workflow_id, document.name, "", [], spec.checksum(document), spec.dumps(document)
    )


@pytest.mark.asyncio
async def test_agent_calls_node_and_workflow_tools(
    ai_executor: tuple[Executor, dict[str, Any]],
) -> None:
    executor, models = ai_executor
    await _store_workflow(
        executor,
        "wf-weather",
        chain_doc(
            node("report", "SetVariableNode", variables={"forecast": "sunny in {{inputs.city}}"}),
            name="Weather",
            inputs_schema={
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        ),
    )
    model = scripted(
        AIMessage(
            "",
            tool_calls=[
                {"name": "shout", "args": {"text": "hello"}, "id": "t1"},
                {"name": "weather", "args": {"city": "Oslo"}, "id": "t2"},
                {"name": "remember", "args": {"fact": "likes tea"}, "id": "t3"},
            ],
            usage_metadata=usage(50),
        ),
        AIMessage("HELLO, it is sunny in Oslo.", usage_metadata=usage(70)),
    )
    models["fake:agent"] = model
    doc = chain_doc(
        node(
            "agent",
            "AgentNode",
            ai_model="fake:agent",
            prompt="{{inputs.question}}",
            tools=[
                {
                    "name": "shout",
                    "description": "Upper-case a text",
                    "node": {"type": "TextProcessingNode", "config": {"operation": "upper"}},
                },
                {"name": "weather", "description": "Forecast for a city", "workflow": "Weather"},
                {
                    "name": "remember",
                    "description": "Store a fact about the user",
                    "node": {
                        "type": "SetVariableNode",
                        "config": {
                            "variables": {"fact": "{{args.fact}}", "who": "{{inputs.user}}"}
                        },
                    },
                    "args_schema": {
                        "type": "object",
                        "properties": {"fact": {"type": "string"}},
                        "required": ["fact"],
                    },
                },
            ],
        )
    )
    record = await run(executor, doc, {"question": "Shout hello, weather in Oslo?", "user": "ada"})
    out = results(record)["agent"]
    assert out["content"] == "HELLO, it is sunny in Oslo."
    assert out["iterations"] == 2
    assert out["usage"]["total_tokens"] == 120 and out["usage"]["model_calls"] == 2
    assert out["tool_calls"] == [
        {"name": "shout", "args": {"text": "hello"}, "ok": True},
        {"name": "weather", "args": {"city": "Oslo"}, "ok": True},
        {"name": "remember", "args": {"fact": "likes tea"}, "ok": True},
    ]
    tool_results = [m for m in model.received[1] if isinstance(m, ToolMessage)]
    assert [json.loads(m.content) for m in tool_results] == [
        {"result": "HELLO"},
        {"report": {"forecast": "sunny in Oslo"}},
        {"fact": "likes tea", "who": "ada"},
    ]
    # The tools offered: node tools expose the config fields not fixed in the tool.
    offered = {t["function"]["name"]: t["function"]["parameters"] for t in model.bound[0]}
    assert "text" in offered["shout"]["properties"]
    assert "operation" not in offered["shout"]["properties"]
    assert offered["weather"]["required"] == ["city"]
    assert kinds(record.final_state["messages"]) == ["human", "ai", "tool", "tool", "tool", "ai"]


@pytest.mark.asyncio
async def test_tool_errors_go_back_to_the_model() -> None:
    model = scripted(
        AIMessage("", tool_calls=[{"name": "nope", "args": {}, "id": "a"}]),
        AIMessage("", tool_calls=[{"name": "shout", "args": {"txt": "a"}, "id": "b"}]),
        AIMessage("", tool_calls=[{"name": "cmp", "args": {}, "id": "c"}]),
        AIMessage("I give up"),
    )
    tools = [
        {
            "name": "shout",
            "description": "Upper-case",
            "node": {"type": "TextProcessingNode", "config": {"operation": "upper"}},
        },
        {
            "name": "cmp",
            "description": "Compare",
            "node": {
                "type": "IfElseNode",
                "config": {"conditions": [{"left": "a", "operator": ">", "right": 1}]},
            },
            "args_schema": {"type": "object"},
        },
    ]
    out = await run_node(
        "AgentNode",
        {"ai_model": "m", "prompt": "go", "tools": tools},
        node_id="agent",
        services=RuntimeServices(chat_models={"m": model}),
    )
    assert out["results"]["agent"]["content"] == "I give up"
    errors = [m.content for m in out["messages"] if isinstance(m, ToolMessage)]
    assert errors == [
        "error: there is no tool named 'nope'",
        "error: invalid arguments: args: Additional properties are not allowed "
        "('txt' was unexpected)",
        "error: NodeError: conditions[0]: cannot compare str 'a' with int 1 using greater_than",
    ]


@pytest.mark.asyncio
async def test_token_budget_stops_the_run(ai_executor: tuple[Executor, dict[str, Any]]) -> None:
    executor, models = ai_executor
    models["fake:loop"] = LoopingModel(
        responses=[
            AIMessage(
                "",
                tool_calls=[{"name": "shout", "args": {"text": "a"}, "id": "x"}],
                usage_metadata=usage(60),
            )
        ]
    )
    doc = chain_doc(
        node(
            "agent",
            "AgentNode",
            ai_model="fake:loop",
            prompt="loop",
            token_budget=100,
            tools=[
                {
                    "name": "shout",
                    "description": "Upper-case",
                    "node": {"type": "TextProcessingNode", "config": {"operation": "upper"}},
                }
            ],
        ),
        node("never", "SetVariableNode", variables={"x": 1}),
    )
    record = await run(executor, doc)
    assert record.status == "failed"
    assert record.error == (
        "node 'agent' failed: TokenBudgetExceeded: token_budget: used 120 tokens, over the "
        "budget of 100, after 2 model call(s); the run was stopped"
    )
    assert "never" not in record.node_states


@pytest.mark.asyncio
async def test_max_iterations() -> None:
    model = LoopingModel(
        responses=[AIMessage("", tool_calls=[{"name": "t", "args": {}, "id": "x"}])]
    )
    tool = {"name": "t", "description": "d", "node": {"type": "DebugNode", "config": {}}}
    with pytest.raises(NodeError) as err:
        await run_node(
            "AgentNode",
            {"ai_model": "m", "tools": [tool], "max_iterations": 2},
            services=RuntimeServices(chat_models={"m": model}),
        )
    assert str(err.value) == "max_iterations: no final answer after 2 model call(s)"


@pytest.mark.asyncio
async def test_registered_factory_gets_model_kwargs() -> None:
    made: list[dict[str, Any]] = []

    def factory(**kwargs: Any) -> GenericFakeChatModel:
        made.append(kwargs)
        return GenericFakeChatModel(messages=iter(["ok"]))

    register_chat_model("local:test", factory)
    try:
        out = await run_node(
            "ChatModelNode",
            {"ai_model": "local:test", "prompt": "x", "model_kwargs": {"temperature": 0}},
        )
    finally:
        unregister_chat_model("local:test")
    assert made == [{"temperature": 0}]
    assert out["messages"][-1].content == "ok"
    assert isinstance(out["messages"][0], HumanMessage)


@pytest.mark.asyncio
async def test_production_path_uses_init_chat_model() -> None:
    # No provider package is installed in the test venv: the error says what to install.
    with pytest.raises(NodeError) as err:
        await run_node(
            "ChatModelNode",
            {"ai_model": "openai:gpt-4o-mini", "prompt": "x", "model_kwargs": {"api_key": "sk-1"}},
        )
    message = str(err.value)
    assert message.startswith(
        "ai_model: the provider package for 'openai:gpt-4o-mini' is not installed "
        "(pip install 'orcheo-jupyter[ai]' or the langchain-<provider> package)"
    )
    assert "sk-1" not in message
    with pytest.raises(NodeError) as err:
        await run_node("ChatModelNode", {"ai_model": "nosuchprovider:x", "prompt": "x"})
    assert str(err.value).startswith("ai_model: cannot create chat model 'nosuchprovider:x': ")


def test_ai_config_errors_before_running() -> None:
    with pytest.raises(ValidationError) as err:
        ChatModelNode.model_validate({"ai_model": "m", "response_format": {"type": 3}})
    assert err.value.errors()[0]["loc"] == ("response_format",)
    with pytest.raises(ValidationError) as err:
        AgentNode.model_validate({"ai_model": "m", "tools": [{"name": "t", "description": "d"}]})
    assert "set exactly one of node, workflow or graph" in str(err.value)
    tool = {"name": "t", "description": "d", "node": {"type": "DebugNode"}}
    with pytest.raises(ValidationError) as err:
        AgentNode.model_validate({"ai_model": "m", "tools": [tool, tool]})
    assert "tool names must be unique: t" in str(err.value)
    with pytest.raises(ValidationError) as err:
        AgentNode.model_validate({"ai_model": "m", "tools": [{**tool, "name": "bad name!"}]})
    assert err.value.errors()[0]["loc"] == ("tools", 0, "name")


@pytest.mark.asyncio
async def test_agent_calls_upstreams_predefined_and_graph_tools(
    ai_executor: tuple[Executor, dict[str, Any]],
) -> None:
    executor, models = ai_executor
    model = scripted(
        AIMessage(
            "",
            tool_calls=[
                {"name": "greet_user", "args": {"username": "John Doe"}, "id": "t1"},
                {"name": "stamp", "args": {"timestamp": 123}, "id": "t2"},
                {"name": "stamp_value", "args": {"timestamp": 7}, "id": "t3"},
            ],
        ),
        AIMessage("Done."),
    )
    models["fake:agent"] = model
    graph = {
        "entrypoint": "set_variable",
        "nodes": [
            node(
                "set_variable",
                "SetVariableNode",
                variables={"at": "{{inputs.timestamp}}", "run_of": "{{config.configurable.who}}"},
            )
        ],
        "edges": [
            {"source": "__start__", "target": "set_variable"},
            {"source": "set_variable", "target": "__end__"},
        ],
    }
    args = {"type": "object", "properties": {"timestamp": {"type": "integer"}}}
    doc = chain_doc(
        node(
            "agent",
            "AgentNode",
            ai_model="fake:agent",
            prompt="Greet John Doe and stamp 123",
            predefined_tools=["greet_user"],
            workflow_tools=[
                {"name": "stamp", "description": "Stamp", "graph": graph, "args_schema": args},
                {
                    "name": "stamp_value",
                    "description": "Stamp, return the time only",
                    "graph": graph,
                    "output_path": "results.set_variable.at",
                },
            ],
        )
    )
    record = await executor.execute(doc, {}, config={"configurable": {"who": "ada"}})
    assert results(record)["agent"]["content"] == "Done."
    tool_results = [m.content for m in model.received[1] if isinstance(m, ToolMessage)]
    assert tool_results[0] == "Hello, John Doe!"
    assert json.loads(tool_results[1]) == {"set_variable": {"at": 123, "run_of": "ada"}}
    assert tool_results[2] == "7"
    offered = {t["function"]["name"]: t["function"] for t in model.bound[0]}
    assert offered["greet_user"]["parameters"]["required"] == ["username"]
    assert offered["stamp"]["parameters"] == args


def test_predefined_tool_problems_are_named() -> None:
    with pytest.raises(ValidationError, match=r"unknown predefined tool 'lookup' \(known: "):
        AgentNode(ai_model="x:y", predefined_tools=["lookup"])
    with pytest.raises(ValidationError, match="tool names must be unique: greet_user"):
        AgentNode(
            ai_model="x:y",
            predefined_tools=["greet_user"],
            workflow_tools=[
                {"name": "greet_user", "description": "d", "graph": {"nodes": [], "edges": []}}
            ],
        )


@pytest.mark.asyncio
async def test_a_mongodb_predefined_tool_fails_naming_the_service() -> None:
    with pytest.raises(NodeError, match="'mongodb_find' needs a MongoDB server, which"):
        await run_node(
            "AgentNode",
            {"ai_model": "fake:none", "predefined_tools": ["mongodb_find"]},
            services=RuntimeServices(chat_models={"fake:none": scripted("unused")}),
        )
