"""`make lab` prints a URL that opens the quickstart notebook (not the launcher)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .lab import _free_port, _write_config

REPO = Path(__file__).resolve().parents[2]


def _lab_command(port: int) -> list[str]:
    """The command `make lab` runs (its install and build steps taken as done)."""
    out = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "-o",
            ".venv/.installed",
            "-o",
            "labextension/package.json",
            f"BIN={Path(sys.executable).parent}",
            f"LAB_PORT={port}",
            "lab",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return shlex.split(out.replace("\\\n", " "))


@pytest.mark.fresh_page
def test_make_lab_prints_a_url_that_opens_the_quickstart(page: Any, tmp_path: Path) -> None:
    port = _free_port()
    cmd = _lab_command(port)
    assert cmd[1] == "lab", cmd
    env = {**os.environ, **_write_config(tmp_path)}
    env.pop("JUPYTER_TOKEN", None)
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        url = None
        deadline = time.monotonic() + 90
        while url is None:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            found = re.search(rf"http://127\.0\.0\.1:{port}/\S*\?token=[0-9a-f]+", log.read_text())
            url = found.group(0) if found else None
            time.sleep(0.25)
        assert url.startswith(f"http://127.0.0.1:{port}/lab/tree/quickstart.ipynb?token="), url
        page.goto(url)
        tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
        tab.filter(has_text="quickstart.ipynb").wait_for(timeout=60_000)
        heading = page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown h1").first
        heading.wait_for()
        assert heading.inner_text().startswith("orcheo-jupyter quickstart")
        assert page.locator(".jp-Launcher:visible").count() == 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
