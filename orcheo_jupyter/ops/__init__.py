"""Operations: Prometheus metrics, structured JSON logs and health checks.

``attach(executor)`` wires an executor's run events into the metrics and the
event log; the server, the CLI and Celery workers call it on the executors they
open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import logs, metrics

if TYPE_CHECKING:
    from ..runtime.executor import Executor


def attach(executor: Executor) -> Executor:
    """Count and log every run event of ``executor`` (idempotent)."""
    for sink in (metrics.observe_event, logs.log_event):
        if sink not in executor.event_sinks:
            executor.event_sinks.append(sink)
    return executor


__all__ = ["attach", "logs", "metrics"]
