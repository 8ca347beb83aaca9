"""Start a real ``jupyter orcheo`` subprocess on a free loopback port (tests, benchmarks)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Headless:
    proc: subprocess.Popen[bytes]
    url: str  # http://127.0.0.1:PORT
    token: str
    data_dir: Path
    log: Path

    @property
    def api(self) -> str:
        return f"{self.url}/orcheo/api"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as a process manager would; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


def start_headless(root: Path, *extra: str, env: dict[str, str] | None = None) -> Headless:
    """``jupyter orcheo`` with its own Jupyter dirs and data dir, ready to answer."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    token = secrets.token_hex(16)
    data_dir = root / "orcheo-data"
    environ = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "IPYTHONDIR": str(root / "ipython"),
        "ORCHEO_DATA_DIR": str(data_dir),
        "ORCHEO_HOST": "127.0.0.1",
        "ORCHEO_PORT": str(port),
        **(env or {}),
    }
    log = root / "server.log"
    jupyter = Path(sys.executable).with_name("jupyter")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(jupyter), "orcheo", "--allow-root", f"--IdentityProvider.token={token}", *extra],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    server = Headless(proc, f"http://127.0.0.1:{port}", token, data_dir, log)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter orcheo exited:\n{log.read_text()}")
        try:
            reply = httpx.get(f"{server.api}/nodes", headers=server.headers, timeout=2)
            if reply.status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"jupyter orcheo did not answer:\n{log.read_text()}")
        time.sleep(0.1)


def wait_healthy(server: Headless, timeout: float = 60.0) -> None:
    """Until /health says ok: the store answers and a runner process is ready."""
    deadline = time.monotonic() + timeout
    while True:
        reply = httpx.get(f"{server.api}/health", headers=server.headers, timeout=10)
        if reply.status_code == 200:
            return
        assert time.monotonic() < deadline, reply.text
        time.sleep(0.1)
