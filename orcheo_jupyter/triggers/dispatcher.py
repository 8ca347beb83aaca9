"""The dispatcher starts the runs triggers and batch dispatch owe, within limits.

Jobs are durable before the dispatcher hears of them. It starts them in order,
at most ``max_concurrency`` runs per workflow (the rest wait) and ``max_active``
in all (``burst_max_active`` while a burst of deliveries arrives: accepting them
durably comes first, the queue drains after), retries a failed run as a new run
after an exponential backoff (with jitter), and records a job that ran out of
attempts as a dead letter.

Starting is idempotent: a job's run id is chosen when the job is stored, so
starting it again after a crash meets the existing run (and follows it) instead
of starting a second one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import itertools
import logging
import os
import random
import time
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import tracing
from ..common.timestamps import utcnow
from ..runtime import admission, secrets
from ..runtime.build import IGNORE_PINS
from ..runtime.events import RunStatus
from ..runtime.executor import Executor
from ..runtime.outcomes import RunStateError
from ..runtime.serialize import jsonable
from ..spec.io import document_from_data
from ..spec.models import WorkflowDocument
from ..spec.problems import DocumentError
from ..store.base import Conflict, NotFound
from ..store.group_commit import GroupCommit
from ..store.records import RunRecord
from .clock import Clock, SystemClock
from .config import DispatchPolicy
from .records import Job
from .recovery import fail_run, owner_alive, store_failed_run
from .store import TriggerStore
from .tasks import cancel_and_wait, first_of

log = logging.getLogger(__name__)


def _triggered_config(config: dict[str, Any]) -> dict[str, Any]:
    """A job's run config: triggered and dispatched runs never use pinned node outputs."""
    configurable = dict(config.get("configurable") or {})
    configurable[IGNORE_PINS] = True
    return {**config, "configurable": configurable}


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class _Doc:
    doc: WorkflowDocument
    version: int
    checksum: str


class _RateMeter:
    """Events per second over the last full bucket (cheap enough to call per request)."""

    BUCKET = 0.25

    def __init__(self) -> None:
        self._bucket = 0
        self._count = 0
        self._previous = 0

    def _roll(self, now: float) -> None:
        bucket = int(now / self.BUCKET)
        if bucket != self._bucket:
            self._previous = self._count if bucket == self._bucket + 1 else 0
            self._bucket, self._count = bucket, 0

    def add(self) -> None:
        self._roll(time.monotonic())
        self._count += 1

    def rate(self) -> float:
        self._roll(time.monotonic())
        return max(self._previous, self._count) / self.BUCKET


class _NotStarted(Exception):
    """The job's run could not start; it is stored as failed with this message."""


