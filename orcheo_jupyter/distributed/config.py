"""Settings of distributed execution: broker, queue, leases (``ORCHEO_*`` variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..settings import Settings

QUEUE = "orcheo"
TASK = "orcheo.execute"
#: Redis pub/sub channels: stored-event notifications, and control (cancel) requests.
EVENTS_CHANNEL = "orcheo:runs"
CONTROL_CHANNEL = "orcheo:control"
CANCEL_KEY = "orcheo:cancel:{run_id}"
#: Worker owners carry this prefix: the server's start-up recovery leaves their runs to
#: the workers' own reaper (a worker on another host cannot be probed by pid).
WORKER_OWNER_PREFIX = "celery@"


def lease(run_id: str) -> str:
    """The lock a worker holds while it executes ``run_id``."""
    return f"run:{run_id}"


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {value!r}") from None
    if number <= 0:
        raise ValueError(f"{name} must be positive, not {value!r}")
    return number


@dataclass(frozen=True)
class Distributed:
    broker_url: str
    #: A worker holds each run it executes under a lease it renews every lease/3 s; a
    #: lease that lapses (the worker died) lets another worker resume the run.
    lease_seconds: float = 30.0
    #: Redis re-delivers a message a worker took but never acknowledged after this long.
    visibility_timeout: float = 600.0
    #: How often waiting clients re-read the store when no notification arrives.
    poll_seconds: float = 1.0
    #: Messages a worker reserves per run slot. More than 1 keeps slots busy between
    #: messages (Celery fetches the next one only on its consumer's next tick); the
    #: reserved ones return to the queue if the worker dies.
    prefetch_multiplier: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> Distributed:
        if not settings.broker_url:
            raise ValueError(
                "ORCHEO_EXECUTOR=celery needs ORCHEO_BROKER_URL (or c.OrcheoApp.broker_url), "
                "e.g. redis://127.0.0.1:6379/0"
            )
        if not settings.broker_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"ORCHEO_BROKER_URL must be a Redis URL (redis://host:port/db), "
                f"not {settings.broker_url!r}"
            )
        return cls(
            broker_url=settings.broker_url,
            lease_seconds=_float("ORCHEO_LEASE_SECONDS", 30.0),
            visibility_timeout=_float("ORCHEO_CELERY_VISIBILITY_TIMEOUT", 600.0),
            poll_seconds=_float("ORCHEO_EVENT_POLL_SECONDS", 1.0),
            prefetch_multiplier=int(_float("ORCHEO_CELERY_PREFETCH", 4)),
        )
