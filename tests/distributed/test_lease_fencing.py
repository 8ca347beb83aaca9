"""A worker that stalls past its lease loses the run and writes nothing more of it.

Two worker runtimes (each its own loop thread, executor and owner, as in two
``orcheo-jupyter worker`` processes) on a real Postgres and Redis. The stall is
made deterministic: worker A's heartbeat is stopped and its store writes are held
(its first events wait in its write buffer, as on a loaded machine), its lease is
made to lapse, worker B takes the run and runs it; then A wakes up. Without
fencing A's buffered ``run_started`` and node events were stored beside B's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import psycopg
import pytest

from orcheo_jupyter.distributed.config import Distributed
from orcheo_jupyter.distributed.worker import WorkerRuntime
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.store.records import RunBatch
from tests.conftest import code_doc
from tests.services import PostgresServer

from .cluster import cluster_env


class HeldWrites:
    """A store whose writes wait until ``release`` (a worker whose loop is held up)."""

    def __init__(self, inner: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._inner = inner
        self._loop = loop
        self._open = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def release(self) -> None:
        self._loop.call_soon_threadsafe(self._open.set)

    async def write_batch(self, batch: RunBatch) -> None:
        await self._open.wait()
        await self._inner.write_batch(batch)

    def write_batch_now(self, batch: RunBatch) -> bool:
        return batch.empty


@pytest.fixture
def dsn(postgres_server: PostgresServer) -> str:
    return postgres_server.new_database()


@pytest.fixture
def workers(
    tmp_path: Path, dsn: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[WorkerRuntime, WorkerRuntime]]:
    env = cluster_env(dsn, redis_url, ORCHEO_DATA_DIR=str(tmp_path / "data"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    conf = Distributed.from_settings(settings)
    a = WorkerRuntime(settings, conf)
    try:
        b = WorkerRuntime(settings, conf)
    except BaseException:
        a.close()
        raise
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def slow_doc(seconds: float) -> dict[str, Any]:
    doc = code_doc(
        f"import asyncio\nawait asyncio.sleep({seconds})\nreturn {{'slept': True}}",
        node_id="slow",
    )
    ir = doc["graph"]["ir"]
    ir["nodes"].append({"kind": "code", "id": "last", "body": "return {'n': 2}"})
    ir["edges"] = [
        {"source": "__start__", "target": "slow"},
        {"source": "slow", "target": "last"},
        {"source": "last", "target": "__end__"},
    ]
    return doc


def store_run(worker: WorkerRuntime, doc: dict[str, Any]) -> str:
    """A pending run, stored as a server stores it before queueing it."""
    ex = worker.executor

    async def admit() -> str:
        admitted = await ex.admit(doc, {"n": 1})
        await ex.store.create_run(admitted.record, admitted.body)
        return admitted.record.id

    return worker.call(admit())


def until(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return found


def query(dsn: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return list(conn.execute(sql, params).fetchall())


def lease_owner(dsn: str, run_id: str) -> str | None:
    rows = query(dsn, "SELECT owner FROM orcheo_locks WHERE name = %s", f"run:{run_id}")
    return str(rows[0][0]) if rows else None


def handle(worker: WorkerRuntime, run_id: str) -> Future[str]:
    return asyncio.run_coroutine_threadsafe(worker.handle(run_id, "start"), worker.loop)


def stop_heartbeat(worker: WorkerRuntime) -> None:
    heartbeat = worker._tasks[0]
    assert heartbeat.get_name() == "orcheo-leases"
    worker.loop.call_soon_threadsafe(heartbeat.cancel)


@pytest.mark.timeout(120)
def test_a_stalled_worker_loses_the_run_and_writes_nothing_of_it(
    workers: tuple[WorkerRuntime, WorkerRuntime], dsn: str
) -> None:
    a, b = workers
    run_id = store_run(a, slow_doc(1.5))
    stop_heartbeat(a)
    held = HeldWrites(a.executor.writer._store, a.loop)
    a.executor.writer._store = held  # type: ignore[assignment]

    first = handle(a, run_id)
    # A started the run: run_started and the slow node's start wait in its write buffer.
    until(lambda: (o := a.executor.observer_of(run_id)) is not None and o.seq >= 2, "A to start")
    assert query(dsn, "SELECT count(*) FROM run_events WHERE run_id = %s", run_id) == [(0,)]
    # A stalls past its lease; B takes the run (pending, no events stored) and starts it.
    query(
        dsn,
        "UPDATE orcheo_locks SET expires_at = clock_timestamp() - interval '1 second'"
        " WHERE name = %s RETURNING name",
        f"run:{run_id}",
    )
    second = handle(b, run_id)
    until(lambda: lease_owner(dsn, run_id) == b.executor.owner, "B to take the lease")
    # A wakes up: its buffered writes are refused and it stops executing the run.
    held.release()
    assert first.result(timeout=30) == "lost"
    assert run_id not in a.executor.runs
    assert second.result(timeout=60) == "succeeded"

    events = query(dsn, "SELECT type, node FROM run_events WHERE run_id = %s ORDER BY seq", run_id)
    assert events == [
        ("run_started", None),
        ("node_started", "slow"),
        ("node_finished", "slow"),
        ("node_started", "last"),
        ("node_finished", "last"),
        ("run_finished", None),
    ]
    [(status, owner, final_state, last_seq)] = query(
        dsn, "SELECT status, owner, final_state, last_seq FROM runs WHERE id = %s", run_id
    )
    assert (status, owner, last_seq) == ("succeeded", b.executor.owner, 6)
    assert final_state["results"] == {"slow": {"slept": True}, "last": {"n": 2}}
    # Nothing of A's is left behind: no lease, and its own flush found nothing to write.
    assert lease_owner(dsn, run_id) is None
    a.call(a.executor.writer.flush())
    assert len(query(dsn, "SELECT seq FROM run_events WHERE run_id = %s", run_id)) == 6


@pytest.mark.timeout(120)
def test_a_renewal_that_finds_the_lease_taken_stops_the_run_at_once(
    workers: tuple[WorkerRuntime, WorkerRuntime], dsn: str
) -> None:
    """The heartbeat's renewal is how a stalled worker learns it lost a run that is still
    executing (a node waiting a minute): it stops it then, writing nothing more."""
    a, _ = workers
    run_id = store_run(a, slow_doc(60))
    stop_heartbeat(a)  # renewed below, by hand
    first = handle(a, run_id)
    until(
        lambda: query(
            dsn, "SELECT 1 FROM run_events WHERE run_id = %s AND type = 'node_started'", run_id
        ),
        "the slow node to start",
    )
    assert a.call(a.renew()) == set()  # still its own
    # Another worker took the run while this one was stalled.
    query(
        dsn,
        "UPDATE orcheo_locks SET owner = 'celery@elsewhere:1:x' WHERE name = %s RETURNING name",
        f"run:{run_id}",
    )
    started = time.monotonic()
    assert a.call(a.renew()) == {run_id}
    assert first.result(timeout=30) == "lost"
    assert time.monotonic() - started < 30  # stopped, not left sleeping its minute
    assert not a.executor.executing(run_id)
    # Nothing written after the loss: no run_cancelled, the row as the new holder has it.
    events = query(dsn, "SELECT type FROM run_events WHERE run_id = %s ORDER BY seq", run_id)
    assert events == [("run_started",), ("node_started",)]
    assert query(dsn, "SELECT status FROM runs WHERE id = %s", run_id) == [("running",)]
    assert lease_owner(dsn, run_id) == "celery@elsewhere:1:x"  # A never released B's lease
    assert not a.executor.runs


@pytest.mark.timeout(120)
def test_a_renewal_overlapping_the_next_handling_of_the_run_loses_nothing(
    workers: tuple[WorkerRuntime, WorkerRuntime], dsn: str
) -> None:
    """A run paused (interrupted) releases its lease; its answer may come back to the same
    worker at once. A renewal that began during the first handling and ends during the
    second must not take the second's lease for lost (it cancelled the resumed run)."""
    a, _ = workers
    doc = code_doc(
        "import asyncio\nawait asyncio.sleep(1)\nreturn {'got': interrupt('name?')}",
        node_id="ask",
    )
    run_id = store_run(a, doc)
    stop_heartbeat(a)  # renewed below, by hand
    store = a.executor.store
    real = store.renew_leases
    updated, answered = asyncio.Event(), asyncio.Event()
    first_done, second_started = asyncio.Event(), asyncio.Event()

    async def renew_leases(owner: str, names: list[str], ttl: float) -> set[str]:
        await first_done.wait()  # the first handling ended: its lease was released
        kept = await real(owner, names, ttl)
        updated.set()
        await second_started.wait()  # the answer's handling took the lease anew
        answered.set()
        return kept

    store.renew_leases = renew_leases  # type: ignore[method-assign]
    first = handle(a, run_id)
    until(lambda: a.executor.observer_of(run_id) is not None, "the run to start")
    renewal = asyncio.run_coroutine_threadsafe(a.renew(), a.loop)
    assert first.result(timeout=30) == "interrupted"
    a.loop.call_soon_threadsafe(first_done.set)
    until(updated.is_set, "the renewal's update")
    second = asyncio.run_coroutine_threadsafe(a.handle(run_id, "resume", "Ada"), a.loop)
    until(lambda: run_id in a._leased, "the answer's handling to take the lease")
    a.loop.call_soon_threadsafe(second_started.set)
    assert renewal.result(timeout=30) == set()
    assert second.result(timeout=30) == "succeeded"
    [(status, final_state)] = query(
        dsn, "SELECT status, final_state FROM runs WHERE id = %s", run_id
    )
    assert (status, final_state["results"]["ask"]) == ("succeeded", {"got": "Ada"})
