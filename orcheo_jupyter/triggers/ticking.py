"""What cron and polling share: the loop (tick, then sleep until the next due time or a
change) and the table of registered triggers with their stored state."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .clock import Clock, SystemClock
from .config import TriggerSpec
from .tasks import cancel_and_wait, first_of

if TYPE_CHECKING:
    from .dispatcher import Dispatcher
    from .store import TriggerStore

log = logging.getLogger(__name__)

#: The longest a loop sleeps between ticks, so a clock that jumps is noticed.
MAX_SLEEP_SECONDS = 60.0


class TickLoop:
    """Calls ``tick`` whenever something is due; ``changed`` (a registration) wakes it early.

    Subclasses say what a tick does and when the next one is due; the loop sleeps
    until then, at most ``MAX_SLEEP_SECONDS``.
    """

    name = "ticker"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> Any:
        raise NotImplementedError

    def next_due(self) -> dt.datetime | None:
        """When a tick next has something to do (None: nothing is registered)."""
        raise NotImplementedError

    def seconds_to_next(self) -> float:
        """How long to sleep before the next tick: until ``next_due``, within the bounds."""
        due = self.next_due()
        if due is None:
            return MAX_SLEEP_SECONDS
        return max(0.0, min(MAX_SLEEP_SECONDS, (due - self.clock.now()).total_seconds()))

    async def run(self) -> None:
        while True:
            self._changed.clear()
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("orcheo: %s tick failed; retrying in a second", self.name)
                await self.clock.sleep(1.0)
                continue
            await first_of(self.clock.sleep(self.seconds_to_next()), self._changed.wait())

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"orcheo-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None


class _Stored(Protocol):
    @property
    def workflow_id(self) -> str: ...
    @property
    def trigger_id(self) -> str: ...


S = TypeVar("S", bound=_Stored)
E = TypeVar("E")


class TriggerTable(TickLoop, Generic[S, E]):
    """A ``TickLoop`` over the registered triggers of one kind, keyed ``workflow:trigger``.

    ``_entries`` holds what is registered now, ``_stored`` what ``store`` last kept
    for each trigger (read once by ``load``, before any registration), so a
    restart resumes where it left off; what a tick starts goes to ``dispatcher``.
    Subclasses say which specs they take, how a spec becomes an entry (``_enter``)
    and what the store keeps when the registrations change (``_keep``).
    """

    kind: str  # TriggerSpec.type
    config_type: type

    def __init__(
        self, store: TriggerStore, dispatcher: Dispatcher, *, clock: Clock | None = None
    ) -> None:
        super().__init__(clock or SystemClock())
        self.store = store
        self.dispatcher = dispatcher
        self._entries: dict[str, E] = {}
        self._stored: dict[str, S] = {}
        self._lock = asyncio.Lock()

    async def stored_states(self) -> list[S]:
        raise NotImplementedError

    async def load(self) -> None:
        """Read what the store kept for every trigger (before any trigger registers)."""
        self._stored = {f"{s.workflow_id}:{s.trigger_id}": s for s in await self.stored_states()}

    async def set_workflow(
        self, workflow_id: str, specs: list[TriggerSpec], version: int | None
    ) -> None:
        """The workflow's triggers of this kind now (an empty list removes them)."""
        async with self._lock:
            wanted = self._wanted(specs)
            dropped = self._forget(workflow_id, wanted)
            now = self.clock.now()
            for key, spec in wanted.items():
                self._entries[key] = self._enter(spec, version, now)
            await self._keep(list(wanted), dropped)
        self._changed.set()

    def _enter(self, spec: TriggerSpec, version: int | None, now: dt.datetime) -> E:
        """The entry of a wanted trigger, from what is registered and stored of it."""
        raise NotImplementedError

    async def _keep(self, entered: list[str], dropped: list[tuple[str, str]]) -> None:
        """Keep the store in step with the entries just made (by key) and the triggers
        dropped (their (workflow, trigger) ids); called under the lock."""
        raise NotImplementedError

    def _wanted(self, specs: list[TriggerSpec]) -> dict[str, TriggerSpec]:
        """The enabled specs of this kind, by key."""
        return {
            s.key: s
            for s in specs
            if s.type == self.kind and s.enabled and isinstance(s.config, self.config_type)
        }

    def _forget(self, workflow_id: str, wanted: dict[str, TriggerSpec]) -> list[tuple[str, str]]:
        """Unregister the workflow's triggers not in ``wanted``; their (workflow, trigger) ids."""
        prefix = f"{workflow_id}:"
        drop = [k for k in self._entries if k.startswith(prefix) and k not in wanted]
        for key in drop:
            self._entries.pop(key, None)
            self._stored.pop(key, None)
        return [(workflow_id, key[len(prefix) :]) for key in drop]
