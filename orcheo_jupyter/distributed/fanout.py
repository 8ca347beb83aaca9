"""Live events across processes: workers publish, servers wake their waiting clients.

Events are never sent over Redis, only a note that a run has new stored events
(``{"runs": {run_id: last_seq}}``) published after the transaction that stored
them commits. A server's WebSocket reads the events themselves from the store,
so a client sees exactly the stored stream: nothing a dead worker emitted but
never stored, and no gap when a notification is lost (waiters also re-read the
store every ``poll_seconds``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

from redis.asyncio import Redis

from ..store.announcing import AnnouncingRepository
from ..store.records import RunBatch
from .config import CANCEL_KEY, CONTROL_CHANNEL, EVENTS_CHANNEL

log = logging.getLogger(__name__)


class PublishingRepository(AnnouncingRepository):
    """A repository whose committed event batches are announced on Redis.

    Never at once: announcing a batch needs a Redis round trip.
    """

    def __init__(self, inner: Any, redis: Redis) -> None:
        super().__init__(inner)
        self._redis = redis

    async def announce(self, batch: RunBatch) -> None:
        runs: dict[str, int] = {}
        for event in batch.events:
            runs[event.run_id] = max(runs.get(event.run_id, 0), event.seq)
        for update in batch.updates:
            runs.setdefault(update.run_id, 0)
        if runs:
            try:
                await self._redis.publish(EVENTS_CHANNEL, json.dumps({"runs": runs}))
            except Exception as exc:  # the store has them; pollers will find them
                log.warning("orcheo: could not announce stored events: %s", exc)


class Hub:
    """One subscription per process; wakes the coroutines waiting on each run."""

    def __init__(self, redis: Redis, *, on_control: Any = None) -> None:
        self._redis = redis
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._on_control = on_control
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="orcheo-hub")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready.wait(), 10)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    @contextlib.contextmanager
    def watch(self, run_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever ``run_id`` may have changed (register before reading)."""
        changed = asyncio.Event()
        self._waiters.setdefault(run_id, set()).add(changed)
        try:
            yield changed
        finally:
            waiters = self._waiters.get(run_id)
            if waiters is not None:
                waiters.discard(changed)
                if not waiters:
                    del self._waiters[run_id]

    def _wake(self, run_ids: Any) -> None:
        for run_id in run_ids:
            for changed in self._waiters.get(run_id, ()):
                changed.set()

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            pubsub = self._redis.pubsub()
            try:
                channels = [EVENTS_CHANNEL] + ([CONTROL_CHANNEL] if self._on_control else [])
                await pubsub.subscribe(*channels)
                self.ready.set()
                self._wake(list(self._waiters))  # anything may have changed while away
                delay = 0.1
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    data = json.loads(message["data"])
                    if channel == EVENTS_CHANNEL:
                        self._wake(data.get("runs", {}))
                    elif self._on_control is not None:
                        await self._on_control(data)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                raise
            except Exception as exc:
                log.warning("orcheo: event subscription lost (%s); reconnecting", exc)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


async def request_cancel(redis: Redis, run_id: str) -> None:
    """Remember the request (a worker checks it when it takes the run) and announce it."""
    await redis.set(CANCEL_KEY.format(run_id=run_id), "1", ex=7 * 24 * 3600)
    await redis.publish(CONTROL_CHANNEL, json.dumps({"cancel": run_id}))


async def cancel_requested(redis: Redis, run_id: str) -> bool:
    return bool(await redis.exists(CANCEL_KEY.format(run_id=run_id)))
