"""Workflow routes: CRUD over immutable versions, script import, and execute."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from .. import tracing
from ..runtime import breakpoints
from ..runtime.admission import ManualStart, is_large
from ..runtime.manual import ManualRefused
from ..spec.io import stored_form, stored_row, to_data
from ..spec.models import WorkflowDocument
from ..store.base import Conflict, NotFound
from ..store.errors import VersionConflict
from ..store.records import VersionRecord, WorkflowRecord
from .authz import EXECUTE, READ, WORKFLOWS, WRITE
from .base import OrcheoHandler, dumps, operation
from .document_worker import Stored, Upload, raise_failure, store_upload
from .errors import ApiError
from .intake import matching_id, with_final_id
from .models import (
    MAX_INT,
    ExecuteRequest,
    ExecutionAccepted,
    ImportPythonRequest,
    RestoredWorkflow,
    RestoreQuery,
    StoredWorkflow,
    ValidationReport,
    VersionDetail,
    VersionList,
    WorkflowDetail,
    WorkflowInput,
    WorkflowListQuery,
    WorkflowPage,
    WorkflowPutQuery,
)
from .services import check_triggers, triggers_changed, triggers_removed


def _detail(
    workflow: WorkflowRecord, version: VersionRecord, notices: list[str] | None = None
) -> dict[str, Any]:
    detail = {**workflow.as_dict(), "version": version.version, "document": version.document}
    if notices:
        detail["notices"] = notices
    return detail


def parse_version(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_INT:
        raise ApiError(
            422,
            "invalid_path",
            f"version must be a whole number from 1 to {MAX_INT}, not {text!r}",
            [
                {
                    "severity": "error",
                    "code": "int_parsing",
                    "message": "expected a version number",
                    "node": None,
                    "field": "path.version",
                }
            ],
        )
    return int(text)


class WorkflowBase(OrcheoHandler):
    """The workflow routes' family, also of those in ``diffs.py`` and ``node_tests.py``."""

    auth_resource = WORKFLOWS
    api_tag = "workflows"

    async def _store(self, body: WorkflowInput | Upload, workflow_id: str | None = None) -> Stored:
        """Admit the document: what storing it needs, its id filled in.

        A large body (``Upload``) is decoded, validated, compiled and encoded in the
        document worker in one trip, by the same steps as below.
        """
        if isinstance(body, Upload):
            outcome = raise_failure(
                await self.orcheo.document_worker.call(store_upload, body, workflow_id, False)
            )
            if isinstance(outcome, Stored):
                return outcome
            body = outcome.body  # a script graph: its index is built here
        assert isinstance(body, WorkflowInput)
        data = body.model_dump(mode="python")
        if is_large(data):  # more than a few hundred nodes in a small body: off the loop
            doc = await asyncio.to_thread(WorkflowDocument.model_validate, data)
        else:
            doc = WorkflowDocument.model_validate(data)
        matching_id(doc, workflow_id)
        compile_elsewhere = None
        if is_large(doc):  # a runner compiles it: the GIL stays with the server's loop
            compile_elsewhere = (await self.executor()).backend.compiler()
        doc = await self.orcheo.documents.admit(doc, compile_elsewhere)
        doc = with_final_id(doc, workflow_id or doc.id or uuid.uuid4().hex)
        assert doc.id is not None
        triggers = check_triggers(doc, doc.id)
        if is_large(doc):
            form = await asyncio.to_thread(stored_form, doc)
        else:
            form = stored_form(doc)
        return Stored.of(doc, form, body.notices, triggers)

    async def _create(self, body: WorkflowInput | Upload, workflow_id: str | None = None) -> None:
        ready = await self._store(body, workflow_id)
        store = (await self.executor()).store
        workflow = await store.create_workflow(
            ready.id, ready.name, ready.description, ready.tags, ready.checksum, ready.text
        )
        await triggers_changed(self.orcheo, workflow.id, (1, ready.triggers))
        self.reply_detail(
            201,
            workflow,
            1,
            ready.text,
            ready.notices,
            stored=True,
            location=self.api_url("workflows", workflow.id),
        )

    def reply_detail(
        self,
        status: int,
        workflow: WorkflowRecord,
        version: int,
        text: str,
        notices: list[str] | None = None,
        *,
        stored: bool,
        location: str | None = None,
    ) -> None:
        """The workflow with a stored version's document, as ``_detail`` gives it, and
        whether this request stored that version.

        The document's stored text goes out as it is: decoding and encoding a
        10,000-node document again would hold the loop for a tenth of a second.
        """
        fields = {**workflow.as_dict(), "version": version, "stored": stored}
        if notices:
            fields["notices"] = notices
        self.set_status(status)
        if location is not None:
            self.set_header("Location", location)
        self.set_header("Content-Type", "application/json")
        self.finish(f'{dumps(fields)[:-1]},"document":{text}}}')


