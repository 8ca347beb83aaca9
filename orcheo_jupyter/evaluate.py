"""Evaluate a workflow on a dataset: one stored run per case, then a score table.

A case is an object from a .jsonl/.json/.csv file; its ``inputs`` member (or the
whole case) becomes the run's inputs, so metric nodes can read
``{{inputs.answer}}``. Scores are what the run's evaluation nodes return: a
metric node's ``corpus_score`` under its ``metric_name``, and each number in a
``metrics`` object (retrieval and answer-quality nodes).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .nodes.library.evaluation import load_dataset
from .runtime.executor import Executor


@dataclass
class CaseResult:
    case: str
    run_id: str | None
    status: str
    scores: dict[str, float] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Evaluation:
    """The outcome of ``evaluate``: per-case scores, their means, and a table."""

    workflow: str
    cases: list[CaseResult]

    @property
    def metrics(self) -> list[str]:
        names: dict[str, None] = {}
        for case in self.cases:
            names.update(dict.fromkeys(case.scores))
        return list(names)

    def means(self) -> dict[str, float]:
        out = {}
        for name in self.metrics:
            values = [c.scores[name] for c in self.cases if name in c.scores]
            out[name] = round(sum(values) / len(values), 4) if values else 0.0
        return out

    @property
    def failed(self) -> int:
        return sum(1 for c in self.cases if c.status != "succeeded")

    def rows(self) -> list[list[str]]:
        head = ["case", "status", *self.metrics]
        body = [
            [c.case, c.status, *(_fmt(c.scores.get(m)) for m in self.metrics)] for c in self.cases
        ]
        mean = ["mean", f"{len(self.cases) - self.failed}/{len(self.cases)} ok"]
        mean += [_fmt(v) for v in self.means().values()]
        return [head, *body, mean]

    def table(self) -> str:
        rows = self.rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
        return "\n".join(line.rstrip() for line in lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.table())

    def _repr_html_(self) -> str:
        rows = self.rows()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:-1]
        )
        foot = "".join(f"<th>{html.escape(c)}</th>" for c in rows[-1])
        return (
            f"<table class='orcheo-evaluation'><caption>{html.escape(self.workflow)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            f"<tfoot><tr>{foot}</tr></tfoot></table>"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "metrics": self.means(),
            "cases": [c.__dict__ for c in self.cases],
            "failed": self.failed,
        }


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def scores_of(results: Mapping[str, Any]) -> dict[str, float]:
    """The numbers a run's evaluation nodes produced, by metric name."""
    scores: dict[str, float] = {}

    def put(name: str, node_id: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return
        key = name if name not in scores else f"{node_id}.{name}"
        scores[key] = float(value)

    for node_id, out in results.items():
        if not isinstance(out, Mapping):
            continue
        if "corpus_score" in out and isinstance(out.get("metric_name"), str):
            put(out["metric_name"], node_id, out["corpus_score"])
        metrics = out.get("metrics")
        if isinstance(metrics, Mapping) and ("per_query" in out or "per_item" in out):
            for name, value in metrics.items():
                put(str(name), node_id, value)
    return scores


def case_inputs(case: Mapping[str, Any]) -> dict[str, Any]:
    inner = case.get("inputs")
    return dict(inner) if isinstance(inner, Mapping) else dict(case)


async def evaluate(
    executor: Executor,
    document: Any,
    cases: Sequence[Mapping[str, Any]],
    *,
    name: str = "workflow",
    workflow_id: str | None = None,
    version: int | None = None,
) -> Evaluation:
    """Run ``document`` once per case (each a stored run) and collect the scores."""
    outcomes = []
    for i, case in enumerate(cases, start=1):
        label = str(case.get("id") or i)
        record = await executor.execute(
            document, case_inputs(case), workflow_id=workflow_id, version=version
        )
        status = str(getattr(record.status, "value", record.status))
        results = (record.final_state or {}).get("results") or {}
        outcomes.append(
            CaseResult(label, record.id, status, scores_of(results), record.error or None)
        )
    return Evaluation(name, outcomes)


class CasesUnusable(ValueError):
    """The cases file cannot be read or holds no case; the message names it and says why."""


def read_cases(
    path: Path, limit: int | None = None, split: str | None = None, *, shown_as: str = ""
) -> list[dict[str, Any]]:
    """The cases to evaluate (at least one), or CasesUnusable naming the file as ``shown_as``."""
    name = shown_as or str(path)
    try:
        cases = load_dataset(path)
    except OSError as exc:
        raise CasesUnusable(f"cannot read {name}: {exc.strerror}") from None
    except ValueError as exc:
        raise CasesUnusable(f"{name}: {exc}") from None
    if split is not None:
        cases = [c for c in cases if c.get("split") == split]
    cases = cases[:limit] if limit else cases
    if not cases:
        raise CasesUnusable(f"{name}: no cases")
    return cases
