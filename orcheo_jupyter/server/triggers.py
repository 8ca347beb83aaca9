"""Trigger routes: a workflow's triggers and dispatch policy, batch dispatch, dead letters.

Triggers themselves live in the workflow document (its ``triggers`` member and
trigger nodes); ``PUT .../triggers`` with ``triggers`` stores a new version of the
document with them, exactly as ``PUT /workflows/{id}`` would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from ..runtime.admission import admit_batch
from ..spec.io import stored_row
from ..spec.models import Trigger
from ..store.errors import VersionConflict
from ..triggers.config import DispatchPolicy
from ..triggers.records import Delivery, Job
from .authz import EXECUTE, READ, TRIGGERS, WRITE
from .base import OrcheoHandler, operation
from .models import MAX_INT, Page, PageQuery, RequestBody, RunConfig, record_fields
from .services import check_triggers

if TYPE_CHECKING:
    from ..triggers import TriggerService

MAX_BATCH = 1000
#: Times a triggers update is applied to the latest version when saves keep landing
#: between its read and its write (each retry re-reads what they stored).
_TRIGGER_WRITE_ATTEMPTS = 3


class TriggersUpdate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "triggers": [
                        {
                            "type": "webhook",
                            "id": "hook",
                            "config": {"hmac": {"secret": "[[hook_secret]]"}},
                        },
                        {"type": "cron", "id": "nightly", "config": {"expression": "0 3 * * *"}},
                    ],
                    "policy": {"max_concurrency": 2, "max_attempts": 5},
                }
            ]
        },
    )

    triggers: list[Trigger] | None = Field(
        None, description="Replaces the document's triggers (stored as a new version)."
    )
    policy: DispatchPolicy | None = Field(
        None, description="Concurrency limit and retries of this workflow's dispatched runs."
    )


class WebhookInfo(BaseModel):
    trigger_id: str
    path: str = Field(description="Path under the server's base URL; no Jupyter auth.")
    methods: list[str]
    auth: str
    idempotency_header: str
    signature_header: str | None
    timestamp_header: str | None
    tolerance_seconds: int | None


class TriggerInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    type: str
    enabled: bool
    source: str
    config: dict[str, Any]


class JobCounts(BaseModel):
    queued: int
    running: int
    retrying: int
    dead: int


class TriggersDetail(BaseModel):
    workflow_id: str
    version: int
    webhook: WebhookInfo | None
    triggers: list[TriggerInfo]
    problems: list[dict[str, Any]]
    policy: DispatchPolicy
    jobs: JobCounts


class DispatchRun(RequestBody):
    inputs: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        description="A key sent again returns the run it started and starts nothing.",
    )


class DispatchRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"runs": [{"inputs": {"n": 1}}, {"inputs": {"n": 2}, "idempotency_key": "b"}]}
            ]
        },
    )

    runs: list[DispatchRun] = Field(min_length=1, max_length=MAX_BATCH)
    version: int | None = Field(None, ge=1, le=MAX_INT)
    config: RunConfig | None = None


class Dispatched(BaseModel):
    execution_id: str
    job_id: str
    duplicate: bool


class DispatchAccepted(BaseModel):
    items: list[Dispatched]


class DeadLetter(BaseModel):
    id: str
    workflow_id: str
    version: int | None
    source: str
    inputs: dict[str, Any]
    status: str
    run_id: str = Field(description="The last attempt's run.")
    attempt: int
    attempts: list[dict[str, Any]] = Field(description="Each failed attempt: run_id, error, at.")
    error: str | None
    created_at: str
    finished_at: str | None


class DeadLetterPage(Page[DeadLetter]):
    pass


class DeadLetterQuery(PageQuery):
    workflow_id: str | None = Field(None, max_length=200)


class RetryAccepted(BaseModel):
    execution_id: str
    job_id: str


@record_fields(Delivery)
class DeliveryOut(BaseModel):
    pass


class DeliveryPage(Page[DeliveryOut]):
    pass


_DEAD_FIELDS = tuple(DeadLetter.model_fields)


def _dead(job: Job) -> dict[str, Any]:
    data = job.as_dict()
    return {k: data[k] for k in _DEAD_FIELDS}


class _TriggerBase(OrcheoHandler):
    auth_resource = TRIGGERS
    api_tag = "triggers"

    async def triggers(self) -> TriggerService:
        await self.executor()
        return self.orcheo.services.triggers


class WorkflowTriggersHandler(_TriggerBase):
    @operation(
        READ,
        operation_id="getTriggers",
        summary="The workflow's triggers with their state: webhook path, next and last cron "
        "fires, next and last HTTP polls, dispatch policy and job counts",
        responses={200: TriggersDetail},
    )
    async def get(self, workflow_id: str) -> None:
        self.reply(200, await (await self.triggers()).describe(workflow_id))

    @operation(
        WRITE,
        operation_id="updateTriggers",
        summary="Replace the workflow's triggers (a new version) and/or its dispatch policy",
        body=TriggersUpdate,
        body_code="invalid_document",
        responses={200: TriggersDetail},
        errors=(409,),
    )
    async def put(self, workflow_id: str, *, body: TriggersUpdate) -> None:
        service = await self.triggers()
        store = (await self.executor()).store
        workflow = await store.get_workflow(workflow_id)
        if body.triggers is not None:
            for attempt in range(_TRIGGER_WRITE_ATTEMPTS):
                latest = await store.get_version(workflow.id)
                assert latest.document is not None
                doc = self.orcheo.documents.parsed(latest.checksum, latest.document)
                doc = doc.model_copy(update={"triggers": list(body.triggers)})
                check_triggers(doc, workflow.id)
                try:  # on the version read: a save made meanwhile is not replaced
                    await store.add_version(
                        workflow.id, *stored_row(doc), base_version=latest.version
                    )
                    break
                except VersionConflict:
                    if attempt + 1 == _TRIGGER_WRITE_ATTEMPTS:
                        raise  # 409: saved again and again meanwhile
            await service.register(workflow.id)
        if body.policy is not None:
            await service.dispatcher.set_policy(workflow.id, body.policy)
        self.reply(200, await service.describe(workflow.id))


class DispatchHandler(_TriggerBase):
    @operation(
        EXECUTE,
        operation_id="dispatchRuns",
        summary="Queue a batch of runs; they start within the workflow's concurrency limit",
        description="Every run is stored before the answer (all or none). Failed runs are "
        "retried with exponential backoff up to the policy's max_attempts; then they are "
        "dead letters (GET /orcheo/api/dead-letters). Missing, expired or out-of-scope "
        "credentials refuse the whole batch with a 422 naming them.",
        body=DispatchRequest,
        responses={202: DispatchAccepted},
        errors=(413,),
    )
    async def post(self, workflow_id: str, *, body: DispatchRequest) -> None:
        service = await self.triggers()
        executor = await self.executor()
        version = await executor.store.get_version(workflow_id, body.version)
        assert version.document is not None
        doc = self.orcheo.documents.parsed(version.checksum, version.document)
        admitted = await admit_batch(
            doc,
            [run.inputs for run in body.runs],
            workflow_id=version.workflow_id,
            checksum=version.checksum,
            resolver=executor.services.secrets,
            limits=executor.value_limits,
        )
        config = body.config.model_dump(exclude_none=True) if body.config else None
        runs = [
            (inputs, run.idempotency_key) for inputs, run in zip(admitted, body.runs, strict=True)
        ]
        jobs = await service.dispatch(
            version.workflow_id, runs, version=version.version, config=config
        )
        items = [
            {
                "execution_id": job.attempts[0]["run_id"] if job.attempts else job.run_id,
                "job_id": job.id,
                "duplicate": not new,
            }
            for job, new in jobs
        ]
        self.reply(202, {"items": items})


class DeadLettersHandler(_TriggerBase):
    @operation(
        READ,
        operation_id="listDeadLetters",
        summary="Jobs that ran out of attempts, newest first, with every attempt's error",
        query=DeadLetterQuery,
        responses={200: DeadLetterPage},
    )
    async def get(self, *, query: DeadLetterQuery) -> None:
        service = await self.triggers()
        workflow_id = query.workflow_id
        if workflow_id:
            registration = await service.registration(workflow_id)
            workflow_id = registration.workflow_id if registration else workflow_id
        jobs, total = await service.store.list_jobs(
            workflow_id=workflow_id, status="dead", limit=query.limit, offset=query.offset
        )
        self.reply_page([_dead(j) for j in jobs], total, query)


class DeadLetterHandler(_TriggerBase):
    async def _job(self, job_id: str) -> Job:
        from ..store.base import NotFound

        job = await (await self.triggers()).store.get_job(job_id)
        if job.status != "dead":
            raise NotFound(f"dead letter {job_id!r} not found (the job is {job.status})")
        return job

    @operation(
        READ,
        operation_id="getDeadLetter",
        summary="One dead letter",
        responses={200: DeadLetter},
    )
    async def get(self, job_id: str) -> None:
        self.reply(200, _dead(await self._job(job_id)))

    @operation(
        WRITE,
        operation_id="discardDeadLetter",
        summary="Forget a dead letter (its runs stay in the history)",
        responses={204: None},
    )
    async def delete(self, job_id: str) -> None:
        job = await self._job(job_id)
        await (await self.triggers()).store.delete_job(job.id)
        self.reply(204)


class DeadLetterRetryHandler(_TriggerBase):
    @operation(
        EXECUTE,
        operation_id="retryDeadLetter",
        summary="Run a dead letter again, with a fresh budget of attempts",
        responses={202: RetryAccepted},
        errors=(409,),
    )
    async def post(self, job_id: str) -> None:
        job = await (await self.triggers()).dispatcher.retry_dead(job_id)
        self.reply_started(job.run_id, job_id=job.id)


class DeliveriesHandler(_TriggerBase):
    @operation(
        READ,
        operation_id="listDeliveries",
        summary="Webhook deliveries the workflow accepted, newest first, with their runs",
        query=PageQuery,
        responses={200: DeliveryPage},
    )
    async def get(self, workflow_id: str, *, query: PageQuery) -> None:
        service = await self.triggers()
        workflow = await (await self.executor()).store.get_workflow(workflow_id)
        items, total = await service.store.list_deliveries(
            workflow.id, limit=query.limit, offset=query.offset
        )
        self.reply_page([d.as_dict() for d in items], total, query)
