"""Request and response bodies of the REST API.

These pydantic models are the one source of truth for the API's shapes: the
handlers validate requests with them, and ``openapi.py`` generates the
checked-in OpenAPI document from them, so the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Generic, Literal, TypeVar, get_type_hints

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    create_model,
    model_validator,
)

from ..spec.legacy import legacy_document, looks_legacy
from ..spec.models import WorkflowDocument
from ..spec.refs import NAME_PATTERN
from ..store.records import VersionRecord, WorkflowRecord
from .limits import MAX_INT

ID_PATTERN = f"^{NAME_PATTERN}$"

RunStatusName = Literal["pending", "running", "interrupted", "succeeded", "failed", "cancelled"]


class _Model(BaseModel):
    """Validators are built on first use, not when the server extension loads."""

    model_config = ConfigDict(defer_build=True)


class RequestBody(_Model):
    """A request body: a field it does not name is refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


class _Query(_Model):
    """A query string: parameters it does not name are ignored, not refused."""

    model_config = ConfigDict(extra="ignore")


T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def record_fields(
    record: type[Any], *, leave_out: tuple[str, ...] = ()
) -> Callable[[type[M]], type[M]]:
    """Make the decorated response model carry ``record``'s fields, each required (an
    answer always holds them all), except the record's ``private`` ones and ``leave_out``.

    A store record's shape is what the API answers with (``Record.as_dict``): the
    model takes it from the dataclass instead of restating it, so the two cannot drift.
    The store knows nothing of this; the model may add fields of its own.
    """

    def derive(model: type[M]) -> type[M]:
        hints = get_type_hints(record)
        hidden = (*getattr(record, "private", ()), *leave_out)
        fields: dict[str, Any] = {
            f.name: (hints[f.name], ...) for f in dataclasses.fields(record) if f.name not in hidden
        }
        return create_model(
            model.__name__,
            __base__=model,
            __module__=model.__module__,
            __doc__=model.__doc__,
            **fields,
        )

    return derive


class Page(_Model, Generic[T]):
    """One page of a list: its items, how many there are in all, and the page asked for.

    Each list answers a named subclass (``WorkflowPage``...), so the API document
    keeps one schema name per list.
    """

    items: list[T]
    total: int
    limit: int
    offset: int


# --- requests ----------------------------------------------------------------
EXAMPLE_DOCUMENT: dict[str, Any] = {
    "name": "greet",
    "description": "Say hello",
    "tags": ["demo"],
    "graph": {
        "format": "frozen-ir",
        "ir": {
            "nodes": [
                {
                    "kind": "builtin",
                    "id": "hello",
                    "type": "SetVariableNode",
                    "config": {"variables": {"message": "Hello {{inputs.name}}!"}},
                }
            ],
            "edges": [
                {"source": "__start__", "target": "hello"},
                {"source": "hello", "target": "__end__"},
            ],
        },
    },
}

EXAMPLE_SCRIPT = """\
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class State(TypedDict):
    count: int


def bump(state: State) -> dict:
    return {"count": state["count"] + 1}


def orcheo_workflow():
    graph = StateGraph(State)
    graph.add_node("bump", bump)
    graph.add_edge(START, "bump")
    graph.add_edge("bump", END)
    return graph
"""


class WorkflowInput(WorkflowDocument):
    """A workflow document as sent to create or update a workflow.

    Orcheo's legacy JSON (top-level ``nodes``/``edges``) is accepted too and
    converted as the CLI converts it; ``notices`` says what the conversion did.
    """

    model_config = ConfigDict(defer_build=True, json_schema_extra={"examples": [EXAMPLE_DOCUMENT]})

    id: str | None = Field(
        None,
        pattern=ID_PATTERN,
        description="Workflow id; generated when absent. Letters, digits, '.', '_', '-'.",
    )
    _notices: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _from_legacy(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        if not looks_legacy(data):
            return handler(data)
        payload, notices = legacy_document(data, "workflow")
        document = handler(payload)
        document._notices = notices
        return document

    @property
    def notices(self) -> list[str]:
        """What converting a legacy document changed (empty for a plain document)."""
        return list(self._notices)


class ImportPythonRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"script": EXAMPLE_SCRIPT, "name": "count"}]},
    )

    script: str = Field(description="Python source that builds a LangGraph StateGraph.")
    name: str = Field(min_length=1, max_length=200, description="Name of the new workflow.")
    entrypoint: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Name of the StateGraph (or of a function returning one) in the script. "
        "Default: orcheo_workflow(), else the script's only StateGraph.",
    )


