"""Webhook checks in order (405, 413, 401, 403, 400) and what a delivery becomes."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from orcheo_jupyter.triggers import WebhookConfig, WebhookRejected, WebhookRequest, sign, verify
from orcheo_jupyter.triggers.webhook import RateLimiter, delivery_inputs

SECRET = "whsec-0123456789"
NOW = 1_900_000_000.0


async def lookup(ref: str) -> str:
    assert ref == "[[hook]]"
    return SECRET


def request(body: bytes = b'{"a": 1}', method: str = "POST", **headers: str) -> WebhookRequest:
    merged = {
        "Content-Type": "application/json",
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }
    return WebhookRequest(method=method, headers=merged, body=body)


def hmac_config(**extra: Any) -> WebhookConfig:
    return WebhookConfig.model_validate({"hmac": {"secret": "[[hook]]"}, **extra})


def signed(body: bytes = b'{"a": 1}', stamp: float = NOW, **headers: str) -> WebhookRequest:
    ts = str(int(stamp))
    return request(
        body,
        X_Orcheo_Timestamp=ts,
        X_Orcheo_Signature="sha256=" + sign(SECRET, ts, body),
        **headers,
    )


async def rejected(config: WebhookConfig, req: WebhookRequest) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as caught:
        await verify(config, req, lookup, NOW)
    return caught.value


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"123." + b"{}", hashlib.sha256).hexdigest()
    assert sign(SECRET, "123", b"{}") == expected


@pytest.mark.asyncio
async def test_a_correctly_signed_delivery_passes() -> None:
    verified = await verify(hmac_config(), signed(Idempotency_Key=" order-1 "), lookup, NOW)
    assert verified.idempotency_key == "order-1"
    assert verified.signature is not None and len(verified.signature) == 32
    # The same body signed at another time is another delivery (another digest).
    again = await verify(hmac_config(), signed(stamp=NOW - 5), lookup, NOW)
    assert again.signature != verified.signature
    # Several signatures (a sender rotating secrets): one matching is enough.
    ts = str(int(NOW))
    both = request(
        X_Orcheo_Timestamp=ts,
        X_Orcheo_Signature="sha256=" + "0" * 64 + ", sha256=" + sign(SECRET, ts, b'{"a": 1}'),
    )
    assert (await verify(hmac_config(), both, lookup, NOW)).signature == verified.signature


@pytest.mark.asyncio
async def test_bad_signatures_and_stale_timestamps_are_401() -> None:
    config = hmac_config()
    tampered = signed()
    tampered = WebhookRequest("POST", dict(tampered.headers), b'{"a": 2}')
    assert (await rejected(config, tampered)).message == (
        "the X-Orcheo-Signature signature does not match the body"
    )
    stale = await rejected(config, signed(stamp=NOW - 301))
    assert (stale.status, stale.code) == (401, "unauthorized")
    assert "more than 300 s from the server's clock" in stale.message
    assert (await rejected(config, signed(stamp=NOW + 301))).status == 401
    assert (await rejected(config, request())).message == "missing the X-Orcheo-Timestamp header"
    no_sig = request(X_Orcheo_Timestamp=str(int(NOW)))
    assert (await rejected(config, no_sig)).message == "missing the X-Orcheo-Signature header"
    text_ts = request(X_Orcheo_Timestamp="yesterday", X_Orcheo_Signature="sha256=00")
    assert (await rejected(config, text_ts)).message == "X-Orcheo-Timestamp must be Unix seconds"


@pytest.mark.asyncio
async def test_shared_secret_header() -> None:
    config = WebhookConfig.model_validate(
        {"shared_secret_header": "X-Token", "shared_secret": "[[hook]]"}
    )
    await verify(config, request(X_Token=SECRET), lookup, NOW)
    assert (await rejected(config, request(X_Token="guess"))).message == (
        "the X-Token header does not match"
    )
    assert (await rejected(config, request())).message == "missing the X-Token header"


@pytest.mark.asyncio
async def test_methods_size_rules_and_keys() -> None:
    config = WebhookConfig.model_validate(
        {
            "allowed_methods": ["POST", "PUT"],
            "required_headers": {"X-Event": "push"},
            "required_query_params": {"env": "prod"},
            "max_body_bytes": 10,
        }
    )
    wrong_method = await rejected(config, request(b"", method="GET"))
    assert (wrong_method.status, wrong_method.headers) == (405, {"Allow": "POST, PUT"})
    too_big = await rejected(config, request(b"x" * 11))
    assert too_big.status == 413 and "11 bytes" in too_big.message
    no_event = await rejected(config, request(b"{}"))
    assert (no_event.status, no_event.message) == (403, "header X-Event must be 'push'")
    ok_headers = WebhookRequest("PUT", {"X-Event": "push"}, b"{}", {"env": ["dev"]})
    assert (await rejected(config, ok_headers)).message == "query parameter env must be 'prod'"
    good = WebhookRequest("PUT", {"X-Event": "push"}, b"{}", {"env": ["prod"]})
    assert (await verify(config, good, lookup, NOW)).idempotency_key is None
    long_key = WebhookRequest(
        "PUT", {"X-Event": "push", "Idempotency-Key": "k" * 256}, b"{}", {"env": ["prod"]}
    )
    assert (await rejected(config, long_key)).status == 400


def test_literal_secrets_are_refused_in_trigger_config() -> None:
    with pytest.raises(ValueError, match=r"must be a \[\[credential\]\] reference"):
        WebhookConfig.model_validate(
            {"hmac": {"secret": "plain-text-secret"}}, context={"stored": True}
        )
    with pytest.raises(ValueError, match="must be set together"):
        WebhookConfig.model_validate({"shared_secret_header": "X-Token"})


def test_inputs_carry_body_headers_query_but_no_credentials() -> None:
    config = hmac_config(shared_secret_header="X-Token", shared_secret="[[hook]]")
    req = WebhookRequest(
        "POST",
        {
            "Content-Type": "application/json",
            "X-Token": SECRET,
            "X-Orcheo-Signature": "sha256=abc",
            "Authorization": "Bearer nope",
            "Cookie": "a=b",
            "X-GitHub-Event": "push",
        },
        json.dumps({"ref": "main"}).encode(),
        {"tag": ["a", "b"], "env": ["prod"]},
    )
    inputs, headers = delivery_inputs(config, req, "d1", "2030-01-01T00:00:00Z")
    assert inputs == {
        "body": {"ref": "main"},
        "headers": {"content-type": "application/json", "x-github-event": "push"},
        "query": {"tag": ["a", "b"], "env": "prod"},
        "method": "POST",
        "delivery_id": "d1",
        "received_at": "2030-01-01T00:00:00Z",
    }
    assert headers == inputs["headers"]
    form = WebhookRequest(
        "POST", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1&b=x+y", {}
    )
    assert delivery_inputs(config, form, "d", "t")[0]["body"] == {"a": "1", "b": "x y"}
    text = WebhookRequest("POST", {"Content-Type": "text/plain"}, "héllo".encode(), {})
    assert delivery_inputs(config, text, "d", "t")[0]["body"] == "héllo"
    binary = WebhookRequest("POST", {}, b"\xff\xfe", {})
    assert delivery_inputs(config, binary, "d", "t")[0]["body"] == {"$bytes": "//4="}
    broken = WebhookRequest("POST", {"Content-Type": "application/json"}, b"{nope", {})
    with pytest.raises(WebhookRejected, match="body is not valid JSON") as caught:
        delivery_inputs(config, broken, "d", "t")
    assert caught.value.status == 400


def test_rate_limit_window() -> None:
    limiter = RateLimiter()
    limiter.check("w", 2, 60, 1000.0)
    limiter.check("w", 2, 60, 1001.0)
    with pytest.raises(WebhookRejected) as caught:
        limiter.check("w", 2, 60, 1010.0)
    assert (caught.value.status, caught.value.headers) == (429, {"Retry-After": "50"})
    limiter.check("w", 2, 60, 1060.0)  # a new window
