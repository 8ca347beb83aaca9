"""Webhook ingress: ``/orcheo/hooks/{workflow id or slug}``, the one route without Jupyter auth.

Its own checks stand in for Jupyter's (see ``triggers/webhook.py``): allowed
methods, a shared secret header or an HMAC-SHA256 signature with a timestamp,
required headers and query parameters, replay protection and idempotency keys.
A delivery is stored before the answer; 202 carries the run id it will start, and
a repeated Idempotency-Key gets 200 with the same run id and starts nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel, Field
from tornado.web import RequestHandler

from .. import tracing
from ..common.api_errors import ErrorEnvelope
from ..ops import metrics
from ..triggers import WebhookRejected, WebhookRequest
from .base import ErrorsMixin, Replies, document
from .body_limit import BodyLimitMixin

if TYPE_CHECKING:
    from .app import OrcheoApp


class DeliveryAccepted(BaseModel):
    execution_id: str = Field(description="The run this delivery starts (or started).")
    delivery_id: str
    duplicate: bool = Field(description="True when an earlier delivery had the same key.")


class WebhookHandler(BodyLimitMixin, ErrorsMixin, Replies, ExtensionHandlerMixin, RequestHandler):
    """No Jupyter token, cookie or XSRF here: callers are other systems, checked per workflow.

    Every method is ``@allow_unauthenticated`` so Jupyter (with
    ``allow_unauthenticated_access=False``) neither warns about nor blocks it.
    """

    api_tag = "webhooks"
    #: What a workflow's webhook rules (or its absence, or a full queue) can answer.
    api_errors = (400, 401, 405, 409, 413, 422, 429, 503)

    def body_limit(self) -> int:
        return self.orcheo.body_limit

    async def prepare(self) -> None:
        # 413 from the Content-Length alone: the body of a request to a hook that does
        # not exist, or refuses it, is never read.
        self.refuse_oversized_body()

    def check_xsrf_cookie(self) -> None:
        return None  # authenticity comes from the webhook's own secret or signature

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")

    @property
    def orcheo(self) -> OrcheoApp:
        return cast("OrcheoApp", self.extensionapp)

    def _error(self, exc: WebhookRejected) -> None:
        for name, value in exc.headers.items():
            self.set_header(name, value)
        self.reply(exc.status, ErrorEnvelope(exc.status, exc.code, exc.message, exc.details).body())

    async def _deliver(self, ref: str) -> None:
        self.raise_deferred_error()  # a body refused by its size, read and dropped
        await self.orcheo.get_executor()
        triggers = self.orcheo.services.triggers
        request = WebhookRequest(
            method=self.request.method or "GET",
            headers=self.request.headers,
            body=self.raw_body(),
            query={
                k: [v.decode("utf-8", "replace") for v in values]
                for k, values in self.request.query_arguments.items()
            },
        )
        # A caller's W3C ``traceparent``: the run it starts continues the caller's trace.
        try:
            with tracing.continued(self.request.headers):
                accepted = await triggers.deliver(ref, request)
        except WebhookRejected as exc:
            metrics.record_webhook("rejected")
            self._error(exc)
            return
        except Exception:
            metrics.record_webhook("error")
            raise
        duplicate = accepted.outcome != "accepted"
        metrics.record_webhook("duplicate" if duplicate else "accepted")
        self.reply_started(
            accepted.run_id,
            status=200 if duplicate else 202,  # 200: an earlier delivery started it
            delivery_id=accepted.delivery_id,
            duplicate=duplicate,
        )

    @allow_unauthenticated
    @document(
        operation_id="receiveWebhook",
        summary="Start the workflow from another system (GET, PUT, PATCH, DELETE if allowed)",
        description="No Jupyter authentication: the workflow's webhook trigger sets the rules. "
        "With HMAC, send `X-Orcheo-Timestamp: <unix seconds>` and `X-Orcheo-Signature: "
        "sha256=<hex HMAC-SHA256 of '<timestamp>.' + raw body>` (header names configurable). "
        "Send an `Idempotency-Key` so a retried delivery never starts a second run. The body "
        "reaches the run as inputs.body (JSON, form fields or text), with inputs.headers, "
        "inputs.query, inputs.method and inputs.delivery_id.",
        responses={202: DeliveryAccepted, 200: DeliveryAccepted},
        extra={"security": []},
    )
    async def post(self, ref: str) -> None:
        await self._deliver(ref)

    # The trigger's rules say which methods it accepts; the API document lists each.
    get = put = patch = delete = post
