"""The canvas's JavaScript reaches a page over the widget's comm, never its saved state."""

from __future__ import annotations

from typing import Any

import pytest

from orcheo_jupyter import Canvas, Workflow
from orcheo_jupyter.widget import bundle


def _canvas() -> Canvas:
    wf = Workflow("w").add_node("only", "DebugNode").add_edge("START", "only")
    return Canvas(wf.add_edge("only", "END"))


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dict[str, Any], list[bytes]]]:
    out: list[tuple[dict[str, Any], list[bytes]]] = []
    monkeypatch.setattr(
        Canvas, "send", lambda self, content, buffers=None: out.append((content, buffers or []))
    )
    return out


def test_saved_state_holds_a_loader_and_the_picture_not_the_bundle() -> None:
    state = _canvas().get_state()
    built = bundle.current()
    assert len(built.js) > 100_000 and len(built.codemirror) > 100_000  # the real bundles
    assert len(state["_esm"]) < 5_000
    assert "catalog" not in state and len(state.get("_css", "")) == 0
    assert 'data-node-id="only"' in state["picture"]
    assert state["bundle_version"] == built.version
    assert sum(len(str(v)) for v in state.values()) < 20_000


def test_boot_sends_the_catalog_and_the_bundle_only_when_the_page_lacks_it(
    sent: list[tuple[dict[str, Any], list[bytes]]],
) -> None:
    canvas = _canvas()
    canvas._on_message(canvas, {"type": "boot", "request": "r1", "need_bundle": True}, [])
    canvas._on_message(canvas, {"type": "boot", "request": "r2", "need_bundle": False}, [])
    (first, first_buffers), (second, second_buffers) = sent
    built = bundle.current()
    assert first["request"] == "r1" and first_buffers == [built.js]
    assert first["css"] == built.css and first["version"] == built.version
    assert {e["type"] for e in first["catalog"]} >= {"DebugNode", "SetVariableNode"}
    assert second["request"] == "r2" and second_buffers == [] and "css" not in second
    assert second["catalog"] == first["catalog"]


def test_code_editor_module_is_sent_on_request(
    sent: list[tuple[dict[str, Any], list[bytes]]],
) -> None:
    canvas = _canvas()
    canvas._on_message(canvas, {"type": "code_editor", "request": "c"}, [])
    ((reply, buffers),) = sent
    assert reply == {"type": "code_editor", "request": "c"}
    assert buffers == [bundle.current().codemirror]
    assert b"codeMirrorField" in buffers[0]
