"""A URL path that is not UTF-8 gets a clear 400, whole, on a connection that stays usable.

Tornado decodes path arguments before ``prepare``; its refusal of ``/workflows/%ff``
went out before the request's body was read, and the connection was closed under it:
a keep-alive client often saw a reset instead of the answer (about one request in six
with a small JSON body).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jupyter_server.utils import url_path_join

from .raw_http import keep_alive_exchange

BODY = json.dumps({"inputs": {"x": 1}}).encode()


@pytest.mark.parametrize(
    "method, route, field",
    [
        ("DELETE", "workflows/%ff", "workflow_id"),
        ("POST", "workflows/%ff/execute", "workflow_id"),
        ("PUT", "credentials/%c3%28", "name"),
        ("POST", "executions/ab%fe/resume", "execution_id"),
    ],
)
async def test_a_path_that_is_not_utf8_is_refused_whole_and_keeps_the_connection(
    http_server_client: Any,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
    method: str,
    route: str,
    field: str,
) -> None:
    api = url_path_join(jp_base_url, "orcheo/api")
    host = f"Host: 127.0.0.1:{jp_http_port}\r\n"
    token = f"Authorization: {jp_auth_header['Authorization']}\r\n"
    bad = (
        f"{method} {api}/{route} HTTP/1.1\r\n{host}{token}Content-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    listing = f"GET {api}/workflows HTTP/1.1\r\n{host}{token}\r\n".encode()
    replies = await keep_alive_exchange(jp_http_port, [bad, listing] * 3)
    for refused, listed in zip(replies[::2], replies[1::2], strict=True):
        assert refused is not None and refused.status == 400
        error = refused.json()["error"]
        assert error["code"] == "invalid_path"
        assert error["message"].startswith(f"{field}: the URL path holds bytes that are not UTF-8")
        assert error["details"] == {"field": field}
        assert listed is not None and listed.status == 200


async def test_without_credentials_a_bad_path_is_still_an_authentication_refusal(
    http_server_client: Any, jp_http_port: int, jp_base_url: str
) -> None:
    api = url_path_join(jp_base_url, "orcheo/api")
    host = f"Host: 127.0.0.1:{jp_http_port}\r\n"
    anonymous = f"GET {api}/workflows/%ff HTTP/1.1\r\n{host}\r\n".encode()
    (refused,) = await keep_alive_exchange(jp_http_port, [anonymous])
    assert refused is not None and refused.status == 403
    assert refused.json()["error"]["message"].startswith("authentication required")
