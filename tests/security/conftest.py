"""Security regressions (issue 14) run on the server tests' fixtures: a real in-process
Jupyter server with orcheo enabled, on pytest-jupyter's loop (async tests here are not
marked asyncio; see tests/server/conftest.py)."""

from tests.server.conftest import *  # noqa: F403
