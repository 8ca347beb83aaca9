"""Scripts that import what orcheo-jupyter does not have say which name, and why.

Upstream scripts import integration nodes (MongoDB, WeCom, Telegram...) that are
not shipped here; the error names the node type and where to look, instead of
Python's "cannot import name ... (unknown location)".
"""

from __future__ import annotations

import pytest

from orcheo_jupyter.spec.problems import DocumentError
from orcheo_jupyter.workflow import Workflow

NODE_TYPE = """\
from langgraph.graph import StateGraph
from orcheo.graph.state import State
from orcheo.nodes.wecom import WeComSendMessageNode
"""

HELPER = """\
from orcheo.nodes.conversational_search.models import VectorRecord
"""

STATE_MEMBER = """\
from orcheo.graph.state import State, WorkflowState
"""


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            NODE_TYPE,
            "orcheo-jupyter has no node type 'WeComSendMessageNode' (imported from "
            "orcheo.nodes.wecom); `orcheo-jupyter nodes` lists the node types it has, and a "
            "package can add one through the 'orcheo_jupyter.nodes' entry point group",
        ),
        (
            HELPER,
            "orcheo-jupyter's stand-in for orcheo.nodes.conversational_search.models "
            "has no 'VectorRecord' (it provides: AINode, BaseMemoryStore, BaseNode, "
            "BaseVectorStore, Condition, DecisionNode, InMemoryMemoryStore, InMemoryVectorStore, "
            "PineconeVectorStore, SearchResult, SwitchCase, TaskNode, every node type "
            "`orcheo-jupyter nodes` lists)",
        ),
        (
            STATE_MEMBER,
            "orcheo-jupyter's stand-in for orcheo.graph.state has no 'WorkflowState' "
            "(it provides: State, dict_reducer)",
        ),
    ],
)
def test_an_unknown_name_is_named(source: str, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        Workflow.from_script(source, "s")
    [problem] = caught.value.problems
    assert problem.message == f"script raised ImportError: {message}"


def test_known_names_still_import_from_any_module() -> None:
    wf = Workflow.from_script(
        "from langgraph.graph import END, START, StateGraph\n"
        "from orcheo.graph.state import State\n"
        "from orcheo.nodes.data import SetVariableNode\n"
        "from orcheo.edges import IfElseEdge, Condition\n"
        "from orcheo.nodes import logic\n"
        "def build_graph():\n"
        "    g = StateGraph(State)\n"
        "    g.add_node('a', logic.SetVariableNode(name='a', variables={'v': 1}))\n"
        "    g.add_edge(START, 'a')\n"
        "    g.add_edge('a', END)\n"
        "    return g\n",
        "s",
    )
    assert [n.type for n in wf.ir.nodes] == ["SetVariableNode"]
