"""DiscordWebhookNode: post a message to a Discord (or compatible) incoming webhook."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import Field, model_validator

from ...tracing.http import traced
from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from .http import safe_url


@register(category="communication", icon="message-circle", output="{status_code, ok, message_id}")
class DiscordWebhookNode(BaseNode):
    """Send a message (text and/or embeds) to a Discord webhook URL (a [[secret]])."""

    webhook_url: str = Field(min_length=1, title="Webhook URL", description="Use a [[secret]].")
    content: str | None = Field(None, max_length=2000, title="Message")
    username: str | None = Field(None, max_length=80, title="Username")
    avatar_url: str | None = Field(None, title="Avatar URL")
    embeds: list[dict[str, Any]] | None = Field(None, max_length=10, title="Embeds")
    tts: bool = Field(False, title="Text to speech")
    timeout: float | None = Field(10.0, gt=0, le=300, title="Timeout (s)")

    @model_validator(mode="after")
    def _something(self) -> DiscordWebhookNode:
        if not self.content and not self.embeds:
            raise ValueError("set content or embeds")
        return self

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        try:
            url = httpx.URL(self.webhook_url)
        except httpx.InvalidURL:
            raise NodeError("webhook_url", "not a valid URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise NodeError("webhook_url", "expected an absolute http(s) URL")
        payload: dict[str, Any] = {"tts": self.tts}
        for key in ("content", "username", "avatar_url", "embeds"):
            value = getattr(self, key)
            if value is not None:
                payload[key] = value
        where = safe_url(url)
        try:
            async with traced(httpx.AsyncClient(timeout=self.timeout or 10.0)) as client:
                response = await client.post(url, params={"wait": "true"}, json=payload)
        except httpx.HTTPError as exc:
            raise NodeError("webhook_url", f"{where} failed: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise NodeError(
                "webhook_url",
                f"{where} answered HTTP {response.status_code}: {response.text[:200]}",
            )
        message_id = None
        if "json" in response.headers.get("content-type", ""):
            try:
                message_id = (response.json() or {}).get("id")
            except ValueError:
                message_id = None
        return {"status_code": response.status_code, "ok": True, "message_id": message_id}
