# expect: has no attribute 'create_subprocess_shell'
import asyncio
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class S(TypedDict):
    x: int


async def node(state):
    await asyncio.create_subprocess_shell("touch MARKER")
    return {"x": 1}


graph = StateGraph(S)
graph.add_node("node", node)
graph.add_edge(START, "node")
graph.add_edge("node", END)
