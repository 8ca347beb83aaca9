"""Every route needs Jupyter auth: token header, query token, or login cookie + XSRF.

Each unauthenticated request uses a brand-new HTTP client: a reused client would
keep a login cookie from an earlier request and hide a missing check.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from orcheo_jupyter.server.openapi import build_openapi
from tests.conftest import linear_doc

from .conftest import Call

Create = Callable[..., Awaitable[dict[str, Any]]]
Wait = Callable[..., Awaitable[dict[str, Any]]]


def _bodies() -> dict[str, Any]:
    return {
        "post /orcheo/api/workflows": linear_doc("a", name="intruder"),
        "put /orcheo/api/workflows/{workflow_id}": linear_doc("a", name="intruder"),
        "post /orcheo/api/workflows/import-python": {"script": "x = 1", "name": "intruder"},
        "post /orcheo/api/executions/{execution_id}/resume": {"value": 1},
    }


async def _fixture_ids(api: Call, create_workflow: Create, wait_run: Wait) -> dict[str, str]:
    wid = (await create_workflow(linear_doc("a")))["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    await wait_run(run_id)
    return {"workflow_id": wid, "execution_id": run_id, "version": "1"}


async def test_every_route_refuses_requests_without_credentials(
    api: Call,
    create_workflow: Create,
    wait_run: Wait,
    jp_http_port: int,
    jp_base_url: str,
) -> None:
    ids = await _fixture_ids(api, create_workflow, wait_run)
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url.rstrip('/')}"
    bodies = _bodies()
    checked, exempt = [], []
    for path, item in build_openapi()["paths"].items():
        url = base + re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "x"), path)
        for method in ("get", "post", "put", "patch", "delete"):
            if method not in item:
                continue
            if item[method].get("security") == []:  # declared open (webhook ingress)
                exempt.append(path)
                continue
            body = bodies.get(f"{method} {path}", {})
            for headers in ({}, {"Authorization": "token wrong"}):
                async with httpx.AsyncClient() as fresh:  # no cookies from anyone
                    reply = await fresh.request(
                        method.upper(),
                        url,
                        json=body if method in ("post", "put") else None,
                        headers=headers,
                    )
                assert reply.status_code == 403, (method, path, reply.text)
                assert reply.json()["error"]["code"] == "forbidden"
                assert "authentication required" in reply.json()["error"]["message"]
            checked.append(f"{method.upper()} {path}")
    assert len(checked) >= 18
    assert all(p.startswith("/orcheo/hooks/") for p in exempt), exempt
    async with httpx.AsyncClient() as fresh:
        ws = await fresh.get(
            f"{base}/orcheo/ws/executions/{ids['execution_id']}",
            headers={
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        assert ws.status_code == 403
        unknown = await fresh.get(f"{base}/orcheo/api/anything/else")
        assert unknown.status_code == 403
    # Nothing the refused requests carried was stored or started.
    listing = await api("GET", "workflows")
    assert [w["name"] for w in listing.body["items"]] == ["linear"]
    runs = await api("GET", "executions")
    assert runs.body["total"] == 1


async def test_query_token_is_accepted(
    http_server_client: Any, jp_http_port: int, jp_base_url: str, jp_serverapp: Any
) -> None:
    token = jp_serverapp.identity_provider.token
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}orcheo/api/workflows"
    async with httpx.AsyncClient() as fresh:
        reply = await fresh.get(url, params={"token": token})
    assert reply.status_code == 200 and reply.json()["total"] == 0


async def test_login_cookie_needs_xsrf_for_unsafe_methods(
    http_server_client: Any, jp_http_port: int, jp_base_url: str, jp_serverapp: Any
) -> None:
    token = jp_serverapp.identity_provider.token
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        await browser.get(base + "login")
        xsrf = browser.cookies["_xsrf"]
        login = await browser.post(base + "login", data={"password": token, "_xsrf": xsrf})
        assert login.status_code == 302

        listing = await browser.get(base + "orcheo/api/workflows")  # safe: cookie is enough
        assert listing.status_code == 200

        doc = linear_doc("a")
        refused = await browser.post(base + "orcheo/api/workflows", json=doc)
        assert refused.status_code == 403
        assert "_xsrf" in refused.json()["error"]["message"]
        accepted = await browser.post(
            base + "orcheo/api/workflows", json=doc, headers={"X-XSRFToken": xsrf}
        )
        assert accepted.status_code == 201


@pytest.mark.parametrize("method", ["PATCH", "TRACE"])
async def test_undeclared_methods_are_405_with_allow(api: Call, method: str) -> None:
    reply = await api(method, "workflows", body=b"" if method == "PATCH" else None)
    assert reply.code == 405
    assert reply.headers["Allow"] == "GET, POST, OPTIONS"
    assert reply.error["code"] == "method_not_allowed"


async def test_unknown_api_paths_are_json_404(api: Call) -> None:
    reply = await api("GET", "no", "such", "thing")
    assert reply.code == 404
    assert reply.error["message"].endswith("/orcheo/api/no/such/thing")
