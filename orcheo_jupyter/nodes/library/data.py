"""Data nodes: set variables and shape values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..base import BaseNode, NodeContext
from ..registry import register


def nest_dotted(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"user.name": "Ada"}`` -> ``{"user": {"name": "Ada"}}``; later keys win."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        cur = out
        for part in parts[:-1]:
            nxt = cur.get(part)
            if not isinstance(nxt, dict):
                nxt = {}
                cur[part] = nxt
            cur = nxt
        cur[parts[-1]] = value
    return out


@register(category="data", icon="variable")
class SetVariableNode(BaseNode):
    """Set named values; dotted names become nested objects. Output: the variables."""

    variables: dict[str, Any] = Field(
        default_factory=dict,
        title="Variables",
        description="Name -> value. Values may be {{templates}}; 'a.b' nests as {'a': {'b': ...}}.",
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        return nest_dotted(self.variables)
