"""Shared fixtures: every test writes under temp dirs, never the user's Jupyter data dir."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.services import RuntimeServices
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.vault import Vault

# Real PostgreSQL / Redis servers for the tests that need them (session fixtures).
pytest_plugins = ["tests.services"]

CONFORMANCE_DIR = Path(__file__).parent / "conformance"

# Runner processes run user code at a lower CPU priority than everything else (nice +10,
# their sessions too). This suite keeps both cores busy all the time (two workers, each
# with servers, kernels and Chromium), where that priority leaves the runs a tenth of the
# CPU: the suite took twice as long. Servers the tests start run their runners at the
# priority of the rest; the tests of that priority (tests/runners/test_limits.py,
# test_latency.py) start theirs with the product's default (ORCHEO_RUNNER_NICE="").
os.environ.setdefault("ORCHEO_RUNNER_NICE", "0")

# Every process the tests start (servers, runners, kernels, CLI calls, the fresh venvs'
# Jupyter) imports hundreds of modules. Where the environment sets
# PYTHONDONTWRITEBYTECODE (this machine's image does), bytecode that is not on disk is
# compiled again by each of them: this package (installed editable) in every one, and
# everything in the fresh venvs, which install with --no-compile. Measured: importing
# LangGraph and jupyter_server took twice the CPU (10.8 s against 5.4 s, under load).
# The tests let their processes write it, so the first import compiles and the rest read.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False


@pytest.fixture(scope="session", autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The process-wide default store (Workflow.run) lives in a session temp dir."""
    path = tmp_path_factory.mktemp("orcheo-session-data")
    old = os.environ.get("ORCHEO_DATA_DIR")
    os.environ["ORCHEO_DATA_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("ORCHEO_DATA_DIR", None)
    else:
        os.environ["ORCHEO_DATA_DIR"] = old


@pytest.fixture(autouse=True)
def _fresh_vector_memory() -> Iterator[None]:
    """In-memory vector stores live as long as the process: each test starts with none."""
    from orcheo_jupyter.nodes.support import vector_backends

    vector_backends.clear_memory()
    yield
    vector_backends.clear_memory()


@contextlib.asynccontextmanager
async def vaulted_executor(
    data: Path, services: RuntimeServices | None = None
) -> AsyncIterator[tuple[Executor, Vault]]:
    """An executor (``sync`` durability) whose runs read credentials from a vault in ``data``."""
    vault = await Vault.open(Settings(data_dir=data))
    executor = await Executor.open(Settings(data_dir=data, durability="sync"), services=services)
    executor.services = executor.services.replace(secrets=vault)
    try:
        yield executor, vault
    finally:
        await executor.aclose()
        await vault.close()


@pytest_asyncio.fixture
async def executor(tmp_path: Path) -> AsyncIterator[Executor]:
    ex = await Executor.open(Settings(data_dir=tmp_path / "data", durability="sync"))
    try:
        yield ex
    finally:
        await ex.aclose()


def conformance_cases() -> list[Any]:
    return [
        pytest.param(json.loads(p.read_text()), id=p.stem)
        for p in sorted(CONFORMANCE_DIR.glob("*.json"))
    ]


def linear_doc(*names: str, name: str = "linear") -> dict[str, Any]:
    """A frozen-ir document: SetVariableNodes in a chain, each recording its own name."""
    nodes = [
        {"kind": "builtin", "id": n, "type": "SetVariableNode", "config": {"variables": {"me": n}}}
        for n in names
    ]
    chain = ["__start__", *names, "__end__"]
    edges = [{"source": a, "target": b} for a, b in itertools.pairwise(chain)]
    return {
        "name": name,
        "graph": {
            "format": "frozen-ir",
            "entrypoint": names[0],
            "ir": {"schema_version": 1, "entrypoint": names[0], "nodes": nodes, "edges": edges},
        },
    }


def code_doc(body: str, *, node_id: str = "c", name: str = "code", **node: Any) -> dict[str, Any]:
    """A one-node document around a code node body."""
    return {
        "name": name,
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": node_id,
                "nodes": [{"kind": "code", "id": node_id, "body": body, **node}],
                "edges": [{"source": node_id, "target": "__end__"}],
            },
        },
    }


#: A two-node LangGraph script with a reducer: bump adds one, double doubles.
COUNTER_SCRIPT = """\
import operator
from typing import Annotated
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END


class State(TypedDict):
    count: int
    log: Annotated[list, operator.add]


def bump(state: State) -> dict:
    return {"count": state["count"] + 1, "log": ["bump"]}


def double(state: State) -> dict:
    return {"count": state["count"] * 2, "log": ["double"]}


def orcheo_workflow():
    graph = StateGraph(State)
    graph.add_node("bump", bump)
    graph.add_node("double", double)
    graph.add_edge(START, "bump")
    graph.add_edge("bump", "double")
    graph.add_edge("double", END)
    return graph
"""
