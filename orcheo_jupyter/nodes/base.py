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


@dataclass
class NodeContext:
    """What a running node may know about its run besides the state."""

    node_id: str
    run_id: str | None = None
    workflow_id: str | None = None
    attempt: int = 1
    config: Mapping[str, Any] = field(default_factory=dict)
    emit: Callable[[str, dict[str, Any]], None] = lambda kind, payload: None
    services: Mapping[str, Any] = field(default_factory=dict)


class BaseNode(BaseModel):
    """Config model of a node type. Subclasses set metadata through ``register``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    #: When True, ``run`` returns a state update (e.g. ``messages``) instead of an
    #: output stored under ``results[node_id]``.
    returns_state_update: ClassVar[bool] = False

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        raise NotImplementedError
