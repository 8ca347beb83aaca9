"""Canvas benchmark (issues 5, 17): render, layouts, pan/zoom, edit latency, Test node.

Headless Debian Chromium (software rendering, as on these machines) draws
documents of 100, 500 and 1,000 nodes twice in the same page session: once with
plain cytoscape.js (same elements, same positions: the floor) and once with the
canvas editor. Then a real JupyterLab runs a notebook with ``Canvas(workflow)`` and
times one edit from the browser until Python has applied it and answered,
against a bare widget message round trip (the floor of kernel messaging).
Last, "Test node" on a ``SetVariableNode`` of a 100-node workflow: from the click
until its output is drawn in the property panel, in the Lab canvas tab (REST)
and in the notebook widget (kernel), each against a bare round trip of the same
channel measured in the same page.

Run: ``.venv/bin/python benchmarks/canvas.py`` (needs ``npm run build`` and
``/usr/bin/chromium``; ``make bundles chromium`` provides both).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orcheo_jupyter.nodes import registry  # noqa: E402
from orcheo_jupyter.spec import to_data  # noqa: E402
from orcheo_jupyter.spec.edits import apply_edits  # noqa: E402
from orcheo_jupyter.spec.models import Position  # noqa: E402
from orcheo_jupyter.workflow import Workflow  # noqa: E402
from tests.browser.lab import CHROMIUM, CHROMIUM_ARGS, running_lab  # noqa: E402

BENCH_JS = ROOT / "build" / "bench" / "bench.js"
WIDTH = 20  # nodes per layer


def workflow(n: int, *, positions: bool = True) -> Workflow:
    """A layered DAG of ``n`` nodes (≈1.5 edges per node), optionally with a stored layout."""
    wf = Workflow(f"bench-{n}")
    for i in range(n):
        wf.add_node(f"n{i}", "SetVariableNode", variables={"i": i})
    wf.add_edge("START", "n0")
    for i in range(n):
        if i + WIDTH < n:
            wf.add_edge(f"n{i}", f"n{i + WIDTH}")
        if i % 2 == 0 and i + WIDTH + 1 < n:
            wf.add_edge(f"n{i}", f"n{i + WIDTH + 1}")
        if i + 1 < n and i < WIDTH - 1:
            wf.add_edge(f"n{i}", f"n{i + 1}")
    for i in range(max(0, n - WIDTH), n):
        wf.add_edge(f"n{i}", "END")
    if positions:
        for i in range(n):
            wf.document.canvas.positions[f"n{i}"] = Position(
                x=(i % WIDTH) * 200.0, y=(i // WIDTH) * 110.0
            )
    return wf


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def render_table(page: Any, sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    catalog = registry.catalog()
    page.goto(f"file://{BENCH_JS.parent}/index.html")
    rows = []
    for n in sizes:
        stored = to_data(workflow(n).document)
        bare = to_data(workflow(n, positions=False).document)
        plain: list[float] = []
        ours: list[float] = []
        for _ in range(repeats):  # alternate, so drift hits both alike
            plain.append(page.evaluate("d => OrcheoBench.renderPlain(d, false)", stored))
            before = page.evaluate("() => OrcheoBench.layoutRuns()")
            ours.append(
                page.evaluate("([d, c]) => OrcheoBench.renderCanvas(d, c)", [stored, catalog])
            )
            layouts = page.evaluate("() => OrcheoBench.layoutRuns()") - before
        pan = page.evaluate("f => OrcheoBench.panZoom(f)", 60)
        plain_dagre = page.evaluate("d => OrcheoBench.renderPlain(d, true)", bare)
        ours_dagre = page.evaluate("([d, c]) => OrcheoBench.renderCanvas(d, c)", [bare, catalog])
        rows.append(
            {
                "n": n,
                "plain": _median(plain),
                "ours": _median(ours),
                "layouts": layouts,
                "plain_dagre": plain_dagre,
                "ours_dagre": ours_dagre,
                "pan_mean": pan["meanMs"],
                "pan_max": pan["maxMs"],
            }
        )
    return rows


NOTEBOOK_CELL = (
    "import sys; sys.path.insert(0, {root!r})\n"
    "from benchmarks.canvas import workflow\n"
    "from orcheo_jupyter import Canvas\n"
    "wf = workflow({n})\n"
    "Canvas(wf, height='600px')"
)

EDIT_JS = """async ([i, n]) => {
  const root = document.querySelector('[data-orcheo-canvas]');
  const c = root.orcheoCanvas;
  const t0 = performance.now();
  const sentAt = performance.timeOrigin + t0;
  c.edit([{op: 'move', positions: {['n' + (i % n)]: {x: 5 + i, y: 7 + i}}}], 'bench');
  await c.lastSend;
  return [root.orcheoAppliedAt - sentAt, performance.now() - t0];
}"""

PING_JS = """async () => {
  const root = document.querySelector('[data-orcheo-canvas]');
  const t0 = performance.now();
  await root.orcheoPing();
  return performance.now() - t0;
}"""


def edit_table(browser: Any, sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    import nbformat

    rows = []
    with tempfile.TemporaryDirectory() as tmp, running_lab(Path(tmp)) as lab:
        for n in sizes:
            name = f"edit_{n}.ipynb"
            cell = NOTEBOOK_CELL.format(root=str(ROOT), n=n)
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
            nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
            nbformat.write(nb, lab.root / name)
            context = browser.new_context(viewport={"width": 1500, "height": 950})
            page = context.new_page()
            page.goto(lab.page_url(f"lab/tree/{name}"))
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
                ".some(e => /\\| Idle/.test(e.textContent))",
                timeout=90_000,
            )
            page.locator(".jp-Cell .jp-InputArea-editor").first.click()
            page.keyboard.press("Shift+Enter")
            page.wait_for_selector(f'[data-orcheo-canvas][data-node-count="{n}"]', timeout=90_000)
            page.wait_for_timeout(500)
            for _ in range(3):  # warm the paths once
                page.evaluate(PING_JS)
                page.evaluate(EDIT_JS, [0, n])
            pings: list[float] = []
            applied: list[float] = []
            edits: list[float] = []
            for i in range(repeats):
                pings.append(page.evaluate(PING_JS))
                to_python, round_trip = page.evaluate(EDIT_JS, [i + 1, n])
                applied.append(to_python)
                edits.append(round_trip)
            rows.append(
                {
                    "n": n,
                    "ping": _median(pings),
                    "applied": _median(applied),
                    "applied_p95": _p95(applied),
                    "edit": _median(edits),
                    "edit_p95": _p95(edits),
                }
            )
            context.close()
    return rows


TEST_NODE = "n50"

CLICK_TEST_JS = """async sel => {
  const root = document.querySelector(sel);
  const panel = root.querySelector('.oc-node-panel[data-node-id="NODE"]');
  const button = panel.querySelector('[data-action="test-node"]');
  const result = panel.querySelector('.oc-test-result');
  const done = new Promise(resolve => {
    const seen = () =>
      result.dataset.testStatus === 'succeeded' && result.querySelector('.oc-test-output');
    const obs = new MutationObserver(() => { if (seen()) { obs.disconnect(); resolve(); } });
    obs.observe(result, {childList: true, subtree: true, attributes: true});
  });
  const t0 = performance.now();
  button.click();
  await done;
  await new Promise(r => requestAnimationFrame(() => r()));  // the output is on screen
  return performance.now() - t0;
}""".replace("NODE", TEST_NODE)

REST_PING_JS = """async url => {
  const t0 = performance.now();
  const res = await fetch(url, {credentials: 'same-origin'});
  await res.text();
  return performance.now() - t0;
}"""

TEST_NOTEBOOK_CELL = (
    "import sys; sys.path.insert(0, {root!r})\n"
    "from benchmarks.canvas import workflow\n"
    "from orcheo_jupyter import Canvas\n"
    "wf = workflow(100)\n"
    "assert wf.run().status == 'succeeded'\n"
    "Canvas(wf, height='700px')"
)


def _select_for_test(page: Any, sel: str) -> None:
    page.evaluate(
        "([sel, id]) => { const c = document.querySelector(sel).orcheoCanvas;"
        " c.cy.elements().unselect(); c.cy.getElementById(id).select(); }",
        [sel, TEST_NODE],
    )
    page.wait_for_selector(
        f'{sel} .oc-node-panel[data-node-id="{TEST_NODE}"] [data-action="test-node"]'
    )
    page.wait_for_timeout(300)


def _clicks(page: Any, sel: str, baseline: Any, clicks: int) -> dict[str, float]:
    for _ in range(3):  # warm both paths
        page.evaluate(CLICK_TEST_JS, sel)
        baseline()
    click: list[float] = []
    floor: list[float] = []
    for _ in range(clicks):  # alternate, so drift hits both alike
        floor.append(baseline())
        click.append(page.evaluate(CLICK_TEST_JS, sel))
    return {
        "floor": _median(floor),
        "click": _median(click),
        "click_p95": _p95(click),
        "max": max(click),
    }


def test_node_table(browser: Any, clicks: int) -> list[dict[str, Any]]:
    """Click-to-output of Test node on a SetVariableNode in a 100-node workflow."""
    import json
    import urllib.request

    import nbformat

    from orcheo_jupyter import spec

    rows = []
    with tempfile.TemporaryDirectory() as tmp, running_lab(Path(tmp)) as lab:
        # Lab: the document is a file and a stored workflow with one run that reached the node.
        doc = to_data(workflow(100).document)
        doc["id"] = doc["name"] = "bench_test_100"
        spec.save(spec.document_from_data(doc), lab.root / "bench_test_100.orcheo.json")
        lab.api("POST", "orcheo/api/workflows", doc)
        run = lab.api("POST", "orcheo/api/workflows/bench_test_100/execute", {"inputs": {}})
        deadline = time.monotonic() + 60
        while lab.api("GET", f"orcheo/api/executions/{run['execution_id']}")["status"] != (
            "succeeded"
        ):
            assert time.monotonic() < deadline, "the 100-node run did not finish"
            time.sleep(0.2)
        context = browser.new_context(viewport={"width": 1500, "height": 950})
        page = context.new_page()
        page.goto(lab.page_url("lab/tree/bench_test_100.orcheo.json"))
        sel = ".jp-OrcheoDocument [data-orcheo-canvas]"
        page.wait_for_selector(f'{sel}[data-node-count="100"]', timeout=90_000)
        _select_for_test(page, sel)
        url = f"{lab.url}orcheo/api/workflows/bench_test_100"
        lab_row = _clicks(page, sel, lambda: page.evaluate(REST_PING_JS, url), clicks)
        # The server's share: the same request without the page (urllib, same machine).
        body = json.dumps({"document": doc}).encode()
        raw: list[float] = []
        for _ in range(clicks):
            req = urllib.request.Request(
                f"{lab.url}orcheo/api/workflows/bench_test_100/nodes/{TEST_NODE}/test",
                data=body,
                method="POST",
                headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
            )
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=30) as res:
                res.read()
            raw.append((time.perf_counter() - t0) * 1000)
        rows.append(
            {
                "where": "Lab tab (REST)",
                "floor_name": "GET workflow",
                **lab_row,
                "server": _median(raw),
            }
        )
        context.close()

        # Notebook widget: the kernel answers (the run was made in the kernel).
        nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(TEST_NOTEBOOK_CELL.format(root=str(ROOT)))]
        )
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(nb, lab.root / "test_node.ipynb")
        context = browser.new_context(viewport={"width": 1500, "height": 950})
        page = context.new_page()
        page.goto(lab.page_url("lab/tree/test_node.ipynb"))
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
            ".some(e => /\\| Idle/.test(e.textContent))",
            timeout=90_000,
        )
        page.locator(".jp-Cell .jp-InputArea-editor").first.click()
        page.keyboard.press("Shift+Enter")
        sel = "[data-orcheo-canvas]"
        page.wait_for_selector(f'{sel}[data-node-count="100"]', timeout=90_000)
        _select_for_test(page, sel)
        nb_row = _clicks(page, sel, lambda: page.evaluate(PING_JS), clicks)
        rows.append(
            {
                "where": "notebook widget (kernel)",
                "floor_name": "widget ping",
                **nb_row,
                "server": float("nan"),
            }
        )
        context.close()
    return rows


def python_apply(sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """Python's share of an edit: apply one diff and re-validate (in process)."""
    from orcheo_jupyter.nodes.registry import check_node
    from orcheo_jupyter.spec import validate_document

    rows = []
    for n in sizes:
        wf = workflow(n)
        apply_ms, validate_ms = [], []
        for i in range(repeats):
            t0 = time.perf_counter()
            apply_edits(wf.document, [{"op": "move", "positions": {"n1": {"x": i, "y": i}}}])
            t1 = time.perf_counter()
            validate_document(wf.document, check_node)
            t2 = time.perf_counter()
            apply_ms.append((t1 - t0) * 1000)
            validate_ms.append((t2 - t1) * 1000)
        rows.append({"n": n, "apply": _median(apply_ms), "validate": _median(validate_ms)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--skip-notebook", action="store_true")
    parser.add_argument("--test-clicks", type=int, default=25, help="Test node clicks (≥ 20)")
    parser.add_argument(
        "--only-test-node", action="store_true", help="only the Test node click-to-output table"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if not BENCH_JS.exists():
        sys.exit("build/bench/bench.js is missing: run `npm run build` first")
    (BENCH_JS.parent / "index.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="canvas.css"></head>'
        '<body style="margin:0"><script src="bench.js"></script></body></html>'
    )

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if args.only_test_node:
            _print_test_node(test_node_table(browser, args.test_clicks), args.test_clicks)
            browser.close()
            return
        page = browser.new_page(viewport={"width": 1500, "height": 950})
        rows = render_table(page, sizes, args.repeats)
        print(f"\nFirst full render (ms, median of {args.repeats}; stored positions)")
        print(
            f"{'nodes':>6} {'plain':>8} {'canvas':>8} {'ratio':>6} {'layouts':>8} "
            f"{'plain+dagre':>12} {'canvas(no pos)':>15} {'pan/zoom frame mean/max':>24}"
        )
        for r in rows:
            print(
                f"{r['n']:>6} {r['plain']:>8.0f} {r['ours']:>8.0f} {r['ours'] / r['plain']:>6.2f} "
                f"{r['layouts']:>8} {r['plain_dagre']:>12.0f} {r['ours_dagre']:>15.0f} "
                f"{r['pan_mean']:>14.1f} / {r['pan_max']:.0f}"
            )
        if not args.skip_notebook:
            edits = edit_table(browser, [sizes[0], sizes[-1]], args.edits)
            applied = python_apply([sizes[0], sizes[-1]], args.edits)
            print(f"\nOne edit (move), median of {args.edits} (ms)")
            print(
                f"{'nodes':>6} {'ping':>7} {'to Python':>10} {'p95':>7} {'round trip':>11} "
                f"{'p95':>7} {'ratio':>6} {'py apply':>9} {'py validate':>12}"
            )
            for e, a in zip(edits, applied, strict=True):
                print(
                    f"{e['n']:>6} {e['ping']:>7.1f} {e['applied']:>10.1f} {e['applied_p95']:>7.1f} "
                    f"{e['edit']:>11.1f} {e['edit_p95']:>7.1f} {e['edit'] / e['ping']:>6.2f} "
                    f"{a['apply']:>9.2f} {a['validate']:>12.2f}"
                )
            _print_test_node(test_node_table(browser, args.test_clicks), args.test_clicks)
        browser.close()


def _print_test_node(rows: list[dict[str, Any]], clicks: int) -> None:
    print(
        f"\nTest node on a SetVariableNode of a 100-node workflow: click until the output is "
        f"drawn, median of {clicks} (ms; goal ≤ 300)"
    )
    print(
        f"{'where':<26} {'floor':<13} {'floor ms':>9} {'click':>7} {'p95':>7} {'max':>7} "
        f"{'ratio':>6} {'server':>7}"
    )
    for r in rows:
        server = "" if r["server"] != r["server"] else f"{r['server']:.1f}"
        print(
            f"{r['where']:<26} {r['floor_name']:<13} {r['floor']:>9.1f} {r['click']:>7.1f} "
            f"{r['click_p95']:>7.1f} {r['max']:>7.1f} {r['click'] / r['floor']:>6.2f} {server:>7}"
        )


if __name__ == "__main__":
    main()
