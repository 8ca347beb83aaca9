"""Per-run cost of the orcheo executor against raw LangGraph on the same graphs.

Prints a table of medians (ms per run) and ratios, all measured in this run:

- floor:        raw LangGraph, no checkpointer (ainvoke of plain async nodes)
- raw+aiosqlite: raw LangGraph with LangGraph's AsyncSqliteSaver (reference)
- raw+sqlite:   raw LangGraph with our checkpointer (BufferedSqliteSaver), same policy,
                checkpoints committed before the run returns (as ours)
- ours/none:    our executor without checkpointer (events + final state still stored)
- ours/sqlite:  our executor with the same checkpointer: the durable default
- traced:       ours/sqlite with tracing on: spans kept and stored with each run
                (ORCHEO_TRACE_STORE) and batched to an exporter (OTEL_TRACES_EXPORTER)
                that drops them, so the export costs what batching costs

Goals (issue 2): ours/sqlite <= 1.2x raw+sqlite (equal checkpointing);
ours/sqlite <= 2x floor (durable default against the no-checkpointer floor).
Goal (issue 20): traced <= 1.1x ours/sqlite at 10 nodes.
Usage: python benchmarks/runtime.py [--runs N] [--sizes 10,100] [--durability async]
                                   [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph

from orcheo_jupyter import tracing
from orcheo_jupyter.runtime.checkpoints import close_saver, open_sqlite_saver
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.state import State, initial_state
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.store.sqlite import SqliteRepository


def document(n: int) -> dict[str, Any]:
    ids = [f"n{i}" for i in range(n)]
    chain = ["__start__", *ids, "__end__"]
    return {
        "name": f"chain{n}",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": ids[0],
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": i,
                        "type": "SetVariableNode",
                        "config": {"variables": {"v": i}},
                    }
                    for i in ids
                ],
                "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(chain)],
            },
        },
    }


def raw_graph(n: int) -> StateGraph:
    builder: StateGraph = StateGraph(State)
    prev = START
    for i in range(n):
        node_id = f"n{i}"

        async def node(state: dict[str, Any], _id: str = node_id) -> dict[str, Any]:
            return {"results": {_id: {"v": _id}}}

        builder.add_node(node_id, node)
        builder.add_edge(prev, node_id)
        prev = node_id
    builder.add_edge(prev, END)
    return builder


#: What a sample measures: elapsed time (``wall``, the default) or the process's CPU
#: time (``cpu``: all its threads; far less sensitive to other jobs on a shared machine).
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


async def interleaved(
    contenders: dict[str, Callable[[], Awaitable[Any]]], runs: int, warmup: int = 5
) -> dict[str, float]:
    """Median ms per call of each contender, run in rotation so load drift hits all alike."""
    for fn in contenders.values():
        for _ in range(warmup):
            await fn()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for i in range(runs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            t0 = clock()
            await contenders[name]()
            samples[name].append((clock() - t0) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def tracing_on() -> Any:
    """The process's tracing as ORCHEO_TRACE_STORE=true plus an exporter would make it,
    the exporter dropping what it is sent (an OTLP endpoint's cost is not ours)."""
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class Dropping(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracing.reset()
    traced = tracing.configure(store=True)
    assert traced is not None
    traced.provider.add_span_processor(BatchSpanProcessor(Dropping()))
    tracing.current = None  # on only while the traced contender runs
    return traced


async def bench(n: int, runs: int, durability: str, tmp: Path) -> dict[str, float]:
    counter = iter(range(10**9))

    def thread() -> dict[str, Any]:
        return {"configurable": {"thread_id": f"t{next(counter)}"}}

    async def raw_durable(graph: Any, saver: Any) -> None:
        """A new thread, announced as new, and its checkpoints committed before it
        returns: the same checkpoint writes, and the same wait for them, as our executor
        (without the flush, the commit would land in whichever contender runs next)."""
        config = thread()
        thread_id = config["configurable"]["thread_id"]
        saver.mark_fresh(thread_id)
        await graph.ainvoke(initial_state({}), config, durability=durability)
        await saver.flush(thread_id)

    doc = document(n)
    floor = raw_graph(n).compile()
    async with AsyncSqliteSaver.from_conn_string(str(tmp / f"aio-{n}.sqlite")) as aio:
        raw_aio = raw_graph(n).compile(checkpointer=aio)
        settings = Settings(data_dir=tmp, durability=durability)  # type: ignore[arg-type]
        raw_saver = await open_sqlite_saver(
            tmp / f"raw-{n}.sqlite", min_interval=settings.checkpoint_min_interval
        )
        raw_ck = raw_graph(n).compile(checkpointer=raw_saver)

        none_store = SqliteRepository(tmp / f"none-{n}.sqlite")
        await none_store.open()
        ours_none = Executor(none_store, None)

        store = SqliteRepository(tmp / f"ours-{n}.sqlite")
        await store.open()
        saver = await open_sqlite_saver(
            tmp / f"ours-ck-{n}.sqlite", min_interval=settings.checkpoint_min_interval
        )
        ours = Executor(store, saver, durability=durability)  # type: ignore[arg-type]
        result = await ours.execute(doc, {})
        assert result.status == "succeeded", result.error

        traced_store = SqliteRepository(tmp / f"traced-{n}.sqlite")
        await traced_store.open()
        traced_saver = await open_sqlite_saver(
            tmp / f"traced-ck-{n}.sqlite", min_interval=settings.checkpoint_min_interval
        )
        traced_ex = Executor(traced_store, traced_saver, durability=durability)  # type: ignore[arg-type]
        traced = tracing_on()

        async def traced_run() -> None:
            tracing.current = traced
            try:
                await traced_ex.execute(doc, {})
            finally:
                tracing.current = None

        await traced_run()
        record = (await traced_store.list_runs(limit=1))[0][0]
        if len(await traced_store.list_spans(record.id)) != n + 2:  # submit, run, nodes
            raise AssertionError("the traced run's spans were not stored")

        medians = await interleaved(
            {
                "floor": lambda: floor.ainvoke(initial_state({})),
                "raw+aiosqlite": lambda: raw_aio.ainvoke(
                    initial_state({}), thread(), durability=durability
                ),
                "raw+sqlite": lambda: raw_durable(raw_ck, raw_saver),
                "ours/none": lambda: ours_none.execute(doc, {}),
                "ours/sqlite": lambda: ours.execute(doc, {}),
                "traced": traced_run,
            },
            runs,
        )
        for ex in (ours_none, ours, traced_ex):
            await ex.aclose()
        for st in (none_store, store, traced_store):
            await st.close()
        await close_saver(saver)
        await close_saver(traced_saver)
        tracing.current = traced
        tracing.reset()
        await close_saver(raw_saver)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--sizes", default="10,100")
    parser.add_argument("--durability", default="async", choices=["sync", "async", "exit"])
    parser.add_argument("--clock", default="wall", choices=sorted(CLOCKS))
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            runs = args.runs if n <= 10 else max(10, args.runs // 4)
            r = asyncio.run(bench(n, runs, args.durability, Path(tmp)))
            rows.append((n, r))
    print(f"durability={args.durability}; clock={args.clock}; medians in ms per run")
    header = (
        f"{'nodes':>5} | {'floor':>7} | {'raw+aiosqlite':>13} | {'raw+sqlite':>10} |"
        f" {'ours/none':>9} | {'ours/sqlite':>11} | {'none/floor':>10} | {'ours/raw (ck)':>13} |"
        f" {'durable/floor':>13} | {'traced':>7} | {'traced/off':>10}"
    )
    print(header)
    print("-" * len(header))
    for n, r in rows:
        cells = [
            f"{n:>5}",
            f"{r['floor']:>7.2f}",
            f"{r['raw+aiosqlite']:>13.2f}",
            f"{r['raw+sqlite']:>10.2f}",
            f"{r['ours/none']:>9.2f}",
            f"{r['ours/sqlite']:>11.2f}",
            f"{r['ours/none'] / r['floor']:>9.2f}x",
            f"{r['ours/sqlite'] / r['raw+sqlite']:>12.2f}x",
            f"{r['ours/sqlite'] / r['floor']:>12.2f}x",
            f"{r['traced']:>7.2f}",
            f"{r['traced'] / r['ours/sqlite']:>9.2f}x",
        ]
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
