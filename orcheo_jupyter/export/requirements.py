"""The packages a bundle needs, pinned to the versions installed where it was exported.

What workflows import is read from their code, never by running it: code node
bodies and script graphs are parsed with ``ast``; node types registered by
plugins name the package that provides them; chat models named
``provider:model`` need LangChain's ``langchain-<provider>`` package. Module
names map to distributions through ``importlib.metadata.packages_distributions()``
(``yaml`` -> ``PyYAML``, ``dateutil`` -> ``python-dateutil``).
"""

from __future__ import annotations

import ast
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata

from ..nodes import registry
from ..spec.models import BuiltinNode, CodeNode, FrozenIRGraph, GraphIR, SubgraphNode
from ..spec.models import WorkflowDocument as Document

SELF = "orcheo-jupyter"
_STDLIB = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)
_OWN_MODULES = frozenset({"orcheo_jupyter"})


@dataclass
class Requirement:
    """One distribution, its installed version, and which workflow parts need it."""

    name: str
    version: str | None
    used_by: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        return f"{self.name}=={self.version}" if self.version else self.name


@dataclass
class Requirements:
    packages: list[Requirement]
    unknown: dict[str, list[str]]  # module nobody here provides -> who imports it

    def text(self, source: str) -> str:
        """requirements.txt: pins, each with a comment saying what needs it."""
        out = [
            f"# The packages the workflows exported from {source} need, pinned to the",
            "# versions of the environment they were exported from.",
        ]
        width = max(len(r.line) for r in self.packages)
        for req in self.packages:
            why = f"  # {', '.join(req.used_by)}" if req.used_by else ""
            out.append(f"{req.line:<{width}}{why}".rstrip())
        for module, users in sorted(self.unknown.items()):
            out.append(
                f"# unknown: no installed package provides {module!r} "
                f"(imported by {', '.join(users)}); add it by hand"
            )
        return "\n".join(out) + "\n"


def own_version() -> str:
    try:
        return metadata.version(SELF)
    except metadata.PackageNotFoundError:
        from .. import __version__

        return __version__


def _top(module: str) -> str:
    return module.split(".")[0]


def _imports(source: str) -> set[str]:
    """Top-level modules a piece of code imports (statements and literal import calls)."""
    text = textwrap.dedent(source)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        try:  # a body using ``await`` at its top level
            tree = ast.parse("async def _():\n" + textwrap.indent(text, "    "))
        except SyntaxError:
            return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {_top(a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(_top(node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            value = node.args[0].value
            if name in ("import_module", "__import__") and isinstance(value, str):
                found.add(_top(value))
    return found


def _nodes(ir: GraphIR, scope: str = "") -> Iterator[tuple[str, object]]:
    for node in ir.nodes:
        qualified = f"{scope}{node.id}"
        yield qualified, node
        if isinstance(node, SubgraphNode):
            yield from _nodes(node.graph, f"{qualified}/")


def _model_provider(config: dict[str, object]) -> str | None:
    model = config.get("ai_model")
    if isinstance(model, str) and ":" in model and "{{" not in model:
        return model.split(":", 1)[0].strip().lower() or None
    return None


def needs(doc: Document) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(modules, provider packages) the workflow needs, each with who needs it."""
    modules: dict[str, list[str]] = {}
    providers: dict[str, list[str]] = {}

    def add(table: dict[str, list[str]], key: str, who: str) -> None:
        users = table.setdefault(key, [])
        if who not in users:
            users.append(who)

    graph = doc.graph
    if not isinstance(graph, FrozenIRGraph):
        for module in sorted(_imports(graph.source)):
            add(modules, module, f"{doc.name} (script)")
        return modules, providers
    for qualified, node in _nodes(graph.ir):
        who = f"{doc.name}/{qualified}"
        if isinstance(node, CodeNode):
            for module in sorted(_imports(node.body)):
                add(modules, module, who)
        elif isinstance(node, BuiltinNode):
            try:
                spec = registry.get(node.type)
            except LookupError:
                continue
            add(modules, _top(spec.model.__module__), who)
            provider = _model_provider(node.config)
            if provider is not None:
                add(providers, provider, who)
    return modules, providers


def resolve(docs: list[Document], warnings: list[str] | None = None) -> Requirements:
    """orcheo-jupyter itself first, then every other needed distribution, pinned."""
    warnings = warnings if warnings is not None else []
    owners = metadata.packages_distributions()
    pins: dict[str, Requirement] = {}
    unknown: dict[str, list[str]] = {}

    def pin(dist: str, who: list[str]) -> None:
        try:
            real = metadata.distribution(dist)
        except metadata.PackageNotFoundError:
            return
        name = real.metadata["Name"] or dist
        key = name.lower().replace("_", "-")
        if key == SELF:
            return
        req = pins.setdefault(key, Requirement(name, real.version))
        req.used_by += [w for w in who if w not in req.used_by]

    for doc in docs:
        modules, providers = needs(doc)
        for module, who in modules.items():
            if module in _STDLIB or module in _OWN_MODULES:
                continue
            dists = owners.get(module)
            if not dists:
                unknown.setdefault(module, []).extend(
                    w for w in who if w not in unknown.get(module, [])
                )
                continue
            for dist in dict.fromkeys(dists):
                pin(dist, who)
        for provider, who in providers.items():
            dist = f"langchain-{provider.replace('_', '-')}"
            try:
                metadata.distribution(dist)
            except metadata.PackageNotFoundError:
                warnings.append(
                    f"{', '.join(who)} use{'s' if len(who) == 1 else ''} chat models of provider "
                    f"{provider!r}, but {dist} is not installed here: install the provider's "
                    "package where the bundle runs (a model registered in the notebook with "
                    "register_chat_model does not travel with the bundle)"
                )
                continue
            pin(dist, who)
    for module, who in unknown.items():
        warnings.append(
            f"no installed package provides module {module!r} (imported by {', '.join(who)}); "
            "requirements.txt lists it as unknown"
        )
    ordered = sorted(pins.values(), key=lambda r: r.name.lower())
    return Requirements([Requirement(SELF, own_version()), *ordered], unknown)
