"""Per-host circuit breakers for outbound HTTP (retry timing: ``common.retry``).

A breaker opens after consecutive failures to one host (scheme, host, port), so
a dead service fails fast instead of tying up every run that calls it; after a
cool-down it lets one trial request through (half-open) and closes on success.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass
class _HostState:
    failures: int = 0
    opened_at: float | None = None
    trial_in_flight: bool = False


class CircuitOpen(Exception):
    """The host's breaker is open: the request was not sent."""

    def __init__(self, host: str, failures: int, retry_in: float) -> None:
        self.host = host
        self.retry_in = retry_in
        super().__init__(
            f"circuit open for {host} after {failures} consecutive failures; "
            f"next try allowed in {retry_in:.1f}s"
        )


class CircuitBreakers:
    """Breaker state for every host this process talks to (thread-safe)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._hosts: dict[str, _HostState] = {}
        self._lock = threading.Lock()

    def before(self, host: str, threshold: int, reset_seconds: float) -> None:
        """Raise CircuitOpen unless a request to ``host`` may go out now."""
        with self._lock:
            st = self._hosts.get(host)
            if st is None or st.opened_at is None:
                return
            waited = self._clock() - st.opened_at
            if waited < reset_seconds:
                raise CircuitOpen(host, st.failures, reset_seconds - waited)
            if st.trial_in_flight:
                raise CircuitOpen(host, st.failures, 0.0)
            st.trial_in_flight = True  # half-open: this request is the trial

    def success(self, host: str) -> None:
        with self._lock:
            self._hosts.pop(host, None)

    def failure(self, host: str, threshold: int) -> None:
        with self._lock:
            st = self._hosts.setdefault(host, _HostState())
            st.failures += 1
            if st.trial_in_flight or st.failures >= threshold:
                st.opened_at = self._clock()
            st.trial_in_flight = False

    def state(self, host: str) -> str:
        """'closed', 'open' or 'half-open' (for display and tests)."""
        with self._lock:
            st = self._hosts.get(host)
            if st is None or st.opened_at is None:
                return "closed"
            return "half-open" if st.trial_in_flight else "open"


#: The process-wide breakers; a NodeContext service ``http_circuit_breakers`` replaces it.
default_breakers = CircuitBreakers()
