"""One real ``jupyter orcheo`` server for the SDK tests (started once per session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orcheo_jupyter.client import HttpWorkflowExecutor, OrcheoClient

from .live_server import FaultProxy, Server, running_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("sdk-server")) as live:
        yield live


@pytest.fixture
def client(server: Server) -> Iterator[OrcheoClient]:
    with OrcheoClient(server.url, server.token) as sdk:
        yield sdk


@pytest.fixture
def executor(server: Server) -> Iterator[HttpWorkflowExecutor]:
    with HttpWorkflowExecutor(server.url, server.token) as ex:
        yield ex


@pytest.fixture
def proxy(server: Server) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(server.url)
    try:
        yield fault_proxy
    finally:
        fault_proxy.close()
