"""A run resumed after an interrupt is one trace: the resumed part is a child of the
run's first span, whether this process still holds it or only the store does; the
request that resumed it, when it carried a trace of its own, is a link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orcheo_jupyter import tracing
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.store.records import RunRecord
from tests.nodes.helpers import chain_doc, code

from .conftest import by_name, hex_id

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"


def ask_doc() -> dict[str, Any]:
    return chain_doc(
        code("before", "return 1"),
        code("ask", "return {'name': interrupt('name?')}"),
        code("after", "return 2"),
    )


async def _paused(executor: Executor) -> str:
    record = await executor.execute(ask_doc(), {})
    assert record.status == "interrupted", record.error
    return record.id


def _one_trace(finished: Any, stored: list[dict[str, Any]]) -> tuple[Any, Any]:
    first, resumed = sorted(by_name(finished, "orcheo.run"), key=lambda s: s.start_time)
    assert first.attributes["orcheo.run.opening"] == "run_started"
    assert first.attributes["orcheo.run.status"] == "interrupted"
    assert resumed.attributes["orcheo.run.opening"] == "resumed"
    assert resumed.attributes["orcheo.run.status"] == "succeeded"
    # One trace: the resumed part is a child of the run's first span.
    assert {s.context.trace_id for s in finished} == {first.context.trace_id}
    assert resumed.parent.span_id == first.context.span_id
    nodes = {s.attributes["orcheo.node.id"]: s for s in by_name(finished, "orcheo.node")}
    assert nodes["after"].parent.span_id == resumed.context.span_id
    # "ask" ran twice: interrupted under the first part, answered under the resumed one.
    asks = [s for s in by_name(finished, "orcheo.node") if s.attributes["orcheo.node.id"] == "ask"]
    assert sorted(s.attributes["orcheo.node.status"] for s in asks) == [
        "interrupted",
        "succeeded",
    ]
    # The store has the same, as GET .../trace serves it.
    assert {s["trace_id"] for s in stored} == {hex_id(first.context.trace_id, 32)}
    (stored_resumed,) = [
        s for s in stored if s["attributes"].get("orcheo.run.opening") == "resumed"
    ]
    assert stored_resumed["parent_span_id"] == hex_id(first.context.span_id)
    assert len(stored) == len(finished)
    return first, resumed


@pytest.mark.asyncio
async def test_a_resume_in_the_same_process_continues_the_run_s_trace(
    executor: Executor, spans: InMemorySpanExporter
) -> None:
    run_id = await _paused(executor)
    await executor.resume(run_id, "Ada")
    assert (await executor.wait(run_id)).status == "succeeded"
    finished = spans.get_finished_spans()
    _, resumed = _one_trace(finished, await executor.store.list_spans(run_id))
    assert resumed.links == ()  # nobody's trace resumed it


@dataclass
class Elsewhere:
    """A run interrupted in a first process, which is closed since with its tracing reset
    (nothing of the run's trace held in memory), and a second process on the same data,
    its tracing configured alike."""

    run_id: str
    row: RunRecord  # the run's row as the first process left it
    first_spans: tuple[Any, ...]  # what the first process exported
    executor: Executor  # the second process
    exporter: InMemorySpanExporter  # what the second process exports
    closed: bool = False

    async def close(self) -> tuple[Any, ...]:
        """Close the second process (once); the spans it exported, flushed."""
        if not self.closed:
            self.closed = True
            await self.executor.aclose()
            tracing.reset()
        return tuple(self.exporter.get_finished_spans())


@pytest_asyncio.fixture
async def elsewhere(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Elsewhere]:
    """``request.param``: "stored" keeps spans in the store too, "exported" only exports."""
    store = {"stored": True, "exported": False}[request.param]
    settings = Settings(data_dir=tmp_path / "data", durability="sync")
    before = InMemorySpanExporter()
    tracing.configure(exporters=[before], store=store)
    first_process = await Executor.open(settings)
    try:
        run_id = await _paused(first_process)
        row = await first_process.store.get_run(run_id)
    finally:
        await first_process.aclose()
        tracing.reset()
    after = InMemorySpanExporter()
    tracing.configure(exporters=[after], store=store)
    second_process = await Executor.open(settings)
    opened = Elsewhere(run_id, row, before.get_finished_spans(), second_process, after)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("elsewhere", ["stored"], indirect=True)
async def test_a_resume_elsewhere_finds_the_run_s_trace_in_the_store_and_links_the_caller(
    elsewhere: Elsewhere,
) -> None:
    second_process, run_id = elsewhere.executor, elsewhere.run_id
    # The resume request came with its caller's own trace.
    with tracing.continued({"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"}):
        await second_process.resume(run_id, "Ada")
    assert (await second_process.wait(run_id)).status == "succeeded"
    stored = await second_process.store.list_spans(run_id)
    finished = (*elsewhere.first_spans, *await elsewhere.close())
    _, resumed = _one_trace(finished, stored)
    (link,) = resumed.links
    assert hex_id(link.context.trace_id, 32) == CALLER_TRACE
    assert hex_id(link.context.span_id) == CALLER_SPAN
    assert dict(link.attributes) == {"orcheo.link": "resumed_by"}
    (stored_resumed,) = [
        s for s in stored if s["attributes"].get("orcheo.run.opening") == "resumed"
    ]
    assert stored_resumed["links"] == [
        {
            "trace_id": CALLER_TRACE,
            "span_id": CALLER_SPAN,
            "attributes": {"orcheo.link": "resumed_by"},
        }
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize("elsewhere", ["exported"], indirect=True)
async def test_a_resume_elsewhere_continues_the_trace_with_spans_exported_not_stored(
    elsewhere: Elsewhere,
) -> None:
    second_process, run_id = elsewhere.executor, elsewhere.run_id
    (first,) = by_name(elsewhere.first_spans, "orcheo.run")
    # The run row names the run's first span; no span was stored.
    assert elsewhere.row.trace_parent == (
        f"00-{hex_id(first.context.trace_id, 32)}-{hex_id(first.context.span_id)}"
        f"-{int(first.context.trace_flags):02x}"
    )
    assert first.context.trace_flags.sampled

    assert await second_process.store.list_spans(run_id) == []
    await second_process.resume(run_id, "Ada")
    assert (await second_process.wait(run_id)).status == "succeeded"
    after = await elsewhere.close()
    (resumed,) = by_name(after, "orcheo.run")
    assert resumed.attributes["orcheo.run.opening"] == "resumed"
    assert resumed.context.trace_id == first.context.trace_id
    assert resumed.parent.span_id == first.context.span_id
    assert {s.context.trace_id for s in after} == {first.context.trace_id}
