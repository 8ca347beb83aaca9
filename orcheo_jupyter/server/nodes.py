"""The node catalog: every registered node type with its config JSON Schema."""

from __future__ import annotations

from ..nodes import registry
from .authz import NODES, READ
from .base import OrcheoHandler, operation
from .models import NodeCatalog


class NodesHandler(OrcheoHandler):
    auth_resource = NODES
    api_tag = "nodes"

    @operation(
        READ,
        operation_id="listNodeTypes",
        summary="Node types with category, icon and the JSON Schema of their config",
        description="Palettes and property forms are generated from this catalog.",
        responses={200: NodeCatalog},
    )
    async def get(self) -> None:
        self.reply(200, {"items": registry.catalog()})
