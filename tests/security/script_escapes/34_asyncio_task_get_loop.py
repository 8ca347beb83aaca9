# expect: "get_loop" is not available
# A task (or future) hands out its event loop, and the loop starts subprocesses.
import asyncio
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class S(TypedDict):
    x: int


async def nothing():
    return 1


async def node(state):
    task = asyncio.create_task(nothing())
    await task
    loop = task.get_loop()
    await loop.subprocess_shell(lambda: None, "touch MARKER")
    return {"x": 1}


graph = StateGraph(S)
graph.add_node("node", node)
graph.add_edge(START, "node")
graph.add_edge("node", END)
