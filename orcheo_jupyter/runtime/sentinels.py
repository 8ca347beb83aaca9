"""The document's edge sentinels and LangGraph's names for them, in one table.

Documents name the start and end of a graph ``__start__``/``__end__`` (Orcheo's
names); LangGraph has its own constants. Today the strings agree, but every place
that crosses between the two (building edges and routes, indexing a script's graph)
translates through this table, so they may never silently drift apart.
"""

from __future__ import annotations

from langgraph.graph import END, START

from ..spec import models

#: Document sentinel -> LangGraph's name.
TO_LANGGRAPH = {models.START: START, models.END: END}
#: LangGraph's name -> document sentinel.
FROM_LANGGRAPH = {lg: doc for doc, lg in TO_LANGGRAPH.items()}


def to_langgraph(name: str) -> str:
    """A node id or sentinel of the document, as LangGraph names it."""
    return TO_LANGGRAPH.get(name, name)


def from_langgraph(name: str) -> str:
    """A node or sentinel of a LangGraph graph, as the document names it."""
    return FROM_LANGGRAPH.get(name, name)
