"""Third-party nodes through the ``orcheo_jupyter.nodes`` entry-point group.

The demo package in tests/plugin_pkg is installed as a distribution on a temp
path (its dist-info carries the entry points from its pyproject.toml), exactly
as pip would lay it out, without touching the test venv.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from orcheo_jupyter.nodes import registry
from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, node, results, run

PLUGIN_SRC = Path(__file__).parent.parent / "plugin_pkg"


def install_distribution(target: Path) -> Path:
    project = tomllib.loads((PLUGIN_SRC / "pyproject.toml").read_text())["project"]
    shutil.copytree(PLUGIN_SRC / "orcheo_demo_plugin", target / "orcheo_demo_plugin")
    info = target / "orcheo_demo_plugin-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    lines = []
    for group, entries in project["entry-points"].items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {value}" for name, value in entries.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return target


@pytest.fixture
def plugin_path(tmp_path: Path) -> Iterator[Path]:
    path = install_distribution(tmp_path / "site")
    sys.path.insert(0, str(path))
    try:
        yield path
    finally:
        sys.path.remove(str(path))
        for name in ("ReverseTextNode", "ShoutNode"):
            registry.unregister(name)
        for mod in [m for m in sys.modules if m.startswith("orcheo_demo_plugin")]:
            del sys.modules[mod]


@pytest.mark.asyncio
async def test_plugin_nodes_join_the_catalog_and_run(
    plugin_path: Path, executor: Executor, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="orcheo_jupyter.nodes.registry"):
        loaded = registry.load_plugins()
    assert sorted(loaded) == ["ReverseTextNode", "demo_more"]
    assert "demo_broken failed to load: this plugin is broken on purpose" in caplog.text
    entries = {e["type"]: e for e in registry.catalog()}
    assert entries["ReverseTextNode"]["category"] == "plugins"
    assert entries["ReverseTextNode"]["description"] == "Reverse a text."
    assert entries["ReverseTextNode"]["config_schema"]["properties"]["text"]["description"] == (
        "The text to reverse."
    )
    assert (entries["ShoutNode"]["category"], entries["ShoutNode"]["icon"]) == ("demo", "megaphone")
    doc = chain_doc(
        node("rev", "ReverseTextNode", text="{{inputs.word}}"),
        node("shout", "ShoutNode", text="{{rev.reversed}}", marks=2),
    )
    out = results(await run(executor, doc, {"word": "stressed"}))
    assert out == {"rev": {"reversed": "desserts"}, "shout": {"text": "DESSERTS!!"}}


def test_cli_lists_plugin_nodes(plugin_path: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugin_path), os.environ.get("PYTHONPATH", "")]),
        "ORCHEO_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "nodes", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    types = {e["type"]: e for e in json.loads(proc.stdout)}
    assert {"ReverseTextNode", "ShoutNode", "HttpRequestNode"} <= set(types)
    assert types["ShoutNode"]["config_schema"]["required"] == ["text"]
