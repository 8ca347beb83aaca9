"""What the notebook surfaces add to a run: magics, live progress and the HTTP SDK.

Prints medians (ms per run) of a chain of N trivial nodes, all measured in this run
against the same baseline, ``Workflow.run`` (the Python API on the embedded store):

- api:            Workflow.run (baseline)
- magic/quiet:    %orcheo run --quiet (save check, event following, no output)
- magic/live:     %orcheo run with the live view redrawn as events arrive
- sdk/websocket:  HttpWorkflowExecutor.run against ``jupyter orcheo`` (execute + follow)
- cell:           %%orcheo NAME --no-show: parse, validate, save file and store

Usage: python benchmarks/magics.py [--runs N] [--sizes 5,25] [--no-server]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def builder_cell(name: str, n: int) -> str:
    lines = [f"%%orcheo {name} --no-show"]
    ids = [f"n{i}" for i in range(n)]
    for i in ids:
        lines.append(f'workflow.add_node("{i}", "SetVariableNode", variables={{"v": "{i}"}})')
    chain = ["START", *[f'"{i}"' for i in ids], "END"]
    lines += [f"workflow.add_edge({a}, {b})" for a, b in itertools.pairwise(chain)]
    return "\n".join(lines) + "\n"


def medians_ms(contenders: dict[str, Callable[[], Any]], runs: int) -> dict[str, float]:
    """Median ms per call; contenders run in rotation so load drift hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():
        fn()  # warm up (compile caches, first imports)
    for _ in range(runs):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sizes", default="5,25")
    parser.add_argument("--no-server", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="orcheo-bench-"))
    os.environ["ORCHEO_DATA_DIR"] = str(work / "data")
    os.chdir(work)

    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    from orcheo_jupyter.client import HttpWorkflowExecutor, OrcheoClient

    class Sink(DisplayPublisher):
        def publish(self, data: Any, *a: Any, **k: Any) -> None:
            self.last = data  # rendered (html + text) like a frontend would receive

    ip = InteractiveShell.instance()
    ip.display_pub = Sink()
    ip.run_line_magic("load_ext", "orcheo_jupyter")

    server = None
    if not args.no_server:
        from tests.client.live_server import start_server

        server = start_server(work / "server", work / "data")

    rows = []
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            name = f"chain{n}"
            cell = builder_cell(name, n)
            assert ip.run_cell(cell).success
            wf = ip.user_ns[name]
            contenders: dict[str, Callable[[], Any]] = {
                "api": lambda wf=wf: wf.run(),
                "magic/quiet": lambda name=name: ip.run_line_magic("orcheo", f"run {name} --quiet"),
                "magic/live": lambda name=name: ip.run_line_magic("orcheo", f"run {name}"),
            }
            if server is not None:
                client = OrcheoClient(server.url, server.token)
                wid = next(w["id"] for w in client.iter_workflows(q=name) if w["name"] == name)
                sdk = HttpWorkflowExecutor(client=client)
                contenders["sdk/websocket"] = lambda sdk=sdk, wid=wid: sdk.run(wid)
            results = medians_ms(contenders, args.runs)
            results["cell"] = medians_ms({"cell": lambda cell=cell: ip.run_cell(cell)}, 10)["cell"]
            rows.append((n, results))
    finally:
        if server is not None:
            server.stop()

    columns = list(rows[0][1])
    print(f"{'nodes':>5}  " + "  ".join(f"{c:>14}" for c in columns))
    for n, results in rows:
        print(f"{n:>5}  " + "  ".join(f"{results[c]:>11.2f} ms" for c in columns))
    print("\nratio to api (Workflow.run):")
    for n, results in rows:
        base = results["api"]
        print(
            f"{n:>5}  " + "  ".join(f"{results[c] / base:>13.2f}x" for c in columns if c != "cell")
        )


if __name__ == "__main__":
    main()
