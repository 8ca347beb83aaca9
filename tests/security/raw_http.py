"""HTTP/1.1 over a bare socket: send headers that promise a body, and see what comes back.

An HTTP client library sends the body it is given; these helpers send only what a
test says, so a test can tell whether the server answered before the body arrived.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _parse(data: bytes) -> RawReply:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    return RawReply(status, headers, body[: int(length)] if length else body)


async def _read_all(reader: asyncio.StreamReader) -> bytes:
    """Everything until the server closes; a reset (it closed with our data unread) ends it."""
    data = b""
    while True:
        try:
            piece = await reader.read(65536)
        except ConnectionError:
            return data
        if not piece:
            return data
        data += piece


async def post_headers_only(
    port: int, path: str, content_length: int, headers: dict[str, str] | None = None
) -> RawReply:
    """POST with ``Content-Length: content_length`` and no body; the reply the server sends.

    Fails (timeout) if the server waits for the body instead of answering.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {content_length}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()
    try:
        data = await asyncio.wait_for(_read_all(reader), 20)  # it closes after answering
    finally:
        writer.close()
    return _parse(data)


async def post_chunked(port: int, path: str, chunk: bytes, chunks: int) -> tuple[RawReply, int]:
    """POST a chunked body (no Content-Length) until the server answers; (reply, bytes sent).

    Like a polite streaming client, it looks for an answer between chunks.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    writer.write(head.encode("latin-1"))
    sent = 0
    reading = asyncio.ensure_future(_read_all(reader))
    try:
        for _ in range(chunks):
            if reading.done():
                break
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            try:
                await writer.drain()
            except (ConnectionError, OSError):
                break
            sent += len(chunk)
            await asyncio.sleep(0.002)
        else:
            writer.write(b"0\r\n\r\n")
        data = await asyncio.wait_for(reading, 20)
    finally:
        writer.close()
    return _parse(data), sent


async def keep_alive_exchange(port: int, requests: list[bytes]) -> list[RawReply | None]:
    """Send requests one after another on one connection; None once the server closed it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    replies: list[RawReply | None] = []
    try:
        for request in requests:
            writer.write(request)
            await writer.drain()
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
            except (asyncio.IncompleteReadError, ConnectionError):
                replies.append(None)
                continue
            reply = _parse(head)
            length = int(reply.headers.get("content-length", "0"))
            reply.body = await asyncio.wait_for(reader.readexactly(length), 20)
            replies.append(reply)
    finally:
        writer.close()
    return replies
