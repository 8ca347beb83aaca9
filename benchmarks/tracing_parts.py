"""What each part of tracing adds to a run: spans alone, exporting, storing, both.

The same 10-node chain as benchmarks/runtime.py on our executor with its SQLite
checkpointer, one executor per variant, run in rotation; medians in ms per run and
the ratio to tracing off, measured in this run:

- off:     tracing off (the default: OpenTelemetry not even imported)
- spans:   orcheo's spans made and ended, no processor (the spans' own cost)
- export:  spans handed to a BatchSpanProcessor whose exporter drops them
- store:   spans kept and stored with each run (ORCHEO_TRACE_STORE)
- both:    export and store (the `traced` column of runtime.py)

Usage: python benchmarks/tracing_parts.py [--runs 200] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from runtime import document  # benchmarks/runtime.py, beside this script

from orcheo_jupyter import tracing
from orcheo_jupyter.runtime.checkpoints import close_saver, open_sqlite_saver
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.store.sqlite import SqliteRepository
from orcheo_jupyter.tracing.config import TraceSettings
from orcheo_jupyter.tracing.tracer import Tracing


class Dropping(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def variants() -> dict[str, Tracing | None]:
    def made(store: bool, export: bool) -> Tracing:
        traced = Tracing.build(TraceSettings((), store))
        if export:
            traced.provider.add_span_processor(BatchSpanProcessor(Dropping()))
        return traced

    return {
        "off": None,
        "spans": made(False, False),
        "export": made(False, True),
        "store": made(True, False),
        "both": made(True, True),
    }


async def bench(runs: int, clock: Any, tmp: Path) -> dict[str, float]:
    doc = document(10)
    settings = Settings(data_dir=tmp, durability="async")
    tracings = variants()
    executors: dict[str, Executor] = {}
    closing: list[Any] = []
    for name in tracings:
        store = SqliteRepository(tmp / f"{name}.sqlite")
        await store.open()
        saver = await open_sqlite_saver(
            tmp / f"{name}-ck.sqlite", min_interval=settings.checkpoint_min_interval
        )
        executors[name] = Executor(store, saver, durability="async")
        closing.append((store, saver))

    async def run(name: str) -> None:
        tracing.current = tracings[name]
        try:
            record = await executors[name].execute(doc, {})
        finally:
            tracing.current = None
        assert record.status == "succeeded", record.error

    names = list(tracings)
    for name in names:
        for _ in range(10):
            await run(name)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(runs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            t0 = clock()
            await run(name)
            samples[name].append((clock() - t0) * 1000)
    for executor in executors.values():
        await executor.aclose()
    for store, saver in closing:
        await store.close()
        await close_saver(saver)
    for traced in tracings.values():
        if traced is not None:
            traced.shutdown()
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--clock", default="cpu", choices=["cpu", "wall"])
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    with tempfile.TemporaryDirectory() as tmp:
        medians = asyncio.run(bench(args.runs, clock, Path(tmp)))
    off = medians["off"]
    print(f"10 nodes; clock={args.clock}; medians in ms per run (ratio to off)")
    print(" | ".join(f"{name} {value:.2f} ({value / off:.2f}x)" for name, value in medians.items()))


if __name__ == "__main__":
    main()