class RunConfig(RequestBody):
    configurable: dict[str, Any] = Field(
        default_factory=dict, description="Values templates read as {{config.configurable.x}}."
    )
    recursion_limit: int | None = Field(None, ge=1, le=100_000)


class ExecuteRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"inputs": {"name": "Ada", "count": 1}}]}
    )

    inputs: dict[str, Any] = Field(
        default_factory=dict, description="Run inputs (checked against inputs_schema)."
    )
    config: RunConfig | None = None
    version: int | None = Field(
        None, ge=1, le=MAX_INT, description="Workflow version to run; default the latest."
    )
    break_before: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="Pause before these nodes (the run shows as interrupted with its state; "
        "resume continues it).",
    )
    break_after: list[str] = Field(
        default_factory=list, max_length=500, description="Pause after these nodes."
    )
    comment: str | None = Field(
        None,
        max_length=2000,
        description="Why this run is started; required when a manual trigger asks for one. "
        "Nodes read it (and who started the run) as {{config.manual.comment}} / "
        "{{config.manual.actor}}.",
    )


class ResumeRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"value": "yes"}]})

    value: Any = Field(description="The answer to the pending interrupt (any JSON value).")


class RerunRequest(RequestBody):
    checkpoint_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Checkpoint to re-run from (see .../checkpoints); default the start.",
    )
    state_patch: dict[str, Any] | None = Field(
        None,
        description="Edit the state at the checkpoint before the new run starts from it "
        "(fork): results merge by node id, other keys are replaced. Needs checkpoint_id.",
    )

    @model_validator(mode="after")
    def _patch_needs_checkpoint(self) -> RerunRequest:
        if self.state_patch and not self.checkpoint_id:
            raise ValueError("state_patch needs a checkpoint_id to fork from")
        return self


# --- query strings -------------------------------------------------------------
class PageQuery(_Query):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_INT)


class WorkflowListQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="Text in name, description or slug.")
    tag: str | None = Field(None, max_length=200)
    id: str | None = Field(
        None,
        max_length=200,
        description="Only the workflow with this id or slug: an editor asks whether its "
        "document was ever stored and gets an empty page, not a 404, when it was not.",
    )


class ExecutionListQuery(PageQuery):
    workflow_id: str | None = Field(None, max_length=200)
    status: RunStatusName | None = None
    id_prefix: str | None = Field(
        None,
        min_length=4,
        max_length=64,
        pattern=r"^[A-Za-z0-9-]+$",
        description="Only runs whose id starts with this (the short ids the UI shows).",
    )


class EventsQuery(_Query):
    after: int = Field(0, ge=0, le=MAX_INT, description="Only events with a larger seq.")
    limit: int = Field(1000, ge=1, le=10_000)
    max_bytes: int = Field(
        4 * 1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="Stop once the page's events take this many bytes of JSON (a page "
        "always holds at least one event); continue from next_after.",
    )


class WorkflowPutQuery(_Query):
    create: bool = Field(
        False,
        description="true creates a missing workflow under the path's id (201, version 1) "
        "instead of answering 404: an editor saves a document it may never have stored.",
    )
    base_version: int | None = Field(
        None,
        ge=0,
        description="The version this edit was made from: when the workflow's latest "
        "version is another (someone saved in between), 409 and nothing is stored, "
        "instead of the later save silently replacing the other. 0: the edit was made "
        "from no stored version, so with create=true a workflow someone else created "
        "since is a 409 too.",
    )


class RestoreQuery(_Query):
    base_version: int | None = Field(
        None,
        ge=1,
        description="The latest version when the restore was chosen: when another is the "
        "latest now (someone saved in between), 409 and nothing is stored, instead of the "
        "restore silently replacing their version.",
    )


class ExecutionQuery(_Query):
    values: bool = Field(
        True,
        description="false leaves out inputs and final_state (which may be large): "
        "status, node states, error and pending interrupts only.",
    )


# --- responses ----------------------------------------------------------------
class ErrorDetail(_Model):
    code: str
    message: str
    details: Any = None


class ErrorBody(_Model):
    error: ErrorDetail


@record_fields(WorkflowRecord)
class WorkflowSummary(_Model):
    pass


class WorkflowDetail(WorkflowSummary):
    version: int = Field(description="The version whose document is shown.")
    document: WorkflowDocument
    notices: list[str] = Field(
        default_factory=list,
        description="On create/update: what converting the sent document changed "
        "(e.g. Orcheo's legacy JSON to frozen-ir); absent otherwise.",
    )


class StoredWorkflow(WorkflowDetail):
    stored: bool = Field(
        description="Whether this request stored a new version. False: the latest version "
        "already held this very document, so its number was kept and nothing was stored "
        "(possibly a version someone else stored since the caller last looked)."
    )


