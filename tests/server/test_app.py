"""OrcheoApp: traitlets map onto Settings, ORCHEO_* variables win, clean start and stop."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter.server import app as app_module
from orcheo_jupyter.server.app import OrcheoApp
from orcheo_jupyter.settings import ENVIRONMENT, Settings

from .conftest import Call


def _app(jp_serverapp: Any) -> OrcheoApp:
    app = jp_serverapp.extension_manager.extension_apps["orcheo_jupyter"]
    [orcheo] = [a for a in app if isinstance(a, OrcheoApp)]
    return orcheo


class TestTraitlets:
    @pytest.fixture
    def orcheo_config(self, tmp_path: Path) -> dict[str, Any]:
        return {
            "data_dir": str(tmp_path / "from-traitlet"),
            "durability": "exit",
            "checkpoint_path": str(tmp_path / "cp" / "checkpoints.sqlite"),
        }

    @pytest.fixture
    def jp_server_config(
        self, monkeypatch: pytest.MonkeyPatch, orcheo_config: dict[str, Any]
    ) -> dict[str, Any]:
        for name in ("ORCHEO_DATA_DIR", "ORCHEO_DURABILITY", "ORCHEO_SQLITE_PATH"):
            monkeypatch.delenv(name, raising=False)
        return {
            "ServerApp": {"jpserver_extensions": {"orcheo_jupyter": True}},
            "OrcheoApp": orcheo_config,
        }

    async def test_traitlets_choose_where_data_lives(
        self, api: Call, jp_serverapp: Any, tmp_path: Path
    ) -> None:
        settings = _app(jp_serverapp).orcheo_settings()
        assert settings.data_dir == tmp_path / "from-traitlet"
        assert settings.durability == "exit"
        assert (await api("POST", "workflows", json_body=_doc())).code == 201
        assert (tmp_path / "from-traitlet" / "orcheo.sqlite").exists()
        assert (tmp_path / "cp" / "checkpoints.sqlite").exists()

    async def test_environment_overrides_traitlets(
        self, api: Call, jp_serverapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("ORCHEO_DATA_DIR", str(tmp_path / "from-env"))
        monkeypatch.setenv("ORCHEO_DURABILITY", "sync")
        settings = _app(jp_serverapp).orcheo_settings()
        assert settings.data_dir == tmp_path / "from-env"
        assert settings.durability == "sync"
        assert (await api("POST", "workflows", json_body=_doc())).code == 201
        assert (tmp_path / "from-env" / "orcheo.sqlite").exists()
        assert not (tmp_path / "from-traitlet" / "orcheo.sqlite").exists()

    async def test_the_variables_are_read_as_settings_reads_them(
        self, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app = _app(jp_serverapp)
        # A blank variable is unset, for the server as for Settings: the traitlet holds.
        monkeypatch.setenv("ORCHEO_DURABILITY", "  ")
        assert app.orcheo_settings().durability == "exit"
        # An older name Settings still honours overrides the traitlet as the new one does.
        app.broker_url = "redis://traitlet:6379/0"
        monkeypatch.delenv("ORCHEO_BROKER_URL", raising=False)
        monkeypatch.delenv("ORCHEO_REDIS_URL", raising=False)
        assert app.orcheo_settings().broker_url == "redis://traitlet:6379/0"
        monkeypatch.setenv("ORCHEO_REDIS_URL", "redis://env:6379/1")
        assert app.orcheo_settings().broker_url == "redis://env:6379/1"


def test_every_traitlet_named_like_a_setting_maps_onto_it() -> None:
    traits = set(OrcheoApp.class_trait_names(config=True))
    assert set(app_module._SETTINGS_TRAITS) == traits & set(ENVIRONMENT)


async def test_stop_closes_the_executor_and_restores_the_script_loader(
    api: Call, jp_serverapp: Any
) -> None:
    from orcheo_jupyter.runtime import script_graph

    assert (await api("POST", "workflows", json_body=_doc())).code == 201
    app = _app(jp_serverapp)
    executor = await app.get_executor()
    assert script_graph._process_loader is not None  # scripts run restricted in the server
    await app.stop_extension()
    assert script_graph._process_loader is None
    with pytest.raises(RuntimeError):
        await executor.store.list_workflows()  # the store's connection is closed
    # A request that arrives during shutdown is told so; nothing is reopened.
    late = await api("GET", "workflows")
    assert late.code == 503 and late.error["code"] == "unavailable"
    assert app._executor is None


def test_headless_launch_honours_orcheo_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setenv("ORCHEO_HOST", "127.0.0.2")
    monkeypatch.setenv("ORCHEO_PORT", "18123")
    monkeypatch.setattr(
        "jupyter_server.extension.application.ExtensionApp.launch_instance",
        classmethod(lambda cls, argv=None, **kw: seen.append(list(argv or []))),
    )
    OrcheoApp.launch_instance(["--ServerApp.port=9999"])
    [argv] = seen
    assert "--ServerApp.ip=127.0.0.2" in argv
    assert argv.index("--ServerApp.port=18123") < argv.index("--ServerApp.port=9999")
    assert "--ServerApp.port_retries=0" in argv  # exactly that port, or fail
    assert any(a.startswith("--OrcheoApp.switch_interval=") for a in argv)
    assert "--OrcheoApp.freeze_gc=True" in argv
    assert sys.getswitchinterval() > 0


class TestFreezeGc:
    @pytest.fixture
    def jp_server_config(self) -> dict[str, Any]:
        return {
            "ServerApp": {"jpserver_extensions": {"orcheo_jupyter": True}},
            "OrcheoApp": {"freeze_gc": True},
        }

    async def test_objects_alive_once_the_runtime_is_open_leave_the_collectors_sight(
        self, api: Call, jp_serverapp: Any
    ) -> None:
        try:
            await _app(jp_serverapp).get_executor()
            frozen = gc.get_freeze_count()
            # Jupyter, LangGraph and pydantic's objects: full collections skip them.
            assert frozen > 50_000
            assert (await api("POST", "workflows", json_body=_doc())).code == 201
            assert gc.get_freeze_count() <= frozen  # once, not per request
        finally:
            gc.unfreeze()


class TestRuntimeOpensInTheBackground:
    """JupyterLab's start does not wait for LangGraph, the store or the triggers."""

    @pytest.fixture
    def opening_held(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
        """Hold the runtime's opening (its imports) until the test releases it."""
        release = threading.Event()
        real = app_module._import_runtime

        def held() -> None:
            release.wait(30)
            real()

        monkeypatch.setattr(app_module, "_import_runtime", held)
        monkeypatch.setattr(app_module, "STORE_POLL_SECONDS", 0.05)
        yield release
        release.set()

    @pytest.fixture
    def jp_server_config(
        self,
        opening_held: threading.Event,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        orcheo_config: dict[str, Any],
    ) -> dict[str, Any]:
        monkeypatch.setenv("ORCHEO_DATA_DIR", str(tmp_path / "orcheo-data"))
        return {
            "ServerApp": {"jpserver_extensions": {"orcheo_jupyter": True}},
            "OrcheoApp": orcheo_config,
        }

    @staticmethod
    async def _started(jp_serverapp: Any) -> OrcheoApp:
        """What jupyter_server's start does once it listens (pytest-jupyter skips it)."""
        app = _app(jp_serverapp)
        await asyncio.wait_for(app._start_jupyter_server_extension(jp_serverapp), 5)
        return app

    async def test_with_a_store_it_opens_in_the_background_and_requests_wait_for_it(
        self, opening_held: threading.Event, api: Call, jp_fetch: Any, jp_serverapp: Any
    ) -> None:
        settings = _app(jp_serverapp).orcheo_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.repository_file.touch()  # a previous server stored something here
        app = await self._started(jp_serverapp)
        assert app._opening is not None and not app._opening.done()
        assert (await jp_fetch("api", "status")).code == 200  # answered while it opens
        assert app._executor is None

        create = asyncio.ensure_future(api("POST", "workflows", json_body=_doc()))
        listed = asyncio.ensure_future(api("GET", "workflows"))
        await asyncio.sleep(0.3)
        assert not create.done() and not listed.done()  # they wait for the runtime
        opening_held.set()
        created, listing = await create, await listed
        assert created.code == 201
        # Both waited; which of the two the server finishes first is not specified.
        assert listing.code == 200 and listing.body["total"] in (0, 1)
        assert (await api("GET", "workflows")).body["total"] == 1
        assert app._executor is not None
        assert app.services.triggers is not None  # triggers armed once it opened
        assert (await api("GET", "workflows", created.body["id"])).code == 200

    async def test_with_nothing_stored_it_opens_on_first_use(
        self, opening_held: threading.Event, api: Call, jp_fetch: Any, jp_serverapp: Any
    ) -> None:
        app = await self._started(jp_serverapp)
        assert (await jp_fetch("api", "status")).code == 200
        await asyncio.sleep(0.2)  # several store polls
        assert app._opening is None and app._executor is None  # nothing loaded for nothing
        assert not app.orcheo_settings().repository_file.exists()

        create = asyncio.ensure_future(api("POST", "workflows", json_body=_doc()))
        await asyncio.sleep(0.2)
        assert app._opening is not None and not create.done()
        opening_held.set()
        assert (await create).code == 201
        assert app.services.triggers is not None

    async def test_a_store_a_kernel_creates_later_opens_the_runtime(
        self, opening_held: threading.Event, jp_serverapp: Any
    ) -> None:
        app = await self._started(jp_serverapp)
        assert app._opening is None
        settings = app.orcheo_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.repository_file.touch()  # %%orcheo in a kernel saved a workflow
        for _ in range(100):
            if app._opening is not None:
                break
            await asyncio.sleep(0.05)
        assert app._opening is not None  # so its triggers arm without any request
        opening_held.set()
        executor = await app.get_executor()
        assert (await executor.store.list_workflows())[1] == 0

    async def test_the_server_stops_cleanly_while_the_runtime_is_still_opening(
        self, opening_held: threading.Event, jp_fetch: Any, jp_serverapp: Any
    ) -> None:
        settings = _app(jp_serverapp).orcheo_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.repository_file.touch()
        app = await self._started(jp_serverapp)
        assert (await jp_fetch("api", "status")).code == 200
        stopping = asyncio.ensure_future(app.stop_extension())
        await asyncio.sleep(0.1)
        opening_held.set()
        await stopping
        assert app._executor is None and app._opening is None


def _doc() -> dict[str, Any]:
    from tests.conftest import linear_doc

    return linear_doc("a")


@pytest.mark.parametrize(
    ("traitlet", "variable", "expected"),
    [(False, "", False), (True, "", True), (False, "yes", True), (True, "0", False)],
)
def test_runners_on_demand_traitlet_and_variable(
    monkeypatch: pytest.MonkeyPatch, traitlet: bool, variable: str, expected: bool
) -> None:
    monkeypatch.setenv("ORCHEO_RUNNERS_ON_DEMAND", variable)
    config = OrcheoApp(runners_on_demand=traitlet).runner_config(Settings())
    assert config.on_demand is expected


def test_a_bad_runners_on_demand_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORCHEO_RUNNERS_ON_DEMAND", "maybe")
    with pytest.raises(
        ValueError, match="ORCHEO_RUNNERS_ON_DEMAND must be true or false, not 'maybe'"
    ):
        OrcheoApp().runner_config(Settings())
