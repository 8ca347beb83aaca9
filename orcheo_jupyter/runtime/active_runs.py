"""A run whose events and status this process writes (one numbering, one writer).

The executor holds one for each run it drives here and, briefly, for each run it
ends on another process's behalf (a cancel, a runner stopped for a timeout).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ..store.records import RunRecord, TransitionRecord
from . import observer as obs


@dataclass
class ActiveRun:
    record: RunRecord
    observer: obs.RunObserver
    task: asyncio.Task[None] | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    #: Status changes made here; the group-committed store may not have them yet.
    transitions: list[TransitionRecord] = field(default_factory=list)
    #: Size of the run's stored inputs (known at submit; measured when first needed).
    inputs_size: int | None = None
