"""One executor, three backends: what a run must pass and how it is stored is the same.

The in-process, runner-pool and Celery backends sit behind one ``Executor``
(``open_executor``, exactly as the server opens it). Admission, the run row and
the cancellation bookkeeping are the executor's, so a Celery-queued run gets its
``inputs_schema`` defaults exactly like the others (Celery's own copy of submit
once skipped them). Celery runs here against a real Redis with no worker: the
run is stored and queued, which is all the server does in that mode.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orcheo_jupyter import tracing
from orcheo_jupyter.distributed import open_executor
from orcheo_jupyter.runners import RunnerConfig
from orcheo_jupyter.runtime.events import RunStatus
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.spec import DocumentError
from tests.conftest import code_doc

pytestmark = pytest.mark.asyncio

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "days": {"type": "integer", "default": 7},
        "tags": {"type": "array", "items": {"type": "string"}, "default": ["new"]},
    },
    "required": ["name"],
    "additionalProperties": False,
}


def _doc() -> dict[str, Any]:
    doc = code_doc("return {'days': state['inputs']['days'], 'tags': state['inputs']['tags']}")
    doc["inputs_schema"] = SCHEMA
    return doc


@pytest_asyncio.fixture(params=["local", "runners", "celery"])
async def executor(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Executor]:
    settings = Settings(data_dir=tmp_path, durability="sync")
    runners = None
    if request.param == "celery":
        url = request.getfixturevalue("redis_url")
        settings = Settings(data_dir=tmp_path, durability="sync", executor="celery", broker_url=url)
    elif request.param == "runners":
        runners = RunnerConfig(1, settings, memory_limit=0)
    executor = await open_executor(settings, runners)
    try:
        yield executor
    finally:
        await executor.aclose()


async def test_every_backend_is_the_one_executor(executor: Executor) -> None:
    assert type(executor) is Executor
    assert executor.mode in ("local", "runners", "celery")
    assert executor.backend.runs_here is (executor.mode == "local")


async def test_inputs_defaults_and_refusals_are_the_same_on_every_backend(
    executor: Executor,
) -> None:
    with pytest.raises(DocumentError) as refused:
        await executor.submit(_doc(), {"name": 5, "extra": 1})
    assert sorted(p.field or "" for p in refused.value.problems) == ["inputs", "inputs.name"]
    assert (await executor.store.list_runs(limit=10))[1] == 0  # nothing stored or queued

    run_id = await executor.submit(_doc(), {"name": "Ada"})
    stored = await executor.store.get_run(run_id)
    assert stored.inputs == {"name": "Ada", "days": 7, "tags": ["new"]}
    if executor.mode == "celery":
        # No worker here: the run waits in the queue, stored as the others are.
        assert stored.status == RunStatus.PENDING
        assert await executor.backend.queue_depth() == 1
        cancelled = await executor.cancel(run_id)  # no worker holds it: recorded here
        assert cancelled.status == RunStatus.CANCELLED
        events = [e.type for e in await executor.store.list_events(run_id)]
        assert events == ["run_cancelled"]
        return
    record = await executor.wait(run_id, timeout=60)
    assert record.status == RunStatus.SUCCEEDED, record.error
    assert record.final_state is not None
    assert record.final_state["results"]["c"] == {"days": 7, "tags": ["new"]}
    assert record.final_state["inputs"] == {"name": "Ada", "days": 7, "tags": ["new"]}


async def test_a_node_test_answers_the_same_and_its_spans_are_stored_on_every_backend(
    executor: Executor,
) -> None:
    doc = code_doc("return {'twice': state['results']['a'] * 2}")
    exporter = InMemorySpanExporter()
    tracing.configure(exporters=[exporter], store=True)
    try:
        tested = await executor.test_node(doc, "c", {"results": {"a": 21}}, workflow_id="wf")
    finally:
        tracing.reset()
    assert (tested.node_id, tested.output, tested.error) == ("c", {"twice": 42}, None)
    assert tested.test_id is not None
    if executor.backend.runs_here or executor.mode == "celery":
        # The node ran in this process (Celery servers test nodes themselves): its
        # spans are stored here, under the test's id, as a run's are under the run's.
        stored = await executor.store.list_spans(tested.test_id)
        assert sorted(s["name"] for s in stored) == ["orcheo.node", "orcheo.node_test"]
