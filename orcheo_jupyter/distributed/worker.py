"""``orcheo-jupyter worker``: a Celery worker that executes queued runs with the same runtime.

One worker process owns one asyncio loop (on a thread) with one ``Executor`` on
the configured store and checkpoints; Celery's thread pool hands each message to
that loop and waits. A run is executed under a lease (``run:<id>`` in the store)
renewed every lease/3 seconds, so:

- a message delivered twice (Redis re-delivers unacknowledged messages) finds the
  lease held and is retried later instead of executing the run a second time;
- a worker that stalls past its lease (alive, but its loop held up) may lose the run
  to another worker: every write of its run's events, status and checkpoints is
  fenced by the lease in the write's own transaction (``store.fencing``), so nothing
  it buffered lands beside the new holder's; when a renewal (or a refused write)
  shows the lease is another worker's, it stops executing the run;
- when a worker dies, its leases lapse; its messages come back from the broker
  and the runs continue from their last checkpoints on another worker. A reaper
  (one worker at a time, under a leader lock) re-queues ``running`` runs whose
  lease lapsed, for the case where the broker no longer has their message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import os
import socket
import threading
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from celery import Celery, Task
from redis.asyncio import Redis

from .. import ops, tracing
from ..runtime.events import TERMINAL, RunStatus
from ..runtime.executor import Executor
from ..runtime.inprocess import InProcessBackend
from ..runtime.owners import process_owner
from ..settings import Settings
from ..store.base import NotFound
from ..store.factory import backend_name
from ..store.fencing import Fence, FencedRepository
from .celery_app import enqueue, make_app, trace_headers
from .config import TASK, WORKER_OWNER_PREFIX, Distributed, lease
from .fanout import Hub, PublishingRepository, cancel_requested

if TYPE_CHECKING:
    from ..store.base import Repository
    from ..vault import Vault

log = logging.getLogger(__name__)
T = TypeVar("T")


class WorkerRuntime:
    """The worker process's loop thread, executor, leases, reaper and control listener."""

    def __init__(self, settings: Settings, conf: Distributed) -> None:
        self.settings = settings
        self.conf = conf
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="orcheo-worker-loop", daemon=True)
        self._thread.start()
        self.executor: Executor
        self.redis: Redis
        self.celery: Celery = make_app(conf)
        self._tasks: list[asyncio.Task[None]] = []
        self.vault: Vault | None = None
        #: Runs this worker handles under their lease (each handling numbered: a renewal
        #: that overlaps the end of one and the start of the next must not confuse them),
        #: and those whose lease it lost.
        self._leased: dict[str, int] = {}
        self._handlings = itertools.count(1)
        self._lost: set[str] = set()
        self.call(self._open())

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _open(self) -> None:
        from ..runtime.savers import open_stores

        self.redis = Redis.from_url(self.conf.broker_url)
        await self.redis.ping()
        store, saver = await open_stores(self.settings)
        owner = process_owner(WORKER_OWNER_PREFIX)
        fence = Fence(owner, lease)
        if self._one_postgres():
            # Checkpoints share the leases' database: their writes are fenced too.
            saver.fenced = True  # type: ignore[attr-defined]
        fenced = FencedRepository(store, fence, self._lose)
        self.executor = Executor(
            cast("Repository", PublishingRepository(fenced, self.redis)),
            saver,
            backend=InProcessBackend(name="worker"),
            durability=self.settings.durability,
            max_value_bytes=self.settings.max_value_bytes,
            owns_resources=True,
            trace_store=self.settings.trace_store,
        )
        self.executor.owner = owner
        self.executor.fence = fence
        ops.attach(self.executor)
        await self._open_vault()
        self.hub = Hub(self.redis, on_control=self._control)
        await self.hub.start()
        self._tasks = [
            asyncio.create_task(self._heartbeat(), name="orcheo-leases"),
            asyncio.create_task(self._reaper(), name="orcheo-reaper"),
        ]

    def _one_postgres(self) -> bool:
        """Whether runs and checkpoints are in one Postgres database (ORCHEO_POSTGRES_DSN)."""
        settings = self.settings
        return (
            backend_name(settings.repository_backend, "ORCHEO_REPOSITORY_BACKEND") == "postgres"
            and backend_name(settings.checkpoint_backend, "ORCHEO_CHECKPOINT_BACKEND") == "postgres"
        )

    async def _open_vault(self) -> None:
        from ..vault import Vault

        try:
            self.vault = await Vault.open(self.settings)
            self.executor.services = self.executor.services.replace(secrets=self.vault)
        except Exception as exc:  # runs that need no credential still run
            log.error("orcheo worker: the credentials vault is unavailable: %s", exc)

    async def _close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.hub.close()
        await self.executor.aclose()
        if self.vault is not None:
            await self.vault.close()
        await self.redis.aclose()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call(self._close(), timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)

    # --- leases --------------------------------------------------------------------
    async def _heartbeat(self) -> None:
        every = self.conf.lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self.renew()
            except Exception as exc:
                log.warning("orcheo worker: renewing leases failed: %s", exc)
            ops.metrics.RUNS_IN_PROGRESS.set(self.executor.runs_in_progress())

    async def renew(self) -> set[str]:
        """Extend the lease of every run handled here; the runs whose lease another
        worker took meanwhile (this one stalled past it) are stopped here."""
        held = dict(self._leased)
        kept = await self.executor.store.renew_leases(
            self.executor.owner, [lease(run_id) for run_id in held], self.conf.lease_seconds
        )
        # A handling that ended during the renewal released its lease (and one that began
        # since took it anew): neither is lost.
        lost = {
            run_id
            for run_id, handling in held.items()
            if lease(run_id) not in kept and self._leased.get(run_id) == handling
        }
        self._lose(lost)
        return lost

    def _lose(self, run_ids: set[str]) -> None:
        """Stop executing runs whose lease is another worker's: their writes are refused
        anyway (fenced), and the new holder executes them."""
        for run_id in sorted(run_ids - self._lost):
            if run_id not in self._leased:
                continue  # not handled here now (a late write of a handling that ended)
            self._lost.add(run_id)
            log.warning(
                "orcheo worker: run %s: its lease was taken by another worker (this one"
                " stalled past it); stopping it here, nothing more of it is written",
                run_id,
            )
            active = self.executor.runs.get(run_id)
            if active is not None and active.task is not None and not active.task.done():
                active.task.cancel("lease lost")

    async def _reaper(self) -> None:
        """Re-queue runs whose message is gone: one worker at a time, every lease period.

        - ``running`` runs of a worker whose lease lapsed (it died mid-run);
        - ``pending`` runs nobody holds, older than the broker's re-delivery window:
          Redis loses a message a worker popped but died before recording as unacked.

        A re-queued run is re-queued again only after another re-delivery window, and a
        duplicate message is harmless: it finds the run finished or leased, and ends.
        """
        while True:
            await asyncio.sleep(self.conf.lease_seconds)
            try:
                if await self.executor.store.try_lock(
                    "orcheo:reaper", self.executor.owner, self.conf.lease_seconds * 2
                ):
                    await self._reap()
            except Exception as exc:
                log.warning("orcheo worker: the reaper failed this round: %s", exc)

    async def _reap(self) -> None:
        store, owner = self.executor.store, self.executor.owner
        window = self.conf.visibility_timeout + self.conf.lease_seconds
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=window)
        for status in (RunStatus.RUNNING, RunStatus.PENDING):
            offset, page = 0, 500
            while True:
                runs, total = await store.list_runs(status=str(status), limit=page, offset=offset)
                for run in runs:
                    if status == RunStatus.RUNNING:
                        if not (run.owner or "").startswith(WORKER_OWNER_PREFIX):
                            continue  # a kernel or a server executing it in-process
                    elif _parse_time(run.updated_at) > cutoff:
                        continue  # probably still waiting in the queue
                    if await store.lock_owner(lease(run.id)) is not None:
                        continue
                    throttle = f"orcheo:requeued:{run.id}"  # expires by itself, unlike a row
                    if not await self.redis.set(
                        throttle, owner, nx=True, ex=max(1, int(self.conf.visibility_timeout))
                    ):
                        continue
                    log.info("orcheo worker: re-queueing %s run %s", status, run.id)
                    await asyncio.to_thread(enqueue, self.celery, run.id, "recover")
                offset += page
                if offset >= total or not runs:
                    break

    async def _control(self, message: dict[str, Any]) -> None:
        run_id = message.get("cancel")
        if isinstance(run_id, str) and self.executor.executing(run_id):
            task = asyncio.create_task(self.executor.cancel(run_id))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    # --- executing a message -----------------------------------------------------------
    async def handle(
        self, run_id: str, action: str, value: Any = None, trace: dict[str, str] | None = None
    ) -> str:
        """Execute (or skip) one message; "busy" means another worker holds the run.

        ``trace`` (the message's W3C headers) makes the run's spans continue the
        sender's trace.
        """
        with tracing.continued(trace):
            return await self._handle(run_id, action, value)

    async def _handle(self, run_id: str, action: str, value: Any = None) -> str:
        executor, store = self.executor, self.executor.store
        owner = executor.owner
        if not await store.try_lock(lease(run_id), owner, self.conf.lease_seconds):
            return "busy"
        self._leased[run_id] = next(self._handlings)
        try:
            outcome = await self._execute(run_id, action, value)
            return "lost" if run_id in self._lost else outcome
        finally:
            self._leased.pop(run_id, None)
            self._lost.discard(run_id)
            await store.release_lock(lease(run_id), owner)

    async def _execute(self, run_id: str, action: str, value: Any) -> str:
        """Execute the message's action on a run whose lease this worker holds."""
        executor, store = self.executor, self.executor.store
        try:
            record = await store.get_run(run_id)
        except NotFound:
            return "missing"
        if record.status in TERMINAL:
            return "done"
        if await cancel_requested(self.redis, run_id):
            await executor.record_cancelled(record)
            return "cancelled"
        if action == "resume":
            if record.status != RunStatus.INTERRUPTED:
                return "stale"
            await executor.resume(run_id, value)
        elif record.status == RunStatus.INTERRUPTED:
            return "waiting"
        elif record.status == RunStatus.PENDING and not await store.list_events(run_id, limit=1):
            await executor.start_stored(record)
        else:
            await executor.recover(run_id)
        if await cancel_requested(self.redis, run_id):
            await executor.cancel(run_id)
        final = await executor.wait(run_id)
        return str(final.status)


