"""A plugin node given as a class: registered under its entry point's name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from orcheo_jupyter.nodes import BaseNode, NodeContext


class ReverseTextNode(BaseNode):
    """Reverse a text."""

    text: str = Field("", title="Text", description="The text to reverse.")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        return {"reversed": self.text[::-1]}
