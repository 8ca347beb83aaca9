"""Utility nodes: wait, and look at the state while a workflow runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..base import BaseNode, NodeContext
from ..registry import register
from ..support.dotted_paths import MISSING, lookup_state

log = logging.getLogger(__name__)


@register(category="utility", icon="timer", output="{duration_seconds}")
class DelayNode(BaseNode):
    """Wait before continuing (cancelling the run interrupts the wait)."""

    duration_seconds: float = Field(
        0.0, ge=0, le=7 * 24 * 3600, title="Seconds", description="How long to wait."
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        await asyncio.sleep(self.duration_seconds)
        return {"duration_seconds": self.duration_seconds}


@register(
    category="utility",
    icon="bug",
    output="{message, tap_path, found, value[, state]}; also a node_message event",
)
class DebugNode(BaseNode):
    """Show a message and the value at a state path, as output and as a run event."""

    message: str | None = Field(
        None, title="Message", description="Text to show; may use {{templates}}."
    )
    tap_path: str | None = Field(
        None,
        title="Path",
        description="Dotted state path to show, e.g. results.fetch.json (results. is optional).",
    )
    include_state: bool = Field(
        False, title="Include state", description="Also return the whole state."
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        value = lookup_state(state, self.tap_path) if self.tap_path else MISSING
        found = value is not MISSING
        out: dict[str, Any] = {
            "message": self.message,
            "tap_path": self.tap_path,
            "found": found,
            "value": value if found else None,
        }
        if self.include_state:
            out["state"] = dict(state)
        ctx.emit(
            "node_message",
            {
                "level": "debug",
                "message": self.message,
                "tap_path": self.tap_path,
                "found": found,
                "value": out["value"],
            },
        )
        log.debug("debug node %s: %s %s=%r", ctx.node_id, self.message, self.tap_path, value)
        return out


@register(category="utility", icon="circle", output="{} (nothing)")
class NoOpTaskNode(BaseNode):
    """Do nothing: a placeholder while sketching a workflow, or a join point for edges."""

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        return {}
