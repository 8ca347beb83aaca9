"""An oversized body is refused from its Content-Length, before it is read (issue 14.4).

The attack: four concurrent unauthenticated 400 MB POSTs to /orcheo/hooks/nonexistent
took a headless server from 189 MB to 1.9 GB of memory before it answered 404.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from jupyter_server.utils import url_path_join

from orcheo_jupyter.server.body_limit import DRAIN_BYTES
from tests.conftest import linear_doc
from tests.server.conftest import Call
from tests.server.headless import Headless, start_headless

from .raw_http import keep_alive_exchange, post_chunked, post_headers_only

MB = 1024 * 1024
LIMIT = 16 * MB  # OrcheoApp.max_body_bytes by default


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _push_body(port: int, path: str, size: int, out: list[tuple[int, int]]) -> None:
    """Send a ``size``-byte POST body as fast as the server takes it; record (status, sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    )
    sock.sendall(head.encode())
    block, sent = b"x" * MB, 0
    try:
        while sent < size:
            sock.sendall(block)
            sent += len(block)
    except OSError:  # the server closed the connection after answering
        pass
    try:
        reply = sock.recv(4096)
    except OSError:
        reply = b""
    sock.close()
    status = int(reply.split()[1]) if reply.startswith(b"HTTP/") else 0
    out.append((status, sent))


@pytest.fixture
def headless(tmp_path: Path) -> Any:
    server = start_headless(tmp_path / "server")
    try:
        yield server
    finally:
        server.stop()


def _port(server: Headless) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_jupyter_orcheo_answers_413_before_the_body_of_a_400_mb_post(headless: Headless) -> None:
    port = _port(headless)
    for path, headers in [
        ("/orcheo/hooks/nonexistent", {}),  # unauthenticated, to a hook that does not exist
        ("/orcheo/api/workflows", {}),  # unauthenticated API
        ("/orcheo/api/workflows", {"Authorization": f"token {headless.token}"}),
        ("/orcheo/api/no/such/route", {"Authorization": f"token {headless.token}"}),
    ]:
        reply = asyncio.run(post_headers_only(port, path, 400 * MB, headers))
        assert reply.status == 413, (path, reply)
        error = reply.json()["error"]
        assert error["code"] == "too_large"
        assert error["message"] == (
            "request body: Content-Length says 419,430,400 bytes; the limit is 16,777,216 "
            "bytes (OrcheoApp.max_body_bytes / ORCHEO_MAX_BODY_BYTES)"
        )
        assert error["details"] == {"field": "body", "size": 400 * MB, "limit": LIMIT}
        assert reply.headers["connection"] == "close"
    # Jupyter's own routes: `jupyter orcheo` lowers ServerApp.max_body_size to the same
    # limit, so tornado refuses those from the header too (with its bare 400).
    reply = asyncio.run(post_headers_only(port, "/api/contents/x", 400 * MB))
    assert reply.status == 400


def test_four_concurrent_400_mb_posts_leave_server_memory_bounded(headless: Headless) -> None:
    port = _port(headless)
    before = _rss_bytes(headless.proc.pid)
    results: list[tuple[int, int]] = []
    peak = [before]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_bytes(headless.proc.pid))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    senders = [
        threading.Thread(
            target=_push_body, args=(port, "/orcheo/hooks/nonexistent", 400 * MB, results)
        )
        for _ in range(4)
    ]
    for t in senders:
        t.start()
    for t in senders:
        t.join(120)
    done.set()
    watcher.join()
    assert [status for status, _ in results] == [413] * 4
    # The server stopped reading at once: each sender got at most a few socket buffers out.
    assert all(sent < 64 * MB for _, sent in results), results
    assert peak[0] - before < 64 * MB, f"RSS {before / MB:.0f} -> {peak[0] / MB:.0f} MB"
    # ... and it still serves.
    ok = httpx.get(f"{headless.api}/nodes", headers=headless.headers, timeout=10)
    assert ok.status_code == 200


def test_the_limit_is_configurable(tmp_path: Path) -> None:
    server = start_headless(tmp_path / "server", env={"ORCHEO_MAX_BODY_BYTES": "1000"})
    try:
        port = _port(server)
        # Far over it: answered from the headers alone (just over it, see the next test).
        reply = asyncio.run(post_headers_only(port, "/orcheo/hooks/x", 1001 + DRAIN_BYTES))
        assert reply.status == 413
        assert reply.json()["error"]["details"]["limit"] == 1000
        api = httpx.Client(base_url=server.api, headers=server.headers, timeout=10)
        small = api.post("/workflows", content=b"{" + b" " * 990 + b"}")  # 992 bytes: read
        assert small.status_code == 422, small.text  # (an empty document is invalid)
        big = api.post("/workflows", json={"name": "x" * 1000})
        assert big.status_code == 413
    finally:
        server.stop()


