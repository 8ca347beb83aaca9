"""The export demo notebook, executed once: its run's final state and the bundle it wrote."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.export.fresh_venv import REPO, jupyter_dirs

DEMO = REPO / "notebooks" / "export.ipynb"


@dataclass(frozen=True)
class NotebookRun:
    folder: Path
    bundle: Path
    run_id: str
    inputs: dict[str, Any]
    final_state: dict[str, Any]
    workflow_id: str


def _outputs(nb: Any) -> str:
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                raise AssertionError(f"{out.ename}: {out.evalue}")
            texts.append(out.get("text", "") or out.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> NotebookRun:
    """notebooks/export.ipynb run top to bottom (it runs `nightly`, then exports itself)."""
    root = tmp_path_factory.mktemp("export-demo")
    folder = root / "nb"
    folder.mkdir()
    shutil.copy(DEMO, folder / DEMO.name)
    data = root / "orcheo-data"
    env_names = {**jupyter_dirs(root), "ORCHEO_DATA_DIR": str(data)}
    saved = {k: os.environ.get(k) for k in env_names}
    os.environ.update(env_names)
    try:
        nb = nbformat.read(folder / DEMO.name, as_version=4)
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
        ).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    text = _outputs(nb)
    run_id = re.search(r"nightly · run ([0-9a-f]{32}) · succeeded", text).group(1)  # type: ignore[union-attr]
    shown = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "show", run_id],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ORCHEO_DATA_DIR": str(data)},
    )
    record = json.loads(shown.stdout)
    assert record["status"] == "succeeded"
    return NotebookRun(
        folder,
        folder / "nightly_bundle",
        run_id,
        record["inputs"],
        record["final_state"],
        record["workflow_id"],
    )
