"""Canvas craft (issue 16, items 1, 2 and 5): keyboard and screen readers, Lab's themes
and SVG icons, and a canvas that looks designed (cards, ports, sticky notes, minimap,
copy/paste, status line), in real Chromium against a real JupyterLab.

Steps a user takes are real keystrokes and clicks; the page is only read.
Set ORCHEO_DOCS_SCREENSHOTS=1 to (re)write docs/canvas-light.png and docs/canvas-dark.png.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from orcheo_jupyter import Workflow, spec
from orcheo_jupyter.spec.models import Comment, Position

from .lab import Lab
from .test_run_viewer import _finished_run
from .ui import node_point

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"
CURRENT_TAB = ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current"
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _write(lab: Lab, name: str, wf: Workflow, positions: dict[str, tuple[int, int]]) -> Path:
    doc = wf.to_document()
    doc.canvas.positions = {k: Position(x=x, y=y) for k, (x, y) in positions.items()}
    path = lab.root / f"{name}.orcheo.json"
    spec.save(doc, path)
    return path


def _three(lab: Lab, name: str) -> Path:
    wf = (
        Workflow(name)
        .add_node("fetch", "HttpRequestNode", url="https://example.com")
        .add_node("decide", "IfElseNode")
        .add_node("show", "DebugNode")
        .add_edge("START", "fetch")
        .add_edge("fetch", "decide")
        .add_edge("decide", "show")
        .add_edge("show", "END")
    )
    return _write(lab, name, wf, {"fetch": (0, 0), "decide": (0, 130), "show": (260, 260)})


def _open(page: Any, lab: Lab, name: str, count: int) -> None:
    lab.open(page, f"{name}.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="{count}"]', timeout=60_000)


def _canvas(page: Any, expr: str, scope: str = DOC) -> Any:
    """Read something from the canvas object (``c``) of the visible canvas."""
    return page.evaluate(
        f"sel => {{ const c = [...document.querySelectorAll(sel)]"
        f".find(e => e.offsetParent !== null).orcheoCanvas; return {expr}; }}",
        scope,
    )


def _selected(page: Any) -> list[str]:
    return _canvas(page, "c.cy.$('node:selected').map(e => e.id())")  # type: ignore[no-any-return]


def _edges(page: Any) -> set[tuple[str, str]]:
    pairs = _canvas(page, "c.document.graph.ir.edges.map(e => [e.source, e.target])")
    return {(a, b) for a, b in pairs}


def _focused_is_graph(page: Any) -> bool:
    return page.evaluate(  # type: ignore[no-any-return]
        "() => document.activeElement && document.activeElement.classList.contains('oc-graph')"
    )


# --- 1. keyboard and accessibility ----------------------------------------------------------


def test_a_three_node_graph_is_built_with_the_keyboard_alone(page: Any, lab: Lab) -> None:
    _write(lab, "keys", Workflow("keys"), {})
    _open(page, lab, "keys", 0)
    search = page.locator(f"{DOC} .oc-palette-search")
    search.focus()
    # Palette: type to filter, ArrowDown into the list, Enter adds the entry's node.
    for count, query, node_type in [
        (1, "Debug", "DebugNode"),
        (2, "SetVariable", "SetVariableNode"),
        (3, "Delay", "DelayNode"),
    ]:
        search.focus()
        page.keyboard.press("Control+a")
        page.keyboard.type(query)
        page.keyboard.press("ArrowDown")
        focused = page.evaluate("() => document.activeElement.dataset.nodeType")
        assert focused == node_type
        page.keyboard.press("Enter")
        page.wait_for_selector(f'{DOC}[data-node-count="{count}"]')
    assert _canvas(page, "c.document.graph.ir.nodes.map(n => n.type)") == [
        "DebugNode",
        "SetVariableNode",
        "DelayNode",
    ]
    # Tab leaves the palette (one tab stop) for the graph.
    page.keyboard.press("Tab")
    assert _focused_is_graph(page)
    page.keyboard.press("Escape")
    assert _selected(page) == []
    # Arrow keys walk the graph by position: start is above the column of new nodes.
    page.keyboard.press("ArrowDown")
    assert _selected(page) == ["__start__"]
    # New nodes go in a free spot near the view's centre: walk them top to bottom.
    column = _canvas(
        page,
        "c.document.graph.ir.nodes.map(n => [c.cy.getElementById(n.id).position('y'), n.id])",
    )
    chain = ["__start__", *[id for _, id in sorted(column)], "__end__"]
    for source, target in itertools.pairwise(chain):
        page.keyboard.press("Shift+ArrowDown")  # the next node joins the selection
        assert sorted(_selected(page)) == sorted([source, target])
        page.keyboard.press("c")  # connect: first selected -> second
        page.wait_for_function(
            "([sel, s, t]) => document.querySelector(sel).orcheoCanvas.document.graph.ir.edges"
            ".some(e => e.source === s && e.target === t)",
            arg=[DOC, source, target],
        )
        assert _selected(page) == [target]  # the chain continues from the target
    assert _edges(page) == set(itertools.pairwise(chain))
    # ArrowUp goes back the way it came.
    page.keyboard.press("ArrowUp")
    assert _selected(page) == [chain[-2]]
    # Ctrl+S saves while the graph has the keyboard.
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    saved = spec.load(lab.root / "keys.orcheo.json")
    ir = saved.graph.ir  # type: ignore[union-attr]
    assert {(e.source, e.target) for e in ir.edges} == set(itertools.pairwise(chain))


def test_a_new_or_opened_canvas_takes_the_keyboard_where_the_user_starts(
    page: Any, lab: Lab
) -> None:
    # New Workflow from Lab's command palette, keys only: the search box has the
    # keyboard, so typing a node's name and Enter adds it at once.
    lab.open(page)
    page.keyboard.press("Control+Shift+c")
    page.keyboard.type("New Workflow")
    page.wait_for_selector(".lm-CommandPalette-item.lm-mod-active:has-text('New Workflow')")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'{DOC}[data-node-count="0"]')
    page.wait_for_function("() => document.activeElement?.classList.contains('oc-palette-search')")
    page.keyboard.type("Debug")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]')
    assert _canvas(page, "c.document.graph.ir.nodes.map(n => n.type)") == ["DebugNode"]
    # A workflow that has nodes opens with the graph holding the keyboard: arrows walk it.
    _three(lab, "focus")
    _open(page, lab, "focus", 3)
    page.wait_for_function(
        "sel => document.activeElement === document.querySelector(sel)", arg=f"{DOC} .oc-graph"
    )
    page.keyboard.press("ArrowDown")
    assert _selected(page) == ["__start__"]


def test_graph_palette_and_toolbar_carry_aria_roles_labels_and_tooltips(
    page: Any, lab: Lab
) -> None:
    _three(lab, "aria")
    _open(page, lab, "aria", 3)
    graph = page.locator(f"{DOC} .oc-graph")
    assert graph.get_attribute("role") == "application"
    assert graph.get_attribute("aria-roledescription") == "workflow graph"
    assert graph.get_attribute("tabindex") == "0"
    label = graph.get_attribute("aria-label")
    assert label.startswith("Workflow graph aria: 3 nodes, 4 edges"), label
    # The shortcut help describes the graph (and names the connect key).
    help_id = graph.get_attribute("aria-describedby")
    help_text = page.locator(f"#{help_id}").text_content()
    assert "Connect the two selected nodes" in help_text
    assert page.locator(f"{DOC} .oc-toolbar").get_attribute("role") == "toolbar"
    items = page.locator(f"{DOC} .oc-palette-item")
    assert items.first.get_attribute("role") == "option"
    assert page.locator(f"{DOC} .oc-palette-item[tabindex='0']").count() == 1  # one tab stop
    assert page.locator(f"{DOC} .oc-palette-list").get_attribute("role") == "listbox"
    # Every toolbar button has an accessible name.
    for name in page.locator(f"{DOC} .oc-toolbar .oc-button").evaluate_all(
        "bs => bs.map(b => b.getAttribute('aria-label') || '')"
    ):
        assert name.strip()
    # Selecting by keyboard is announced (live region) and shows the node's tooltip.
    graph.focus()
    page.keyboard.press("ArrowDown")  # start
    page.keyboard.press("ArrowDown")  # fetch
    live = page.locator(f"{DOC} .oc-live")
    assert live.get_attribute("aria-live") == "polite"
    page.wait_for_function(
        "sel => document.querySelector(sel + ' .oc-live').textContent.startsWith('fetch, ')",
        arg=DOC,
    )
    tip = page.locator(f"{DOC} .oc-tooltip")
    assert tip.get_attribute("role") == "tooltip"
    assert tip.is_visible()
    assert tip.locator(".oc-tooltip-name").inner_text() == "fetch"
    assert tip.locator(".oc-tooltip-type").inner_text() == "HttpRequestNode (http)"
    assert "Call an HTTP API" in tip.locator(".oc-tooltip-description").inner_text()
    # The pointer resting on a node shows its tooltip too.
    page.keyboard.press("Escape")
    p = node_point(page, "show", DOC)
    page.mouse.move(p["x"] + 20, p["y"] - 5, steps=4)
    page.wait_for_selector(f'{DOC} .oc-tooltip[data-node-id="show"]')
    assert tip.locator(".oc-tooltip-type").inner_text() == "DebugNode (utility)"
    # "?" opens the shortcut help.
    graph.focus()
    page.keyboard.press("?")
    assert page.locator(f"#{help_id}").is_visible()


def test_lab_keys_still_work_while_the_graph_has_the_keyboard(page: Any, lab: Lab) -> None:
    path = _three(lab, "labkeys")
    _open(page, lab, "labkeys", 3)
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    assert _focused_is_graph(page)
    page.keyboard.press("n")  # a note: the document is dirty
    page.wait_for_selector(f'{DOC}[data-note-count="1"]')
    page.keyboard.type("saved by Ctrl+S")
    page.keyboard.press("Escape")  # back to the graph
    assert _focused_is_graph(page)
    page.wait_for_selector(f"{CURRENT_TAB}.jp-mod-dirty")
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    notes = spec.load(path).canvas.comments
    assert [n.text for n in notes] == ["saved by Ctrl+S"]
    # Lab's command palette opens from the graph; the graph's own keys stay its own.
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette:visible .lm-CommandPalette-input").wait_for(timeout=5_000)
    page.keyboard.press("Escape")


# --- 2. theme and icons ---------------------------------------------------------------------

# Characters the fonts here draw: ASCII, Latin-1 and common typography. Anything else
# (emoji, dingbats, private use) may render as an empty box where no emoji font exists.
_DRAWABLE = re.compile(
    r"^[\x20-\x7e\xa0-\xff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u2192\n\t]*$"
)


def test_no_glyph_icons_anywhere_every_icon_is_svg(page: Any, lab: Lab) -> None:
    _three(lab, "glyphs")
    # A stored workflow, so the sidebar lists it with its buttons.
    stored = Workflow("stored").add_node("a", "DebugNode").add_edge("START", "a")
    lab.api("POST", "orcheo/api/workflows", json.loads(spec.dumps(stored.to_document())))
    _open(page, lab, "glyphs", 3)
    page.click('.jp-SideBar .lm-TabBar-tab[title="Orcheo workflows and runs"]')
    page.wait_for_selector("#orcheo-sidebar")
    texts = page.evaluate(
        """sels => sels.flatMap(sel => [...document.querySelectorAll(sel)].flatMap(root => {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            const out = [];
            while (walker.nextNode()) out.push(walker.currentNode.textContent);
            for (const el of root.querySelectorAll('*')) {
              for (const pseudo of ['::before', '::after']) {
                const c = getComputedStyle(el, pseudo).content;
                if (c && c !== 'none' && c !== 'normal') out.push(c.replace(/^"|"$/g, ''));
              }
            }
            return out;
        }))""",
        [DOC, "#orcheo-sidebar"],
    )
    bad = sorted({t for t in texts if not _DRAWABLE.match(t)})
    assert bad == [], f"text a font here may not draw: {bad}"
    # Toolbar and palette icons are SVG (Lab's LabIcons), one per action and node type.
    buttons = page.locator(f"{DOC} .oc-toolbar .oc-button")
    assert buttons.count() >= 8
    assert page.locator(f"{DOC} .oc-toolbar .oc-button .oc-icon svg").count() == buttons.count()
    assert page.locator(f"{DOC} .oc-toolbar .oc-labicon").count() == buttons.count()
    items = page.locator(f"{DOC} .oc-palette-item")
    assert page.locator(f"{DOC} .oc-palette-item .oc-icon svg").count() == items.count()
    icons = page.locator(f"{DOC} .oc-palette-item .oc-icon").evaluate_all(
        "els => els.map(e => e.dataset.icon)"
    )
    assert len(set(icons)) >= 20  # distinct icons, not one box for all
    assert page.locator("#orcheo-sidebar button .oc-icon svg").count() >= 1
    # Node cards draw an SVG icon too (the card image holds it).
    card = _canvas(page, "decodeURIComponent(c.cy.getElementById('fetch').data('card'))")
    assert card.startswith("data:image/svg+xml") and "<svg" in card


def _rgb(colour: str) -> tuple[int, ...]:
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return tuple(int(float(v)) for v in re.findall(r"[\d.]+", colour)[:3])


def _luminance(rgb: str) -> float:
    r, g, b = (v / 255 for v in _rgb(rgb))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _switch_theme(page: Any, theme: str, light: bool) -> None:
    page.click(".lm-MenuBar-item:has-text('Settings')")
    page.hover(".lm-Menu-item:has-text('Theme')")
    page.click(f".lm-Menu-item:has-text('{theme}')")
    page.wait_for_function(f"document.body.dataset.jpThemeLight === '{str(light).lower()}'")


def test_dark_theme_cards_and_selected_timeline_row_follow_lab(page: Any, lab: Lab) -> None:
    _three(lab, "themed")
    doc = spec.load(lab.root / "themed.orcheo.json")
    doc.canvas.comments = [Comment(id="n1", text="Fetch, then decide.", x=-240, y=20)]
    spec.save(doc, lab.root / "themed.orcheo.json")
    _open(page, lab, "themed", 3)
    page.wait_for_function(
        "sel => document.querySelector(sel).dataset.theme === 'light'", arg=DOC, timeout=10_000
    )
    light_bg = _canvas(page, "c.cy.getElementById('fetch').style('background-color')")
    assert _luminance(light_bg) > 0.8
    shots = os.environ.get("ORCHEO_DOCS_SCREENSHOTS")
    canvas = page.locator(".jp-OrcheoDocument")
    if shots:
        canvas.screenshot(path=str(DOCS / "canvas-light.png"))
    _switch_theme(page, "JupyterLab Dark", light=False)
    page.wait_for_function(
        "sel => document.querySelector(sel).dataset.theme === 'dark'", arg=DOC, timeout=10_000
    )
    dark_bg = _canvas(page, "c.cy.getElementById('fetch').style('background-color')")
    fg = _canvas(page, "c.cy.getElementById('fetch').style('color')")
    assert _luminance(dark_bg) < 0.1, dark_bg  # not white
    assert _contrast(dark_bg, fg) >= 4.5  # and its text readable
    edge = _canvas(page, "c.cy.edges()[0].style('line-color')")
    assert _luminance(edge) > 0.15  # edges show on the dark graph
    # The card image (stripe, icon, ports) is redrawn for the dark face.
    assert dark_bg.replace(" ", "") != light_bg.replace(" ", "")
    if shots:
        page.wait_for_timeout(300)
        canvas.screenshot(path=str(DOCS / "canvas-dark.png"))

    # A selected timeline row in the run viewer stays readable.
    _, run_id = _finished_run(lab)
    page.click('.jp-SideBar .lm-TabBar-tab[title="Orcheo workflows and runs"]')
    page.click(f'#orcheo-sidebar li[data-run-id="{run_id}"]')
    viewer = f'.jp-OrcheoRunViewer[data-run-id="{run_id}"]'
    page.wait_for_selector(f'{viewer}[data-run-status="succeeded"]')
    row = page.locator(f"{viewer} .oc-gantt-row").nth(0)
    row.click()
    page.wait_for_selector(f"{viewer} .oc-gantt-row.jp-mod-selected")
    colours = page.locator(f"{viewer} .oc-gantt-row.jp-mod-selected .oc-gantt-label").evaluate(
        "el => { let bg = 'rgba(0, 0, 0, 0)'; for (let e = el; e; e = e.parentElement) {"
        " const c = getComputedStyle(e).backgroundColor;"
        " if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; } }"
        " return [bg, getComputedStyle(el).color]; }"
    )
    assert _contrast(colours[0], colours[1]) >= 4.5, colours


# --- 5. a canvas that looks designed --------------------------------------------------------


def test_cards_show_category_colour_icon_name_type_and_ports(page: Any, lab: Lab) -> None:
    wf = (
        Workflow("cards")
        .add_node("hook", "WebhookTriggerNode")
        .add_node("fetch", "HttpRequestNode", url="https://example.com")
        .add_edge("hook", "fetch")
    )
    _write(lab, "cards", wf, {"hook": (0, 0), "fetch": (0, 140)})
    _open(page, lab, "cards", 2)
    info = _canvas(
        page,
        "['hook', 'fetch'].map(id => { const n = c.cy.getElementById(id);"
        " return [n.data('category'), n.data('accent'), n.data('label'),"
        " decodeURIComponent(n.data('card'))]; })",
    )
    (hcat, hcol, hlabel, hcard), (fcat, fcol, flabel, fcard) = info
    assert (hcat, fcat) == ("triggers", "http")
    assert hcol != fcol  # each category has its colour
    assert hlabel == "hook\nWebhookTrigger" and flabel == "fetch\nHttpRequest"
    # Ports: a trigger has only an output; other nodes an input and an output.
    assert hcard.count('r="4.5"') == 1 and fcard.count('r="4.5"') == 2
    assert fcol in fcard  # the stripe and icon are drawn in the category colour
    # The border of the card is the category colour too.
    border = _canvas(page, "c.cy.getElementById('fetch').style('border-color')")
    assert _rgb(border) == _rgb(fcol)


def test_sticky_note_is_drawn_edited_moved_deleted_and_persists(page: Any, lab: Lab) -> None:
    path = _three(lab, "notes")
    _open(page, lab, "notes", 3)
    page.click(f'{DOC} .oc-button[data-action="note"]')
    note = page.locator(f"{DOC} .oc-note").first
    note.wait_for()
    page.keyboard.type("Remember the API key")  # the new note has the cursor
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.wait_for_function(
        "sel => document.querySelector(sel).orcheoCanvas.document.canvas.comments"
        ".some(c => c.text === 'Remember the API key')",
        arg=DOC,
    )
    # Drag it by its bar.
    before = _canvas(page, "c.document.canvas.comments[0]")
    bar = note.locator(".oc-note-bar").bounding_box()
    page.mouse.move(bar["x"] + 60, bar["y"] + 8)
    page.mouse.down()
    page.mouse.move(bar["x"] + 160, bar["y"] + 58, steps=8)
    page.mouse.up()
    zoom = _canvas(page, "c.cy.zoom()")
    page.wait_for_function(
        "([sel, x]) => document.querySelector(sel).orcheoCanvas"
        ".document.canvas.comments[0].x !== x",
        arg=[DOC, before["x"]],
    )
    after = _canvas(page, "c.document.canvas.comments[0]")
    assert abs(after["x"] - before["x"] - 100 / zoom) <= 2
    assert abs(after["y"] - before["y"] - 50 / zoom) <= 2
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    saved = json.loads(path.read_text())["canvas"]["comments"]
    assert [(c["text"], c["x"], c["y"]) for c in saved] == [
        ("Remember the API key", float(after["x"]), float(after["y"]))
    ]
    # After a reload the note is there, where it was left.
    _open(page, lab, "notes", 3)
    reloaded = page.locator(f"{DOC} .oc-note textarea")
    reloaded.wait_for()
    assert reloaded.input_value() == "Remember the API key"
    # Edit, then delete: both saved.
    reloaded.fill("Remember the API key (vault)")
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    assert spec.load(path).canvas.comments[0].text == "Remember the API key (vault)"
    page.click(f"{DOC} .oc-note .oc-note-delete")
    page.wait_for_selector(f'{DOC}[data-note-count="0"]')
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    assert spec.load(path).canvas.comments == []


def test_minimap_toggles_and_shows_every_node(page: Any, lab: Lab) -> None:
    _three(lab, "mini")
    _open(page, lab, "mini", 3)
    minimap = page.locator(f"{DOC} .oc-minimap")
    assert not minimap.is_visible()
    button = page.locator(f'{DOC} .oc-button[data-action="minimap"]')
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    assert minimap.is_visible()
    assert button.get_attribute("aria-pressed") == "true"
    page.wait_for_selector(f'{DOC} .oc-minimap[data-nodes="5"]')  # 3 nodes, start and end
    # The map is drawn: some pixels are not the background.
    painted = minimap.locator("canvas").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
    )
    assert painted > 100
    # A click on the map moves the view there.
    pan = _canvas(page, "c.cy.pan()")
    box = minimap.bounding_box()
    page.mouse.click(box["x"] + 5, box["y"] + 5)
    assert _canvas(page, "c.cy.pan()") != pan
    # M (on the graph) hides it again.
    page.locator(f"{DOC} .oc-graph").focus()
    page.keyboard.press("m")
    assert not minimap.is_visible()
    assert button.get_attribute("aria-pressed") == "false"


def test_copy_paste_between_two_canvases_and_duplicate(page: Any, lab: Lab) -> None:
    _three(lab, "source")
    _write(lab, "target", Workflow("target").add_node("fetch", "DebugNode"), {"fetch": (0, 0)})
    _open(page, lab, "source", 3)
    p = node_point(page, "fetch", DOC)
    page.mouse.click(p["x"], p["y"])
    page.keyboard.down("Shift")
    q = node_point(page, "decide", DOC)
    page.mouse.click(q["x"], q["y"])
    page.keyboard.up("Shift")
    assert sorted(_selected(page)) == ["decide", "fetch"]
    page.keyboard.press("Control+c")
    # Duplicate in place: fresh ids, the edge between them copied too.
    page.keyboard.press("Control+d")
    page.wait_for_selector(f'{DOC}[data-node-count="5"]')
    assert sorted(_selected(page)) == ["decide_2", "fetch_2"]
    assert ("fetch_2", "decide_2") in _edges(page)
    # Another canvas (another tab) pastes the copy.
    page.click("text=File")
    page.click(".lm-Menu-item:has-text('Open from Path')")
    page.fill(".jp-Dialog input", "target.orcheo.json")
    page.click(".jp-Dialog button.jp-mod-accept")
    target = ".jp-OrcheoDocument:visible [data-orcheo-canvas]"
    page.wait_for_selector(f'{target}[data-node-count="1"]', timeout=60_000)
    page.locator(f"{target} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+v")
    page.wait_for_selector(f'{target}[data-node-count="3"]')
    nodes = _canvas(page, "c.document.graph.ir.nodes.map(n => [n.id, n.type])")
    # "fetch" is taken here: the pasted one is renamed, and its edge follows it.
    assert nodes == [
        ["fetch", "DebugNode"],
        ["fetch_2", "HttpRequestNode"],
        ["decide", "IfElseNode"],
    ]
    assert ("fetch_2", "decide") in _edges(page)
    config = _canvas(page, "c.document.graph.ir.nodes[1].config")
    assert config["url"] == "https://example.com"
    # One undo removes the whole paste.
    page.keyboard.press("Control+z")
    page.wait_for_selector(f'{target}[data-node-count="1"]')


def test_status_line_counts_every_node_of_the_workflow(page: Any, lab: Lab) -> None:
    _three(lab, "status")
    _open(page, lab, "status", 3)
    # A run that has finished one node and started another, as its events arrive.
    at = "2026-01-01T00:00:00Z"
    steps = [("run_started", None), ("node_started", "fetch"), ("node_finished", "fetch")]
    steps.append(("node_started", "decide"))
    events = [
        {"run_id": "r1234567", "seq": i, "type": t, "at": at, "node": n, "data": {}}
        for i, (t, n) in enumerate(steps, 1)
    ]
    page.evaluate(
        "([sel, evs]) => document.querySelector(sel).orcheoCanvas.setRun(evs)", [DOC, events]
    )
    status = page.locator(f"{DOC} .oc-status").inner_text()
    assert status.endswith("1/3 nodes done"), status


def test_status_line_names_the_nodes_a_finished_run_never_reached(page: Any, lab: Lab) -> None:
    # A branch not taken: "succeeded · 3/4 nodes done" alone reads as a fault.
    wf = (
        Workflow("branchy")
        .add_node("flag", "SetVariableNode", variables={"on": True})
        .add_node(
            "decide", "IfElseNode", conditions=[{"left": "{{flag.on}}", "operator": "is_truthy"}]
        )
        .add_node("pay", "SetVariableNode", variables={"status": "paid"})
        .add_node("reject", "SetVariableNode", variables={"status": "rejected"})
        .add_edge("START", "flag")
        .add_edge("flag", "decide")
        .add_conditional_edges(
            "decide", "results.decide.condition", {"true": "pay", "false": "reject"}
        )
        .add_edge("pay", "END")
        .add_edge("reject", "END")
    )
    _write(
        lab,
        "branchy",
        wf,
        {"flag": (0, 0), "decide": (0, 130), "pay": (-150, 260), "reject": (150, 260)},
    )
    _open(page, lab, "branchy", 4)
    page.click(f'{DOC} .oc-button[data-action="run"]')
    page.wait_for_selector(f'{DOC}[data-run-status="succeeded"]', timeout=60_000)
    status = page.locator(f"{DOC} .oc-status")
    expect(status).to_have_text(
        re.compile(r"succeeded · 3/4 nodes done · 1 not reached \(reject\)$")
    )
    # The branch not taken is drawn apart, in the outline and on the canvas.
    unreached_row = page.locator(f'{DOC} .oc-outline [data-run-status="not-reached"]')
    expect(unreached_row).to_have_count(1)
    expect(unreached_row).to_have_attribute("data-node-id", "reject")
    unreached = page.evaluate(
        "sel => document.querySelector(sel).orcheoCanvas.cy"
        ".nodes('.run-unreached').map(n => n.id())",
        DOC,
    )
    assert unreached == ["reject"]
    # The connections the run went along, and those it never took.
    edges = page.evaluate(
        "sel => { const cy = document.querySelector(sel).orcheoCanvas.cy;"
        " const ends = cls => cy.edges(cls).map(e => [e.data('source'), e.data('target')]);"
        " return [ends('.run-taken'), ends('.run-untaken')]; }",
        DOC,
    )
    taken, untaken = ({tuple(e) for e in side} for side in edges)
    assert taken == {
        ("__start__", "flag"),
        ("flag", "decide"),
        ("decide", "pay"),
        ("pay", "__end__"),
    }
    assert untaken == {("decide", "reject"), ("reject", "__end__")}