class WorkflowsHandler(WorkflowBase):
    @operation(
        READ,
        operation_id="listWorkflows",
        summary="List workflows, newest change first",
        query=WorkflowListQuery,
        responses={200: WorkflowPage},
    )
    async def get(self, *, query: WorkflowListQuery) -> None:
        store = (await self.executor()).store
        items, total = await store.list_workflows(
            query=query.q, tag=query.tag, limit=query.limit, offset=query.offset, ref=query.id
        )
        self.reply_page([w.as_dict() for w in items], total, query)

    @operation(
        WRITE,
        operation_id="createWorkflow",
        summary="Create a workflow from a workflow document (version 1)",
        description="The document must build: frozen-ir graphs are validated and compiled, "
        "langgraph-script graphs pass the script import guardrails.",
        body=WorkflowInput,
        body_code="invalid_document",
        defer_large_body=True,
        responses={201: StoredWorkflow},
        errors=(409, 413),
    )
    async def post(self, *, body: WorkflowInput | Upload) -> None:
        await self._create(body)


class ImportPythonHandler(WorkflowBase):
    @operation(
        WRITE,
        operation_id="importPython",
        summary="Create a workflow from a LangGraph Python script",
        description="Scripts over 128 KiB (UTF-8) are refused before parsing (413). The script "
        "is compiled with RestrictedPython and an import allow-list, and its graph is built in "
        "a child process stopped after the configured time limit (default 60 s). The graph is "
        "the entrypoint named, else orcheo_workflow(), else the script's only StateGraph.",
        body=ImportPythonRequest,
        responses={201: StoredWorkflow},
        errors=(409, 413),
    )
    async def post(self, *, body: ImportPythonRequest) -> None:
        from ..ingest import import_script

        doc = await import_script(
            body.script, body.name, body.entrypoint, limits=self.orcheo.documents.limits
        )
        workflow_id = uuid.uuid4().hex
        doc = doc.model_copy(update={"id": workflow_id})
        store = (await self.executor()).store
        workflow = await store.create_workflow(workflow_id, *stored_row(doc))
        version = await store.get_version(workflow.id, 1)
        self.reply(
            201,
            {**_detail(workflow, version), "stored": True},
            location=self.api_url("workflows", workflow.id),
        )


class ValidateHandler(WorkflowBase):
    @operation(
        READ,  # checks a document, stores nothing
        operation_id="validateWorkflow",
        summary="Problems of a workflow document, found without storing or running it",
        description="The rules the server applies before it stores or runs a document (node "
        "configs against their node types, graph structure, inputs_schema), plus warnings such "
        "as unreachable nodes. A document that does not parse is answered with 422, its "
        "problems in the error's details. The canvas badges nodes with this answer.",
        body=WorkflowInput,
        body_code="invalid_document",
        responses={200: ValidationReport},
        errors=(413,),
    )
    async def post(self, *, body: WorkflowInput) -> None:
        doc = WorkflowDocument.model_validate(body.model_dump(mode="python"))
        problems = self.orcheo.documents.problems(doc)
        report: dict[str, Any] = {"problems": [p.as_dict() for p in problems]}
        if body.notices:  # converted (legacy JSON): editors take the converted document
            report.update(document=to_data(doc), notices=body.notices)
        self.reply(200, report)


class WorkflowHandler(WorkflowBase):
    @operation(
        READ,
        operation_id="getWorkflow",
        summary="A workflow and its latest document (by id or slug)",
        responses={200: WorkflowDetail},
    )
    async def get(self, workflow_id: str) -> None:
        store = (await self.executor()).store
        workflow = await store.get_workflow(workflow_id)
        version = await store.get_version(workflow.id)
        self.reply(200, _detail(workflow, version))

    @operation(
        WRITE,
        operation_id="updateWorkflow",
        summary="Store a new immutable version of the workflow",
        description="An unchanged document keeps the latest version number. A missing "
        "workflow is a 404, unless create=true asks for it to be created under this id. "
        "With base_version, a workflow saved by someone else since is a 409.",
        query=WorkflowPutQuery,
        body=WorkflowInput,
        body_code="invalid_document",
        defer_large_body=True,
        responses={200: StoredWorkflow, 201: StoredWorkflow},
        errors=(409, 413),
    )
    async def put(
        self, workflow_id: str, *, query: WorkflowPutQuery, body: WorkflowInput | Upload
    ) -> None:
        store = (await self.executor()).store
        try:
            workflow = await store.get_workflow(workflow_id)
        except NotFound:
            if query.create:
                try:
                    await self._create(body, workflow_id)
                except Conflict as exc:  # created by someone else since get_workflow
                    if query.base_version != 0:
                        raise
                    latest = (await store.get_workflow(workflow_id)).latest_version
                    raise VersionConflict(workflow_id, 0, latest) from exc
                return
            if isinstance(body, Upload):  # an invalid body is a 422 first, as a small one is
                check = store_upload, body, None, True
                raise_failure(await self.orcheo.document_worker.call(*check))
            raise
        ready = await self._store(body, workflow.id)
        version = await store.add_version(
            workflow.id,
            ready.name,
            ready.description,
            ready.tags,
            ready.checksum,
            ready.text,
            with_document=False,  # the reply sends ready.text: decoding it again holds the loop
            base_version=query.base_version,
        )
        await triggers_changed(self.orcheo, workflow.id, (version.version, ready.triggers))
        workflow = await store.get_workflow(workflow.id)
        self.reply_detail(
            200, workflow, version.version, ready.text, ready.notices, stored=version.stored
        )

    @operation(
        WRITE,
        operation_id="deleteWorkflow",
        summary="Delete a workflow and its versions (its runs stay in the history)",
        responses={204: None},
    )
    async def delete(self, workflow_id: str) -> None:
        store = (await self.executor()).store
        await store.delete_workflow(workflow_id)
        await triggers_removed(self.orcheo, workflow_id)
        self.reply(204)


