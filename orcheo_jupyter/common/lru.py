"""A bounded least-recently-used cache, the one used everywhere a cache is kept.

Keys name immutable things (a document checksum, a script hash, a schema's
text), so an entry never goes stale; the bound keeps memory flat however many
distinct keys a long-running server sees. Thread-safe: runner threads, worker
threads and the event loop share some of these caches.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


class LRU(Generic[K, V]):
    """At most ``size`` entries; storing one more drops the least recently used."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"size must be 1 or more, not {size}")
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value stored under ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            try:
                value = self._items[key]
            except KeyError:
                return default
            self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> V:
        """Store ``value`` as the most recently used; returns it."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The cached value, or ``make()`` stored under ``key`` (``None`` is a value too).

        ``make`` runs outside the lock: two threads missing together may both make
        it, and the later one is kept (values for one key are interchangeable).
        """
        with self._lock:
            found: object = self._items.get(key, _MISSING)
            if found is not _MISSING:
                self._items.move_to_end(key)
                return found  # type: ignore[return-value]
        return self.put(key, make())

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
