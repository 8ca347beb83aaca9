"""Who may start a workflow by hand, and with what: its manual triggers' settings.

A workflow without a manual trigger can be started by anyone who may use the API.
With one (a document trigger ``{"type": "manual"}`` or a ``ManualTriggerNode``), a
start must satisfy it: the actor is allowed, a comment is given when required, the
cooldown since the last manual start has passed; missing inputs come from its
default payload. With several, a start must satisfy all of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..spec.models import BuiltinNode, FrozenIRGraph, WorkflowDocument


@dataclass(frozen=True)
class ManualPolicy:
    #: Each set is one trigger's allow list: the actor must be in every one.
    allowed: tuple[frozenset[str], ...] = ()
    require_comment: bool = False
    default_payload: dict[str, Any] = field(default_factory=dict)
    cooldown_seconds: int = 0


class ManualRefused(Exception):
    """A manual start the workflow's manual triggers do not allow."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


def _configs(doc: WorkflowDocument) -> list[Any]:
    """The settings of the enabled manual triggers: document entries, then trigger nodes.

    Settings that do not validate are skipped: a document holding them is refused
    when it is stored (``triggers.config.triggers_of`` names the field).
    """
    # Imported here: the server imports this module at start, before any node.
    from ..nodes.library.trigger_nodes import ManualTriggerNode

    raw = [t.config for t in doc.triggers if t.type == "manual" and t.enabled]
    if isinstance(doc.graph, FrozenIRGraph):
        raw += [
            n.config
            for n in doc.graph.ir.nodes
            if isinstance(n, BuiltinNode) and n.type == "ManualTriggerNode"
        ]
    configs = []
    for data in raw:
        try:
            configs.append(ManualTriggerNode.model_validate(data))
        except ValidationError:
            continue
    return configs


def manual_policy(doc: WorkflowDocument) -> ManualPolicy | None:
    """The combined settings of the document's enabled manual triggers; None if it has none."""
    configs = _configs(doc)
    if not configs:
        return None
    payload: dict[str, Any] = {}
    for config in configs:
        payload.update(config.default_payload)
    return ManualPolicy(
        allowed=tuple(frozenset(c.allowed_actors) for c in configs if c.allowed_actors),
        require_comment=any(c.require_comment for c in configs),
        default_payload=payload,
        cooldown_seconds=max(c.cooldown_seconds for c in configs),
    )


def check_start(
    policy: ManualPolicy | None,
    *,
    actor: str | None,
    comment: str | None,
    inputs: Mapping[str, Any],
    since_last_start: float | None,
) -> dict[str, Any]:
    """The inputs the run starts with; ManualRefused saying why it may not start.

    ``since_last_start``: seconds since this workflow's previous manual start, if any.
    """
    if policy is None:
        return dict(inputs)
    for allowed in policy.allowed:
        if actor not in allowed:
            raise ManualRefused(
                403,
                "not_allowed",
                f"{actor or 'this user'} may not start this workflow by hand; "
                f"its manual trigger allows: {', '.join(sorted(allowed))}",
            )
    if policy.require_comment and not (comment and comment.strip()):
        raise ManualRefused(
            422, "comment_required", "comment: this workflow's manual trigger requires a comment"
        )
    if since_last_start is not None and since_last_start < policy.cooldown_seconds:
        wait = max(1, math.ceil(policy.cooldown_seconds - since_last_start))
        raise ManualRefused(
            429,
            "cooldown",
            f"this workflow was started by hand {since_last_start:.0f} s ago; its manual "
            f"trigger allows one start every {policy.cooldown_seconds} s (try again in {wait} s)",
            retry_after=wait,
        )
    return dict(inputs) if inputs else dict(policy.default_payload)
