"""Runners started ahead: the server starts its runner processes before it imports the
runtime, so they import LangGraph meanwhile and the first run does not wait for them.
The pool must take exactly those processes (no second set started), and ones no pool
took must not outlive the server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psutil
import pytest

from orcheo_jupyter.runners import RunnerConfig, pool
from orcheo_jupyter.runners.backend import PoolBackend
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from tests.conftest import linear_doc

from .helpers import settled


@pytest.mark.asyncio
async def test_the_pool_takes_the_runners_started_ahead(tmp_path: Path) -> None:
    pool.prestart(2)
    ahead = sorted(proc.pid for proc, _ in pool._prestarted)
    assert len(ahead) == 2 and all(psutil.pid_exists(pid) for pid in ahead)
    settings = Settings(data_dir=tmp_path)
    backend = PoolBackend(RunnerConfig(2, settings))
    executor = await Executor.open(settings, backend=backend)
    try:
        deadline = time.monotonic() + 10
        while len(backend.pool.runners) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # the pool starts its runners in tasks
        assert sorted(r.pid for r in backend.pool.runners) == ahead
        assert pool._prestarted == []
        run_id = await executor.submit(linear_doc("a", "b"), {})
        record = await settled(executor, run_id)
        assert record.status == "succeeded", record.error
        assert {r.pid for r in backend.pool.runners} == set(ahead)  # none replaced
    finally:
        await executor.aclose()
    for pid in ahead:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"


def test_runners_started_ahead_that_no_pool_took_are_ended() -> None:
    pool.prestart(1)
    [(proc, _)] = pool._prestarted
    pool.discard_prestarted()
    assert proc.poll() is not None  # it exited (its socket closed), nothing left behind
    assert pool._prestarted == []
