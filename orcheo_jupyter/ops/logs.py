"""Structured JSON logs: one object per line, with run, workflow and node ids.

``log_event`` is an executor event sink: every run event becomes one log line on
the ``orcheo.events`` logger (type, seq, run, node, duration, error), never with
node outputs or state, which may be large or personal. Any other log record made
while a run is executing gets that run's ids from the run context.
``configure`` installs the formatter (``ORCHEO_LOG_FORMAT=json``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from typing import Any

from ..runtime import observer as obs
from ..store.records import EventRecord

EVENTS = logging.getLogger("orcheo.events")
# A library's loggers stay silent until the application configures logging.
logging.getLogger("orcheo").addHandler(logging.NullHandler())
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RunContextFilter(logging.Filter):
    """Adds the executing run's ids to records logged inside a run."""

    def filter(self, record: logging.LogRecord) -> bool:
        observer = obs.current.get()
        if observer is not None:
            if getattr(record, "run_id", None) is None:
                record.run_id = observer.run_id
            if getattr(record, "workflow_id", None) is None:
                record.workflow_id = observer.workflow_id
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_") and value is not None:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def log_event(event: EventRecord) -> None:
    """An executor event sink: one structured line per run event."""
    if not EVENTS.isEnabledFor(logging.INFO):
        return
    extra: dict[str, Any] = {
        "run_id": event.run_id,
        "seq": event.seq,
        "event": event.type,
        "node_id": event.node,
    }
    observer = obs.current.get()
    if observer is not None and observer.run_id == event.run_id:
        extra["workflow_id"] = observer.workflow_id
    data = event.data
    if "duration_ms" in data:
        extra["duration_ms"] = data["duration_ms"]
    if "error" in data:
        extra["error"] = str(data["error"])[:2000]
    if "attempt" in data:
        extra["attempt"] = data["attempt"]
    level = logging.WARNING if event.type in ("run_failed", "node_failed") else logging.INFO
    message = f"{event.type} {event.node}" if event.node else event.type
    EVENTS.log(level, message, extra=extra)


def configure(fmt: str | None = None, level: str | int | None = None) -> None:
    """Log orcheo's records to stderr, as JSON lines when ``fmt`` (or the env) says json."""
    fmt = (fmt or os.environ.get("ORCHEO_LOG_FORMAT", "text")).lower()
    level = level or os.environ.get("ORCHEO_LOG_LEVEL", "INFO")
    if fmt not in ("json", "text"):
        raise ValueError(f"ORCHEO_LOG_FORMAT must be json or text, not {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RunContextFilter())
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    handler.set_name("orcheo-ops")
    for name in ("orcheo", "orcheo_jupyter"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == "orcheo-ops"]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level if isinstance(level, int) else level.upper())
        logger.propagate = False


__all__ = ["EVENTS", "JsonFormatter", "RunContextFilter", "configure", "log_event"]
