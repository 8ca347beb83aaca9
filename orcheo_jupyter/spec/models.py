"""Pydantic models of the workflow document (DESIGN §2).

The models are the single source of truth for the document: the JSON Schema in
``schema/workflow.schema.json`` is generated from them, and every surface (canvas,
magics, REST, CLI) reads and writes documents through them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

START = "__start__"
END = "__end__"
SENTINELS = frozenset({START, END})
STANDARD_STATE = "orcheo.graph.state.State"


def _omit_empty(value: Any) -> bool:
    return not value


def _omit_none(value: Any) -> bool:
    return value is None


class _Strict(BaseModel):
    """Base for document parts: unknown keys are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RetryPolicy(_Strict):
    """How often a failing node is retried before the run fails."""

    max_attempts: int = Field(3, ge=1, le=100, description="Total attempts, including the first.")
    initial_interval: float = Field(0.5, ge=0, description="Seconds before the first retry.")
    backoff_factor: float = Field(2.0, ge=1, description="Multiplier applied after each retry.")
    max_interval: float = Field(30.0, ge=0, description="Upper bound of one wait, in seconds.")


def _node_id(value: str) -> str:
    if not value or not value.strip():
        raise ValueError("node id must be a non-empty string")
    if value in SENTINELS:
        raise ValueError(f"node id {value!r} is reserved for the graph's start/end")
    return value


class _NodeBase(_Strict):
    id: str = Field(description="Unique node id; results are stored under it.")
    retry: RetryPolicy | None = Field(
        None, exclude_if=_omit_none, description="Retry policy; none means fail on first error."
    )
    timeout: float | None = Field(
        None, gt=0, exclude_if=_omit_none, description="Seconds one attempt may take."
    )

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return _node_id(value)


class BuiltinNode(_NodeBase):
    """A node whose behaviour comes from a registered node type."""

    kind: Literal["builtin"] = "builtin"
    type: str = Field(description="Registered node type name, e.g. SetVariableNode.")
    config: dict[str, Any] = Field(default_factory=dict)


class CodeNode(_NodeBase):
    """A node whose behaviour is the body of ``def run(self, state, config)``."""

    kind: Literal["code"] = "code"
    config: dict[str, Any] = Field(default_factory=dict)
    injected: list[str] = Field(
        default_factory=list, description="Config fields visible to the body as self.<field>."
    )
    body: str = Field(description="Python source of the function body.")


class SubgraphNode(_NodeBase):
    """A nested graph that runs on the same state as its parent."""

    kind: Literal["subgraph"] = "subgraph"
    graph: GraphIR


Node = Annotated[BuiltinNode | CodeNode | SubgraphNode, Field(discriminator="kind")]


class Edge(_Strict):
    source: str
    target: str


class ConditionalEdge(_Strict):
    """Route on the value at a dotted state path (see DESIGN §2 for the value rules)."""

    source: str
    path: str = Field(description="Dotted path in state, e.g. results.check.big.")
    mapping: dict[str, str] = Field(default_factory=dict)
    default: str | None = None


class GraphIR(_Strict):
    """Orcheo's declarative graph: nodes, edges and conditional edges."""

    schema_version: Literal[1] = 1
    state_ref: str = STANDARD_STATE
    entrypoint: str | None = None
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    conditional_edges: list[ConditionalEdge] = Field(default_factory=list)


class FrozenIRGraph(_Strict):
    format: Literal["frozen-ir"] = "frozen-ir"
    entrypoint: str | None = None
    ir: GraphIR


class ScriptIndex(_Strict):
    """Structure of a script graph, extracted at import so canvases can draw it."""

    nodes: list[str] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    conditional_edges: list[ConditionalEdge] = Field(default_factory=list)


class ScriptGraph(_Strict):
    """A Python LangGraph script; runs everywhere, shown read-only on canvases."""

    format: Literal["langgraph-script"] = "langgraph-script"
    source: str
    entrypoint: str | None = None
    index: ScriptIndex = Field(default_factory=ScriptIndex)


Graph = Annotated[FrozenIRGraph | ScriptGraph, Field(discriminator="format")]


class Position(_Strict):
    x: float
    y: float


class Viewport(_Strict):
    x: float = 0.0
    y: float = 0.0
    zoom: float = 1.0


class Comment(_Strict):
    id: str
    text: str
    x: float = 0.0
    y: float = 0.0


class Canvas(_Strict):
    """Layout only: never changes what a workflow does."""

    positions: dict[str, Position] = Field(default_factory=dict)
    viewport: Viewport | None = Field(None, exclude_if=_omit_none)
    comments: list[Comment] = Field(default_factory=list)


class Trigger(_Strict):
    """A way a workflow starts; its config is interpreted by the trigger services."""

    type: Literal["manual", "webhook", "cron", "http_polling"]
    id: str | None = Field(None, exclude_if=_omit_none)
    enabled: bool = True
    config: dict[str, Any] = Field(default_factory=dict)


class WorkflowDocument(_Strict):
    """The one document that canvas, magics, REST and export share."""

    id: str | None = Field(None, exclude_if=_omit_none)
    name: str = Field(min_length=1)
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    inputs_schema: dict[str, Any] = Field(default_factory=dict)
    triggers: list[Trigger] = Field(default_factory=list)
    canvas: Canvas = Field(default_factory=Canvas)
    graph: Graph
    pinned: dict[str, Any] = Field(
        default_factory=dict,
        exclude_if=_omit_empty,
        description="Node id -> output used instead of running the node, in runs started by "
        "hand and node tests (never in triggered runs). For building and debugging.",
    )

    @field_validator("id", "name", "description")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # Stored as text columns; PostgreSQL text cannot hold NUL characters.
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL (\\u0000) characters")
        return value

    @field_validator("tags")
    @classmethod
    def _no_nul_tags(cls, value: list[str]) -> list[str]:
        if any("\x00" in tag for tag in value):
            raise ValueError("tags must not contain NUL (\\u0000) characters")
        return value


SubgraphNode.model_rebuild()
GraphIR.model_rebuild()
