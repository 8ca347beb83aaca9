"""An in-process IPython shell with the extension loaded, in its own notebook folder and store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

from orcheo_jupyter import local
from orcheo_jupyter.runtime import background


class Recorder(DisplayPublisher):
    """Keeps every display and display update; ``hook`` sees each one as it happens."""

    def __init__(self) -> None:
        super().__init__()
        self.outputs: list[dict[str, Any]] = []
        self.hook: Callable[[dict[str, Any]], None] | None = None

    def publish(  # type: ignore[override]
        self,
        data: dict[str, Any],
        metadata: Any = None,
        source: Any = None,
        *,
        transient: Any = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        item = {"data": data, "transient": transient or {}, "update": update}
        self.outputs.append(item)
        if self.hook is not None:
            self.hook(item)

    def texts(self) -> list[str]:
        return [o["data"].get("text/plain", "") for o in self.outputs]

    def clear_output(self, wait: bool = False) -> None:
        pass


@dataclass
class Shell:
    ip: InteractiveShell
    display: Recorder
    folder: Path
    data: Path
    errors: list[BaseException] = field(default_factory=list)

    def cell(self, text: str) -> Any:
        """Run a cell; the exception it raised (or None)."""
        result = self.ip.run_cell(text)
        return result.error_before_exec or result.error_in_exec

    def ok(self, text: str) -> None:
        error = self.cell(text)
        assert error is None, f"{type(error).__name__}: {error}"

    @property
    def ns(self) -> dict[str, Any]:
        return self.ip.user_ns  # type: ignore[no-any-return]


def _reset_local() -> None:
    background.run(local.reset(), timeout=30)


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shell]:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    data = tmp_path / "data"
    monkeypatch.setenv("ORCHEO_DATA_DIR", str(data))
    monkeypatch.chdir(folder)
    _reset_local()
    ip = InteractiveShell.instance()
    ip.reset(new_session=False)
    recorder = Recorder()
    previous = ip.display_pub
    ip.display_pub = recorder
    ip.run_line_magic("load_ext", "orcheo_jupyter")
    magics = ip.magics_manager.registry["OrcheoMagics"]
    magics.live.clear()
    magics.paths.clear()
    try:
        yield Shell(ip, recorder, folder, data)
    finally:
        ip.display_pub = previous
        _reset_local()


def store_call(fn: Callable[[Any], Any]) -> Any:
    """Run ``await fn(store)`` on the background loop against the kernel's store."""

    async def go() -> Any:
        executor = await local.executor()
        result = fn(executor.store)
        return await result if asyncio.iscoroutine(result) else result

    return background.run(go(), timeout=30)
