"""Trigger nodes: how a workflow starts (manual, webhook, cron, HTTP polling).

These are config models: the trigger services read them to dispatch runs. Placed
first in a graph, a trigger node records which trigger it is and its config
(secrets masked) under its result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..base import BaseNode, NodeContext
from ..registry import register
from ._paths import is_template
from .cron import parse_cron
from .dates import check_zone

_OUTPUT = "{trigger_type, trigger_config} (secrets masked)"
_MASK = "***"


class _TriggerNode(BaseNode):
    #: Config fields whose values are credentials: masked in the node's output.
    secret_fields: ClassVar[frozenset[str]] = frozenset()

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


HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


def _post_only() -> list[HttpMethod]:
    return ["POST"]


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(ge=1, title="Requests")
    interval_seconds: int = Field(60, ge=1, title="Per seconds")


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
        None, title="Shared secret", description="Use a [[secret]] reference, not the value."
    )
    rate_limit: RateLimit | None = Field(None, title="Rate limit")

    @model_validator(mode="after")
    def _secret_pair(self) -> WebhookTriggerNode:
        if bool(self.shared_secret_header) != bool(self.shared_secret):
            raise ValueError("shared_secret_header and shared_secret must be set together")
        return self


@register(category="triggers", icon="clock", trigger=True, output=_OUTPUT)
class CronTriggerNode(_TriggerNode):
    """Start the workflow on a schedule (cron expression in a time zone)."""

    expression: str = Field(
        "0 * * * *",
        title="Cron expression",
        description="minute hour day-of-month month day-of-week, e.g. '*/15 9-17 * * MON-FRI'.",
    )
    timezone: str = Field("UTC", title="Time zone", description="IANA name, e.g. Europe/Paris.")
    allow_overlapping: bool = Field(
        False, title="Allow overlapping runs", description="Start even if the last run is going."
    )
    start_at: dt.datetime | None = Field(None, title="Not before")
    end_at: dt.datetime | None = Field(None, title="Not after")

    @field_validator("expression")
    @classmethod
    def _parses(cls, value: str) -> str:
        if not is_template(value):
            parse_cron(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)

    @model_validator(mode="after")
    def _window(self) -> CronTriggerNode:
        if self.start_at and self.end_at:
            start, end = self.start_at, self.end_at
            if (start.tzinfo is None) != (end.tzinfo is None):
                raise ValueError("start_at and end_at must both have a time zone, or neither")
            if end <= start:
                raise ValueError("end_at must be after start_at")
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
        if is_template(value):
            return value
        try:
            url = httpx.URL(value)
        except httpx.InvalidURL as exc:
            raise ValueError(f"not a valid URL: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("expected an absolute http:// or https:// URL")
        return value

    @classmethod
    def trigger_type_name(cls) -> str:
        return "http_polling"
