"""The server's error envelope is read one way for HTTP answers and WebSocket handshakes."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

from orcheo_jupyter.client import OrcheoAPIError, OrcheoClient
from orcheo_jupyter.client.executor import _handshake_error
from orcheo_jupyter.common.api_errors import ErrorEnvelope

ENVELOPE = {"error": {"code": "not_found", "message": "no run 'r1'", "details": {"id": "r1"}}}


def test_the_envelope_gives_code_message_and_details() -> None:
    found = ErrorEnvelope.read(404, json.dumps(ENVELOPE).encode(), "Not Found")
    assert found == ErrorEnvelope(404, "not_found", "no run 'r1'", {"id": "r1"})


def test_what_the_server_writes_the_client_reads_back() -> None:
    # One definition of the wire format for both sides (the server's describe() makes it).
    from orcheo_jupyter.server.errors import describe
    from orcheo_jupyter.store.base import NotFound

    written = describe(NotFound("no run 'r1'"))
    assert written.body() == {
        "error": {"code": "not_found", "message": "no run 'r1'", "details": None}
    }
    assert ErrorEnvelope.read(404, json.dumps(written.body()).encode(), "Not Found") == written


@pytest.mark.parametrize(
    ("body", "quote", "message"),
    [
        (b"", True, "Bad Gateway"),
        (b"<html>proxy says no</html>", True, "<html>proxy says no</html>"),
        (b"<html>proxy says no</html>", False, "Bad Gateway"),
        (b'{"error": "a string"}', False, "Bad Gateway"),
        (b"\xff\xfe not utf-8", False, "Bad Gateway"),
        (b'{"error": {"code": "busy"}}', True, "Bad Gateway"),
    ],
)
def test_anything_else_is_an_http_error(body: bytes, quote: bool, message: str) -> None:
    found = ErrorEnvelope.read(502, body, "Bad Gateway", quote_other=quote)
    code = "busy" if b"busy" in body else "http_error"
    assert found == ErrorEnvelope(502, code, message, None)


def test_a_long_page_is_quoted_in_part() -> None:
    assert ErrorEnvelope.read(502, b"x" * 1000, "r", quote_other=True).message == "x" * 300


def test_http_answers_read_the_envelope() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json=ENVELOPE)

    client = OrcheoClient("http://example.invalid", "t", transport=httpx.MockTransport(handler))
    with pytest.raises(OrcheoAPIError) as info:
        client.get_execution("r1")
    assert (info.value.code, info.value.details) == ("not_found", {"id": "r1"})
    assert info.value.url == "http://example.invalid/orcheo/api/executions/r1"
    assert str(info.value) == "404 not_found: no run 'r1' (GET " + info.value.url + ")"


def test_a_refused_handshake_keeps_the_details_too() -> None:
    refused = InvalidStatus(Response(404, "Not Found", Headers(), json.dumps(ENVELOPE).encode()))
    error = _handshake_error(refused, "ws://h/orcheo/ws/executions/r1?after=0")
    assert (error.status, error.code, error.message) == (404, "not_found", "no run 'r1'")
    assert error.details == {"id": "r1"}
    plain = _handshake_error(InvalidStatus(Response(403, "Forbidden", Headers(), b"no")), "ws://h")
    assert (plain.code, plain.message) == ("http_error", "WebSocket handshake refused (403)")
