"""A test identity provider: token auth as usual, the user named by a request header.

Jupyter names token-authenticated users at random per request; deployments with
real identities (JupyterHub, OAuth) name them. This stands in for those.
"""

from __future__ import annotations

import inspect
from typing import Any

from jupyter_server.auth.identity import IdentityProvider, User

HEADER = "X-Test-User"


class HeaderIdentityProvider(IdentityProvider):
    async def get_user(self, handler: Any) -> User | None:  # type: ignore[override]
        user = super().get_user(handler)
        if inspect.isawaitable(user):
            user = await user
        name = handler.request.headers.get(HEADER)
        if user is None or not name:
            return user
        return User(username=name, name=name, display_name=name)
