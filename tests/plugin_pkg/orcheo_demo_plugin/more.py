"""Plugin nodes given as a module: importing it registers them with metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from orcheo_jupyter.nodes import BaseNode, NodeContext, register


@register(category="demo", icon="megaphone", output="{text}")
class ShoutNode(BaseNode):
    """Upper-case a text and add exclamation marks."""

    text: str = Field(title="Text")
    marks: int = Field(1, ge=0, le=5, title="Marks")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        return {"text": self.text.upper() + "!" * self.marks}
