"""The trigger services as one object the server owns: webhooks, cron, polling, dispatch,
recovery.

Start-up order matters: runs a dead process left are recovered first (so a job
whose run is being resumed is followed, not started again), then the dispatcher
loads the open jobs, then every stored workflow's triggers are registered and the
cron scheduler starts. Registrations follow the API (create/update/delete) and a
periodic re-sync picks up workflows another process changed.

Webhook durability choice: the delivery and its job are stored in one
transaction before the 202 (in ``triggers.sqlite``, group-committed); the run
itself is created by the dispatcher under the run id chosen then, so creating it
again after a crash is refused by the run's primary key. A repeated
``Idempotency-Key`` finds the stored delivery and answers with its run id.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from .. import tracing
from ..runtime.executor import Executor
from ..runtime.secrets import CredentialError, SecretUnavailable, parse_ref
from ..settings import Settings
from ..spec.io import document_from_data
from ..spec.models import WorkflowDocument
from ..spec.problems import DocumentError, Problem
from ..spec.values import UnstorableValue
from ..store.base import NotFound
from .clock import Clock, SystemClock
from .config import DispatchPolicy, Triggers, TriggerSpec, WebhookConfig, triggers_of
from .cron import CronScheduler
from .dispatcher import Dispatcher, iso
from .kernel_runs import KernelRunSweeper
from .polling import HttpPoller
from .records import Accepted, Delivery, Job
from .recovery import RecoveryReport, recover_orphans
from .store import SqliteTriggerStore, TriggerStore
from .tasks import cancel_and_wait
from .webhook import RateLimiter, WebhookRejected, WebhookRequest, delivery_inputs, verify

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TriggerSettings:
    default_policy: DispatchPolicy = field(default_factory=DispatchPolicy)
    max_active: int = 16  # runs the dispatcher drives at once, all workflows together
    burst_max_active: int = 1  # ... while webhook deliveries arrive faster than burst_rate/s
    burst_rate: float = 200.0
    cron: bool = True
    polling: bool = True
    recover: bool = True
    resync_seconds: float = 10.0
    shutdown_grace: float = 5.0


@dataclass
class Registration:
    workflow_id: str
    slug: str
    version: int
    specs: list[TriggerSpec]
    problems: list[Problem]

    @property
    def webhook(self) -> TriggerSpec | None:
        return next((s for s in self.specs if s.type == "webhook" and s.enabled), None)


class TriggerService:
    def __init__(
        self,
        executor: Executor,
        store: TriggerStore,
        *,
        vault: Any = None,
        clock: Clock | None = None,
        settings: TriggerSettings | None = None,
    ) -> None:
        self.executor = executor
        self.store = store
        self.vault = vault
        self.clock = clock or SystemClock()
        self.settings = settings or TriggerSettings()
        self.dispatcher = Dispatcher(
            executor,
            store,
            clock=self.clock,
            default_policy=self.settings.default_policy,
            max_active=self.settings.max_active,
            burst_max_active=self.settings.burst_max_active,
            burst_rate=self.settings.burst_rate,
        )
        self.cron = CronScheduler(store, self.dispatcher, clock=self.clock)
        self.poller = HttpPoller(store, self.dispatcher, clock=self.clock, vault=vault)
        self.recovery = RecoveryReport()
        #: Fails the runs of notebook kernels that stopped mid-run.
        self.kernel_runs = KernelRunSweeper(executor)
        self._registrations: dict[str, Registration] = {}
        self._refs: dict[str, str] = {}  # id or slug -> workflow id
        self._limiter = RateLimiter()
        self._resync_task: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, executor: Executor, where: Settings | None = None, **kwargs: Any
    ) -> TriggerService:
        """The embedded service: its state in ``<data dir>/triggers.sqlite``."""
        where = where or Settings.from_env()
        store: TriggerStore
        if where.repository_backend == "postgres":  # beside the repository's tables
            from ..store.factory import postgres_dsn
            from .store_postgres import PostgresTriggerStore

            store = PostgresTriggerStore(postgres_dsn(where, "ORCHEO_REPOSITORY_BACKEND"))
        else:
            store = SqliteTriggerStore(where.triggers_file)
        await store.open()
        return cls(executor, store, **kwargs)

    async def start(self) -> None:
        if self.settings.recover:
            # Runs of open jobs are the dispatcher's: it resumes them within their limits.
            owed = {job.run_id for job in await self.store.open_jobs()}
            self.recovery = await recover_orphans(self.executor, exclude=owed)
            self.kernel_runs.start()
        await self.dispatcher.start()
        await self.cron.load()
        await self.poller.load()
        await self.resync()
        if self.settings.cron:
            self.cron.start()
        if self.settings.polling:
            self.poller.start()
        if self.settings.resync_seconds > 0:
            self._resync_task = asyncio.create_task(self._resync_loop(), name="orcheo-resync")

    async def stop(self) -> None:
        await self.kernel_runs.stop()
        if self._resync_task is not None:
            await cancel_and_wait(self._resync_task)
        await self.cron.stop()
        await self.poller.stop()
        await self.dispatcher.stop(self.settings.shutdown_grace)

    async def close(self) -> None:
        await self.stop()
        await self.store.close()

    # --- registrations ---------------------------------------------------------------------
    def check(self, doc: WorkflowDocument, workflow_id: str) -> None:
        """DocumentError naming each trigger setting that cannot work (before it is stored)."""
        _, problems = triggers_of(doc, workflow_id)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise DocumentError(errors)

    async def register(
        self, workflow_id: str, stored: tuple[int, Triggers] | None = None
    ) -> Registration | None:
        """(Re)read the workflow's latest version and apply its triggers.

        ``stored`` is a version the caller just stored and its triggers: used as they
        are while it is still the latest (reading and parsing a 10,000-node document
        again would hold the server's loop for a tenth of a second or more).
        """
        store = self.executor.store
        try:
            workflow = await store.get_workflow(workflow_id)
            if stored is not None and stored[0] == workflow.latest_version:
                number, (specs, problems) = stored
            else:
                version = await store.get_version(workflow.id)
                assert version.document is not None
                number = version.version
                specs, problems = triggers_of(document_from_data(version.document), workflow.id)
        except NotFound:
            await self.unregister(workflow_id)
            return None
        for problem in problems:
            log.warning("orcheo: workflow %s trigger problem: %s", workflow.id, problem)
        old = self._registrations.get(workflow.id)
        if old is not None and self._refs.get(old.slug) == workflow.id:
            del self._refs[old.slug]
        registration = Registration(workflow.id, workflow.slug, number, specs, problems)
        self._registrations[workflow.id] = registration
        self._refs[workflow.id] = workflow.id
        self._refs.setdefault(workflow.slug, workflow.id)
        await self.cron.set_workflow(workflow.id, specs, number)
        await self.poller.set_workflow(workflow.id, specs, number)
        return registration

    async def unregister(self, workflow_id: str) -> None:
        registration = self._registrations.pop(workflow_id, None)
        self._refs = {k: v for k, v in self._refs.items() if v != workflow_id}
        if registration is not None:
            await self.cron.set_workflow(workflow_id, [], None)
            await self.poller.set_workflow(workflow_id, [], None)

    async def forget(self, ref: str) -> None:
        """Unregister a deleted workflow named by id or slug."""
        workflow_id = self._refs.get(ref, ref)
        await self.unregister(workflow_id)

    async def resync(self) -> None:
        """Register every stored workflow whose latest version is not the one registered."""
        store = self.executor.store
        seen: set[str] = set()
        offset = 0
        while True:
            page, total = await store.list_workflows(limit=200, offset=offset)
            for workflow in page:
                seen.add(workflow.id)
                known = self._registrations.get(workflow.id)
                if known is None or known.version != workflow.latest_version:
                    await self.register(workflow.id)
            offset += len(page)
            if not page or offset >= total:
                break
        for workflow_id in set(self._registrations) - seen:
            await self.unregister(workflow_id)

    async def _resync_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.resync_seconds)
            try:
                await self.resync()
            except Exception:
                log.exception("orcheo: trigger re-sync failed")

    async def registration(self, ref: str) -> Registration | None:
        workflow_id = self._refs.get(ref)
        if workflow_id is None:
            try:
                workflow_id = (await self.executor.store.get_workflow(ref)).id
            except NotFound:
                return None
        registration = self._registrations.get(workflow_id)
        return registration if registration is not None else await self.register(workflow_id)

    # --- webhooks -----------------------------------------------------------------------------
    async def _secret(self, text: str, workflow_id: str, audits: list[asyncio.Future[None]]) -> str:
        ref = parse_ref(text)
        if ref is None or self.vault is None:
            raise WebhookRejected(
                503, "unavailable", "this webhook cannot verify deliveries now (no vault)"
            )
        try:
            value, audited = await self.vault.read_audited(
                ref, workflow_id=workflow_id, actor="webhook"
            )
        except SecretUnavailable as exc:
            log.warning("orcheo: webhook of workflow %s cannot verify: %s", workflow_id, exc)
            raise WebhookRejected(
                503,
                "unavailable",
                "this webhook cannot verify deliveries now: its credential is unavailable",
            ) from None
        audits.append(audited)
        return value

    async def _admit(self, job: Job) -> None:
        """Refuse, before the 202, a delivery whose run could never start."""
        try:
            await self.dispatcher.admit(job)
        except UnstorableValue as exc:
            details = [p.as_dict() for p in exc.problems]
            raise WebhookRejected(400, "invalid_value", exc.refusal, details=details) from None
        except CredentialError as exc:
            log.warning(
                "orcheo: webhook of workflow %s cannot start runs: %s", job.workflow_id, exc
            )
            raise WebhookRejected(
                503,
                "unavailable",
                "this webhook cannot start runs now: a credential its workflow uses is unavailable",
            ) from None
        except DocumentError as exc:
            details = [p.as_dict() for p in exc.problems]
            raise WebhookRejected(422, "invalid_inputs", str(exc), details=details) from None

    async def deliver(self, ref: str, request: WebhookRequest) -> Accepted:
        """Check and store one delivery; the job it makes is started by the dispatcher."""
        self.dispatcher.arrived()
        registration = await self.registration(ref)
        hook = registration.webhook if registration is not None else None
        if registration is None or hook is None or not isinstance(hook.config, WebhookConfig):
            raise WebhookRejected(404, "not_found", "no webhook at this address")
        config = hook.config
        workflow_id = registration.workflow_id
        now = self.clock.now()

        audits: list[asyncio.Future[None]] = []  # vault reads' audit entries, committing

        async def secret(text: str) -> str:
            return await self._secret(text, workflow_id, audits)

        try:
            verified = await verify(config, request, secret, now.timestamp())
            if config.rate_limit is not None:
                limit = config.rate_limit
                now_s = now.timestamp()
                self._limiter.check(workflow_id, limit.limit, limit.interval_seconds, now_s)
        except BaseException:
            await asyncio.gather(*audits)  # a refused delivery's secret reads are audited too
            raise
        job = self.dispatcher.new_job(
            workflow_id, {}, source="webhook", version=registration.version, source_key=hook.key
        )
        delivery_id = job.id  # one delivery, one job: they share the id
        received_at = iso(now)
        inputs, headers = delivery_inputs(config, request, delivery_id, received_at)
        job.inputs = inputs
        try:
            await self._admit(job)
        except BaseException:
            await asyncio.gather(*audits)
            raise
        delivery = Delivery(
            id=delivery_id,
            workflow_id=workflow_id,
            job_id=job.id,
            run_id=job.run_id,
            received_at=received_at,
            method=request.method.upper(),
            idempotency_key=verified.idempotency_key,
            signature=verified.signature,
            headers=headers,
            query=inputs["query"],
            body_sha256=hashlib.sha256(request.body).hexdigest(),
            body_bytes=len(request.body),
        )
        # The delivery and the audit of the secret read commit side by side (two files).
        stored = asyncio.ensure_future(self.store.accept_delivery(delivery, job))
        await asyncio.gather(stored, *audits)
        accepted = stored.result()
        if accepted.outcome == "accepted":
            await self.dispatcher.prepare(job)  # the run id answers from the 202 on
            self.dispatcher.add(job, tracing.carrier())  # the caller's traceparent, if any
        elif accepted.outcome == "replayed":
            raise WebhookRejected(
                409,
                "replayed",
                "this signed delivery was received before; a replay starts nothing "
                "(send a retry with the same Idempotency-Key to learn its run id)",
            )
        return accepted

    # --- manual dispatch -------------------------------------------------------------------------
    async def dispatch(
        self,
        workflow_id: str,
        runs: list[tuple[dict[str, Any], str | None]],
        *,
        version: int,
        config: dict[str, Any] | None = None,
    ) -> list[tuple[Job, bool]]:
        """Queue a batch of runs (inputs, optional idempotency key); all stored or none.

        Each job comes back with True when it is new, False when its key named an earlier one.
        """
        jobs = [
            self.dispatcher.new_job(
                workflow_id,
                inputs,
                source="manual",
                version=version,
                config=config,
                dedupe_key=key,
            )
            for inputs, key in runs
        ]
        return await self.dispatcher.enqueue(jobs)

    # --- what the API shows -----------------------------------------------------------------------
    async def describe(self, workflow_id: str) -> dict[str, Any]:
        registration = await self.registration(workflow_id)
        if registration is None:
            raise NotFound(f"workflow {workflow_id!r} not found")
        wid = registration.workflow_id
        hook = registration.webhook
        webhook = None
        if hook is not None and isinstance(hook.config, WebhookConfig):
            config = hook.config
            webhook = {
                "trigger_id": hook.trigger_id,
                "path": f"/orcheo/hooks/{registration.slug}",
                "methods": list(config.allowed_methods),
                "auth": config.auth,
                "idempotency_header": config.idempotency_header,
                "signature_header": config.hmac.signature_header if config.hmac else None,
                "timestamp_header": config.hmac.timestamp_header if config.hmac else None,
                "tolerance_seconds": config.hmac.tolerance_seconds if config.hmac else None,
            }
        triggers = []
        for spec in registration.specs:
            config_data = (
                spec.config
                if isinstance(spec.config, dict)
                else spec.config.model_dump(mode="json")
            )
            item: dict[str, Any] = {
                "id": spec.trigger_id,
                "type": spec.type,
                "enabled": spec.enabled,
                "source": spec.source,
                "config": config_data,
            }
            if spec.type == "cron":
                nxt, last = self.cron.next_fire(spec.key), self.cron.last_fire(spec.key)
                item["next_fire_at"] = iso(nxt) if nxt else None
                item["last_fire_at"] = iso(last) if last else None
                fires = await self.store.list_fires(wid, trigger_id=spec.trigger_id, limit=10)
                item["recent_fires"] = [f.as_dict() for f in fires]
            if spec.type == "http_polling":
                item.update(self.poller.status(spec.key) or {})
            triggers.append(item)
        _, dead = await self.store.list_jobs(workflow_id=wid, status="dead", limit=1)
        return {
            "workflow_id": wid,
            "version": registration.version,
            "webhook": webhook,
            "triggers": triggers,
            "problems": [p.as_dict() for p in registration.problems],
            "policy": self.dispatcher.policy(wid).model_dump(),
            "jobs": {**self.dispatcher.counts(wid), "dead": dead},
        }
