"""Start-up cost (issue 22): what the extension adds to every JupyterLab start.

Alternating starts of the same JupyterLab, with and without orcheo-jupyter (server
extension and lab extension), in one run, medians:

- **ready**: seconds from spawning ``jupyter lab`` to the first ``/api/status`` 200,
  and the CPU seconds the server process used until then (on a loaded machine wall
  time stretches with the load; CPU time much less);
- **RSS**: the server process's resident memory at ready, and again after the page
  has loaded and the server sat idle (by then the runtime has opened in the background);
- **page**: headless Chromium opens ``/lab`` with a cold cache; milliseconds from
  navigation start until the launcher's cards are shown and the page answers a click
  (``performance.now()`` then), and which orcheo files the page downloaded;
- **import**: ``import orcheo_jupyter`` in a fresh interpreter, against importing the
  public API eagerly (what the import cost before it became lazy).

Goals: ready ≤ +0.3 s, RSS ≤ +30 MB, import ≤ 0.3 s, page ≤ 1.1x.

Run: ``.venv/bin/python benchmarks/startup.py [--starts 5]`` (needs ``npm run build``
and ``/usr/bin/chromium``). The lab extension served is this checkout's
``labextension/``; the baseline serves the same other lab extensions without it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.lab import CHROMIUM, CHROMIUM_ARGS, _free_port, _write_config  # noqa: E402

LAB_NAME = "orcheo-jupyter"
SETTLE_SECONDS = 3.0


@dataclass
class Start:
    ready: float
    rss_ready: float
    cpu_ready: float
    rss_settled: float = 0.0
    page_ms: float = 0.0
    orcheo_files: list[str] = field(default_factory=list)


def _labextensions(home: Path, with_orcheo: bool) -> Path:
    """A labextensions dir holding every installed lab extension, ours only if asked."""
    target = home / ("labext-with" if with_orcheo else "labext-without")
    target.mkdir()
    from jupyter_core.paths import jupyter_path

    seen: set[str] = set()
    for base in map(Path, jupyter_path("labextensions")):
        if not base.is_dir():
            continue
        for pkg in base.rglob("package.json"):
            ext = pkg.parent
            name = str(ext.relative_to(base))
            if name in seen or LAB_NAME in name or "node_modules" in name:
                continue
            if not (ext / "static").is_dir():
                continue
            seen.add(name)
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).symlink_to(ext)
    if with_orcheo:
        (target / LAB_NAME).symlink_to(ROOT / "labextension")
    return target


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def _start(home: Path, with_orcheo: bool) -> tuple[subprocess.Popen[bytes], str, str, float]:
    env = {**os.environ, **_write_config(home), "PYTHONPATH": str(ROOT)}
    env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    (home / "root").mkdir(exist_ok=True)
    token = secrets.token_hex(16)
    port = _free_port()
    labext = _labextensions(home, with_orcheo)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={home / 'root'}",
        f"--ServerApp.jpserver_extensions=orcheo_jupyter={with_orcheo}",
        f"--LabApp.labextensions_path={labext}",
        "--LabApp.news_url=",
    ]
    url = f"http://127.0.0.1:{port}/"
    log = (home / "lab.log").open("wb")
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
    request = urllib.request.Request(
        f"{url}api/status", headers={"Authorization": f"token {token}"}
    )
    while True:
        if proc.poll() is not None:
            raise RuntimeError((home / "lab.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(request, timeout=5) as res:
                if res.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.perf_counter() - began > 120:
            raise RuntimeError("JupyterLab did not start within 120 s")
        time.sleep(0.01)
    return proc, url, token, time.perf_counter() - began


def _page_load(browser: object, url: str, token: str) -> tuple[float, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    fetched: list[str] = []
    page.on(
        "request",
        lambda r: (
            fetched.append(r.url.split("?")[0].rsplit("/", 1)[-1])
            if f"/lab/extensions/{LAB_NAME}/" in r.url
            else None
        ),
    )
    page.goto(f"{url}lab?reset&token={token}", wait_until="commit")
    page.wait_for_selector(".jp-Launcher .jp-LauncherCard", state="visible", timeout=120_000)
    # Interactive: the page's main thread is free to run a click handler.
    ms = float(page.evaluate("() => new Promise(r => setTimeout(() => r(performance.now()), 0))"))
    context.close()
    return ms, sorted(set(fetched))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def one_start(browser: object, with_orcheo: bool) -> Start:
    home = Path(tempfile.mkdtemp(prefix="orcheo-startup-"))
    try:
        proc, url, token, ready = _start(home, with_orcheo)
        try:
            times = psutil.Process(proc.pid).cpu_times()
            result = Start(ready, _rss_mb(proc.pid), times.user + times.system)
            result.page_ms, result.orcheo_files = _page_load(browser, url, token)
            time.sleep(SETTLE_SECONDS)
            result.rss_settled = _rss_mb(proc.pid)
            return result
        finally:
            _stop(proc)
    finally:
        shutil.rmtree(home, ignore_errors=True)


IMPORT_LAZY = "import orcheo_jupyter"
#: What ``import orcheo_jupyter`` loaded before it became lazy: the whole public API.
IMPORT_EAGER = (
    "import orcheo_jupyter; from orcheo_jupyter import Workflow, WorkflowDocument; "
    "import orcheo_jupyter.runtime.build"
)


def import_seconds(code: str) -> float:
    script = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=5, help="starts of each (alternating)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    runs: dict[bool, list[Start]] = {True: [], False: []}
    imports: dict[str, list[float]] = {"lazy": [], "eager": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        one_start(browser, True)  # warm the OS file cache for both sides alike
        one_start(browser, False)
        for i in range(args.starts):
            order = (True, False) if i % 2 == 0 else (False, True)
            for with_orcheo in order:
                runs[with_orcheo].append(one_start(browser, with_orcheo))
            imports["lazy"].append(import_seconds(IMPORT_LAZY))
            imports["eager"].append(import_seconds(IMPORT_EAGER))
            w, wo = runs[True][-1], runs[False][-1]
            print(
                f"start {i + 1}: ready {w.ready:.2f}/{wo.ready:.2f} s  "
                f"cpu {w.cpu_ready:.2f}/{wo.cpu_ready:.2f} s  "
                f"rss {w.rss_ready:.0f}/{wo.rss_ready:.0f} MB (settled "
                f"{w.rss_settled:.0f}/{wo.rss_settled:.0f})  "
                f"page {w.page_ms:.0f}/{wo.page_ms:.0f} ms",
                flush=True,
            )
        browser.close()

    def med(with_orcheo: bool, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in runs[with_orcheo])

    rows = [
        ("server ready (s)", "ready", "+{:.2f} s", 0.3, "delta ≤ 0.3 s"),
        ("server CPU until ready (s)", "cpu_ready", "+{:.2f} s", 0.3, "(load-proof ready)"),
        ("server RSS at ready (MB)", "rss_ready", "+{:.0f} MB", 30.0, "delta ≤ 30 MB"),
        ("server RSS settled (MB)", "rss_settled", "+{:.0f} MB", 30.0, "delta ≤ 30 MB"),
        ("page load to launcher (ms)", "page_ms", "", 0.0, "ratio ≤ 1.1x"),
    ]
    print(f"\nmedians of {args.starts} alternating starts (with / without orcheo-jupyter)")
    print(f"{'measure':28} | {'with':>8} | {'without':>8} | {'ratio':>6} | {'delta':>9} | goal")
    for label, attr, delta_fmt, limit, goal in rows:
        mw, mwo = med(True, attr), med(False, attr)
        ratio = mw / mwo
        delta = delta_fmt.format(mw - mwo) if delta_fmt else ""
        met = (mw - mwo <= limit) if delta_fmt else (ratio <= 1.1)
        print(
            f"{label:28} | {mw:8.2f} | {mwo:8.2f} | {ratio:5.2f}x | {delta:>9} | "
            f"{goal} {'met' if met else 'NOT met'}"
        )
    lazy, eager = statistics.median(imports["lazy"]), statistics.median(imports["eager"])
    print(
        f"{'import orcheo_jupyter (s)':28} | {lazy:8.3f} | {eager:8.3f} | {lazy / eager:5.2f}x | "
        f"{'':>9} | ≤ 0.3 s {'met' if lazy <= 0.3 else 'NOT met'} (baseline: eager public API)"
    )
    files = sorted({f for s in runs[True] for f in s.orcheo_files})
    print(f"\norcheo files the Lab page downloads at start: {', '.join(files) or 'none'}")
    static = ROOT / "labextension" / "static"
    if static.is_dir():
        sizes = {p.name: p.stat().st_size for p in static.glob("*.js")}
        at_start = sum(sizes.get(f, 0) for f in files)
        print(
            f"  {at_start / 1024:.0f} KiB of {sum(sizes.values()) / 1024:.0f} KiB; "
            "the rest (canvas, cytoscape, dagre) loads with the first canvas or run graph"
        )


if __name__ == "__main__":
    main()
