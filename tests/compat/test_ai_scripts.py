"""Upstream-style AI node arguments in scripts (our own scripts, ``scripts.py``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from orcheo_jupyter.nodes.library.ai_models import register_chat_model, unregister_chat_model
from orcheo_jupyter.spec.problems import DocumentError
from orcheo_jupyter.workflow import Workflow
from tests.compat.scripts import STRUCTURED_AGENT

VERDICT_SCHEMA = {
    "description": "The triage decision.",
    "properties": {
        "label": {"title": "Label", "type": "string"},
        "urgent": {"title": "Urgent", "type": "boolean"},
    },
    "required": ["label", "urgent"],
    "title": "Verdict",
    "type": "object",
}


class ToolModel(GenericFakeChatModel):
    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self


@pytest.fixture
def triage_model() -> Iterator[None]:
    answer = AIMessage(
        "",
        tool_calls=[{"name": "Verdict", "args": {"label": "billing", "urgent": True}, "id": "1"}],
    )
    register_chat_model("fake:triage", ToolModel(messages=iter([answer])))
    yield
    unregister_chat_model("fake:triage")


def test_a_pydantic_response_format_becomes_its_schema_and_structures_the_answer(
    triage_model: None,
) -> None:
    wf = Workflow.from_script(STRUCTURED_AGENT, "triage")
    [node] = wf.ir.nodes
    assert (node.type, node.config["response_format"]) == ("AgentNode", VERDICT_SCHEMA)
    result = wf.run({"text": "I was charged twice"})
    assert result.status == "succeeded", result.error
    assert result.state["structured_response"] == {"label": "billing", "urgent": True}


@pytest.mark.parametrize(
    ("argument", "hint"),
    [
        (
            "use_graph_chat_history=True",
            "config.use_graph_chat_history: unknown key (not part of the document format): "
            "upstream's graph-store chat history is not part of orcheo-jupyter: the agent "
            "sees the run's messages (use_history)",
        ),
    ],
)
def test_upstream_only_agent_arguments_say_what_to_use_instead(argument: str, hint: str) -> None:
    script = STRUCTURED_AGENT.replace("response_format=Verdict,", f"{argument},")
    with pytest.raises(DocumentError) as caught:
        Workflow.from_script(script, "triage")
    [problem] = caught.value.problems
    assert (
        problem.message == f"build_graph() raised NodeConfigError: AgentNode(name='triage'): {hint}"
    )


TOOL_AGENT = """\
from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field
from orcheo.graph.state import State
from orcheo.nodes import AgentNode, SetVariableNode


class Stamp(BaseModel):
    \"\"\"Input for the tool workflow.\"\"\"

    timestamp: int = Field(..., description="The timestamp to record.")


def stamp_graph():
    graph = StateGraph(State)
    record = SetVariableNode(name="record", variables={"at": "{{inputs.timestamp}}"})
    graph.add_node("record", record)
    graph.add_edge(START, "record")
    graph.add_edge("record", END)
    return graph


def build_graph():
    graph = StateGraph(State)
    graph.add_node("agent", AgentNode(
        name="agent",
        ai_model="fake:tools",
        predefined_tools=["greet_user"],
        workflow_tools=[{
            "name": "stamp", "description": "Record a timestamp.",
            "graph": stamp_graph(), "args_schema": Stamp,
        }],
    ))
    graph.add_edge(START, "agent")
    graph.add_edge("agent", END)
    return graph
"""


@pytest.fixture
def tools_model() -> Iterator[None]:
    calls = AIMessage(
        "",
        tool_calls=[
            {"name": "greet_user", "args": {"username": "Ada"}, "id": "1"},
            {"name": "stamp", "args": {"timestamp": 42}, "id": "2"},
        ],
    )
    register_chat_model("fake:tools", ToolModel(messages=iter([calls, AIMessage("ok")])))
    yield
    unregister_chat_model("fake:tools")


def test_predefined_and_graph_tools_of_a_script_are_stored_and_called(tools_model: None) -> None:
    wf = Workflow.from_script(TOOL_AGENT, "tools")
    [agent] = wf.ir.nodes
    [tool] = agent.config["workflow_tools"]
    assert tool["args_schema"]["required"] == ["timestamp"]
    assert [n["id"] for n in tool["graph"]["nodes"]] == ["record"]
    result = wf.run({})
    assert result.status == "succeeded", result.error
    assert result.state["results"]["agent"]["tool_calls"] == [
        {"name": "greet_user", "args": {"username": "Ada"}, "ok": True},
        {"name": "stamp", "args": {"timestamp": 42}, "ok": True},
    ]
    tool_messages = [m for m in result.state["messages"] if m["type"] == "tool"]
    assert [m["content"] for m in tool_messages] == ["Hello, Ada!", '{"record": {"at": 42}}']
