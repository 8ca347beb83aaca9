# expect: "gi_frame" is a restricted name
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class S(TypedDict):
    x: int


graph = StateGraph(S)
graph.add_node("n", lambda s: {"x": 1})
graph.add_edge(START, "n")
graph.add_edge("n", END)
stream = graph.compile().stream({"x": 0})
frame_globals = getattr(getattr(stream, "gi_frame"), "f_globals")
frame_globals["__builtins__"]["__import__"]("os").system("touch MARKER")
