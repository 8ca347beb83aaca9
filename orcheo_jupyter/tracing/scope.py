"""The run the current code works for (a ContextVar), read by every span started in it."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunScope:
    """The run the current code works for, and how to scrub its secrets from text."""

    run_id: str
    scrub: Any  # Callable[[str], str]


scope: ContextVar[RunScope | None] = ContextVar("orcheo_trace_run", default=None)
