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
            'predefined_tools=["lookup"]',
            "config.predefined_tools: unknown key (not part of the document format): upstream's "
            "named built-in tools are not shipped here; give tools=[{name, description, "
            "node: {type, config}}] (a node type as a tool)",
        ),
        (
            'workflow_tools=[{"name": "t", "description": "d", "graph": None}]',
            "config.workflow_tools: unknown key (not part of the document format): a graph "
            "object cannot be a tool here; give tools=[{name, description, workflow: "
            "<stored workflow id or slug>}]",
        ),
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
