# expect: may not name builtin_function_or_method
# type() makes a class that claims to live in os; its string annotation is evaluated
# later, at run time, by typing.get_type_hints called as a node through
# functools.partial: no frame of the script is on the stack then.
import functools
import typing
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END

make = typing.get_origin(typing.Type[int])
Plain = make("Plain", (), {"__module__": "os", "__annotations__": {"a": "system"}})


class S(TypedDict):
    x: int
    a: typing.Any


def steal(state):
    state["a"]("touch MARKER")
    return {"x": 2}


graph = StateGraph(S)
graph.add_node("hints", functools.partial(typing.get_type_hints, Plain))
graph.add_node("steal", steal)
graph.add_edge(START, "hints")
graph.add_edge("hints", "steal")
graph.add_edge("steal", END)
