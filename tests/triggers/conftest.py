"""Trigger-service fixtures: a real executor and trigger store, and a clock tests move."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_asyncio

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.spec.io import document_from_data, stored_form
from orcheo_jupyter.triggers import Dispatcher, DispatchPolicy, ManualClock, SqliteTriggerStore

START = dt.datetime(2030, 1, 7, 0, 0, tzinfo=dt.UTC)  # a Monday


async def until(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], timeout: float = 15.0
) -> None:
    """Poll ``check`` until it is true (real time: runs really execute)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@dataclass
class Env:
    executor: Executor
    store: SqliteTriggerStore
    clock: ManualClock
    data: Path

    def dispatcher(self, **policy: Any) -> Dispatcher:
        return Dispatcher(
            self.executor,
            self.store,
            clock=self.clock,
            default_policy=DispatchPolicy(**{"jitter": 0, **policy}),
        )

    async def workflow(self, doc: dict[str, Any], workflow_id: str) -> str:
        model = document_from_data({**doc, "id": workflow_id})
        checksum, body = stored_form(model)
        await self.executor.store.create_workflow(workflow_id, model.name, "", [], checksum, body)
        return workflow_id


@pytest_asyncio.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    data = tmp_path / "data"
    executor = await Executor.open(Settings(data_dir=data, durability="sync"))
    store = SqliteTriggerStore(data / "triggers.sqlite")
    await store.open()
    try:
        yield Env(executor, store, ManualClock(START), data)
    finally:
        await executor.aclose()
        await store.close()
