"""The code node's editor: CodeMirror with Python highlighting and line numbers.

It shows the node's code exactly as stored (no invented ``def`` line), typing changes
the stored code, and a run's error on line N is marked on line N. The notebook
widget bundles CodeMirror; a Lab document uses JupyterLab's own editor.
"""

from __future__ import annotations

import json
from typing import Any

from .lab import Lab
from .ui import CANVAS, cell_json, node_point, open_notebook, run_cell

BODY = "a = 1\nb = 2\nc = a / (b - 2)\nreturn c"

CELLS = [
    "from orcheo_jupyter import Workflow, Canvas\n"
    f"wf = (Workflow('coded').add_code_node('calc', {BODY!r})\n"
    "      .add_edge('START', 'calc').add_edge('calc', 'END'))\n"
    "Canvas(wf, height='560px')",
    "import json; print(json.dumps(wf.ir.nodes[0].body))",
    "result = wf.run(); print(json.dumps(result.error))",
]


def _lines(page: Any, scope: str) -> list[str]:
    return page.locator(f"{scope} .oc-code .cm-line").all_inner_texts()  # type: ignore[no-any-return]


def _gutter(page: Any, scope: str) -> list[str]:
    numbers = page.locator(f"{scope} .oc-code .cm-lineNumbers .cm-gutterElement")
    return [t for t in numbers.all_inner_texts() if t.strip()]


def _coloured(page: Any, scope: str, word: str) -> bool:
    """``word`` gets drawn in its own colour, different from the line's plain text."""
    try:
        page.wait_for_function(
            """([scope, word]) => {
              const spans = [...document.querySelectorAll(scope + ' .oc-code .cm-line span')];
              const span = spans.find(s => s.textContent === word);
              if (!span) return false;
              const line = span.closest('.cm-line');
              return getComputedStyle(span).color !== getComputedStyle(line).color;
            }""",
            arg=[scope, word],
            timeout=10_000,
        )
    except Exception:
        return False
    return True


def _select(page: Any, node: str, scope: str = CANVAS) -> None:
    page.click(f'{scope} .oc-button[data-action="fit"]')
    page.wait_for_timeout(100)
    p = node_point(page, node, scope)
    page.mouse.click(p["x"], p["y"])
    page.wait_for_selector(f'{scope} .oc-node-panel[data-node-id="{node}"] .oc-code .cm-editor')


def test_widget_code_editor_highlights_numbers_edits_and_marks_the_failing_line(
    page: Any, lab: Lab
) -> None:
    open_notebook(page, lab, "code_editor.ipynb", CELLS)
    run_cell(page, 0)
    page.wait_for_selector(f'{CANVAS}[data-node-count="1"]', timeout=60_000)
    _select(page, "calc")

    # The code as written, numbered from 1, with Python colours; no made-up signature.
    assert _lines(page, CANVAS) == BODY.split("\n")
    assert _gutter(page, CANVAS) == ["1", "2", "3", "4"]
    assert _coloured(page, CANVAS, "return")
    panel = page.locator(f"{CANVAS} .oc-node-panel").inner_text()
    assert "def run" not in panel

    # Typing changes the code the kernel holds.
    page.locator(f"{CANVAS} .oc-code .cm-line").nth(3).click()
    page.keyboard.press("End")
    page.keyboard.type(" * 10")
    page.locator(f"{CANVAS} .oc-palette-search").click()  # leave the editor
    page.wait_for_timeout(600)
    assert cell_json(page, 1) == "a = 1\nb = 2\nc = a / (b - 2)\nreturn c * 10"

    # A run fails on line 3 of the code: the message says so and the editor marks line 3.
    error = cell_json(page, 2)
    assert error.startswith("node 'calc' failed (line 3 of its code): ZeroDivisionError")
    page.wait_for_selector(f'{CANVAS} .oc-node[data-node-id="calc"], {CANVAS}', timeout=5_000)
    _select(page, "calc")
    marked = page.locator(f"{CANVAS} .oc-code .cm-line.oc-code-error-line")
    marked.wait_for(timeout=30_000)
    assert marked.count() == 1
    assert marked.get_attribute("data-error-line") == "3"
    assert marked.inner_text() == "c = a / (b - 2)"
    message = page.locator(f"{CANVAS} .oc-code .oc-code-error-message")
    assert "line 3" in message.inner_text() and "ZeroDivisionError" in message.inner_text()


def test_lab_document_code_editor_is_labs_own(page: Any, lab: Lab) -> None:
    doc = {
        "name": "labcode",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "schema_version": 1,
                "nodes": [
                    {"kind": "code", "id": "calc", "body": BODY, "config": {}, "injected": []}
                ],
                "edges": [
                    {"source": "__start__", "target": "calc"},
                    {"source": "calc", "target": "__end__"},
                ],
                "conditional_edges": [],
            },
        },
    }
    path = lab.root / "labcode.orcheo.json"
    path.write_text(json.dumps(doc))
    lab.open(page, "labcode.orcheo.json")
    scope = f".jp-OrcheoDocument {CANVAS}"
    page.wait_for_selector(f'{scope}[data-node-count="1"]', timeout=60_000)
    _select(page, "calc", scope)
    assert page.locator(f"{scope} .jp-OrcheoCodeEditor .cm-editor").count() == 1
    assert _lines(page, scope) == BODY.split("\n")
    assert _gutter(page, scope) == ["1", "2", "3", "4"]
    assert _coloured(page, scope, "return")

    page.locator(f"{scope} .oc-code .cm-line").nth(0).click()
    page.keyboard.press("End")
    page.keyboard.type("0")
    page.locator(f"{scope} .oc-palette-search").click()
    page.wait_for_timeout(600)
    page.keyboard.press("Control+s")
    page.wait_for_function(
        "() => !document.querySelector('.jp-mod-current.jp-mod-dirty')", timeout=10_000
    )
    saved = json.loads(path.read_text())
    assert saved["graph"]["ir"]["nodes"][0]["body"] == "a = 10\nb = 2\nc = a / (b - 2)\nreturn c"
