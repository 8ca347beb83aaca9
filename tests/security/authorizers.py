"""Authorizers a deployment might plug in (``ServerApp.authorizer_class``), for the tests.

Each refuses what its class attribute ``denied`` names: actions or resources. Tests
change ``denied`` while the server runs, as JupyterHub's roles can change.
"""

from __future__ import annotations

from typing import Any, ClassVar

from jupyter_server.auth import Authorizer


class Denying(Authorizer):  # type: ignore[misc]
    denied: ClassVar[set[str]] = set()
    asked: ClassVar[list[tuple[str, str]]] = []

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        type(self).asked.append((action, resource))
        return action not in self.denied and resource not in self.denied
