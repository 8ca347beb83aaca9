"""What one CLI command costs to start: ``python -m orcheo_jupyter validate`` on a document.

Alternating, in one run, medians of the CPU seconds (user + system: load-proof) and wall
seconds of fresh interpreters running:

- **floor**: ``import langgraph.graph``, which every command that reads a document needs;
- **validate**: the CLI validating a document with an ``inputs_schema`` (so jsonschema is
  used) and one node;
- **validate, IRI grammar built**: the same command in an interpreter that imported
  ``rfc3987_syntax`` first, so jsonschema builds that package's grammar as it did before
  ``common.jsonschema_import``.

Run: ``.venv/bin/python benchmarks/cli_start.py [--runs 7]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DOCUMENT = {
    "name": "start-up",
    "inputs_schema": {
        "type": "object",
        "properties": {"who": {"type": "string", "default": "world"}},
    },
    "graph": {
        "format": "frozen-ir",
        "ir": {
            "nodes": [
                {
                    "kind": "builtin",
                    "id": "greet",
                    "type": "SetVariableNode",
                    "config": {"variables": {"greeting": "hello {{ inputs.who }}"}},
                }
            ],
            "edges": [
                {"source": "__start__", "target": "greet"},
                {"source": "greet", "target": "__end__"},
            ],
        },
    },
}


def _cli(prelude: str, doc: Path) -> list[str]:
    code = (
        f"{prelude}import runpy, sys; sys.argv = ['orcheo_jupyter', 'validate', {str(doc)!r}]; "
        "runpy.run_module('orcheo_jupyter', run_name='__main__')"
    )
    return [sys.executable, "-c", code]


def _measure(argv: list[str]) -> tuple[float, float]:
    """(CPU seconds of the child, wall seconds) of one fresh interpreter."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT, timeout=300)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "doc.orcheo.json"
        doc.write_text(json.dumps(DOCUMENT))
        cases = {
            "floor: import langgraph.graph": [sys.executable, "-c", "import langgraph.graph"],
            "validate": _cli("", doc),
            "validate, IRI grammar built": _cli("import rfc3987_syntax; ", doc),
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, argv in cases.items():
                samples[name].append(_measure(argv))
    floor_cpu = statistics.median(c for c, _ in samples["floor: import langgraph.graph"])
    print(f"{'command':32} | {'CPU s':>6} | {'wall s':>6} | {'CPU / floor':>11}")
    print("-" * 66)
    for name, rows in samples.items():
        cpu = statistics.median(c for c, _ in rows)
        wall = statistics.median(w for _, w in rows)
        print(f"{name:32} | {cpu:6.2f} | {wall:6.2f} | {cpu / floor_cpu:10.2f}x")


if __name__ == "__main__":
    main()
