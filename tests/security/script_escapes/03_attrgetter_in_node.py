# expect: "__class__" is an invalid attribute name
# The same escape at run time: inside a node, executed by the server's runtime.
import operator
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class S(TypedDict):
    x: int


def node(state):
    for cls in operator.attrgetter("__class__.__base__.__subclasses__")(())():
        if "wrap_close" in repr(cls):
            operator.attrgetter("__init__.__globals__")(cls)["system"]("touch MARKER")
    return {"x": 1}


graph = StateGraph(S)
graph.add_node("node", node)
graph.add_edge(START, "node")
graph.add_edge("node", END)
