"""Repositories that announce committed event batches: the runner's (to its server, over
its socket) and the Celery side's (on Redis) announce every batch that reaches the store,
whichever write path the group-commit writer takes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from orcheo_jupyter.common.span_rows import SpanRow
from orcheo_jupyter.distributed.config import EVENTS_CHANNEL
from orcheo_jupyter.distributed.fanout import PublishingRepository
from orcheo_jupyter.runners.runner import ReportingRepository
from orcheo_jupyter.runtime.writer import BatchWriter
from orcheo_jupyter.store import EventRecord, RunBatch, RunRecord, RunUpdate, SqliteRepository

pytestmark = pytest.mark.asyncio

SPAN: SpanRow = ("a", "4bf92f3577b34da6a3ce929d0e0e4736", None, "orcheo.run", 1, 2, "{}")


class Channel:
    """The runner's socket to its server, recording what is sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


class Redis:
    """What PublishingRepository uses of Redis, recording each publication."""

    def __init__(self) -> None:
        self.published: list[tuple[str, Any]] = []

    async def publish(self, channel: str, message: str) -> None:
        self.published.append((channel, json.loads(message)))


@pytest_asyncio.fixture
async def repo(tmp_path: Path) -> AsyncIterator[SqliteRepository]:
    r = SqliteRepository(tmp_path / "orcheo.sqlite")
    await r.open()
    await r.create_run(
        RunRecord(id="r", checksum="c", status="pending", inputs={}, created_at="t", updated_at="t")
    )
    yield r
    await r.close()


def _event(seq: int, kind: str = "node_finished") -> EventRecord:
    return EventRecord("r", seq, kind, f"2026-12-06T00:00:00.00000{seq}Z")


async def _settle_with_spans(store: Any) -> None:
    """A settling run as the executor writes it: its spans, then its last events, flushed."""
    writer = BatchWriter(store, delay=10)
    writer.add_spans("r", [SPAN])
    writer.add_event(_event(1))
    writer.add_event(_event(2, "run_finished"))
    writer.add_update(RunUpdate("r", "t1", {"status": "succeeded", "last_seq": 2}))
    await writer.flush()
    await writer.close()


async def test_a_runner_reports_the_batch_its_spans_ride_on(repo: SqliteRepository) -> None:
    # The spans and events are one at-once transaction (write_batch_now): before, that
    # went straight to the inner store, and the server never heard of run_finished.
    channel = Channel()
    await _settle_with_spans(ReportingRepository(repo, channel))  # type: ignore[arg-type]
    assert [[e["seq"] for e in m["events"]] for m in channel.sent] == [[1, 2]]
    assert channel.sent[0]["events"][1]["type"] == "run_finished"
    assert [e.seq for e in await repo.list_events("r")] == [1, 2]
    assert [s["name"] for s in await repo.list_spans("r")] == ["orcheo.run"]
    assert (await repo.get_run("r")).status == "succeeded"


async def test_a_worker_publishes_the_batch_its_spans_ride_on(repo: SqliteRepository) -> None:
    # Publishing waits for Redis, so nothing is committed at once: before, the spans'
    # at-once transaction committed the events unannounced.
    redis = Redis()
    await _settle_with_spans(PublishingRepository(repo, redis))  # type: ignore[arg-type]
    assert redis.published == [(EVENTS_CHANNEL, {"runs": {"r": 2}})]
    assert [e.seq for e in await repo.list_events("r")] == [1, 2]
    assert [s["name"] for s in await repo.list_spans("r")] == ["orcheo.run"]


async def test_a_batch_is_committed_at_once_only_when_its_announcement_need_not_wait(
    repo: SqliteRepository,
) -> None:
    redis, channel = Redis(), Channel()
    publishing = PublishingRepository(repo, redis)  # type: ignore[arg-type]
    assert publishing.write_batch_now(RunBatch()) is True  # nothing to write or announce
    assert publishing.write_batch_now(RunBatch([_event(1)])) is False
    assert publishing.write_batch_now(RunBatch([_event(1)], spans=[("r", [SPAN])])) is False
    assert await repo.list_events("r") == [] and await repo.list_spans("r") == []

    reporting = ReportingRepository(repo, channel)  # type: ignore[arg-type]
    assert reporting.write_batch_now(RunBatch([_event(1)])) is True
    assert [e.seq for e in await repo.list_events("r")] == [1]
    assert [[e["seq"] for e in m["events"]] for m in channel.sent] == [[1]]
    assert redis.published == []


async def test_everything_else_is_the_inner_repositorys(repo: SqliteRepository) -> None:
    redis = Redis()
    publishing = PublishingRepository(repo, redis)  # type: ignore[arg-type]
    await publishing.write_batch(
        RunBatch([_event(1)], [RunUpdate("r", "t1", {"status": "running"})])
    )
    assert (await publishing.get_run("r")).status == "running"
    assert publishing.path == repo.path
    assert redis.published == [(EVENTS_CHANNEL, {"runs": {"r": 1}})]
