"""Edges cross between the document's sentinels and LangGraph's names through one table."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from orcheo_jupyter.runtime.script_graph import index_of
from orcheo_jupyter.runtime.sentinels import from_langgraph, to_langgraph
from orcheo_jupyter.runtime.state import State


def test_sentinels_translate_both_ways_and_node_ids_pass_through() -> None:
    assert to_langgraph("__start__") == START and to_langgraph("__end__") == END
    assert from_langgraph(START) == "__start__" and from_langgraph(END) == "__end__"
    assert to_langgraph("fetch") == "fetch" == from_langgraph("fetch")


def test_a_script_graph_is_indexed_in_the_document_s_names() -> None:
    builder: StateGraph = StateGraph(State)
    builder.add_node("a", lambda state: {})
    builder.add_node("b", lambda state: {})
    builder.add_edge(START, "a")
    builder.add_conditional_edges("a", lambda state: "b", {"go": "b", "stop": END})
    builder.add_edge("b", END)
    index = index_of(builder)
    assert {(e.source, e.target) for e in index.edges} == {("__start__", "a"), ("b", "__end__")}
    [cond] = index.conditional_edges
    assert (cond.source, cond.mapping) == ("a", {"go": "b", "stop": "__end__"})