class Dispatcher:
    def __init__(
        self,
        executor: Executor,
        store: TriggerStore,
        *,
        clock: Clock | None = None,
        default_policy: DispatchPolicy | None = None,
        max_active: int = 16,
        burst_max_active: int = 1,
        burst_rate: float = 200.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.executor = executor
        self.store = store
        self.clock = clock or SystemClock()
        self.default_policy = default_policy or DispatchPolicy()
        self.max_active = max_active
        self.burst_max_active = burst_max_active
        self.burst_rate = burst_rate
        self._arrivals = _RateMeter()
        self._rand = rand
        self._policies: dict[str, DispatchPolicy] = {}
        self._ready: dict[str, deque[Job]] = {}
        self._delayed: list[tuple[dt.datetime, int, Job]] = []
        self._order = itertools.count()
        self._running: Counter[str] = Counter()
        self._active = 0
        self._open: set[str] = set()  # ids of the jobs scheduled and not settled
        self._open_by_source: Counter[str] = Counter()
        self._serial_busy: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        #: W3C trace headers of the request that made each job (a webhook's caller),
        #: held until its run starts; not stored (a restart starts a new trace).
        self._traces: dict[str, dict[str, str]] = {}
        self._docs: OrderedDict[tuple[str, int | None], _Doc] = OrderedDict()
        self._wake = asyncio.Event()
        self._pending_runs: GroupCommit[RunRecord, bool] = GroupCommit(
            self._create_runs, max_batch=500, name="orcheo-dispatch-runs"
        )
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self.settled: Counter[str] = Counter()  # job outcomes since start (for tests, stats)

    # --- policies ----------------------------------------------------------------------
    def policy(self, workflow_id: str) -> DispatchPolicy:
        return self._policies.get(workflow_id, self.default_policy)

    async def set_policy(self, workflow_id: str, policy: DispatchPolicy) -> None:
        await self.store.set_policy(workflow_id, policy.model_dump(), iso(self.clock.now()))
        self._policies[workflow_id] = policy
        self._wake.set()

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Load policies and every open job (those a dead process owed too), then run."""
        for wid, data in (await self.store.policies()).items():
            try:
                self._policies[wid] = DispatchPolicy.model_validate(data)
            except ValueError:
                log.warning("orcheo: ignoring an invalid stored dispatch policy of %s", wid)
        for job in await self.store.open_jobs():
            self._admit(job)
        self._loop_task = asyncio.create_task(self._loop(), name="orcheo-dispatcher")

    async def stop(self, grace: float = 5.0) -> None:
        """Start nothing more; give running jobs ``grace`` seconds, then stop following them.

        Jobs not finished stay open in the store and are picked up at the next start.
        """
        self._stopping = True
        if self._loop_task is not None:
            await cancel_and_wait(self._loop_task)
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    # --- adding jobs ---------------------------------------------------------------------
    def new_job(
        self,
        workflow_id: str,
        inputs: dict[str, Any],
        *,
        source: Any,
        version: int | None,
        config: dict[str, Any] | None = None,
        source_key: str | None = None,
        serial: bool = False,
        dedupe_key: str | None = None,
        job_id: str | None = None,
    ) -> Job:
        """A job under the workflow's current policy (not stored yet)."""
        now = iso(self.clock.now())
        ids = os.urandom(32).hex()  # one system call for both ids
        return Job(
            id=job_id or ids[:32],
            workflow_id=workflow_id,
            version=version,
            inputs=inputs,
            source=source,
            run_id=ids[32:],
            max_attempts=self.policy(workflow_id).max_attempts,
            created_at=now,
            updated_at=now,
            config=dict(config or {}),
            source_key=source_key,
            serial=serial,
            dedupe_key=dedupe_key,
        )

    def add(self, job: Job, trace: dict[str, str] | None = None) -> None:
        """Schedule a job that is already stored; its run continues ``trace`` if given."""
        if trace:
            self._traces[job.id] = trace
        self._admit(job)

    async def enqueue(self, jobs: list[Job]) -> list[tuple[Job, bool]]:
        """Store and schedule jobs: each with True, or the stored job its dedupe key names."""
        stored = await self.store.add_jobs(jobs)
        out = []
        for original, job in zip(jobs, stored, strict=True):
            if job is original:
                await self.prepare(job)
                self._admit(job)
            out.append((job, job is original))
        return out

    def _admit(self, job: Job) -> None:
        if job.id in self._open:
            return  # already scheduled (e.g. enqueued before start loaded the open jobs)
        self._open.add(job.id)
        if job.source_key:
            self._open_by_source[job.source_key] += 1
        if job.status == "retrying" and job.not_before:
            heapq.heappush(self._delayed, (parse_iso(job.not_before), next(self._order), job))
        else:
            self._ready.setdefault(job.workflow_id, deque()).append(job)
        self._wake.set()

    # --- what is going on ------------------------------------------------------------------
    def open_count(self, source_key: str) -> int:
        """Jobs of this trigger not finished yet (queued, running or waiting to retry)."""
        return self._open_by_source[source_key]

    def counts(self, workflow_id: str) -> dict[str, int]:
        waiting = sum(1 for _, _, j in self._delayed if j.workflow_id == workflow_id)
        return {
            "queued": len(self._ready.get(workflow_id, ())),
            "running": self._running[workflow_id],
            "retrying": waiting,
        }

    @property
    def idle(self) -> bool:
        return not self._active and not self._delayed and not any(self._ready.values())

    # --- the loop ------------------------------------------------------------------------
    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            now = self.clock.now()
            while self._delayed and self._delayed[0][0] <= now:
                _, _, job = heapq.heappop(self._delayed)
                self._ready.setdefault(job.workflow_id, deque()).append(job)
            self._start_ready()
            waits: list[Awaitable[Any]] = [self._wake.wait()]
            if self.limit < self.max_active and any(self._ready.values()):
                waits.append(asyncio.sleep(_RateMeter.BUCKET))
            if self._delayed:
                delay = (self._delayed[0][0] - now).total_seconds()
                waits.append(self.clock.sleep(delay))
            await first_of(*waits)

    def arrived(self) -> None:
        """A delivery came in: while they come fast, fewer runs compete with accepting them."""
        self._arrivals.add()

    @property
    def limit(self) -> int:
        """Runs that may be active now, all workflows together."""
        if self._arrivals.rate() > self.burst_rate:
            return min(self.max_active, self.burst_max_active)
        return self.max_active

    def _start_ready(self) -> None:
        limit = self.limit
        progress = True
        while progress and self._active < limit:
            progress = False
            for wid in list(self._ready):
                queue = self._ready[wid]
                if not queue:
                    del self._ready[wid]
                    continue
                if self._running[wid] >= self.policy(wid).max_concurrency:
                    continue
                job = self._take(queue)
                if job is None:
                    continue
                self._launch(job)
                progress = True
                if self._active >= limit:
                    return

    def _take(self, queue: deque[Job]) -> Job | None:
        for index, job in enumerate(queue):
            if job.serial and job.source_key in self._serial_busy:
                continue
            del queue[index]
            return job
        return None

    def _launch(self, job: Job) -> None:
        self._running[job.workflow_id] += 1
        self._active += 1
        if job.serial and job.source_key:
            self._serial_busy.add(job.source_key)
        task = asyncio.create_task(self._run(job), name=f"orcheo-job-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Job) -> None:
        try:
            try:
                record = await self._follow(job)
            except _NotStarted as exc:
                await self._settle(job, "failed", str(exc))
            else:
                await self._settle(job, str(record.status), record.error)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("orcheo: job %s of workflow %s", job.id, job.workflow_id)
            with contextlib.suppress(Exception):
                await self._settle(job, "failed", f"{type(exc).__name__}: {exc}")
        finally:
            self._running[job.workflow_id] -= 1
            self._active -= 1
            if job.serial and job.source_key:
                self._serial_busy.discard(job.source_key)
            self._wake.set()

    async def _document(self, workflow_id: str, version: int | None) -> _Doc:
        key = (workflow_id, version)
        cached = self._docs.get(key)
        if cached is not None:
            self._docs.move_to_end(key)
            return cached
        record = await self.executor.store.get_version(workflow_id, version)
        assert record.document is not None
        found = _Doc(document_from_data(record.document), record.version, record.checksum)
        if version is not None:
            self._docs[key] = found
            if len(self._docs) > 256:
                self._docs.popitem(last=False)
        return found

    async def admit(self, job: Job) -> None:
        """Admit the job's run before the job is accepted (``admission.admit``).

        Fills the inputs' defaults into the job; raises DocumentError (UnstorableValue,
        CredentialError) naming what keeps the run from starting.
        """
        doc = await self._document(job.workflow_id, job.version)
        admitted = await admission.admit(
            doc.doc,
            job.inputs,
            workflow_id=job.workflow_id,
            checksum=doc.checksum,
            config=job.config,
            resolver=self.executor.services.secrets,
            limits=self.executor.value_limits,
        )
        job.inputs = admitted.inputs

    async def _create_runs(self, records: Sequence[RunRecord]) -> list[bool | BaseException]:
        store = self.executor.store
        many = getattr(store, "create_runs", None)  # one transaction for the batch
        if many is not None:
            return list(await many(list(records)))
        created: list[bool | BaseException] = []
        for record in records:
            try:
                await store.create_run(record)
                created.append(True)
            except Conflict:
                created.append(False)
            except Exception as exc:  # this record's own failure, not its neighbours'
                created.append(exc)
        return created

    async def prepare(self, job: Job) -> None:
        """Store the job's run as pending, so its id answers at once (GET, events, cancel).

        Best effort: a job whose run is not stored yet gets it when it starts.
        Concurrent calls share one transaction.
        """
        try:
            doc = await self._document(job.workflow_id, job.version)
            now = utcnow()
            record = RunRecord(
                id=job.run_id,
                checksum=doc.checksum,
                status=str(RunStatus.PENDING),
                inputs=jsonable(  # as submit will admit them
                    admission.admit_inputs(doc.doc, job.inputs, self.executor.value_limits)
                ),
                created_at=now,
                updated_at=now,
                workflow_id=job.workflow_id,
                version=doc.version,
                config=jsonable(_triggered_config(job.config)),
                owner=self.executor.owner,
            )
            await self._pending_runs.submit(record)
        except Exception as exc:  # the start reports it properly
            log.debug("orcheo: run %s not stored ahead of its start: %s", job.run_id, exc)

    async def _not_started(self, job: Job, message: str, record: RunRecord | None) -> None:
        """Store why the job's run never started, then raise _NotStarted."""
        store = self.executor.store
        if record is None:
            await store_failed_run(
                store,
                job.run_id,
                workflow_id=job.workflow_id,
                version=job.version,
                inputs=job.inputs,
                cause=message,
                owner=self.executor.owner,
            )
        else:
            await fail_run(store, record, message, self.executor.owner)
        raise _NotStarted(message)

    async def _follow(self, job: Job) -> RunRecord:
        """Start the job's current run (or meet it, if it exists) and wait until it settles."""
        try:
            record: RunRecord | None = await self.executor.get_run(job.run_id)
        except NotFound:
            record = None
        never_started = record is not None and record.status == "pending" and not record.last_seq
        if record is None or never_started:
            try:
                doc = await self._document(job.workflow_id, job.version)
                # The run continues the trace of the request that made the job.
                with tracing.continued(self._traces.pop(job.id, None)):
                    if record is None:
                        await self.executor.submit(
                            doc.doc,
                            job.inputs,
                            workflow_id=job.workflow_id,
                            version=doc.version,
                            config=_triggered_config(job.config),
                            run_id=job.run_id,
                        )
                    else:
                        resolver = self.executor.services.secrets
                        await secrets.check_document(
                            doc.doc, resolver, job.workflow_id, doc.checksum
                        )
                        await self.executor.recover(job.run_id)
            except Conflict:
                pass  # started before a crash, or by another process: follow that run
            except RunStateError:
                pass  # already running in this process (resumed at start-up)
            except (NotFound, DocumentError) as exc:
                message = str(exc.args[0]) if isinstance(exc, NotFound) and exc.args else str(exc)
                await self._not_started(job, message, record)
        elif record.status in ("pending", "running") and not owner_alive(record.owner):
            with contextlib.suppress(RunStateError):
                await self.executor.recover(job.run_id)  # its process died mid-run
        return await self.executor.wait(job.run_id)

    async def _settle(self, job: Job, status: str, error: str | None) -> None:
        now = self.clock.now()
        job.updated_at = iso(now)
        if status == "failed":
            job.attempts.append({"run_id": job.run_id, "error": error, "at": iso(now)})
            job.error = error
            if job.attempt < job.max_attempts and not self._stopping:
                delay = self.policy(job.workflow_id).delay(job.attempt, self._rand())
                job.attempt += 1
                job.run_id = uuid.uuid4().hex
                job.status = "retrying"
                job.not_before = iso(now + dt.timedelta(seconds=delay))
                await self.store.update_job(job)
                heapq.heappush(self._delayed, (parse_iso(job.not_before), next(self._order), job))
                self.settled["retrying"] += 1
                return
            if job.attempt < job.max_attempts:
                return  # stopping: the job stays open and is retried after the restart
            job.status = "dead"
            job.finished_at = iso(now)
        elif status in ("succeeded", "cancelled", "interrupted"):
            job.status = status  # type: ignore[assignment]
            job.finished_at = iso(now)
        else:
            return  # still pending/running elsewhere: the next start follows it again
        await self.store.update_job(job)
        self.settled[job.status] += 1
        self._open.discard(job.id)
        self._traces.pop(job.id, None)
        if job.source_key:
            self._open_by_source[job.source_key] -= 1

    # --- dead letters ------------------------------------------------------------------------
    async def retry_dead(self, job_id: str) -> Job:
        """Give a dead letter a fresh budget of attempts, starting now."""
        job = await self.store.get_job(job_id)
        if job.status != "dead":
            raise Conflict(f"job {job_id} is {job.status}, not a dead letter")
        job.status = "queued"
        job.run_id = uuid.uuid4().hex
        job.attempt += 1
        job.max_attempts = job.attempt + self.policy(job.workflow_id).max_attempts - 1
        job.not_before = None
        job.finished_at = None
        job.updated_at = iso(self.clock.now())
        await self.store.update_job(job)
        await self.prepare(job)
        self._admit(job)
        return job
