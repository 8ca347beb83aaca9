"""Fresh virtual environments for the deployment tests (bundle, Binder): real pip, real PyPI.

Each test module makes one venv. Installs use ``--no-compile`` (bytecode is compiled
on first import instead: the same programs run, minutes of install time are saved on
two cores). When PyPI cannot be reached the test is skipped, saying so.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.server.headless import Headless, free_port

REPO = Path(__file__).resolve().parents[2]
_OFFLINE = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeout",
    "ProxyError",
    "Max retries exceeded",
)


def run(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure, fail the test with its output (skip when PyPI is away)."""
    proc = subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        output = proc.stdout[-4000:] + proc.stderr[-4000:]
        if any(marker in output for marker in _OFFLINE):
            pytest.skip(f"PyPI is not reachable from this machine: {cmd[:4]} failed")
        pytest.fail(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{output}")
    return proc


def create(path: Path) -> Path:
    """A new venv at ``path`` with pip; its ``bin`` directory."""
    run([sys.executable, "-m", "venv", str(path)])
    return path / "bin"


def pip_install(bin_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
    run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--no-compile",
            "--disable-pip-version-check",
            "--quiet",
            *args,
        ],
        env=env,
    )


def build_wheel(out: Path) -> Path:
    """This working tree as a wheel, with the canvas bundles as they are (npm not run)."""
    env = {**os.environ, "HATCH_JUPYTER_BUILDER_SKIP_NPM": "1"}
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
        env=env,
    )
    (wheel,) = out.glob("orcheo_jupyter-*.whl")
    return wheel


def jupyter_dirs(root: Path) -> dict[str, str]:
    return {
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "IPYTHONDIR": str(root / "ipython"),
    }


def start_server(
    bin_dir: Path,
    root: Path,
    app: str,
    *args: str,
    env: dict[str, str] | None = None,
    ready: str = "/orcheo/api/nodes",
) -> Headless:
    """``jupyter <app>`` of that venv on a free port, with its own Jupyter and data dirs."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    token = secrets.token_hex(16)
    data_dir = root / "orcheo-data"
    environ = {
        **os.environ,
        **jupyter_dirs(root),
        "ORCHEO_DATA_DIR": str(data_dir),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        **(env or {}),
    }
    environ.pop("VIRTUAL_ENV", None)
    log = root / f"{app}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(bin_dir / "jupyter"),
                app,
                "--allow-root",
                "--no-browser",
                f"--IdentityProvider.token={token}",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                *args,
            ],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    server = Headless(proc, f"http://127.0.0.1:{port}", token, data_dir, log)
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter {app} exited:\n{log.read_text()}")
        try:
            if httpx.get(server.url + ready, headers=server.headers, timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"jupyter {app} did not answer:\n{log.read_text()}")
        time.sleep(0.2)


def wait_run(server: Headless, run_id: str, timeout: float = 60) -> dict[str, object]:
    """The execution once it is no longer pending or running."""
    deadline = time.monotonic() + timeout
    while True:
        body = httpx.get(f"{server.api}/executions/{run_id}", headers=server.headers).json()
        if body["status"] not in ("pending", "running"):
            return dict(body)
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} did not settle: {body}")
        time.sleep(0.1)
