# expect: string annotation
# A string built at run time never appears in the source RestrictedPython checks.
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END

dunder = "_" + "_"
evil = "()." + dunder + "class" + dunder + "." + dunder + "base" + dunder


class S(TypedDict):
    x: evil


graph = StateGraph(S)
graph.add_node("n", lambda s: {})
graph.add_edge(START, "n")
graph.add_edge("n", END)
