"""Scripts and documents written the way upstream Orcheo users write them.

Our own equivalents of upstream's examples (``vanilla_langgraph.py``,
``mini_credential_langgraph.py``, ``quickstart/canvas_welcome.json``) plus scripts
exercising the rest of the Orcheo API: node classes with typed templates,
IfElseNode and SwitchNode as routers, TaskNode subclasses (sync and async).
"""

from __future__ import annotations

from typing import Any

#: Like upstream's vanilla example: plain dict state, no Orcheo at all.
PLAIN_DICT = '''\
"""Greets, then shouts the greeting."""
from langgraph.graph import StateGraph


def say_hello(state):
    who = state.get("name", "there")
    return {"greeting": f"Hello {who}!"}


def make_loud(state):
    return {"shout": state.get("greeting", "").upper()}


def build_graph():
    graph = StateGraph(dict)
    graph.add_node("say_hello", say_hello)
    graph.add_node("make_loud", make_loud)
    graph.add_edge("say_hello", "make_loud")
    graph.set_entry_point("say_hello")
    graph.set_finish_point("make_loud")
    return graph


if __name__ == "__main__":
    print(build_graph().compile().invoke({"name": "John"}))
'''

#: Like upstream's credential example: placeholders resolved from the vault.
CREDENTIALS = """\
from langgraph.graph import END, START, StateGraph
from orcheo.graph.state import State
from orcheo.nodes.logic import SetVariableNode


def build_graph() -> StateGraph:
    graph = StateGraph(State)
    graph.add_node(
        "keep_secrets",
        SetVariableNode(
            name="keep_secrets",
            variables={
                "bot_token": "[[bot_token]]",
                "model_key": "[[model_key]]",
                "bot_name": "Helper",
                "enabled": True,
            },
        ),
    )
    graph.add_edge(START, "keep_secrets")
    graph.add_edge("keep_secrets", END)
    return graph
"""

#: Only node classes and decision routers: static, so it imports as frozen-ir.
ROUTED = """\
from langgraph.graph import END, START, StateGraph
from orcheo.graph.state import State
from orcheo.nodes.logic import Condition, IfElseNode, SetVariableNode, SwitchCase, SwitchNode


def build_graph() -> StateGraph:
    graph = StateGraph(State)
    graph.add_node(
        "order",
        SetVariableNode(
            name="order",
            variables={"amount": "{{inputs.amount}}", "tier": "{{inputs.tier}}"},
        ),
    )
    graph.add_node(
        "large", SetVariableNode(name="large", variables={"label": "large {{order.amount}}"})
    )
    graph.add_node("small", SetVariableNode(name="small", variables={"label": "small"}))
    graph.add_node("gold", SetVariableNode(name="gold", variables={"discount": 0.2}))
    graph.add_node("standard", SetVariableNode(name="standard", variables={"discount": 0}))
    graph.add_edge(START, "order")
    graph.add_conditional_edges(
        "order",
        IfElseNode(
            name="is_large",
            conditions=[Condition(left="{{order.amount}}", operator="greater_than", right=100)],
        ),
        {"true": "large", "false": "small"},
    )
    graph.add_conditional_edges(
        "large",
        SwitchNode(
            name="by_tier",
            value="{{inputs.tier}}",
            case_sensitive=False,
            cases=[SwitchCase(match="gold", branch_key="gold")],
        ),
        {"gold": "gold", "default": "standard"},
    )
    graph.add_edge("small", END)
    graph.add_edge("gold", END)
    graph.add_edge("standard", END)
    return graph
"""

#: TaskNode subclasses (sync and async) make the graph code: it stays a script.
TASKS = """\
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from orcheo.graph.state import State
from orcheo.nodes.base import TaskNode
from orcheo.nodes.logic import Condition, IfElseNode


class Shout(TaskNode):
    text: str

    async def run(self, state: State, config: RunnableConfig) -> dict[str, Any]:
        return {"shout": self.text.upper()}


class Count(TaskNode):
    items: list[Any] | str

    def run(self, state, config):
        return {"count": len(self.items), "first": self.items[0]}


def build_graph():
    graph = StateGraph(State)
    graph.add_node("shout", Shout(name="shout", text="hello {{inputs.name}}"))
    graph.add_node("count", Count(name="count", items="{{inputs.items}}"))
    graph.add_node("many", Shout(name="many", text="many"))
    graph.add_edge(START, "shout")
    graph.add_edge("shout", "count")
    graph.add_conditional_edges(
        "count",
        IfElseNode(
            name="has_many",
            conditions=[
                Condition(left="{{count.count}}", operator="greater_than_or_equal", right=3)
            ],
        ),
        {"true": "many", "false": END},
    )
    graph.add_edge("many", END)
    return graph
"""

