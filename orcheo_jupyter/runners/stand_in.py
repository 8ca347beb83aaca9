"""What the server holds instead of a graph it must not build: it never runs it.

Building a script's graph executes the script, so with runners the server never
builds one (issue 14: imported graphs run where runs run); compiling a large
document is seconds of pure Python that would hold the server's GIL (issue 13),
and runners compile it anyway. Code paths shared with the in-process executor
still expect a compiled graph per document; they get this stand-in, which
refuses to run and tells the pool executor to ask a runner.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

_MARK = "_orcheo_stand_in"


class _Nothing(TypedDict, total=False):
    script: Any


def _refuse(state: _Nothing) -> dict[str, Any]:
    raise RuntimeError("this graph runs in a runner process, never in the server")


@cache
def stand_in() -> CompiledStateGraph:
    graph = StateGraph(_Nothing)
    graph.add_node("script", _refuse)
    graph.add_edge(START, "script")
    graph.add_edge("script", END)
    compiled = graph.compile()
    setattr(compiled, _MARK, True)
    return compiled


def is_stand_in(graph: Any) -> bool:
    return bool(getattr(graph, _MARK, False))
