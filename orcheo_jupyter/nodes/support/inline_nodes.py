"""Nodes inside nodes: a ``{type, config}`` that for-each bodies and agent tools run.

Their configs are deferred fields of the outer node, so templates in them see
values that only exist per call (``{{item}}``, ``{{args.query}}``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ...spec.problems import problems_from_validation
from ..base import NodeContext, NodeError
from ..registry import UnknownNodeType, config_problems, get


def render(value: Any, state: Mapping[str, Any], ctx: NodeContext) -> Any:
    """Resolve ``{{templates}}`` with the runtime's rules; unresolved ones are reported.

    Imported lazily: the runtime imports the node layer, not the other way round.
    """
    from ...runtime.expressions import render as render_templates

    unresolved: list[str] = []
    out = render_templates(value, state, ctx.config, unresolved)
    if unresolved:
        ctx.emit("template_unresolved", {"templates": unresolved})
    return out


class InlineNode(BaseModel):
    """A node type and its config, run by another node."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, title="Node type", description="A registered node type.")
    config: dict[str, Any] = Field(
        default_factory=dict, title="Config", description="Its config; may use {{templates}}."
    )

    @model_validator(mode="after")
    def _known_and_valid(self) -> InlineNode:
        try:
            spec = get(self.type)
        except UnknownNodeType:
            raise ValueError(f"unknown node type {self.type!r}") from None
        if spec.trigger:
            raise ValueError(f"{self.type} is a trigger and cannot run inside another node")
        problems = config_problems(spec.model, self.config)
        if problems:
            raise ValueError("; ".join(f"{p.field}: {p.message}" for p in problems))
        return self


async def run_inline(
    node: InlineNode,
    state: Mapping[str, Any],
    ctx: NodeContext,
    *,
    node_id: str,
    field: str,
    overrides: Mapping[str, Any] | None = None,
) -> Any:
    """Resolve the inline node's config against ``state``, validate it and run it.

    ``field`` names the inline node in errors (``body``, ``tools[0].node``);
    ``overrides`` are already-resolved config values laid over the stored ones.
    """
    spec = get(node.type)
    deferred = spec.model.deferred_fields
    resolvable = {k: v for k, v in node.config.items() if k not in deferred}
    config = {
        **render(resolvable, state, ctx),
        **{k: v for k, v in node.config.items() if k in deferred},
        **(overrides or {}),
    }
    try:
        instance = spec.model.model_validate(config)
    except ValidationError as exc:
        problems = problems_from_validation(exc, prefix=f"{field}.config")
        raise NodeError(None, "; ".join(f"{p.field}: {p.message}" for p in problems)) from None
    return await instance.run(state, dataclasses.replace(ctx, node_id=node_id))
