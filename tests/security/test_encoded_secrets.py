"""A resolved secret is scrubbed in its encoded forms too: base64, hex, URL-encoded.

Before: only the exact text (and JSON/URL escapes) was scrubbed, so an upstream
service echoing ``Authorization: Basic base64(user:secret)``, or a node hex-dumping
a token, stored the secret in events, state and checkpoints. The end-to-end leak
test (tests/server/test_credentials.py) scans every file and answer for these forms.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
import pytest_asyncio

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.redact import Redactor
from orcheo_jupyter.vault import Vault
from tests.conftest import code_doc, vaulted_executor

TOKEN = "tok-9f8e7d6c5b4a-SECRET"
RAW = TOKEN.encode()

#: name -> the form a node (or an upstream echo) could produce.
ENCODED = {
    "base64": base64.b64encode(RAW).decode(),
    "base64 unpadded": base64.b64encode(RAW).decode().rstrip("="),
    "base64 url-safe": base64.urlsafe_b64encode(RAW).decode(),
    "basic auth": "Basic " + base64.b64encode(b"user:" + RAW).decode(),
    "base64, 1 byte before": base64.b64encode(b"u" + RAW + b"!").decode(),
    "base64, 3 bytes before": base64.b64encode(b"abc" + RAW).decode(),
    "hex": RAW.hex(),
    "HEX": RAW.hex().upper(),
    "url-encoded": quote(TOKEN, safe=""),
    "url-encoded base64": quote(base64.b64encode(RAW).decode(), safe=""),
}

ENCODE_BODY = """
import base64
from urllib.parse import quote
t = self.token.encode()
return {
    "base64": base64.b64encode(t).decode(),
    "basic": "Basic " + base64.b64encode(b"user:" + t).decode(),
    "urlsafe": base64.urlsafe_b64encode(t).decode().rstrip("="),
    "hex": t.hex(),
    "url": "https://x.test/?key=" + quote(self.token, safe=""),
}
"""


def _leaks(text: str) -> list[str]:
    """The encoded forms of TOKEN found in ``text`` (the full forms: none may survive)."""
    forms = {**ENCODED, "exact": TOKEN}
    forms.pop("basic auth")
    forms["basic auth payload"] = base64.b64encode(b"user:" + RAW).decode()
    return [name for name, form in forms.items() if form in text]


def test_each_encoded_form_is_replaced() -> None:
    redactor = Redactor()
    redactor.add(TOKEN, "tok")
    for name, form in ENCODED.items():
        cleaned = redactor.text(f"echo: {form} (end)")
        assert "[redacted:tok]" in cleaned, name
        assert _leaks(cleaned) == [], (name, cleaned)


def test_ordinary_text_and_base64_are_left_alone() -> None:
    redactor = Redactor()
    redactor.add(TOKEN, "tok")
    text = "status ok " + base64.b64encode(b"user:another-password-entirely").decode()
    assert redactor.text(text) == text
    assert redactor.scrub({"n": 1, "hex": "deadbeef"}) == {"n": 1, "hex": "deadbeef"}


@pytest_asyncio.fixture
async def env(tmp_path: Path) -> AsyncIterator[tuple[Executor, Vault]]:
    async with vaulted_executor(tmp_path / "data") as opened:
        yield opened


@pytest.mark.asyncio
async def test_a_run_stores_no_encoded_form_of_its_secret(
    env: tuple[Executor, Vault],
) -> None:
    executor, vault = env
    await vault.create("token", value=TOKEN)
    doc = code_doc(ENCODE_BODY, config={"token": "[[token]]"}, injected=["token"])
    record = await executor.execute(doc)
    assert record.status == "succeeded", record.error
    result = record.final_state["results"]["c"]  # type: ignore[index]
    assert result["base64"] == "[redacted:token]"
    assert result["hex"] == "[redacted:token]"
    assert result["urlsafe"] == "[redacted:token]"
    assert result["url"] == "https://x.test/?key=[redacted:token]"
    assert result["basic"].startswith("Basic ") and "[redacted:token]" in result["basic"]
    stored = await executor.store.get_run(record.id)
    events = await executor.store.list_events(record.id)
    checkpoints = await executor.checkpoints(record.id)
    everything = json.dumps([stored.as_dict(), [e.as_dict() for e in events], checkpoints])
    assert _leaks(everything) == []
