"""Trigger nodes: how a workflow starts (manual, webhook, cron, HTTP polling).

Each model here is *the* config of its trigger kind: the trigger services read a
trigger node and an entry of the document's ``triggers`` list through the same
class, so the two can never accept different settings. Placed first in a graph,
a trigger node records which trigger it is and its config (secrets masked)
under its result.

A stored document must name secrets as ``[[credential]]`` references; the
trigger services validate with ``context={"stored": True}`` to enforce that
(at run time the runtime validates the node with the resolved value instead).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from croniter import croniter
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ...spec.refs import parse_ref
from ..base import BaseNode, NodeContext
from ..registry import register
from ..support.dotted_paths import absolute_http_url
from .dates import check_zone

_OUTPUT = "{trigger_type, trigger_config} (secrets masked)"
_MASK = "***"
_REFERENCE_ONLY = "must be a [[credential]] reference: the document must not hold the secret itself"

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


def _stored_reference(value: str | None, info: ValidationInfo) -> str | None:
    """In a stored document a secret is a reference; at run time it is the resolved value."""
    stored = isinstance(info.context, Mapping) and info.context.get("stored")
    if stored and value is not None and parse_ref(value) is None:
        raise ValueError(_REFERENCE_ONLY)
    return value


def cron_problem(expression: str) -> str | None:
    """Why croniter cannot schedule ``expression`` (None when it can)."""
    try:
        croniter(expression)
    except (ValueError, KeyError) as exc:  # croniter's errors are ValueErrors
        reason = str(exc).replace(f"[{expression.lower()}] ", "").replace(f"[{expression}] ", "")
        return f"{expression!r} is not a valid cron expression: {reason}"
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RateLimit(_Strict):
    limit: int = Field(ge=1, title="Requests")
    interval_seconds: int = Field(60, ge=1, title="Per seconds")


class HmacConfig(_Strict):
    """HMAC-SHA256 over ``<timestamp>.<raw body>``, hex, in ``signature_header``."""

    secret: str = Field(
        title="Signing secret", description="[[credential]] holding the signing secret."
    )
    signature_header: str = Field("X-Orcheo-Signature", min_length=1, title="Signature header")
    timestamp_header: str = Field("X-Orcheo-Timestamp", min_length=1, title="Timestamp header")
    tolerance_seconds: int = Field(300, ge=1, le=86400, title="Tolerance (s)")

    @field_validator("secret")
    @classmethod
    def _secret_is_ref(cls, value: str, info: ValidationInfo) -> str:
        _stored_reference(value, info)
        return value


#: Why a trigger setting cannot be a template: nothing exists yet to fill it in.
TEMPLATE_IN_TRIGGER = "trigger settings are read before any run: {{templates}} cannot work"


class _TriggerNode(BaseNode):
    #: Config fields whose values are credentials: masked in the node's output.
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # The trigger services read every setting as stored, before any run, and the
        # runtime resolves none of them: each is checked as written, templates too.
        cls.deferred_fields = frozenset(cls.model_fields)

    @field_validator("*", mode="before")
    @classmethod
    def _no_templates(cls, value: Any) -> Any:
        if isinstance(value, str) and "{{" in value:
            raise PydanticCustomError("trigger_template", TEMPLATE_IN_TRIGGER)
        return value

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        config = self.model_dump(mode="json")
        for name in self.secret_fields:
            value = config.get(name)
            if isinstance(value, dict):
                config[name] = {k: _MASK for k in value}
            elif value:
                config[name] = _MASK
        return {"trigger_type": self.trigger_type_name(), "trigger_config": config}

    @classmethod
    def trigger_type_name(cls) -> str:
        return cls.__name__.removesuffix("TriggerNode").lower()


@register(category="triggers", icon="hand", trigger=True, output=_OUTPUT)
class ManualTriggerNode(_TriggerNode):
    """Start the workflow by hand (run button, magic, API), optionally by named people only."""

    label: str = Field("manual", min_length=1, title="Label", description="Shown on the button.")
    allowed_actors: list[str] = Field(
        default_factory=list, title="Allowed actors", description="Who may start it (empty: all)."
    )
    require_comment: bool = Field(False, title="Require a comment")
    default_payload: dict[str, Any] = Field(
        default_factory=dict, title="Default inputs", description="Inputs when none are given."
    )
    cooldown_seconds: int = Field(
        0, ge=0, le=86400, title="Cooldown (s)", description="Minimum time between two starts."
    )


def _post_only() -> list[HttpMethod]:
    return ["POST"]


@register(category="triggers", icon="webhook", trigger=True, output=_OUTPUT)
class WebhookTriggerNode(_TriggerNode):
    """Start the workflow when an HTTP request arrives at its webhook URL."""

    secret_fields = frozenset({"shared_secret"})

    allowed_methods: list[HttpMethod] = Field(
        default_factory=_post_only, min_length=1, title="Allowed methods"
    )
    required_headers: dict[str, str] = Field(
        default_factory=dict, title="Required headers", description="Header -> exact value."
    )
    required_query_params: dict[str, str] = Field(
        default_factory=dict, title="Required query parameters"
    )
    shared_secret_header: str | None = Field(
        None, title="Secret header", description="Header that must carry the shared secret."
    )
    shared_secret: str | None = Field(
        None, title="Shared secret", description="A [[credential]] reference, not the value."
    )
    hmac: HmacConfig | None = Field(
        None, title="HMAC signature", description="Require an HMAC-SHA256 signed body."
    )
    idempotency_header: str = Field(
        "Idempotency-Key",
        min_length=1,
        title="Idempotency header",
        description="A repeated key never starts a second run.",
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1, le=64 * 1024 * 1024, title="Largest body (bytes)"
    )
    rate_limit: RateLimit | None = Field(None, title="Rate limit")

    @field_validator("shared_secret")
    @classmethod
    def _secret_is_ref(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _stored_reference(value, info)

    @model_validator(mode="after")
    def _secret_pair(self) -> WebhookTriggerNode:
        if bool(self.shared_secret_header) != bool(self.shared_secret):
            raise ValueError("shared_secret_header and shared_secret must be set together")
        return self

    @property
    def auth(self) -> str:
        if self.hmac is not None:
            return "hmac-sha256"
        return "shared-secret" if self.shared_secret else "none"

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        out = await super().run(state, ctx)
        if out["trigger_config"].get("hmac"):
            out["trigger_config"]["hmac"]["secret"] = _MASK
        return out


@register(category="triggers", icon="clock", trigger=True, output=_OUTPUT)
class CronTriggerNode(_TriggerNode):
    """Start the workflow on a schedule (cron expression in a time zone)."""

    expression: str = Field(
        "0 * * * *",
        title="Cron expression",
        description="minute hour day-of-month month day-of-week [second], e.g. "
        "'*/15 9-17 * * MON-FRI', '0 0 L * *' (last day), '0 0 * * MON#1' (first Monday).",
    )
    timezone: str = Field("UTC", title="Time zone", description="IANA name, e.g. Europe/Paris.")
    overlap: Literal["skip", "allow", "queue"] = Field(
        "skip",
        title="Overlapping runs",
        description="skip: no new run while one from this trigger is queued or running; "
        "queue: runs wait for each other; allow: runs may overlap.",
    )
    allow_overlapping: bool | None = Field(
        None,
        title="Allow overlapping runs",
        description="Orcheo's switch: true means overlap 'allow', false 'skip'.",
    )
    catch_up: Literal["latest", "all", "none"] = Field(
        "latest",
        title="Missed fires",
        description="Fires missed while the server was down: run the latest one, all of "
        "them (up to max_catch_up), or none. Missed fires that do not run are recorded.",
    )
    max_catch_up: int = Field(100, ge=1, le=10_000, title="Most missed fires to run")
    misfire_grace_seconds: int = Field(
        60,
        ge=0,
        title="Grace (s)",
        description="How late a fire may start and still count as on time.",
    )
    start_at: dt.datetime | None = Field(None, title="Not before")
    end_at: dt.datetime | None = Field(None, title="Not after")
    inputs: dict[str, Any] = Field(
        default_factory=dict, title="Inputs", description="Inputs of each run."
    )

    @field_validator("expression")
    @classmethod
    def _parses(cls, value: str) -> str:
        problem = cron_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("start_at", "end_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone offset, e.g. 2030-01-01T00:00:00Z")
        return value

    @model_validator(mode="after")
    def _window_and_overlap(self) -> CronTriggerNode:
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        if self.allow_overlapping is not None and "overlap" not in self.model_fields_set:
            self.overlap = "allow" if self.allow_overlapping else "skip"
        return self


@register(category="triggers", icon="radar", trigger=True, output=_OUTPUT)
class HttpPollingTriggerNode(_TriggerNode):
    """Start the workflow when polling a URL returns something new."""

    secret_fields = frozenset({"headers"})

    url: str = Field(min_length=1, title="URL", description="Absolute http(s) URL to poll.")
    method: Literal["GET", "POST"] = Field("GET", title="Method")
    headers: dict[str, str] = Field(
        default_factory=dict, title="Headers", description="Values may be [[secrets]]."
    )
    query_params: dict[str, str] = Field(default_factory=dict, title="Query parameters")
    interval_seconds: int = Field(300, ge=10, le=7 * 86400, title="Every (s)")
    timeout_seconds: float = Field(30.0, gt=0, le=600, title="Timeout (s)")
    deduplicate_on: str | None = Field(
        None,
        title="Deduplicate on",
        description="Dotted path in the JSON response; a run starts only when it changes.",
    )

    @field_validator("url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        return absolute_http_url(value)

    @classmethod
    def trigger_type_name(cls) -> str:
        return "http_polling"


#: The model of each trigger kind (the document's ``triggers[].type``).
TRIGGER_MODELS: dict[str, type[_TriggerNode]] = {
    "manual": ManualTriggerNode,
    "webhook": WebhookTriggerNode,
    "cron": CronTriggerNode,
    "http_polling": HttpPollingTriggerNode,
}