#: Like upstream's quickstart canvas document: legacy JSON.
WELCOME_LEGACY: dict[str, Any] = {
    "name": "Welcome",
    "description": "Maps the input name to a message with DataTransformNode.",
    "nodes": [
        {"name": "START", "type": "START"},
        {
            "name": "welcome",
            "type": "DataTransformNode",
            "input_data": {"name": "{{inputs.name}}"},
            "transforms": [{"source": "name", "target": "message", "transform": "string"}],
        },
        {"name": "END", "type": "END"},
    ],
    "edges": [["START", "welcome"], ["welcome", "END"]],
    "inputs": {"name": "Ada"},
}

#: Like upstream's runnable examples: a docstring, postponed annotations, and a main
#: block that prints (RestrictedPython collects prints at module level).
MAIN_BLOCK = '''\
"""Doubles a number; run me directly to see it."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from orcheo.graph.state import State
from orcheo.nodes.logic import SetVariableNode


def build_graph() -> StateGraph:
    graph = StateGraph(State)
    graph.add_node("double", SetVariableNode(name="double", variables={"n": "{{inputs.n}}"}))
    graph.add_edge(START, "double")
    graph.add_edge("double", END)
    return graph


if __name__ == "__main__":
    print(build_graph().compile().invoke({"inputs": {"n": 2}}))
'''

#: Like upstream's agent example: a pydantic class as the agent's response_format.
STRUCTURED_AGENT = """\
from langgraph.graph import END, START, StateGraph
from orcheo.graph.state import State
from orcheo.nodes.ai import AgentNode
from pydantic import BaseModel


class Verdict(BaseModel):
    \"\"\"The triage decision.\"\"\"

    label: str
    urgent: bool


def build_graph() -> StateGraph:
    graph = StateGraph(State)
    graph.add_node(
        "triage",
        AgentNode(
            name="triage",
            ai_model="fake:triage",
            prompt="Triage: {{inputs.text}}",
            response_format=Verdict,
        ),
    )
    graph.add_edge(START, "triage")
    graph.add_edge("triage", END)
    return graph
"""

#: Like upstream's SDK quickstart: the canvas's JSON config, built with
#: ``orcheo.graph.builder.build_graph``.
GRAPH_CONFIG = """\
from typing import Any

from orcheo.graph.builder import build_graph


def greeting_config() -> dict[str, Any]:
    return {
        "nodes": [
            {"name": "START", "type": "START"},
            {
                "name": "greet",
                "type": "SetVariableNode",
                "variables": {"text": "hi {{inputs.name}}"},
            },
            {
                "name": "is_big",
                "type": "IfElseNode",
                "conditions": [{"left": "{{inputs.n}}", "operator": "greater_than", "right": 3}],
            },
            {"name": "big", "type": "SetVariableNode", "variables": {"size": "big"}},
            {"name": "END", "type": "END"},
        ],
        "edges": [["START", "greet"], ["greet", "is_big"], ["big", "END"]],
        "conditional_edges": [
            {
                "source": "is_big",
                "path": "results.is_big.branch",
                "mapping": {"true": "big", "false": "END"},
            }
        ],
    }


def orcheo_workflow():
    return build_graph(greeting_config())
"""

#: A ``# /// orcheo`` block (upstream's upload metadata) naming the workflow and
#: choosing between two graphs.
FRONTMATTER = '''\
# /// orcheo
# name = "Daily digest"
# config = "./digest.config.json"
# entrypoint = "digest_graph"
# ///
"""Two graphs; the block says which one is the workflow."""

from langgraph.graph import END, START, StateGraph


def headline(state):
    return {"headline": state.get("topic", "news").title()}


def draft(state):
    return {"draft": "draft"}


def digest_graph():
    graph = StateGraph(dict)
    graph.add_node("headline", headline)
    graph.add_edge(START, "headline")
    graph.add_edge("headline", END)
    return graph


def draft_graph():
    graph = StateGraph(dict)
    graph.add_node("draft", draft)
    graph.add_edge(START, "draft")
    graph.add_edge("draft", END)
    return graph
'''

#: Graph builders under names of their own, found as upstream finds them: annotated
#: ``-> StateGraph`` (postponed annotations here), one of them async.
ANNOTATED = '''\
from __future__ import annotations

from langgraph.graph import END, START, StateGraph


def count(state):
    return {"count": len(state.get("items", []))}


def make_counter(steps: int) -> StateGraph:
    """Takes an argument: a helper, not the workflow."""
    graph = StateGraph(dict)
    graph.add_node("count", count)
    graph.add_edge(START, "count")
    graph.add_edge("count", END)
    return graph


async def counting_pipeline() -> StateGraph:
    return make_counter(1)
'''
