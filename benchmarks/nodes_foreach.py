"""Cost of ForEachNode's fan-out against raw LangGraph ``Send`` and a sequential loop.

Prints medians (ms per run) measured in this run, all through the executor with
the SQLite checkpointer except the floor:

- raw send:   a plain LangGraph graph fanning out with Send to an async node (floor)
- foreach:    ForEachNode over the items with a SetVariableNode body
- for loop:   ForLoopNode + body visited once per item (the sequential alternative)
- foreach io: ForEachNode with a 10 ms DelayNode body (parallel waiting)
- loop io:    ForLoopNode with the same 10 ms DelayNode body, one after another

Usage: python benchmarks/nodes_foreach.py [--runs N] [--sizes 10,50]
"""

from __future__ import annotations

import argparse
import asyncio
import operator
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings


def foreach_doc(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "fan",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "each",
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "each",
                        "type": "ForEachNode",
                        "config": {"items": "{{inputs.items}}", "body": body},
                    }
                ],
                "edges": [{"source": "each", "target": "__end__"}],
            },
        },
    }


def loop_doc(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "loop",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "loop",
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "loop",
                        "type": "ForLoopNode",
                        "config": {"items": "{{inputs.items}}"},
                    },
                    {"kind": "builtin", "id": "body", **body},
                ],
                "edges": [{"source": "body", "target": "loop"}],
                "conditional_edges": [
                    {
                        "source": "loop",
                        "path": "results.loop.branch",
                        "mapping": {"continue": "body", "exit": "__end__"},
                    }
                ],
            },
        },
    }


SET = {"type": "SetVariableNode", "config": {"variables": {"v": "{{item}}"}}}
SET_LOOP = {"type": "SetVariableNode", "config": {"variables": {"v": "{{loop.current_item}}"}}}
WAIT = {"type": "DelayNode", "config": {"duration_seconds": 0.01}}


class FanState(TypedDict, total=False):
    items: list[int]
    done: Annotated[list[int], operator.add]


def raw_send_graph() -> Any:
    async def work(payload: dict[str, Any]) -> dict[str, Any]:
        return {"done": [payload["item"]]}

    graph: StateGraph = StateGraph(FanState)
    graph.add_node("work", work)  # type: ignore[call-overload]
    graph.add_conditional_edges(
        START, lambda s: [Send("work", {"item": i}) for i in s["items"]], ["work"]
    )
    graph.add_edge("work", END)
    return graph.compile()


async def median_ms(fn: Callable[[], Awaitable[Any]], runs: int) -> float:
    await fn()  # warm-up: compile and cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main(runs: int, sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        executor = await Executor.open(Settings(data_dir=Path(tmp)))
        raw = raw_send_graph()
        print(
            f"{'items':>6} {'raw send':>10} {'foreach':>10} {'ratio':>7} {'for loop':>10} "
            f"{'foreach io':>11} {'loop io':>9} {'io speedup':>11}"
        )
        try:
            for n in sizes:
                items = {"items": list(range(n))}

                async def run(doc: dict[str, Any], inputs: dict[str, Any] = items) -> None:
                    record = await executor.execute(doc, inputs)
                    assert record.status == "succeeded", record.error

                floor = await median_ms(lambda i=items: raw.ainvoke(dict(i)), runs)
                fan = await median_ms(lambda: run(foreach_doc(SET)), runs)
                seq = await median_ms(lambda: run(loop_doc(SET_LOOP)), runs)
                fan_io = await median_ms(lambda: run(foreach_doc(WAIT)), runs)
                seq_io = await median_ms(lambda: run(loop_doc(WAIT)), max(1, runs // 3))
                print(
                    f"{n:>6} {floor:>10.2f} {fan:>10.2f} {fan / floor:>6.1f}x {seq:>10.2f} "
                    f"{fan_io:>11.2f} {seq_io:>9.2f} {seq_io / fan_io:>10.1f}x"
                )
        finally:
            await executor.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--sizes", default="10,50")
    args = parser.parse_args()
    asyncio.run(main(args.runs, [int(s) for s in args.sizes.split(",")]))
