"""Trigger services: webhook ingress, cron schedules, manual batch dispatch, and the
dispatcher that starts their runs with concurrency limits, retries and dead letters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .clock import Clock, ManualClock, SystemClock
    from .config import (
        CronConfig,
        DispatchPolicy,
        HmacConfig,
        TriggerSpec,
        WebhookConfig,
        triggers_of,
    )
    from .cron import CronScheduler
    from .dispatcher import Dispatcher
    from .records import Accepted, CronFire, Delivery, Job
    from .recovery import owner_alive, recover_orphans
    from .service import TriggerService, TriggerSettings
    from .store import SqliteTriggerStore, TriggerStore
    from .webhook import WebhookRejected, WebhookRequest, sign, verify

__getattr__ = lazy_exports(
    __name__,
    globals(),
    {
        "Clock": ".clock",
        "ManualClock": ".clock",
        "SystemClock": ".clock",
        "CronConfig": ".config",
        "DispatchPolicy": ".config",
        "HmacConfig": ".config",
        "TriggerSpec": ".config",
        "WebhookConfig": ".config",
        "triggers_of": ".config",
        "CronScheduler": ".cron",
        "Dispatcher": ".dispatcher",
        "Accepted": ".records",
        "CronFire": ".records",
        "Delivery": ".records",
        "Job": ".records",
        "owner_alive": ".recovery",
        "recover_orphans": ".recovery",
        "TriggerService": ".service",
        "TriggerSettings": ".service",
        "SqliteTriggerStore": ".store",
        "TriggerStore": ".store",
        "WebhookRejected": ".webhook",
        "WebhookRequest": ".webhook",
        "sign": ".webhook",
        "verify": ".webhook",
    },
)

__all__ = [
    "Accepted",
    "Clock",
    "CronConfig",
    "CronFire",
    "CronScheduler",
    "Delivery",
    "DispatchPolicy",
    "Dispatcher",
    "HmacConfig",
    "Job",
    "ManualClock",
    "SqliteTriggerStore",
    "SystemClock",
    "TriggerService",
    "TriggerSettings",
    "TriggerSpec",
    "TriggerStore",
    "WebhookConfig",
    "WebhookRejected",
    "WebhookRequest",
    "owner_alive",
    "recover_orphans",
    "sign",
    "triggers_of",
    "verify",
]
