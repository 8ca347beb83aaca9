"""WebSocket of a run's events: replay after N, then live, then close after the end.

``Executor.events`` already yields every event exactly once and in order across
the stored/in-memory/live boundary; this handler only frames them as JSON and
relays the two commands a client may send (cancel, resume). Opening the socket
needs ``read`` on ``orcheo:executions``; each command needs ``execute`` there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any, cast

from jupyter_core.utils import ensure_async
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..runtime.outcomes import RunStateError
from ..store.base import NotFound
from .authz import EXECUTE, EXECUTIONS, READ, ws_guard
from .base import ErrorsMixin, dumps
from .errors import AUTH_REQUIRED, ApiError, describe
from .models import MAX_INT

if TYPE_CHECKING:
    from ..runtime.executor import Executor
    from .app import OrcheoApp


class ExecutionSocket(
    ErrorsMixin, WebSocketMixin, WebSocketHandler, ExtensionHandlerMixin, JupyterHandler
):
    _executor: Executor
    _run_id: str
    _after: int
    _pump: asyncio.Task[None] | None = None

    auth_resource = EXECUTIONS

    @property
    def orcheo(self) -> OrcheoApp:
        return cast("OrcheoApp", self.extensionapp)

    @ws_guard(READ)
    async def get(self, execution_id: str) -> None:
        if self.current_user is None:
            raise ApiError(403, "forbidden", AUTH_REQUIRED)
        text = self.get_query_argument("after", "0")
        if not text.isdigit() or int(text) > MAX_INT:
            raise ApiError(422, "invalid_query", f"after must be a whole number >= 0, not {text!r}")
        self._after = int(text)
        self._executor = await self.orcheo.get_executor()
        await self._executor.get_run(execution_id)  # 404 before the upgrade
        self._run_id = execution_id
        await super().get(execution_id)

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        # Events are small and latency matters more than packet count: no Nagle delay
        # waiting for the previous event's ACK.
        self.set_nodelay(True)
        self._pump = asyncio.ensure_future(self._stream())

    async def _stream(self) -> None:
        events = self._executor.events(self._run_id, after=self._after)
        try:
            async for event in events:
                await self.write_message(dumps(event.as_dict()))
        except WebSocketClosedError:
            return
        finally:
            await events.aclose()  # type: ignore[attr-defined]
        self.close(1000, "run finished")

    async def on_message(self, message: str | bytes) -> None:
        try:
            command = json.loads(message)
            if not isinstance(command, dict):
                raise ValueError("a command is a JSON object")
            kind = command.get("type")
            if kind in ("cancel", "resume") and not await self._may_execute():
                self._send_error(
                    "forbidden", f"User is not authorized to {EXECUTE} on resource: {EXECUTIONS}."
                )
                return
            if kind == "cancel":
                await self._executor.cancel(self._run_id)
            elif kind == "resume":
                if "value" not in command:
                    raise ValueError('resume needs a "value"')
                await self._executor.resume(self._run_id, command["value"])
            else:
                raise ValueError(f'unknown command type {kind!r}; expected "cancel" or "resume"')
        except (ValueError, RecursionError) as exc:
            self._send_error("invalid_command", f"{exc}")
        except (RunStateError, NotFound) as exc:
            described = describe(exc)
            self._send_error(described.code, described.message)

    async def _may_execute(self) -> bool:
        """Asked per command: a socket outlives changes to what its user may do."""
        user = self.current_user
        if user is None:
            return False
        allowed = self.authorizer.is_authorized(self, user, EXECUTE, EXECUTIONS)
        return bool(await ensure_async(allowed))

    def _send_error(self, code: str, message: str) -> None:
        payload = {"type": "error", "seq": None, "error": {"code": code, "message": message}}
        with contextlib.suppress(WebSocketClosedError):
            self.write_message(dumps(payload))

    def on_close(self) -> None:
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
        # Jupyter's keep-alive ping timer only notices a closed socket at its next tick
        # (30 s): until then it keeps this handler, its request and connection alive.
        # Under load that is thousands of dead sockets, and long GC pauses scanning them.
        if self.ping_callback is not None:
            self.ping_callback.stop()
            self.ping_callback = None
