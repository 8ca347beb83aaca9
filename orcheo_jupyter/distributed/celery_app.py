"""The Celery application both sides share: the server sends, workers consume.

Messages are acknowledged late (after the run settles) and re-queued if the
worker process dies, so a run is never lost with its worker; leases in the store
make sure only one worker executes a run at a time.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from .config import QUEUE, TASK, Distributed


def make_app(conf: Distributed) -> Celery:
    app = Celery("orcheo", broker=conf.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=conf.prefetch_multiplier,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": conf.visibility_timeout,
            "unacked_restore_interval": max(1, int(conf.visibility_timeout / 5)),
            "unacked_restore_throttle": 1,
        },
    )
    return app


def enqueue(
    app: Celery,
    run_id: str,
    action: str,
    value: Any = None,
    trace: dict[str, str] | None = None,
) -> None:
    """Queue ``action`` (start, resume, recover) of a stored run for some worker.

    ``trace`` (W3C ``traceparent``/``tracestate``) travels as message headers, so the
    worker's spans continue the sender's trace.
    """
    app.send_task(TASK, args=[run_id, action, value], queue=QUEUE, headers=trace or None)


def trace_headers(request: Any) -> dict[str, str]:
    """The W3C trace headers a task message carries (Celery puts custom headers on the
    request itself; older protocols keep them in ``request.headers``)."""
    found: dict[str, str] = {}
    nested = getattr(request, "headers", None) or {}
    for name in ("traceparent", "tracestate"):
        value = getattr(request, name, None) or nested.get(name)
        if isinstance(value, str):
            found[name] = value
    return found
