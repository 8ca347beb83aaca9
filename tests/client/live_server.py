"""Real servers for SDK tests: ``jupyter orcheo`` on a free port, plus fault-injecting proxies."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    token: str
    data_dir: Path
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(root: Path, data_dir: Path | None = None) -> Server:
    """``jupyter orcheo`` with its own Jupyter dirs; ``data_dir`` is its ORCHEO_DATA_DIR."""
    root.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    data_dir = data_dir or root / "orcheo-data"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "IPYTHONDIR": str(root / "ipython"),
        "ORCHEO_DATA_DIR": str(data_dir),
        "ORCHEO_HOST": "127.0.0.1",
        "ORCHEO_PORT": str(port),
    }
    log = root / "server.log"
    jupyter = Path(sys.executable).with_name("jupyter")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(jupyter), "orcheo", "--allow-root", f"--IdentityProvider.token={token}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    server = Server(proc, f"http://127.0.0.1:{port}", token, data_dir, log)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter orcheo exited:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            reply = httpx.get(
                f"{server.url}/orcheo/api/nodes",
                headers={"Authorization": f"token {token}"},
                timeout=2,
            )
            if reply.status_code == 200:
                return server
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"jupyter orcheo did not answer:\n{log.read_text()}")
        time.sleep(0.1)


@dataclass
class Fault:
    """What the proxy does to the next request whose path contains ``path``."""

    kind: str  # "status" | "reset" | "delay" | "lose_reply" (forwarded, then the reply dropped)
    path: str = ""
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


class FaultProxy:
    """An HTTP proxy in front of the real server that fails requests on cue.

    Queued faults apply in order, each to one matching request; other requests
    are forwarded unchanged. Every request is recorded (method, path, headers).
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.faults: list[Fault] = []
        self.seen: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=60)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.seen.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers)}
                )
                fault = outer._take(self.path)
                if fault is not None and fault.kind == "reset":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if fault is not None and fault.kind == "status":
                    data = b'{"error": {"code": "injected", "message": "injected fault"}}'
                    self.send_response(fault.status)
                    for key, value in fault.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if fault is not None and fault.kind == "delay":
                    time.sleep(fault.seconds)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                reply = outer._client.request(
                    self.command, outer.target + self.path, content=body, headers=headers
                )
                if fault is not None and fault.kind == "lose_reply":  # the server acted on it
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.send_response(reply.status_code)
                for key, value in reply.headers.items():
                    if key.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _take(self, path: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self.faults):
                if fault.path in path:
                    return self.faults.pop(i)
        return None

    def requests_to(self, fragment: str, method: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.seen
            if fragment in r["path"] and (method is None or r["method"] == method)
        ]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()


class TcpProxy:
    """A byte-level proxy (HTTP and WebSocket alike) whose connections can be cut on cue."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, upstream]
                self.connections += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every open connection, as a flaky network would."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def close(self) -> None:
        self._listener.close()
        self.cut()


@contextlib.contextmanager
def running_server(root: Path, data_dir: Path | None = None) -> Iterator[Server]:
    server = start_server(root, data_dir)
    try:
        yield server
    finally:
        server.stop()
