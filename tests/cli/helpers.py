"""Running ``python -m orcheo_jupyter`` as a user does, on a data directory of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a CLI call whose data lives under ``tmp_path``."""
    return {**os.environ, "ORCHEO_DATA_DIR": str(tmp_path / "data")}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def write(tmp_path: Path, name: str, data: object) -> str:
    """``data`` (text, or JSON of anything else) in a file; its path."""
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)
