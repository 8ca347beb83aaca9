"""Webhook checks and what a delivery becomes: pure functions, no HTTP server here.

Order of checks: method (405), body size (413), authentication (401: shared
secret header or HMAC-SHA256 with a timestamp inside the tolerance), then the
configured header and query rules (403). Secrets come from the vault through a
callback, so every check of a signature is an audited read.

Signature scheme (Stripe-like): ``hex(HMAC-SHA256(secret, "<timestamp>." + raw
body))`` in the signature header, optionally prefixed ``sha256=``; several
comma-separated signatures are accepted (useful while a sender rotates
secrets). The timestamp header holds Unix seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from ..spec.json_text import UnreadableJson, read_json
from .config import WebhookConfig

SecretLookup = Callable[[str], Awaitable[str]]

#: Request headers that never reach run inputs or the delivery record.
HIDDEN_HEADERS = frozenset(
    {"authorization", "cookie", "proxy-authorization", "x-xsrftoken", "x-xsrf-token"}
)
MAX_KEY_CHARS = 255
MAX_HEADER_CHARS = 4096


class WebhookRejected(Exception):
    """The delivery is refused; nothing was stored and nothing starts."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        #: Machine-readable specifics (e.g. each refused value's field), sent as error.details.
        self.details = details


@dataclass(frozen=True)
class WebhookRequest:
    method: str
    headers: Mapping[str, str]  # case-insensitive lookup (tornado's HTTPHeaders)
    body: bytes
    query: dict[str, list[str]] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        if value is None and not hasattr(self.headers, "get_list"):
            lowered = name.lower()
            value = next((v for k, v in self.headers.items() if k.lower() == lowered), None)
        return value


@dataclass(frozen=True)
class Verified:
    signature: str | None  # digest of the accepted signature: a replay repeats it
    idempotency_key: str | None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a sender puts in the signature header (without ``sha256=``)."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _unauthorized(message: str) -> WebhookRejected:
    return WebhookRejected(401, "unauthorized", message)


async def verify(
    config: WebhookConfig, request: WebhookRequest, secret: SecretLookup, now: float
) -> Verified:
    """Check a request against the trigger's rules; WebhookRejected says why not."""
    method = request.method.upper()
    if method not in config.allowed_methods:
        allowed = ", ".join(config.allowed_methods)
        raise WebhookRejected(
            405,
            "method_not_allowed",
            f"this webhook accepts {allowed}, not {method}",
            {"Allow": allowed},
        )
    if len(request.body) > config.max_body_bytes:
        raise WebhookRejected(
            413,
            "too_large",
            f"body is {len(request.body):,} bytes; this webhook accepts {config.max_body_bytes:,}",
        )
    if config.shared_secret and config.shared_secret_header:
        given = request.header(config.shared_secret_header)
        if not given:
            raise _unauthorized(f"missing the {config.shared_secret_header} header")
        expected = await secret(config.shared_secret)
        if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            raise _unauthorized(f"the {config.shared_secret_header} header does not match")
    digest = None
    if config.hmac is not None:
        digest = await _check_signature(config, request, secret, now)
    for name, value in config.required_headers.items():
        if request.header(name) != value:
            raise WebhookRejected(403, "forbidden", f"header {name} must be {value!r}")
    for name, value in config.required_query_params.items():
        if request.query.get(name, [None])[-1] != value:
            raise WebhookRejected(403, "forbidden", f"query parameter {name} must be {value!r}")
    key = request.header(config.idempotency_header)
    if key is not None:
        key = key.strip()
        if not key or len(key) > MAX_KEY_CHARS:
            raise WebhookRejected(
                400,
                "bad_request",
                f"{config.idempotency_header} must be 1 to {MAX_KEY_CHARS} characters",
            )
    return Verified(digest, key)


async def _check_signature(
    config: WebhookConfig, request: WebhookRequest, secret: SecretLookup, now: float
) -> str:
    rules = config.hmac
    assert rules is not None
    stamp = request.header(rules.timestamp_header)
    if not stamp:
        raise _unauthorized(f"missing the {rules.timestamp_header} header")
    stamp = stamp.strip()
    try:
        sent = float(stamp)
    except ValueError:
        raise _unauthorized(f"{rules.timestamp_header} must be Unix seconds") from None
    if not abs(now - sent) <= rules.tolerance_seconds:
        raise _unauthorized(
            f"{rules.timestamp_header} is more than {rules.tolerance_seconds} s from the "
            "server's clock (stale or replayed delivery)"
        )
    given = request.header(rules.signature_header)
    if not given:
        raise _unauthorized(f"missing the {rules.signature_header} header")
    expected = sign(await secret(rules.secret), stamp, request.body).encode("ascii")
    for candidate in given.split(","):
        candidate = candidate.strip()
        if candidate.lower().startswith("sha256="):
            candidate = candidate[7:]
        if hmac.compare_digest(candidate.lower().encode("utf-8", "replace"), expected):
            return hashlib.sha256(expected).hexdigest()[:32]
    raise _unauthorized(f"the {rules.signature_header} signature does not match the body")


def _body(request: WebhookRequest) -> Any:
    if not request.body:
        return None
    media = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            return read_json(request.body)  # NaN, 1e400...: refused on admission, by path
        except UnreadableJson as exc:
            raise WebhookRejected(400, "invalid_json", exc.message, details=exc.details) from None
        except RecursionError:
            raise WebhookRejected(
                400,
                "invalid_value",
                "inputs.body: nested too deeply to parse (the limit is max_input_depth, "
                "ORCHEO_MAX_INPUT_DEPTH)",
                details=[{"field": "inputs.body", "code": "too_deep"}],
            ) from None
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return {"$bytes": base64.b64encode(request.body).decode("ascii")}
    if media == "application/x-www-form-urlencoded":
        return _flat(parse_qs(text, keep_blank_values=True))
    return text


def _flat(values: Mapping[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else list(v) for k, v in values.items()}


def visible_headers(config: WebhookConfig, request: WebhookRequest) -> dict[str, str]:
    """Headers fit to keep: no credentials, no signature, nothing huge."""
    hidden = set(HIDDEN_HEADERS)
    for name in (config.shared_secret_header, config.hmac and config.hmac.signature_header):
        if name:
            hidden.add(name.lower())
    out: dict[str, str] = {}
    for name, value in request.headers.items():
        lowered = name.lower()
        if lowered in hidden or len(out) >= 64:
            continue
        out[lowered] = value[:MAX_HEADER_CHARS]
    return out


def delivery_inputs(
    config: WebhookConfig, request: WebhookRequest, delivery_id: str, received_at: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The run's inputs (body, headers, query, method, delivery id) and the headers kept."""
    headers = visible_headers(config, request)
    inputs = {
        "body": _body(request),
        "headers": headers,
        "query": _flat(request.query),
        "method": request.method.upper(),
        "delivery_id": delivery_id,
        "received_at": received_at,
    }
    return inputs, headers


class RateLimiter:
    """At most ``limit`` accepted deliveries per workflow and fixed window."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    def check(self, key: str, limit: int, interval: float, now: float) -> None:
        start, count = self._windows.get(key, (now, 0))
        if now - start >= interval:
            start, count = now, 0
        if count >= limit:
            retry = max(1, int(start + interval - now + 0.999))
            raise WebhookRejected(
                429,
                "too_many_requests",
                f"this webhook accepts {limit} deliveries per {interval:g} s",
                {"Retry-After": str(retry)},
            )
        self._windows[key] = (start, count + 1)
