"""A real HTTP server on 127.0.0.1 for HttpRequestNode tests, with fault modes."""

from __future__ import annotations

import email.utils
import json
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class FaultServer:
    """Routes: /json, /echo, /flaky (503 twice), /limited (429 + Retry-After: 2 once),
    /limited-date (429 + an HTTP-date Retry-After once), /down (503 while ``down``),
    /reset (connection reset), /reset-once, /slow (1 s), /missing (404)."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []
        self.down = True
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _reset(self) -> None:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                path = parts.path
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                outer.hits[path] += 1
                n = outer.hits[path]
                outer.requests.append({"method": self.command, "path": path, "query": parts.query})
                if path == "/json":
                    self._send(200, {"hello": "world"})
                elif path == "/echo":
                    self._send(
                        200,
                        {
                            "method": self.command,
                            "query": parse_qs(parts.query),
                            "auth": self.headers.get("Authorization"),
                            # Only while the caller traces (W3C trace context).
                            **(
                                {"traceparent": self.headers["traceparent"]}
                                if self.headers.get("traceparent")
                                else {}
                            ),
                            "content_type": self.headers.get("Content-Type"),
                            "body": body,
                        },
                    )
                elif path == "/flaky":
                    self._send(503, {"n": n}) if n <= 2 else self._send(200, {"ok": True, "n": n})
                elif path == "/limited":
                    if n == 1:
                        self._send(429, {"slow": "down"}, {"Retry-After": "2"})
                    else:
                        self._send(200, {"ok": True})
                elif path == "/limited-date":
                    if n == 1:
                        when = email.utils.formatdate(time.time() + 30, usegmt=True)
                        self._send(429, {}, {"Retry-After": when})
                    else:
                        self._send(200, {"ok": True})
                elif path == "/down":
                    self._send(503, {"down": True}) if outer.down else self._send(200, {"up": 1})
                elif path == "/reset" or (path == "/reset-once" and n == 1):
                    self._reset()
                elif path == "/reset-once":
                    self._send(200, {"ok": True})
                elif path == "/slow":
                    time.sleep(1.0)
                    self._send(200, {"late": True})
                else:
                    self._send(404, {"error": "not found"})

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # e.g. /slow writing after the client timed out and left

        self.server = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
