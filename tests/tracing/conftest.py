"""Tracing tests: the process's tracing on, with spans going to memory (and the store)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orcheo_jupyter import tracing
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.vault import Vault
from tests.conftest import vaulted_executor


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span this process finishes, in memory; spans are also kept for the store."""
    exporter = InMemorySpanExporter()
    tracing.configure(exporters=[exporter], store=True)
    try:
        yield exporter
    finally:
        tracing.reset()


@pytest_asyncio.fixture
async def opened(tmp_path: Path) -> AsyncIterator[tuple[Executor, Vault]]:
    """An executor whose runs read credentials from a vault (tests put secrets there)."""
    async with vaulted_executor(tmp_path / "data") as opened:
        yield opened


def by_name(finished: tuple[ReadableSpan, ...] | list[ReadableSpan], name: str) -> list[Any]:
    return [s for s in finished if s.name == name]


def hex_id(value: int, width: int = 16) -> str:
    return format(value, f"0{width}x")
