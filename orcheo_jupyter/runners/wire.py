"""Messages between the server and its runners: length-prefixed JSON over a Unix socket.

The runner side is blocking and thread-safe (a node that never yields must still
be able to say it started, from the loop thread, before it blocks); the server
side reads with asyncio.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from typing import Any

_HEADER = struct.Struct(">I")
#: A message bigger than this is a bug or an attack, never a run event batch we accept.
MAX_MESSAGE = 1 << 30
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def pack(message: dict[str, Any]) -> bytes:
    data = _encode(message).encode("utf-8", "surrogatepass")
    return _HEADER.pack(len(data)) + data


def unpack(data: bytes) -> dict[str, Any]:
    message = json.loads(data.decode("utf-8", "surrogatepass"))
    if not isinstance(message, dict):
        raise ValueError("a runner message must be a JSON object")
    return message


class BlockingChannel:
    """The runner's end: ``send`` from any thread, ``recv`` on one reader thread."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()
        self._reader = sock.makefile("rb")

    def send(self, message: dict[str, Any]) -> None:
        data = pack(message)
        with self._lock:
            self._sock.sendall(data)

    def recv(self) -> dict[str, Any] | None:
        """The next message, or None once the server has gone."""
        header = self._reader.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack(header)
        body = self._reader.read(size)
        if len(body) < size:
            return None
        return unpack(body)

    def close(self) -> None:
        self._reader.close()
        self._sock.close()


async def read_message(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The server's end: the next message from a runner, or None once it has gone."""
    try:
        header = await reader.readexactly(_HEADER.size)
        (size,) = _HEADER.unpack(header)
        if size > MAX_MESSAGE:
            raise ValueError(f"runner message of {size} bytes exceeds {MAX_MESSAGE}")
        return unpack(await reader.readexactly(size))
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
