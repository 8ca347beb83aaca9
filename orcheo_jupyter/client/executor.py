"""``HttpWorkflowExecutor``: start runs on a remote server and follow them to the end.

Events come over the run's WebSocket (``/orcheo/ws/executions/{id}?after=N``),
which replays what was stored and then streams live. A dropped socket is
reopened after the last sequence number seen, so no event is lost or repeated;
where WebSockets are blocked (a proxy), the executor falls back to polling the
events route.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Unpack

from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection, connect

from ..common.api_errors import ErrorEnvelope
from .client import ExecuteOptions, OrcheoClient
from .errors import OrcheoAPIError, OrcheoConnectionError, RunTimeout
from .transport import Closing, ConnectionOptions

TERMINAL_EVENTS = frozenset({"run_finished", "run_failed", "run_cancelled"})
#: Events after which a run waits (for an answer) or is over.
SETTLING_EVENTS = TERMINAL_EVENTS | {"interrupted"}
SETTLED = frozenset({"succeeded", "failed", "cancelled", "interrupted"})
MAX_MESSAGE = 64 * 1024 * 1024

OnEvent = Callable[[dict[str, Any]], None]


class HttpWorkflowExecutor(Closing):
    """Run workflows on a server: ``HttpWorkflowExecutor(url, token).run("greet", {...})``.

    ``options`` are the connection options of ``OrcheoClient`` (``ConnectionOptions``),
    for the client made here when none is given.
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        client: OrcheoClient | None = None,
        poll_interval: float = 0.5,
        use_websocket: bool = True,
        **options: Unpack[ConnectionOptions],
    ) -> None:
        if client is None:
            if base_url is None:
                raise ValueError("HttpWorkflowExecutor needs base_url (or an OrcheoClient)")
            client = OrcheoClient(base_url, token, **options)
        elif options:
            raise TypeError(
                f"connection options ({', '.join(sorted(options))}) go to the OrcheoClient "
                "given as client, not to HttpWorkflowExecutor"
            )
        self.client = client
        self.poll_interval = poll_interval
        self.use_websocket = use_websocket
        #: How events were followed last: "websocket" or "polling" (and reconnects).
        self.transport_used: str | None = None
        self.reconnects = 0

    def close(self) -> None:
        self.client.close()

    # --- runs ---------------------------------------------------------------------
    def submit(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        **options: Unpack[ExecuteOptions],
    ) -> str:
        """Start a run; its execution id. ``options``: see ``ExecuteOptions``."""
        return self.client.execute(workflow_id, inputs, **options)

    def run(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        on_event: OnEvent | None = None,
        **options: Unpack[ExecuteOptions],
    ) -> dict[str, Any]:
        """Run and wait: the execution once it finished, failed, was cancelled or asks for input.

        ``options``: see ``ExecuteOptions``."""
        execution_id = self.submit(workflow_id, inputs, **options)
        return self.wait(execution_id, timeout=timeout, on_event=on_event)

    def resume(
        self,
        execution_id: str,
        value: Any,
        *,
        wait: bool = True,
        timeout: float | None = None,
        on_event: OnEvent | None = None,
    ) -> dict[str, Any]:
        """Answer a pending interrupt; by default wait until the run settles again."""
        before = self.client.get_execution(execution_id)["last_seq"]
        self.client.resume(execution_id, value)
        if not wait:
            return self.client.get_execution(execution_id)
        return self.wait(execution_id, timeout=timeout, on_event=on_event, after=before)

    def cancel(self, execution_id: str) -> dict[str, Any]:
        return self.client.cancel(execution_id)

    def wait(
        self,
        execution_id: str,
        *,
        timeout: float | None = None,
        on_event: OnEvent | None = None,
        after: int = 0,
    ) -> dict[str, Any]:
        """Follow the run's events until it settles; then its execution record."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for event in self.events(execution_id, after=after, deadline=deadline):
            if on_event is not None:
                on_event(event)
            if event.get("type") in SETTLING_EVENTS:
                break
        execution = self.client.get_execution(execution_id)
        # An interrupt answered meanwhile by someone else: keep following.
        if execution["status"] not in SETTLED:
            return self.wait(
                execution_id,
                timeout=None if deadline is None else max(0.0, deadline - time.monotonic()),
                on_event=on_event,
                after=execution["last_seq"],
            )
        return execution

    # --- events -------------------------------------------------------------------
    def events(
        self, execution_id: str, *, after: int = 0, deadline: float | None = None
    ) -> Iterator[dict[str, Any]]:
        """Events after ``after``, in order and each once, until the run's terminal event.

        A run that is interrupted has no terminal event yet: the stream waits (until
        ``deadline``, a ``time.monotonic()`` value) for it to be resumed.
        """
        last = after
        if self.use_websocket:
            try:
                for event in self._socket_events(execution_id, after, deadline):
                    last = event["seq"]
                    yield event
                return
            except _SocketUnavailable:
                pass
        self.transport_used = "polling"
        yield from self._polled_events(execution_id, last, deadline)

    def _socket_events(
        self, execution_id: str, after: int, deadline: float | None
    ) -> Iterator[dict[str, Any]]:
        last = after
        failures = 0
        backoff = self.client.http.backoff
        opened_once = False
        while True:
            try:
                ws = self._open(execution_id, last, deadline)
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in (401, 403, 404):
                    raise _handshake_error(exc, self.client.ws_url(execution_id, last)) from None
                failures += 1
                if failures > backoff.max_retries:
                    raise _SocketUnavailable() from exc
                time.sleep(backoff.delay(failures))
                continue
            except (OSError, WebSocketException, TimeoutError) as exc:
                failures += 1
                if failures > backoff.max_retries:
                    if opened_once:
                        raise OrcheoConnectionError(f"lost the run's event stream: {exc}") from exc
                    raise _SocketUnavailable() from exc
                time.sleep(backoff.delay(failures))
                continue
            self.transport_used = "websocket"
            if opened_once:
                self.reconnects += 1
            opened_once = True
            with ws:
                try:
                    while True:
                        message = ws.recv(timeout=_remaining(deadline))
                        event = json.loads(message)
                        if event.get("type") == "error":
                            continue  # an answer to a command this client never sends
                        if event["seq"] <= last:
                            continue
                        last = event["seq"]
                        failures = 0
                        yield event
                        if event["type"] in TERMINAL_EVENTS:
                            return
                except TimeoutError:
                    raise RunTimeout(
                        f"run {execution_id} did not settle in time (last event {last})"
                    ) from None
                except ConnectionClosed as exc:
                    if exc.rcvd is not None and exc.rcvd.code == 1000:
                        return  # the server closes after the run's last event
            # Dropped mid-run: reopen after the last event seen.

    def _open(self, execution_id: str, after: int, deadline: float | None) -> ClientConnection:
        http = self.client.http
        headers = {k: v for k, v in http.headers.items() if k.lower() != "user-agent"}
        open_timeout = _remaining(deadline)
        return connect(
            self.client.ws_url(execution_id, after),
            additional_headers=headers,
            open_timeout=min(open_timeout, 30.0) if open_timeout is not None else 30.0,
            max_size=MAX_MESSAGE,
            proxy=None,
        )

    def _polled_events(
        self, execution_id: str, after: int, deadline: float | None
    ) -> Iterator[dict[str, Any]]:
        last = after
        while True:
            page = self.client.events(execution_id, after=last)
            for event in page["items"]:
                last = event["seq"]
                yield event
                if event["type"] in TERMINAL_EVENTS:
                    return
            if page["done"]:
                return
            if not page["items"]:
                if deadline is not None and time.monotonic() >= deadline:
                    raise RunTimeout(f"run {execution_id} did not settle in time")
                time.sleep(self.poll_interval)


class _SocketUnavailable(Exception):
    """The WebSocket cannot be opened here; polling takes over."""


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise RunTimeout("the run did not settle in time")
    return left


def _handshake_error(exc: InvalidStatus, url: str) -> OrcheoAPIError:
    status = exc.response.status_code
    body = bytes(exc.response.body or b"")
    found = ErrorEnvelope.read(status, body, f"WebSocket handshake refused ({status})")
    return OrcheoAPIError(status, found.code, found.message, found.details, method="GET", url=url)
