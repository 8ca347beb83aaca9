"""Generate ``docs/nodes.md`` from the node catalog, so the docs cannot drift.

``python -m orcheo_jupyter.nodes.docs --write docs/nodes.md`` rewrites the file;
``--check`` exits 1 when it is stale. Only built-in node types are documented
(plugins document themselves).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path
from typing import Any

from .registry import NodeSpec, all_specs

BUILTIN_PREFIX = "orcheo_jupyter.nodes.library"
HEADER = """# Node library

Generated from the node catalog by `python -m orcheo_jupyter.nodes.docs --write
docs/nodes.md`; do not edit by hand. `python -m orcheo_jupyter nodes --json` prints
the same catalog (with each config's full JSON Schema).

Config values may be `{{templates}}` (resolved from the run's state before the node
runs) and `[[secrets]]`. A node's output is stored under `results.<node id>`, except
for nodes marked *state update*, which write `messages` / `structured_response` too.
Decision nodes route through a conditional edge on `results.<id>.condition`
(IfElseNode) or `results.<id>.branch` (SwitchNode, WhileNode, ForLoopNode).
"""


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any]) -> str:
    """A short human-readable type for a property's JSON Schema."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "enum" in schema:
        return " \\| ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    if "anyOf" in schema:
        parts = [type_of(s) for s in schema["anyOf"]]
        return " \\| ".join(p for p in parts if p != "null") + (
            " (optional)" if "null" in parts else ""
        )
    kind = schema.get("type")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "object":
        extra = schema.get("additionalProperties")
        return f"object of {type_of(extra)}" if isinstance(extra, dict) and extra else "object"
    if isinstance(kind, str):
        return kind
    return "any"


def _default(name: str, schema: dict[str, Any], required: Iterable[str]) -> str:
    if name in required:
        return "**required**"
    if "default" in schema:
        return f"`{json.dumps(schema['default'], ensure_ascii=False)}`"
    return ""


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(schema: dict[str, Any]) -> list[str]:
    props: dict[str, Any] = schema.get("properties", {})
    if not props:
        return ["No configuration."]
    required = schema.get("required", [])
    lines = ["| Field | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for name, prop in props.items():
        text = prop.get("description") or prop.get("title") or ""
        lines.append(
            f"| `{name}` | {type_of(prop)} | {_default(name, prop, required)} | {_escape(text)} |"
        )
    return lines


def render_spec(spec: NodeSpec) -> list[str]:
    schema = spec.config_schema()
    badges = [spec.category]
    if spec.trigger:
        badges.append("trigger")
    if spec.model.returns_state_update:
        badges.append("state update")
    lines = [f"### {spec.type}", "", f"*{', '.join(badges)}* — {spec.description}", ""]
    if spec.output:
        lines += [f"**Output:** {spec.output}", ""]
    lines += _table(schema)
    for name, sub in schema.get("$defs", {}).items():
        lines += ["", f"`{name}`: {_escape(sub.get('description', '').strip())}", ""]
        lines += _table(sub)
    return [*lines, ""]


def builtin_specs() -> list[NodeSpec]:
    return [s for s in all_specs() if s.model.__module__.startswith(BUILTIN_PREFIX)]


def render_markdown(specs: list[NodeSpec] | None = None) -> str:
    specs = builtin_specs() if specs is None else specs
    lines = [HEADER, f"{len(specs)} node types.", ""]
    for category, group in groupby(specs, key=lambda s: s.category):
        members = list(group)
        lines += [f"## {category}", "", ", ".join(f"`{s.type}`" for s in members), ""]
        for spec in members:
            lines += render_spec(spec)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orcheo_jupyter.nodes.docs")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="PATH", help="write the markdown to PATH")
    group.add_argument("--check", metavar="PATH", help="exit 1 if PATH is not up to date")
    args = parser.parse_args(argv)
    text = render_markdown()
    if args.write:
        Path(args.write).parent.mkdir(parents=True, exist_ok=True)
        Path(args.write).write_text(text, encoding="utf-8")
        print(args.write)
    elif args.check:
        path = Path(args.check)
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            sys.stderr.write(
                f"{path} is stale; run python -m orcheo_jupyter.nodes.docs --write {path}\n"
            )
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
