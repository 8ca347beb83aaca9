"""Trigger services: webhook ingress, cron schedules, manual batch dispatch, and the
dispatcher that starts their runs with concurrency limits, retries and dead letters."""

from .clock import Clock, ManualClock, SystemClock
from .config import CronConfig, DispatchPolicy, HmacConfig, TriggerSpec, WebhookConfig, triggers_of
from .cron import CronScheduler
from .dispatcher import Dispatcher
from .records import Accepted, CronFire, Delivery, Job
from .recovery import owner_alive, recover_orphans
from .service import TriggerService, TriggerSettings
from .store import SqliteTriggerStore, TriggerStore
from .webhook import WebhookRejected, WebhookRequest, sign, verify

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
