"""A runner reports every committed batch of its runs' events to the server: the server's
event sinks (metrics, the event log) see a run end even when the run's spans are stored
with its last events in one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from orcheo_jupyter import tracing
from orcheo_jupyter.runners import RunnerConfig
from orcheo_jupyter.runners.backend import PoolBackend
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.store.records import EventRecord
from tests.conftest import linear_doc

from .helpers import settled


@pytest.mark.asyncio
async def test_the_server_hears_a_runner_s_run_end_with_its_spans_stored(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, trace_store=True)
    executor = await Executor.open(settings, backend=PoolBackend(RunnerConfig(1, settings)))
    heard: list[EventRecord] = []
    executor.event_sinks.append(heard.append)
    try:
        run_id = await executor.submit(linear_doc("a", "b"), {})
        record = await settled(executor, run_id)
        assert record.status == "succeeded", record.error
        stored = await executor.store.list_events(run_id)
        assert "orcheo.run" in {s["name"] for s in await executor.store.list_spans(run_id)}
    finally:
        await executor.aclose()
        tracing.reset()
    # Every stored event reached the server's sinks, the run's end included.
    assert [(e.seq, e.type) for e in heard if e.run_id == run_id] == [
        (e.seq, e.type) for e in stored
    ]
    assert stored[-1].type == "run_finished"
