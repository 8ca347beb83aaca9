"""What a node type is: a pydantic config model with a ``run`` method.

The runtime resolves templates in the stored config, validates the result into
the node's model, and calls ``run``. A node never sees Jupyter, HTTP or storage:
it gets the state and a small context, and returns its output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ..runtime.services import NO_SERVICES, RuntimeServices


@dataclass
class NodeContext:
    """What a running node may know about its run besides the state."""

    node_id: str
    run_id: str | None = None
    workflow_id: str | None = None
    attempt: int = 1
    config: Mapping[str, Any] = field(default_factory=dict)
    emit: Callable[[str, dict[str, Any]], None] = lambda kind, payload: None
    services: RuntimeServices = NO_SERVICES

    @property
    def result_key(self) -> str:
        """The key of this node under ``results`` (its id without subgraph scope)."""
        return self.node_id.rsplit("/", 1)[-1]


class NodeError(RuntimeError):
    """A node could not do its job; names the config field and the cause.

    The runtime adds the node id, so a run fails with
    ``node 'fetch' failed: HttpRequestError: url: ...``.
    """

    def __init__(self, field: str | None, cause: str) -> None:
        self.field = field
        self.cause = cause
        super().__init__(f"{field}: {cause}" if field else cause)


class NotPreviewable(LookupError):
    """A deferred field's value depends on what only the running node has (an item, a
    tool call...): the message says so, for the template preview to show."""


class BaseNode(BaseModel):
    """Config model of a node type. Subclasses set metadata through ``register``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    #: When True, ``run`` returns a state update (e.g. ``messages``) instead of an
    #: output stored under ``results[node_id]``.
    returns_state_update: ClassVar[bool] = False

    #: Top-level config fields the runtime passes through without resolving their
    #: ``{{templates}}``: the node resolves them itself, later and against its own
    #: values (e.g. a for-each body sees ``{{item}}``, a Jinja template its loops).
    deferred_fields: ClassVar[frozenset[str]] = frozenset()

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        raise NotImplementedError

    @classmethod
    def preview_deferred(
        cls, field: str, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> tuple[Any, list[str]]:
        """What deferred ``field`` becomes when the node runs on ``state``, by the node's
        own rule, and the names it would not find (for the template preview).

        ``config`` is the node's config as the runtime validates it (other fields'
        templates resolved). Raises ``NodeError`` with what the node would fail with, and
        ``NotPreviewable`` (the default) where the value depends on the run itself.
        """
        raise NotPreviewable(f"{field} is resolved by the node itself while it runs")