class VersionsHandler(WorkflowBase):
    @operation(
        READ,
        operation_id="listVersions",
        summary="The workflow's versions, oldest first",
        responses={200: VersionList},
    )
    async def get(self, workflow_id: str) -> None:
        store = (await self.executor()).store
        versions = await store.list_versions(workflow_id)
        self.reply(
            200,
            {
                "items": [
                    {k: v for k, v in r.as_dict().items() if k != "document"} for r in versions
                ]
            },
        )


class VersionHandler(WorkflowBase):
    @operation(
        READ,
        operation_id="getVersion",
        summary="One version of a workflow, with its document",
        responses={200: VersionDetail},
    )
    async def get(self, workflow_id: str, version: str) -> None:
        number = parse_version(version)
        store = (await self.executor()).store
        record = await store.get_version(workflow_id, number)
        self.reply(200, record.as_dict())


class RestoreVersionHandler(WorkflowBase):
    @operation(
        WRITE,
        operation_id="restoreVersion",
        summary="Make an earlier version current again, stored as a new version",
        description="The old document is checked as any save is (node configs, graph, "
        "triggers) and stored as the next version; no version is deleted or changed. "
        "Restoring the document the latest version already has keeps its number. With "
        "base_version, a workflow saved by someone else since is a 409.",
        query=RestoreQuery,
        responses={200: RestoredWorkflow},
        errors=(409,),
    )
    async def post(self, workflow_id: str, version: str, *, query: RestoreQuery) -> None:
        number = parse_version(version)
        store = (await self.executor()).store
        workflow = await store.get_workflow(workflow_id)
        old = await store.get_version(workflow.id, number)
        assert old.document is not None
        doc = await self.orcheo.documents.admit(WorkflowDocument.model_validate(old.document))
        doc = doc.model_copy(update={"id": workflow.id})
        check_triggers(doc, workflow.id)
        stored = await store.add_version(
            workflow.id, *stored_row(doc), base_version=query.base_version
        )
        await triggers_changed(self.orcheo, workflow.id)
        workflow = await store.get_workflow(workflow.id)
        # add_version answered with the version's document: no second read.
        detail = _detail(workflow, stored)
        self.reply(200, {**detail, "stored": stored.stored, "restored_from": number})


class ExecuteHandler(WorkflowBase):
    api_tag = "executions"  # a run of the workflow, documented with the other run routes

    @operation(
        EXECUTE,
        operation_id="executeWorkflow",
        summary="Start a run of the workflow; answers at once with its id",
        description="The run continues in the background: follow it with GET "
        "/orcheo/api/executions/{id}, its events, or the WebSocket "
        "/orcheo/ws/executions/{id}?after=N.",
        body=ExecuteRequest,
        responses={202: ExecutionAccepted},
        errors=(403, 413, 429),
    )
    async def post(self, workflow_id: str, *, body: ExecuteRequest) -> None:
        executor = await self.executor()
        # One store round trip: the version lookup resolves the id or slug itself.
        version = await executor.store.get_version(workflow_id, body.version, with_document=False)
        doc = self.orcheo.documents.cached(version.checksum)
        if doc is None:  # not parsed since this server started: read and parse it
            version = await executor.store.get_version(workflow_id, version.version)
            assert version.document is not None
            doc = await self.orcheo.documents.parsed_off_loop(
                version.checksum, version.document, self.orcheo.document_worker
            )
        config = body.config.model_dump(exclude_none=True) if body.config else None
        # A start by hand: the workflow's manual triggers decide (admission.admit).
        manual = ManualStart(getattr(self.current_user, "username", None), body.comment)
        config = breakpoints.into_config(config, body.break_before, body.break_after)
        # A caller's W3C ``traceparent``: the run's spans continue the caller's trace.
        try:
            with tracing.continued(self.request.headers):
                run_id = await executor.submit(
                    doc,
                    body.inputs,
                    workflow_id=version.workflow_id,
                    version=version.version,
                    config=config,
                    manual=manual,
                )
        except ManualRefused as exc:
            headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
            raise ApiError(exc.status, exc.code, exc.message, headers=headers) from None
        self.reply_started(run_id)
