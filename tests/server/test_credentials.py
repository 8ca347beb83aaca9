"""Credentials over REST (values in, never out), runs refused for missing credentials,
and no secret bytes anywhere: files, events or API answers.

In-process tests run on pytest-jupyter's loop (not marked asyncio); the leak test drives
a real ``jupyter orcheo`` with debug logging and searches everything it wrote.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from orcheo_jupyter.triggers import sign
from tests.conftest import code_doc
from tests.nodes.http_server import FaultServer

from .conftest import Call
from .headless import start_headless

VALUE = "cred-VALUE-6a5b4c3d2e1f"


def http_doc(name: str, url: str, headers: dict[str, str], **config: Any) -> dict[str, Any]:
    return {
        "name": name,
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "call",
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "call",
                        "type": "HttpRequestNode",
                        "config": {"url": url, "headers": headers, "retries": 0, **config},
                    }
                ],
                "edges": [{"source": "call", "target": "__end__"}],
            },
        },
    }


async def test_credentials_lifecycle_never_shows_values(api: Call) -> None:
    created = await api(
        "POST",
        "credentials",
        json_body={"name": "github", "value": VALUE, "scope": ["deploy"], "description": "CI"},
    )
    assert created.code == 201, created.body
    assert created.headers["Location"].endswith("/orcheo/api/credentials/github")
    body = created.body
    assert (body["name"], body["kind"], body["scope"], body["version"]) == (
        "github",
        "secret",
        ["deploy"],
        1,
    )
    assert body["health"] == {"status": "healthy", "healthy": True, "reason": None}

    listed = await api("GET", "credentials")
    assert [c["name"] for c in listed.body["items"]] == ["github"]
    rotated = await api(
        "POST", "credentials", "github", "rotate", json_body={"value": "n3w-" + VALUE}
    )
    assert rotated.code == 200 and rotated.body["version"] == 2 and rotated.body["rotated_at"]
    updated = await api("PUT", "credentials", "github", json_body={"scope": "all"})
    assert updated.body["scope"] == "all" and updated.body["description"] == "CI"
    health = await api("GET", "credentials", "github", "health")
    assert health.body == {"name": "github", "status": "healthy", "healthy": True, "reason": None}
    overall = await api("GET", "credentials", "health")
    assert overall.body["healthy"] is True and len(overall.body["items"]) == 1
    audit = await api("GET", "credentials", "github", "audit")
    assert [e["action"] for e in audit.body["items"]] == ["updated", "rotated", "created"]
    assert audit.body["items"][0]["detail"] == "scope=all"
    assert audit.body["items"][2]["actor"]  # the Jupyter user who created it

    for reply in (created, listed, rotated, updated, health, overall, audit):
        assert VALUE not in json.dumps(reply.body)
    assert (await api("DELETE", "credentials", "github")).code == 204
    gone = await api("GET", "credentials", "github")
    assert (gone.code, gone.error["message"]) == (404, "credential 'github' not found")


async def test_bad_credential_requests_name_the_field(api: Call) -> None:
    cases = [
        ({"name": "has space", "value": VALUE}, "name"),
        ({"name": "k", "value": ""}, "value"),
        ({"name": "k", "value": VALUE, "colour": "red"}, "colour"),
        ({"name": "k", "kind": "secret"}, "value"),
        ({"name": "k", "kind": "oauth", "value": VALUE}, "value"),
        (
            {"name": "k", "kind": "oauth", "oauth": {"access_token": "a", "expires_at": "soon"}},
            "oauth.expires_at",
        ),
    ]
    for payload, field in cases:
        reply = await api("POST", "credentials", json_body=payload)
        assert (reply.code, reply.error["code"]) == (422, "invalid_credential"), payload
        assert [d["field"] for d in reply.error["details"]] == [field], reply.body
        assert VALUE not in json.dumps(reply.body)
    # What a name may be, in words (the sidebar's dialog shows this line).
    spaced = await api("POST", "credentials", json_body={"name": "has space", "value": VALUE})
    assert spaced.error["message"] == (
        "name: expected 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"
    )
    assert (await api("POST", "credentials", json_body={"name": "k", "value": VALUE})).code == 201
    # Rotating and updating are refused the same way, naming the field.
    refused = [
        ("POST", "rotate", {"oauth": {"access_token": "a"}}, "oauth"),
        ("POST", "rotate", {}, "value"),
        ("PUT", None, {"scope": ["wf", " "]}, "scope.1"),
    ]
    for method, action, payload, field in refused:
        path = ("credentials", "k", action) if action else ("credentials", "k")
        reply = await api(method, *path, json_body=payload)
        assert (reply.code, reply.error["code"]) == (422, "invalid_credential"), payload
        assert reply.error["message"].startswith(f"{field}: "), reply.body
        assert [(d["code"], d["field"]) for d in reply.error["details"]] == [
            ("invalid_credential", field)
        ], reply.body
    dup = await api("POST", "credentials", json_body={"name": "k", "value": VALUE})
    assert (dup.code, dup.error["message"]) == (409, "credential 'k' already exists")
    assert (
        await api("POST", "credentials", "nope", "rotate", json_body={"value": "x"})
    ).code == 404


async def test_runs_are_refused_with_422_naming_the_credential(api: Call) -> None:
    doc = http_doc("caller", "http://127.0.0.1:9/", {"Authorization": "[[gh_token]]"})
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]

    async def execute() -> Any:
        return await api("POST", "workflows", wid, "execute", json_body={})

    missing = await execute()
    assert (missing.code, missing.error["code"]) == (422, "credential_unavailable")
    assert missing.error["message"] == (
        "error: node 'call' config.headers.Authorization: credential 'gh_token' does not exist"
    )
    assert missing.error["details"] == [
        {
            "severity": "error",
            "code": "credential_unavailable",
            "message": "credential 'gh_token' does not exist",
            "node": "call",
            "field": "config.headers.Authorization",
        }
    ]
    await api(
        "POST", "credentials", json_body={"name": "gh_token", "value": VALUE, "scope": ["other"]}
    )
    scoped = await execute()
    assert scoped.code == 422
    assert f"is not available to workflow '{wid}'" in scoped.error["message"]

    await api("DELETE", "credentials", "gh_token")
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    await api(
        "POST",
        "credentials",
        json_body={
            "name": "gh_token",
            "kind": "oauth",
            "oauth": {"access_token": VALUE, "expires_at": past},
        },
    )
    expired = await execute()
    assert (
        expired.code == 422 and "is unhealthy: its access token expired" in expired.error["message"]
    )
    assert (await api("GET", "executions", params={"workflow_id": wid})).body["total"] == 0

    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    refreshed = await api(
        "POST",
        "credentials",
        "gh_token",
        "rotate",
        json_body={"oauth": {"access_token": VALUE, "expires_at": future}},
    )
    assert refreshed.body["health"]["healthy"] is True
    assert (await execute()).code == 202


# --- the leak test ---------------------------------------------------------------------------
TOKEN = "LEAK-token-8c7b6a5f4e3d"
URL_SECRET_PATH = "LEAK-path-1a2b3c4d5e"
HOOK_SECRET = "LEAK-hook-0f9e8d7c6b5a"
SECRETS = (TOKEN, URL_SECRET_PATH, HOOK_SECRET)
#: A code node echoes the token encoded, as an upstream service might.
ENCODES = """
import base64
from urllib.parse import quote
t = self.token.encode()
return {
    "base64": base64.b64encode(t).decode(),
    "basic": "Basic " + base64.b64encode(b"user:" + t).decode(),
    "urlsafe": base64.urlsafe_b64encode(t).decode().rstrip("="),
    "hex": t.hex(),
    "url": "?key=" + quote(self.token, safe=""),
}
"""


def _forms(secret: str) -> list[bytes]:
    """The secret and the encodings a run could produce it in; none may be written."""
    raw = secret.encode()
    b64 = base64.b64encode(raw).rstrip(b"=")
    return [
        raw,
        b64,
        base64.urlsafe_b64encode(raw).rstrip(b"="),
        base64.b64encode(b"user:" + raw),
        raw.hex().encode(),
        raw.hex().upper().encode(),
        quote(secret, safe="").encode(),
    ]


def _wait(client: httpx.Client, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        run = client.get(f"/executions/{run_id}").json()
        if run["status"] not in ("pending", "running"):
            return run  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, run
        time.sleep(0.05)


def test_no_secret_bytes_in_files_events_or_answers(tmp_path: Path) -> None:
    root = tmp_path / "server"
    # Tracing on, both ways: spans stored with runs and printed to the log by the
    # console exporter (server and runner processes); neither may hold a secret.
    server = start_headless(
        root, "--debug", env={"ORCHEO_TRACE_STORE": "true", "OTEL_TRACES_EXPORTER": "console"}
    )
    answers: list[str] = []
    try:
        client = httpx.Client(base_url=server.api, headers=server.headers, timeout=30)

        def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
            reply = client.request(method, path, **kwargs)
            answers.append(reply.text)
            return reply

        with FaultServer() as upstream:
            secret_url = f"http://127.0.0.1:9/{URL_SECRET_PATH}"
            for name, value in (("token", TOKEN), ("url", secret_url), ("hook", HOOK_SECRET)):
                assert (
                    call("POST", "/credentials", json={"name": name, "value": value}).status_code
                    == 201
                )
            docs = [
                http_doc("echo", f"{upstream.base}/echo", {"Authorization": "[[token]]"}),
                http_doc("fails", "[[url]]", {"Authorization": "[[token]]"}, timeout=2),
                http_doc(
                    "rejected",
                    f"{upstream.base}/missing",
                    {"Authorization": "[[token]]"},
                    raise_for_status=True,
                ),
                code_doc(
                    ENCODES, name="encodes", config={"token": "[[token]]"}, injected=["token"]
                ),
                code_doc(
                    "raise ValueError('bad token ' + self.token)",
                    name="raises",
                    config={"token": "[[token]]"},
                    injected=["token"],
                ),
                {
                    **code_doc(
                        "return self.token + '!'", config={"token": "[[token]]"}, injected=["token"]
                    ),
                    "name": "hooked",
                    "triggers": [{"type": "webhook", "config": {"hmac": {"secret": "[[hook]]"}}}],
                },
            ]
            ids = {}
            for doc in docs:
                created = call("POST", "/workflows", json=doc)
                assert created.status_code == 201, created.text
                ids[doc["name"]] = created.json()["id"]
            runs = {
                name: call("POST", f"/workflows/{wid}/execute", json={}).json()["execution_id"]
                for name, wid in ids.items()
            }
            body = b'{"ping": 1}'
            ts = str(int(time.time()))
            delivered = httpx.post(
                f"{server.url}/orcheo/hooks/hooked",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Orcheo-Timestamp": ts,
                    "X-Orcheo-Signature": "sha256=" + sign(HOOK_SECRET, ts, body),
                },
            )
            assert delivered.status_code == 202, delivered.text
            answers.append(delivered.text)
            runs["webhook"] = delivered.json()["execution_id"]
            dispatched = call("POST", f"/workflows/{ids['raises']}/dispatch", json={"runs": [{}]})
            runs["dispatched"] = dispatched.json()["items"][0]["execution_id"]

            results = {name: _wait(client, run_id) for name, run_id in runs.items()}
            assert upstream.hits["/echo"] == 1 and upstream.hits["/missing"] == 1

        assert results["echo"]["status"] == "succeeded"
        assert (
            results["echo"]["final_state"]["results"]["call"]["json"]["auth"] == "[redacted:token]"
        )
        assert results["webhook"]["final_state"]["results"]["c"] == "[redacted:token]!"
        encoded = results["encodes"]["final_state"]["results"]["c"]
        assert encoded["base64"] == encoded["hex"] == encoded["urlsafe"] == "[redacted:token]"
        assert encoded["url"] == "?key=[redacted:token]"
        for name in ("fails", "rejected", "raises"):
            assert results[name]["status"] == "failed", results[name]
        assert "[redacted:url]" in results["fails"]["error"]
        assert results["raises"]["error"] == (
            "node 'c' failed (line 1 of its code): ValueError: bad token [redacted:token]"
        )
        for run_id in runs.values():
            for path in ("", "/events", "/checkpoints", "/trace"):
                call("GET", f"/executions/{run_id}{path}")
        traced = client.get(f"/executions/{runs['echo']}/trace").json()["spans"]
        (get,) = [s for s in traced if s["name"] == "GET"]
        assert get["attributes"]["url.full"] == f"{upstream.base}/echo"
        assert get["attributes"]["http.response.status_code"] == 200
        failed = client.get(f"/executions/{runs['raises']}/trace").json()["spans"]
        (raised,) = [s for s in failed if s["name"] == "orcheo.node"]
        assert raised["status"]["message"] == results["raises"]["error"]
        for path in ("/credentials", "/credentials/token/audit", "/dead-letters", "/executions"):
            call("GET", path)
        for wid in ids.values():
            call("GET", f"/workflows/{wid}")
            call("GET", f"/workflows/{wid}/triggers")
            call("GET", f"/workflows/{wid}/deliveries")
        audit = client.get("/credentials/token/audit").json()
        assert sum(e["action"] == "read" for e in audit["items"]) >= 6
        # While the server runs, recent writes sit in the SQLite write-ahead logs.
        live = _scan(root)
        assert any(p.endswith("orcheo.sqlite-wal") for p in live)
    finally:
        assert server.stop() == 0

    for answer in answers:
        for secret in SECRETS:
            for form in _forms(secret):
                assert form.decode() not in answer, (form, answer)
    written = _scan(root)
    assert {"orcheo.sqlite", "checkpoints.sqlite", "vault.sqlite", "triggers.sqlite"} <= {
        Path(p).name for p in written
    }
    log = server.log.read_text()
    assert "[D " in log  # debug logging was on
    assert '"name": "orcheo.node"' in log  # and the console exporter printed spans


def _scan(root: Path) -> list[str]:
    """Every file under ``root``, after checking none holds a secret's bytes."""
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for secret in SECRETS:
            for form in _forms(secret):
                assert form not in data, f"{secret} as {form!r} found in {path}"
        found.append(str(path))
    return found
