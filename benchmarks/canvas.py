"""Canvas benchmark (issue 5): first render, layouts, pan/zoom, and edit-to-Python latency.

Headless Debian Chromium (software rendering, as on these machines) draws
documents of 100, 500 and 1,000 nodes twice in the same page session: once with
plain cytoscape.js (same elements, same positions: the floor) and once with the
canvas editor. Then a real JupyterLab runs a notebook with ``Canvas(workflow)`` and
times one edit from the browser until Python has applied it and answered,
against a bare widget message round trip (the floor of kernel messaging).

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
from orcheo_jupyter.spec.models import Position  # noqa: E402
from orcheo_jupyter.widget.diffs import apply_diffs  # noqa: E402
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
            apply_diffs(wf.document, [{"op": "move", "positions": {"n1": {"x": i, "y": i}}}])
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
        browser.close()


if __name__ == "__main__":
    main()