class RestoredWorkflow(StoredWorkflow):
    restored_from: int = Field(description="The version whose document was restored.")


class WorkflowPage(Page[WorkflowSummary]):
    pass


@record_fields(VersionRecord, leave_out=("document",))
class VersionSummary(_Model):
    pass


class VersionDetail(VersionSummary):
    document: WorkflowDocument


class VersionList(_Model):
    items: list[VersionSummary]


class ExecutionAccepted(_Model):
    execution_id: str


class Transition(_Model):
    status: RunStatusName
    at: str


class Execution(_Model):
    id: str
    workflow_id: str | None
    version: int | None
    status: RunStatusName
    inputs: dict[str, Any] | None = Field(
        None, description="The run's inputs (left out with ?values=false)."
    )
    config: dict[str, Any]
    error: str | None
    final_state: dict[str, Any] | None = Field(
        None,
        description="When done (left out with ?values=false). Large inputs repeated in it "
        'read {"$ref": "#/inputs"}: the inputs above.',
    )
    node_states: dict[str, str]
    interrupt: list[dict[str, Any]] | None
    parent_run_id: str | None
    parent_checkpoint_id: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str
    last_seq: int
    transitions: list[Transition] = Field(default_factory=list)


class ExecutionSummary(_Model):
    id: str
    workflow_id: str | None
    version: int | None
    status: RunStatusName
    error: str | None
    parent_run_id: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    last_seq: int


class ExecutionPage(Page[ExecutionSummary]):
    pass


class Event(_Model):
    run_id: str
    seq: int
    type: str
    at: str
    node: str | None
    data: dict[str, Any]


class EventPage(_Model):
    items: list[Event]
    next_after: int = Field(description="Pass as ?after= to get the events that follow.")
    done: bool = Field(description="True once the run's terminal event is in items or before.")


class Checkpoint(_Model):
    checkpoint_id: str
    step: int | None
    next: list[str]
    created_at: str | None
    results: Any


class CheckpointList(_Model):
    items: list[Checkpoint]


class CheckpointDetail(Checkpoint):
    values: dict[str, Any] = Field(description="The whole state at this checkpoint.")


class SpanStatus(_Model):
    code: Literal["unset", "ok", "error"]
    message: str | None = None


class SpanEvent(_Model):
    name: str
    time_ns: int
    attributes: dict[str, Any]


class SpanLink(_Model):
    trace_id: str
    span_id: str
    attributes: dict[str, Any]


class Span(_Model):
    """One OpenTelemetry span of the run, as stored with it."""

    trace_id: str = Field(description="32 hex digits (W3C trace id).")
    span_id: str = Field(description="16 hex digits.")
    parent_span_id: str | None
    name: str = Field(description="orcheo.submit, orcheo.run, orcheo.node, 'chat <model>', GET...")
    kind: str
    start_ns: int = Field(description="Start, in nanoseconds since the Unix epoch.")
    end_ns: int
    start_ms: float = Field(description="Start, in milliseconds since the Unix epoch.")
    duration_ms: float
    status: SpanStatus
    attributes: dict[str, Any]
    events: list[SpanEvent]
    service: dict[str, Any] = Field(description="service.name and pid of the process.")
    links: list[SpanLink] = Field(
        default_factory=list,
        description="Spans of other traces this one relates to (a resumed part of a run "
        "links the request that resumed it; orcheo.link says how).",
    )


class Trace(_Model):
    execution_id: str
    trace_ids: list[str] = Field(description="Trace ids of the spans, first-started first.")
    stored: bool = Field(
        description="Whether this server keeps runs' spans (ORCHEO_TRACE_STORE / "
        "c.OrcheoApp.trace_store); when false, spans are only exported."
    )
    spans: list[Span] = Field(description="In start order.")


class NodeType(_Model):
    model_config = ConfigDict(extra="allow")

    type: str
    category: str
    description: str
    icon: str
    trigger: bool
    config_schema: dict[str, Any]


class NodeCatalog(_Model):
    items: list[NodeType]


class TemplateSummary(_Model):
    name: str
    title: str
    description: str
    tags: list[str]


class TemplateCatalog(_Model):
    items: list[TemplateSummary]


class TemplateDocument(_Model):
    """A workflow document (see schema/workflow.schema.json)."""

    model_config = ConfigDict(extra="allow")

    name: str
    graph: dict[str, Any]


class ProblemItem(_Model):
    severity: Literal["error", "warning"]
    code: str
    message: str
    node: str | None = None
    field: str | None = None


