"""Operations endpoints: Prometheus metrics and a health check for load balancers.

Both follow Jupyter's ``ServerApp.authenticate_prometheus`` setting (default on,
as for Jupyter's own ``/metrics``): with it off, monitoring can read them without
a token; with it on, they need the same token as every other route.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar, cast

from jupyter_server.auth.decorator import allow_unauthenticated
from pydantic import BaseModel, Field

from ..ops import health, metrics
from .authz import OPS, READ, guard
from .base import OrcheoHandler, document


class CheckResult(BaseModel):
    ok: bool
    latency_ms: float | None = Field(None, description="How long the check took.")
    error: str | None = Field(None, description="Why it failed (type: message).")


class HealthReport(BaseModel):
    status: Literal["ok", "unavailable"]
    version: str
    executor: str = Field(
        description="runners (runner processes), local (in-process) or celery (queued for workers)."
    )
    checks: dict[str, CheckResult] = Field(
        description="store, checkpoints, (with Celery) broker and (with runner processes) "
        "runners: at least one ready."
    )


class _OpsHandler(OrcheoHandler):
    auth_resource = OPS
    api_tag = "operations"

    def _open_to_monitoring(self) -> bool:
        return not self.settings.get("authenticate_prometheus", True)


F = TypeVar("F", bound=Callable[..., Awaitable[None]])


def monitoring(action: str) -> Callable[[F], F]:
    """``guard(action)``, unless ``authenticate_prometheus`` is off: then anyone may read.

    Jupyter's own ``/metrics`` does the same (``@allow_unauthenticated``, then the
    setting decides), so the check for undecorated endpoints stays quiet.
    """

    def decorate(method: F) -> F:
        guarded = guard(action)(method)

        @allow_unauthenticated
        @functools.wraps(method)
        async def checked(self: _OpsHandler, *args: Any, **kwargs: Any) -> None:
            if self._open_to_monitoring():
                await method(self, *args, **kwargs)
            else:
                await guarded(self, *args, **kwargs)

        return cast(F, checked)

    return decorate


class MetricsHandler(_OpsHandler):
    @monitoring(READ)
    @document(
        operation_id="getMetrics",
        summary="Prometheus metrics of this server process (text exposition format)",
        description="Runs started and finished by status, node duration histogram, runs in "
        "progress, broker queue depth and webhook deliveries. Celery workers expose "
        "their own (orcheo-jupyter worker --metrics-port).",
        responses={200: None},
        extra={"content": {200: {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def get(self) -> None:
        executor = await self.executor()
        try:
            depth = await executor.backend.queue_depth()
        except Exception:  # the health check reports a broker that is down
            depth = -1
        body, content_type = metrics.render(
            in_progress=executor.runs_in_progress(), queue_depth=depth
        )
        self.finish(body, set_content_type=content_type)


class HealthHandler(_OpsHandler):
    @monitoring(READ)
    @document(
        operation_id="getHealth",
        summary="Whether this server can reach its store, checkpoints and broker",
        description="200 when every check passes, 503 (same body) when any fails.",
        responses={200: HealthReport, 503: HealthReport},
    )
    async def get(self) -> None:
        report = await health.check(await self.executor())
        self.reply(200 if report["status"] == "ok" else 503, report)