_runtime: WorkerRuntime | None = None
_runtime_lock = threading.Lock()


def _parse_time(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.now(dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def runtime() -> WorkerRuntime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            settings = Settings.from_env()
            _runtime = WorkerRuntime(settings, Distributed.from_settings(settings))
        return _runtime


def register(app: Celery, conf: Distributed) -> None:
    """The task the server's messages name."""

    @app.task(name=TASK, bind=True, max_retries=None)
    def execute(self: Task, run_id: str, action: str, value: Any = None) -> str:
        trace = trace_headers(self.request)
        outcome = runtime().call(runtime().handle(run_id, action, value, trace))
        if outcome == "busy":
            raise self.retry(countdown=conf.lease_seconds / 2)
        return outcome


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="orcheo-jupyter worker",
        description="Execute queued runs (ORCHEO_EXECUTOR=celery servers queue them).",
    )
    parser.add_argument(
        "--concurrency", type=int, default=8, help="runs executed at once (default 8)"
    )
    parser.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    parser.add_argument("--loglevel", default="INFO")
    parser.add_argument("--hostname", help="Celery node name (default celery@<host>:<pid>)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    conf = Distributed.from_settings(settings)
    if os.environ.get("ORCHEO_LOG_FORMAT"):
        ops.logs.configure(level=args.loglevel)
    app = make_app(conf)
    register(app, conf)
    runtime()  # connect to the store and broker before taking messages
    if args.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port, addr="0.0.0.0", registry=ops.metrics.REGISTRY)
    worker_args = [
        "worker",
        "--pool=threads",
        f"--concurrency={args.concurrency}",
        f"--loglevel={args.loglevel}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname={args.hostname or f'orcheo-{os.getpid()}@{socket.gethostname()}'}",
    ]
    try:
        app.worker_main(worker_args)
    finally:
        if _runtime is not None:
            _runtime.close()
    return 0