class ValidationReport(_Model):
    problems: list[ProblemItem] = Field(
        description="Every problem the server finds before storing or running, errors first."
    )
    document: WorkflowDocument | None = Field(
        None,
        description="Only when the sent document was converted (Orcheo's legacy JSON): the "
        "document it became, which editors show and save instead.",
    )
    notices: list[str] = Field(
        default_factory=list, description="What the conversion changed (with ``document``)."
    )


class OpenAPIDocument(_Model):
    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


class Changes(_Model):
    """Items of one kind added, removed and changed (changed: identity + field changes)."""

    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[dict[str, Any]] = Field(
        default_factory=list,
        description='Each {"id" or "source"/"target", "changes": [{"field", "before", '
        '"after", "text_diff"?}]}; a missing "before"/"after" means absent.',
    )


class VersionDiff(_Model):
    workflow_id: str
    from_version: int
    to_version: int
    summary: str = Field(description="One line, e.g. '1 node added, 2 nodes changed'.")
    nodes: Changes
    edges: Changes
    conditional_edges: Changes
    triggers: Changes
    document: list[dict[str, Any]] = Field(
        description="Changed document fields (name, description, tags, inputs_schema...)."
    )
    layout_changed: bool = Field(description="Only positions/viewport/comments differ.")


def _run_node_field() -> Any:
    return Field(
        None,
        min_length=1,
        description="The node's id in that run, when it was renamed since (the canvas sends "
        "the id the run knew): its input is looked up under this id. Default: the node's id.",
    )


class NodeTestRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"run_id": "0f3c..."}, {"state": {}}]}
    )

    run_id: str | None = Field(None, description="Test on the state the node received in this run.")
    run_node: str | None = _run_node_field()
    state: dict[str, Any] | None = Field(None, description="Test on this state instead.")
    document: WorkflowDocument | None = Field(
        None,
        description="The document as edited (not saved): test its node config. Default: the "
        "stored version. Nothing is stored either way.",
    )
    version: int | None = Field(
        None, ge=1, le=MAX_INT, description="Stored version to test; default the latest."
    )


class NodeTestResult(_Model):
    node: str
    output: Any = Field(description="What the node returned (its results entry).")
    error: str | None = Field(description="Why it failed, as a run would record it.")
    duration_ms: float
    pinned: bool = Field(description="The pinned output was used instead of running it.")
    test_id: str | None = Field(
        None,
        description="The test's id; with ORCHEO_TRACE_STORE its spans are read at "
        "GET /executions/{test_id}/trace.",
    )
    trace_id: str | None = Field(
        None, description="The test's OpenTelemetry trace id (32 hex digits), when traced."
    )
    state_source: dict[str, Any] = Field(
        description='Where the state came from: {"kind": "given"}, {"kind": "checkpoint" | '
        '"events", "run_id", "checkpoint_id"?}, or {"kind": "inputs"}: no run reached a node '
        "the workflow starts at yet, so it ran on the state a run without inputs starts it "
        "on (the inputs_schema's defaults)."
    )


class TemplatePreviewRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"value": "Hello {{inputs.name}}", "run_id": "0f3c..."}]},
    )

    value: Any = Field(description="A config value (any JSON) holding {{templates}}.")
    run_id: str | None = Field(None, description="Resolve against the node's input in this run.")
    run_node: str | None = _run_node_field()
    state: dict[str, Any] | None = Field(None, description="Resolve against this state instead.")
    document: WorkflowDocument | None = Field(
        None,
        description="The document as edited (not saved): the node is looked up in it (one "
        'added or renamed since the last save is not "no such node"). Default: the stored '
        "version.",
    )
    include_state: bool = Field(
        False, description="Also answer the state itself (for a browsable tree of paths)."
    )
    field: str | list[str | None] | None = Field(
        None,
        description="The node's config field (top-level key) the value is from; with a "
        "list value, one per item. A field the node renders itself (a Template node's Jinja "
        "template) is previewed by the node's own rule, as it will run.",
    )


class TemplatePreview(_Model):
    value: Any = Field(description="The value with every template the state answers resolved.")
    unresolved: list[str] = Field(
        description="Templates left verbatim (no such path); for a Jinja template, the "
        "names it reads that the state does not have."
    )
    notes: str | list[str | None] | None = Field(
        None,
        description="Where a field the node renders itself has no value to show: why (the "
        "node would fail, or it depends on the run). One per item of a list value.",
    )
    no_input: str | None = Field(
        None,
        description="Why nothing was resolved: no run (or not the named run) reached the "
        "node yet. The value comes back as sent.",
    )
    state_source: dict[str, Any]
    state: dict[str, Any] | None = None
