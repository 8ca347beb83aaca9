"""Write a bundle: the documents, requirements, manifest, README, configs and LangGraph files.

Layout of ``DIR``::

    NAME.orcheo.json      one canonical document per workflow (ids kept, parameter defaults in)
    requirements.txt      orcheo-jupyter and what the code imports, pinned
    orcheo-bundle.json    the manifest `jupyter orcheo --bundle` reads
    README.md             how to install, run, serve and configure it
    config.example.py     `jupyter orcheo --config=...` (storage, vault key, triggers)
    .env.example          the same as ORCHEO_* environment variables
    graphs.py             each workflow as a compiled LangGraph graph
    langgraph.json        LangGraph's configuration, pointing at graphs.py

Re-exporting into the same directory rewrites these files and removes documents
no longer exported; files a person added (a real ``.env``) are left alone. A
directory that is not a bundle is never written into.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import spec
from ..runtime.secrets import document_uses, find_refs
from ..spec.models import FrozenIRGraph, WorkflowDocument
from ..store.workflow_tables import slugify
from ..triggers.config import CronConfig, triggers_of
from . import texts
from .collect import Collection
from .defaults import apply_parameters, input_defaults
from .errors import ExportError
from .notebook import SUFFIX
from .requirements import Requirements, own_version, resolve

MANIFEST = "orcheo-bundle.json"
FORMAT = 1
FIXED_FILES = (
    MANIFEST,
    "requirements.txt",
    "README.md",
    "config.example.py",
    ".env.example",
    "graphs.py",
    "langgraph.json",
)


@dataclass
class Bundle:
    """What an export wrote."""

    directory: Path
    notebook: Path
    workflows: list[texts.WorkflowInfo]
    requirements: Requirements
    parameters: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return sorted([*FIXED_FILES, *(w.file for w in self.workflows)])

    def summary(self) -> str:
        lines = [f"exported {len(self.workflows)} workflow(s) to {self.directory}:"]
        for w in self.workflows:
            lines.append(f"  {w.file:<28} from {w.origin}")
        pins = ", ".join(r.line for r in self.requirements.packages)
        lines.append(f"  requirements.txt             {pins}")
        if self.parameters:
            lines.append(f"  default inputs               {json.dumps(self.parameters)[:80]}")
        lines.append(f"run: python -m orcheo_jupyter run {self.directory / self.workflows[0].file}")
        lines.append(f"serve: jupyter orcheo --bundle {self.directory}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def _file_name(name: str, taken: set[str]) -> str:
    stem = name if re.fullmatch(r"[\w.-]+", name) and name not in (".", "..") else slugify(name)
    candidate, n = f"{stem}{SUFFIX}", 2
    while candidate.lower() in taken or candidate in FIXED_FILES:
        candidate, n = f"{stem}-{n}{SUFFIX}", n + 1
    taken.add(candidate.lower())
    return candidate


def _variable(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", name).strip("_") or "workflow"
    if base[0].isdigit():
        base = f"workflow_{base}"
    if keyword.iskeyword(base) or base in {"Path", "HERE", "workflow_graph"}:
        base += "_"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _info(doc: WorkflowDocument, file: str, graph: str, origin: str) -> texts.WorkflowInfo:
    assert doc.id is not None
    specs, _ = triggers_of(doc, doc.id)
    crons = []
    for s in specs:
        if s.type == "cron" and s.enabled and isinstance(s.config, CronConfig):
            crons.append(f"{s.config.expression} ({s.config.timezone})")
    return texts.WorkflowInfo(
        name=doc.name,
        file=file,
        id=doc.id,
        graph=graph,
        origin=origin,
        defaults=input_defaults(doc),
        webhook=any(s.type == "webhook" and s.enabled for s in specs),
        crons=crons,
        credentials=sorted(
            {u.ref.name for u in document_uses(doc)}
            | {ref.name for t in doc.triggers for _, ref in find_refs(t.config)}
        ),
        script=not isinstance(doc.graph, FrozenIRGraph),
    )


def _prepare(directory: Path) -> set[str]:
    """Files an earlier export wrote here (to replace); ExportError if this is not a bundle."""
    if not directory.exists():
        return set()
    if not directory.is_dir():
        raise ExportError(f"{directory} exists and is not a directory")
    manifest = directory / MANIFEST
    if not manifest.exists():
        if any(directory.iterdir()):
            raise ExportError(
                f"{directory} is not empty and holds no {MANIFEST}: choose another output "
                "directory (export never writes into a directory it did not make)"
            )
        return set()
    try:
        old = json.loads(manifest.read_text(encoding="utf-8"))
        return {w["file"] for w in old.get("workflows", []) if isinstance(w, dict)}
    except (ValueError, KeyError, TypeError, OSError):
        return set()


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_bundle(collection: Collection, directory: str | Path) -> Bundle:
    """Write the collected workflows as a bundle in ``directory``."""
    out = Path(directory)
    previous = _prepare(out)
    warnings = list(collection.warnings)
    notebook = collection.notebook
    params = collection.parameters.values
    docs: list[tuple[WorkflowDocument, str]] = []
    for item in collection.workflows:
        doc = apply_parameters(item.document, params)
        if doc.id is None:  # stable across re-exports, so a redeploy updates, never duplicates
            key = f"orcheo-bundle:{notebook.stem}/{doc.name}"
            doc = doc.model_copy(update={"id": uuid.uuid5(uuid.NAMESPACE_URL, key).hex})
        docs.append((doc, item.origin))
        if doc.pinned:
            warnings.append(
                f"workflow {doc.name!r} carries pinned outputs for "
                f"{', '.join(sorted(doc.pinned))}: runs started by hand or through the API "
                "use them instead of running those nodes (triggered runs ignore them); remove "
                "the pins before deploying unless that is intended"
            )
    requirements = resolve([d for d, _ in docs], warnings)
    files: set[str] = set()
    variables: set[str] = set()
    infos = []
    out.mkdir(parents=True, exist_ok=True)
    for doc, origin in docs:
        file = _file_name(doc.name, files)
        spec.save(doc, out / file)
        infos.append(_info(doc, file, _variable(doc.name, variables), origin))
    for stale in previous - {i.file for i in infos}:
        if stale.endswith(SUFFIX) and "/" not in stale:
            (out / stale).unlink(missing_ok=True)
    version = own_version()
    manifest = {
        "format": FORMAT,
        "exported_from": notebook.name,
        "orcheo_jupyter": version,
        "parameters": params,
        "workflows": [
            {
                "name": i.name,
                "file": i.file,
                "id": i.id,
                "graph": i.graph,
                "origin": i.origin,
                "webhook": f"/orcheo/hooks/{i.id}" if i.webhook else None,
                "cron": i.crons,
                "credentials": i.credentials,
            }
            for i in infos
        ],
    }
    creds = sorted({c for i in infos for c in i.credentials})
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    _write(out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    _write(out / "requirements.txt", requirements.text(notebook.name))
    title = f"{notebook.stem} (orcheo-jupyter bundle)"
    _write(out / "README.md", texts.readme(title, notebook.name, version, infos))
    _write(out / "config.example.py", texts.config_example(creds))
    _write(out / ".env.example", texts.ENV_EXAMPLE)
    _write(out / "graphs.py", texts.graphs_module(infos))
    _write(out / "langgraph.json", texts.langgraph_json(infos, python))
    return Bundle(out, notebook, infos, requirements, params, warnings)
