"""The server side of Celery execution: store each run, queue it, follow it from the store.

``CeleryBackend`` is the backend of the server's ``Executor`` in celery mode: the
executor admits and stores each run as for any backend (so an invalid document or
input is refused before anything is stored or queued, and inputs defaults are
filled the same way), and this backend queues it for ``orcheo-jupyter worker``
processes, follows it through the store and Redis, and cancels it across them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from redis.asyncio import Redis

from .. import tracing
from ..runtime.backend import Probe, RunBackend
from ..runtime.events import TERMINAL, RunStatus
from ..runtime.outcomes import RunStateError
from ..runtime.serialize import jsonable
from ..runtime.streams import Cursor
from ..runtime.waiting import TIMED_OUT, within
from ..settings import Settings
from ..store.base import Repository
from ..store.records import EventRecord, RunRecord
from .celery_app import enqueue, make_app
from .config import QUEUE, Distributed, lease
from .fanout import Hub, PublishingRepository, request_cancel

_UNSETTLED = (RunStatus.PENDING, RunStatus.RUNNING)


class CeleryBackend(RunBackend):
    name = "celery"
    runs_here = False

    def __init__(self, redis: Redis, conf: Distributed) -> None:
        self.conf = conf
        self.redis = redis
        self.hub = Hub(redis)
        self.celery = make_app(conf)
        # Sending is a blocking socket write: one thread keeps it off the event loop
        # and keeps messages in submission order.
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="orcheo-enqueue")
        self._resuming: dict[str, int] = {}

    @classmethod
    async def connect(cls, settings: Settings) -> CeleryBackend:
        """The broker ``settings`` name, reachable (or the error saying why not)."""
        conf = Distributed.from_settings(settings)
        redis = Redis.from_url(conf.broker_url)
        try:
            await redis.ping()
        except BaseException:
            await redis.aclose()
            raise
        return cls(redis, conf)

    def wrap_store(self, store: Repository) -> Repository:
        """Each commit of run events is announced on Redis, for followers on any server."""
        return cast("Repository", PublishingRepository(store, self.redis))

    async def open(self) -> None:
        await self.hub.start()

    async def close(self) -> None:
        await self.hub.close()
        self._sender.shutdown(wait=True)
        await self.redis.aclose()

    def probes(self) -> dict[str, Probe]:
        return {"broker": self.ping_broker}

    # --- broker ------------------------------------------------------------------
    async def _enqueue(self, run_id: str, action: str, value: Any = None) -> None:
        loop = asyncio.get_running_loop()
        # The trace context is read here: the sender thread does not share this context.
        headers = tracing.carrier()
        await loop.run_in_executor(
            self._sender, enqueue, self.celery, run_id, action, value, headers
        )

    async def ping_broker(self) -> None:
        await self.redis.ping()

    async def queue_depth(self) -> int:
        """Messages waiting in the queue (Celery's Redis transport: one list per priority)."""
        keys = [QUEUE, *(f"{QUEUE}\x06\x16{p}" for p in (1, 2, 3, 4, 5, 6, 7, 8, 9))]
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.llen(key)
            return int(sum(await pipe.execute()))

    def runs_in_progress(self) -> int:
        return 0  # workers execute; each reports its own

    # --- starting runs -------------------------------------------------------------
    async def start(self, record: RunRecord, graph: Any = None) -> None:
        """Queue the admitted, stored run for a worker (submit and rerun end here)."""
        await self._queue_or_fail(record, "start")

    async def _queue_or_fail(self, record: RunRecord, action: str, value: Any = None) -> None:
        try:
            await self._enqueue(record.id, action, value)
        except Exception as exc:
            cause = f"the run could not be queued for a worker: {type(exc).__name__}: {exc}"
            if action == "start":
                ex = self.executor
                record = await ex.store.get_run(record.id)
                if await ex.store.try_lock(lease(record.id), ex.owner, 30):
                    try:
                        await ex.record_failed(record, cause)
                    finally:
                        await ex.store.release_lock(lease(record.id), ex.owner)
            raise RunStateError(cause) from exc

    async def recover(self, record: RunRecord, reason: str | None) -> None:
        """Queue a run whose process died; a worker resumes it from its checkpoint."""
        await self._queue_or_fail(record, "recover")

    async def resume(self, record: RunRecord, value: Any) -> None:
        """Queue the answer to a pending interrupt; a worker continues the run."""
        run_id = record.id
        # One answer per interrupt, even when two servers get one at the same moment.
        claim = f"orcheo:resume:{run_id}:{record.last_seq}"
        if not await self.redis.set(claim, self.executor.owner, nx=True, ex=24 * 3600):
            raise RunStateError(f"run {run_id} is already being resumed")
        self._resuming[run_id] = record.last_seq
        await self._queue_or_fail(record, "resume", jsonable(value))

    # --- following runs ------------------------------------------------------------
    def _settled(self, record: RunRecord) -> bool:
        if record.status in _UNSETTLED:
            return False
        marker = self._resuming.get(record.id)
        if (
            marker is not None
            and record.status == RunStatus.INTERRUPTED
            and record.last_seq <= marker
        ):
            return False  # the answer is queued; the worker has not taken it yet
        self._resuming.pop(record.id, None)
        return True

    async def wait(self, run_id: str, timeout: float | None) -> RunRecord:
        store = self.executor.store

        async def settle() -> RunRecord:
            with self.hub.watch(run_id) as changed:
                while True:
                    changed.clear()
                    record = await store.get_run(run_id)
                    if self._settled(record):
                        return record
                    await within(changed.wait(), self.conf.poll_seconds)

        return await asyncio.wait_for(settle(), timeout)

    def executing(self, run_id: str) -> bool:
        return False  # workers execute

    async def events(self, run_id: str, *, after: int, follow: bool) -> AsyncIterator[EventRecord]:
        """Stored events after ``after``, then each new stored event as workers commit it."""
        cursor = Cursor(after)
        store = self.executor.store
        await store.get_run(run_id)  # NotFound before anything is sent
        with self.hub.watch(run_id) as changed:
            while True:
                changed.clear()
                batch = await store.list_events(run_id, after=cursor.last)
                for event in cursor.fresh(batch):
                    yield event
                if cursor.ended or not follow:
                    return
                if batch:
                    continue
                woke = await within(changed.wait(), self.conf.poll_seconds)
                if woke is TIMED_OUT and cursor.caught_up(await store.get_run(run_id)):
                    return

    # --- control -----------------------------------------------------------------------
    async def cancel(self, run_id: str) -> RunRecord | None:
        """Cancel wherever the run is: queued, executing on a worker, or interrupted."""
        ex = self.executor
        record = await ex.store.get_run(run_id)
        if record.status in TERMINAL:
            raise RunStateError(f"run {run_id} already {record.status}")
        await request_cancel(self.redis, run_id)
        if await ex.store.try_lock(lease(run_id), ex.owner, self.conf.lease_seconds):
            try:  # no worker holds it: record the cancellation here
                record = await ex.store.get_run(run_id)
                if record.status not in TERMINAL:
                    return await ex.record_cancelled(record)
                return record
            finally:
                await ex.store.release_lock(lease(run_id), ex.owner)
        try:
            record = await self.wait(run_id, timeout=max(30.0, self.conf.lease_seconds * 2))
        except TimeoutError:
            raise RunStateError(
                f"run {run_id}: cancellation requested; its worker has not confirmed it yet"
            ) from None
        if record.status != RunStatus.CANCELLED and record.status not in TERMINAL:
            raise RunStateError(f"run {run_id} is {record.status}; cancellation is pending")
        return record
