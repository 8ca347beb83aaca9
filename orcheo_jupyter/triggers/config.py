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

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..runtime.secrets import parse_ref
from ..spec.models import BuiltinNode, FrozenIRGraph, WorkflowDocument
from ..spec.problems import Problem, problems_from_validation

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
_REFERENCE_ONLY = "must be a [[credential]] reference: the document must not hold the secret itself"


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _reference(value: str | None) -> str | None:
    if value is not None and parse_ref(value) is None:
        raise ValueError(_REFERENCE_ONLY)
    return value


class HmacConfig(_Config):
    """HMAC-SHA256 over ``<timestamp>.<raw body>``, hex, in ``signature_header``."""

    secret: str = Field(description="[[credential]] holding the signing secret.")
    signature_header: str = Field("X-Orcheo-Signature", min_length=1)
    timestamp_header: str = Field("X-Orcheo-Timestamp", min_length=1)
    tolerance_seconds: int = Field(300, ge=1, le=86400)

    @field_validator("secret")
    @classmethod
    def _secret_is_ref(cls, value: str) -> str:
        _reference(value)
        return value


class RateLimit(_Config):
    limit: int = Field(ge=1)
    interval_seconds: int = Field(60, ge=1)


def _post_only() -> list[HttpMethod]:
    return ["POST"]


class WebhookConfig(_Config):
    """Who may start the workflow over HTTP, and how a delivery is recognised."""

    allowed_methods: list[HttpMethod] = Field(default_factory=_post_only, min_length=1)
    required_headers: dict[str, str] = Field(default_factory=dict)
    required_query_params: dict[str, str] = Field(default_factory=dict)
    shared_secret_header: str | None = None
    shared_secret: str | None = None
    hmac: HmacConfig | None = None
    idempotency_header: str = Field("Idempotency-Key", min_length=1)
    max_body_bytes: int = Field(1024 * 1024, ge=1, le=64 * 1024 * 1024)
    rate_limit: RateLimit | None = None

    @field_validator("shared_secret")
    @classmethod
    def _secret_is_ref(cls, value: str | None) -> str | None:
        return _reference(value)

    @model_validator(mode="after")
    def _pairs(self) -> WebhookConfig:
        if bool(self.shared_secret_header) != bool(self.shared_secret):
            raise ValueError("shared_secret_header and shared_secret must be set together")
        return self

    @property
    def auth(self) -> str:
        if self.hmac is not None:
            return "hmac-sha256"
        return "shared-secret" if self.shared_secret else "none"


class CronConfig(_Config):
    """A schedule; what happens to overlapping runs and to fires missed while down."""

    expression: str = Field(description="Cron expression, e.g. '*/15 9-17 * * MON-FRI'.")
    timezone: str = "UTC"
    overlap: Literal["skip", "allow", "queue"] = Field(
        "skip",
        description="skip: no new run while one from this trigger is queued or running; "
        "queue: runs wait for each other; allow: runs may overlap.",
    )
    catch_up: Literal["latest", "all", "none"] = Field(
        "latest",
        description="Fires missed while the server was down: run the latest one, all of "
        "them (up to max_catch_up), or none. Missed fires that do not run are recorded.",
    )
    max_catch_up: int = Field(100, ge=1, le=10_000)
    misfire_grace_seconds: int = Field(
        60, ge=0, description="How late a fire may start and still count as on time."
    )
    start_at: dt.datetime | None = None
    end_at: dt.datetime | None = None
    inputs: dict[str, Any] = Field(default_factory=dict, description="Inputs of each run.")

    @field_validator("expression")
    @classmethod
    def _parses(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a valid cron expression")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (expected an IANA name)") from None
        return value

    @field_validator("start_at", "end_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone offset, e.g. 2030-01-01T00:00:00Z")
        return value


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
        base = min(
            self.backoff_seconds * self.backoff_factor ** (attempt - 1), self.max_backoff_seconds
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


def _from_node(type_name: str, config: dict[str, Any]) -> dict[str, Any]:
    """A trigger node's config in the trigger models' terms."""
    if type_name == "CronTriggerNode":
        data = {k: v for k, v in config.items() if k != "allow_overlapping"}
        if "allow_overlapping" in config:
            data["overlap"] = "allow" if config["allow_overlapping"] else "skip"
        data.setdefault("expression", "0 * * * *")
        return data
    return dict(config)


def _parse(
    kind: str, data: dict[str, Any], prefix: str, node: str | None
) -> tuple[Any, list[Problem]]:
    # These nodes' models are the config.
    from ..nodes.library.triggers import HttpPollingTriggerNode, ManualTriggerNode

    models: dict[str, type[BaseModel]] = {
        "webhook": WebhookConfig,
        "cron": CronConfig,
        "manual": ManualTriggerNode,
        "http_polling": HttpPollingTriggerNode,
    }
    model = models.get(kind)
    if model is None:
        return dict(data), []
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, problems_from_validation(exc, prefix=prefix, node=node)


def triggers_of(doc: WorkflowDocument, workflow_id: str) -> tuple[list[TriggerSpec], list[Problem]]:
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
            if any(isinstance(v, str) and "{{" in v for v in node.config.values()):
                problems.append(
                    Problem(
                        "error",
                        "trigger_template",
                        "trigger settings are read before any run: {{templates}} cannot work",
                        node=node.id,
                        field=prefix,
                    )
                )
                continue
            config, found = _parse(kind, _from_node(node.type, node.config), prefix, node.id)
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
