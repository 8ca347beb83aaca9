"""The Jupyter server extension: REST and WebSocket API over the orcheo runtime.

A thin layer: handlers validate requests, call the executor and the store, and
shape answers; all behaviour lives in ``runtime/``, ``store/`` and ``ingest/``.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import OrcheoApp

    return [{"module": "orcheo_jupyter.server.app", "app": OrcheoApp}]
