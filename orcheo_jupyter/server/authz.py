"""Authorization: Jupyter's Authorizer decides every orcheo action, not just who is logged in.

Each handler names the resource it serves (``auth_resource``) and each method the
action it takes; ``guard`` puts jupyter_server's ``@authorized`` behind tornado's
``@web.authenticated`` (the order Jupyter's own handlers use, and what its check for
undecorated endpoints looks for). JupyterHub's RBAC or any custom ``Authorizer``
then allows or refuses per user, resource and action, with a 403 naming both.

Actions: ``read`` looks, ``write`` changes stored things (workflows, triggers,
credentials), ``execute`` starts or steers runs (execute, resume, rerun, cancel,
dispatch, retry a dead letter; a socket's cancel and resume commands).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from jupyter_server.auth.decorator import authorized, ws_authenticated
from tornado import web

WORKFLOWS = "orcheo:workflows"
EXECUTIONS = "orcheo:executions"
TRIGGERS = "orcheo:triggers"
CREDENTIALS = "orcheo:credentials"
NODES = "orcheo:nodes"
OPS = "orcheo:ops"
API = "orcheo:api"  # the API's own description, and unknown paths under it
RESOURCES = (WORKFLOWS, EXECUTIONS, TRIGGERS, CREDENTIALS, NODES, OPS, API)

READ = "read"
WRITE = "write"
EXECUTE = "execute"

F = TypeVar("F", bound=Callable[..., Awaitable[None]])


def guard(action: str | None = None) -> Callable[[F], F]:
    """Require a Jupyter user allowed to take ``action`` on the handler's ``auth_resource``.

    ``None`` takes the action from the HTTP method (GET reads, others write), as
    jupyter_server does.
    """

    def decorate(method: F) -> F:
        checked = authorized(action)(method) if action is not None else authorized(method)

        @functools.wraps(method)
        async def prepared(self: Any, *args: Any, **kwargs: Any) -> None:
            self.raise_deferred_error()  # what prepare refused while the body was coming
            await checked(self, *args, **kwargs)

        return cast(F, web.authenticated(prepared))

    return decorate


def ws_guard(action: str) -> Callable[[F], F]:
    """``guard`` for a WebSocket's upgrade request (no login redirect, as Jupyter's sockets)."""

    def decorate(method: F) -> F:
        return cast(F, ws_authenticated(cast(Any, authorized(action)(method))))

    return decorate
