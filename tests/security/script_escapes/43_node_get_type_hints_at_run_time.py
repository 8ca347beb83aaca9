# expect: string annotation
# The evaluation happens inside a node, in the process that runs the graph.
import typing
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END

dunder = "_" + "_"
evil = "[c for c in ()." + dunder + "class" + dunder + "." + dunder + "base" + dunder + "." + dunder + "subclasses" + dunder + "()][0]"


class S(TypedDict):
    x: int


class C:
    a: evil


def node(state):
    typing.get_type_hints(C)
    return {"x": 1}


graph = StateGraph(S)
graph.add_node("node", node)
graph.add_edge(START, "node")
graph.add_edge("node", END)