def _send_then_read(port: int, path: str, body: bytes, headers: str = "") -> bytes:
    """What most HTTP clients do with a small body: send all of it, then read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
                if b"\r\n\r\n" in reply and b'"limit"' in reply:
                    break
        except ConnectionResetError:
            pass  # what a client saw when the server closed on the unread body
        return reply


def test_a_client_that_sends_a_little_too_much_before_reading_gets_the_413(
    tmp_path: Path,
) -> None:
    """Just over the limit, the body is read and dropped, so the answer is never reset away."""
    server = start_headless(tmp_path / "server", env={"ORCHEO_MAX_BODY_BYTES": "1000"})
    try:
        port = _port(server)
        auth = "".join(f"{k}: {v}\r\n" for k, v in server.headers.items())
        body = b'{"name": "' + b"x" * 20_000 + b'"}'
        for path, headers in [
            ("/orcheo/api/workflows", auth),
            ("/orcheo/hooks/nonexistent", ""),
        ]:
            statuses = []
            for _ in range(40):
                reply = _send_then_read(port, path, body, headers)
                statuses.append(int(reply.split()[1]) if reply.startswith(b"HTTP/") else 0)
            assert statuses == [413] * 40, (path, statuses)
            assert b'"limit":1000' in reply and b'"field":"body"' in reply
    finally:
        server.stop()


# --- inside a Jupyter server whose own max_body_size is large (as under `jupyter lab`) ---


async def test_in_jupyter_a_big_content_length_gets_413_before_the_body(
    http_server_client: Any, jp_http_port: int, jp_base_url: str, jp_auth_header: dict[str, str]
) -> None:
    # 20 MB: well under tornado's and Jupyter's own limits, so only orcheo stops it.
    for path, headers in [
        ("orcheo/hooks/nonexistent", {}),
        ("orcheo/api/workflows", jp_auth_header),
        ("orcheo/api/workflows", {}),
    ]:
        reply = await post_headers_only(
            jp_http_port, url_path_join(jp_base_url, path), 20 * MB, headers
        )
        assert reply.status == 413, (path, reply)
        assert reply.json()["error"]["details"] == {
            "field": "body",
            "size": 20 * MB,
            "limit": LIMIT,
        }


async def test_in_jupyter_a_chunked_body_is_cut_off_at_the_limit(
    http_server_client: Any, jp_http_port: int, jp_base_url: str
) -> None:
    path = url_path_join(jp_base_url, "orcheo/hooks/nonexistent")
    reply, sent = await post_chunked(jp_http_port, path, b"x" * (64 * 1024), chunks=4000)
    assert reply.status == 413
    assert reply.json()["error"]["message"] == (
        "request body: more than 16,777,216 bytes; the limit is 16,777,216 bytes "
        "(OrcheoApp.max_body_bytes / ORCHEO_MAX_BODY_BYTES)"
    )
    assert sent < 100 * MB


async def test_in_jupyter_bodies_within_the_limit_are_read_whole(api: Call) -> None:
    doc = {"name": "big description", "description": "d" * (2 * MB)}
    created = await api("POST", "workflows", json_body={**linear_doc("a"), **doc})
    assert created.code == 201, created.body
    got = await api("GET", "workflows", created.body["id"])
    assert len(got.body["description"]) == 2 * MB
    assert json.dumps(got.body)  # served back intact


async def test_in_jupyter_a_refused_request_with_a_body_keeps_the_connection(
    http_server_client: Any, jp_http_port: int, jp_base_url: str, jp_auth_header: dict[str, str]
) -> None:
    """A 403 to a small unauthenticated POST is sent after its body is read: the answer
    arrives whole (no reset under it) and the connection stays usable."""
    path = url_path_join(jp_base_url, "orcheo/api/workflows")
    body = json.dumps(linear_doc("a")).encode()
    host = f"Host: 127.0.0.1:{jp_http_port}\r\n"
    unauthenticated = (
        f"POST {path} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    token = jp_auth_header["Authorization"]
    listing = f"GET {path} HTTP/1.1\r\n{host}Authorization: {token}\r\n\r\n".encode()
    refused, listed = await keep_alive_exchange(jp_http_port, [unauthenticated, listing])
    assert refused is not None and refused.status == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert listed is not None and listed.status == 200
    assert listed.json()["total"] == 0  # the refused document was not stored


async def test_in_jupyter_a_refused_get_keeps_the_connection(
    http_server_client: Any, jp_http_port: int, jp_base_url: str, jp_auth_header: dict[str, str]
) -> None:
    path = url_path_join(jp_base_url, "orcheo/api/workflows")
    host = f"Host: 127.0.0.1:{jp_http_port}\r\n"
    anonymous = f"GET {path} HTTP/1.1\r\n{host}\r\n".encode()
    token = jp_auth_header["Authorization"]
    listing = f"GET {path} HTTP/1.1\r\n{host}Authorization: {token}\r\n\r\n".encode()
    refused, listed = await keep_alive_exchange(jp_http_port, [anonymous, listing])
    assert refused is not None and refused.status == 403
    assert refused.json()["error"]["message"].startswith("authentication required")
    assert listed is not None and listed.status == 200
