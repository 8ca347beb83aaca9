"""Trigger configuration: what a document asks for, checked before it is stored.

Triggers come from the document's ``triggers`` member (``{type, id, enabled,
config}``) and from trigger nodes in the graph (``WebhookTriggerNode``,
``CronTriggerNode``, ``ManualTriggerNode``, ``HttpPollingTriggerNode``). Both are
read into the same models here. Problems name the field
(``triggers.0.config.hmac.secret``) so the API can answer a clear 422.

Secrets in trigger config must be ``[[credential]]`` references: a document is
shown on canvases and kept in git, so it must never hold the secret itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..common.retry import backoff_delay
from ..nodes.library.trigger_nodes import (
    TRIGGER_MODELS,
    CronTriggerNode,
    WebhookTriggerNode,
)
from ..nodes.library.trigger_nodes import (
    HmacConfig as HmacConfig,
)
from ..nodes.registry import check_node
from ..spec.models import BuiltinNode, FrozenIRGraph, WorkflowDocument
from ..spec.problems import Problem, problems_from_validation
from ..spec.validate import validate_document

#: One model per trigger kind, shared with the trigger nodes (``nodes/library/trigger_nodes.py``).
WebhookConfig = WebhookTriggerNode
CronConfig = CronTriggerNode


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DispatchPolicy(_Config):
    """How a workflow's triggered and dispatched runs are started and retried."""

    max_concurrency: int = Field(4, ge=1, le=1000, description="Runs at once; more wait.")
    max_attempts: int = Field(3, ge=1, le=100, description="Runs per job, the first included.")
    backoff_seconds: float = Field(1.0, ge=0, le=86400, description="Wait before the 1st retry.")
    backoff_factor: float = Field(2.0, ge=1, le=100)
    max_backoff_seconds: float = Field(300.0, ge=0, le=7 * 86400)
    jitter: float = Field(0.1, ge=0, le=1, description="Random +/- fraction of each wait.")

    def delay(self, attempt: int, random: float = 0.5) -> float:
        """Seconds before retry number ``attempt`` (1-based); ``random`` in [0, 1)."""
        base = backoff_delay(
            attempt, self.backoff_seconds, self.backoff_factor, self.max_backoff_seconds
        )
        return max(0.0, base * (1 + self.jitter * (2 * random - 1)))


TriggerType = Literal["webhook", "cron", "manual", "http_polling"]


@dataclass(frozen=True)
class TriggerSpec:
    """One trigger of one workflow, ready for the services."""

    workflow_id: str
    trigger_id: str
    type: TriggerType
    enabled: bool
    source: Literal["document", "node"]
    config: WebhookConfig | CronConfig | BaseModel | dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.workflow_id}:{self.trigger_id}"


_NODE_TYPES = {
    "WebhookTriggerNode": "webhook",
    "CronTriggerNode": "cron",
    "ManualTriggerNode": "manual",
    "HttpPollingTriggerNode": "http_polling",
}


def _parse(
    kind: str, data: dict[str, Any], prefix: str, node: str | None
) -> tuple[Any, list[Problem]]:
    model = TRIGGER_MODELS.get(kind)
    if model is None:
        return dict(data), []
    try:
        # A stored document names secrets by reference only.
        return model.model_validate(data, context={"stored": True}), []
    except ValidationError as exc:
        return None, problems_from_validation(exc, prefix=prefix, node=node)


#: A document's triggers and the problems found in their settings.
Triggers = tuple[list[TriggerSpec], list[Problem]]


def document_problems(doc: WorkflowDocument) -> list[Problem]:
    """Every problem the server would refuse ``doc`` for, errors first: what validating
    a document says on every surface (CLI, canvas, API, notebook) before storing it.

    Trigger nodes are checked with the other nodes (``check_node``); the document's own
    ``triggers`` list and the rules across triggers (one webhook, unique ids) are added.
    """
    problems = validate_document(doc, check_node)
    _, found = triggers_of(doc, doc.id or doc.name)
    problems += [p for p in found if p.node is None]
    return sorted(problems, key=lambda p: p.severity != "error")


def triggers_of(doc: WorkflowDocument, workflow_id: str) -> Triggers:
    """Every trigger of the document, and the problems that keep some from working."""
    specs: list[TriggerSpec] = []
    problems: list[Problem] = []
    for i, trigger in enumerate(doc.triggers):
        config, found = _parse(trigger.type, trigger.config, f"triggers[{i}].config", None)
        problems += found
        if config is not None:
            tid = trigger.id or f"{trigger.type}-{i + 1}"
            specs.append(
                TriggerSpec(workflow_id, tid, trigger.type, trigger.enabled, "document", config)
            )
    if isinstance(doc.graph, FrozenIRGraph):
        for j, node in enumerate(doc.graph.ir.nodes):
            if not isinstance(node, BuiltinNode) or node.type not in _NODE_TYPES:
                continue
            kind = _NODE_TYPES[node.type]
            prefix = f"graph.ir.nodes[{j}].config"
            config, found = _parse(kind, dict(node.config), prefix, node.id)
            problems += found
            if config is not None:
                specs.append(TriggerSpec(workflow_id, node.id, kind, True, "node", config))  # type: ignore[arg-type]
    ids = [s.trigger_id for s in specs]
    for tid in {t for t in ids if ids.count(t) > 1}:
        problems.append(
            Problem(
                "error", "duplicate_trigger", f"two triggers have the id {tid!r}", field="triggers"
            )
        )
    hooks = [s for s in specs if s.type == "webhook" and s.enabled]
    if len(hooks) > 1:
        problems.append(
            Problem(
                "error",
                "webhooks",
                f"{len(hooks)} enabled webhook triggers: a workflow has one webhook address, "
                "so enable only one",
                field="triggers",
            )
        )
    return specs, problems
