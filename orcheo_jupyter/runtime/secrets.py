"""Secret references in node config: ``[[name]]`` and ``[[name#oauth.access_token]]``.

A config value that is exactly a reference is resolved just before its node runs,
through whatever implements ``SecretResolver`` in the run's services (the vault,
the ``secrets`` field of the run's ``RuntimeServices``). The value goes into the validated
node model only: it is never written back to the stored config, the state, the
checkpoints or the events, and the run's ``Redactor`` scrubs it from everything
the node produces.

Only references written in the stored config are resolved. A ``{{template}}``
that renders to ``"[[name]]"`` (say, from webhook inputs) stays a plain string,
so run inputs can never name a credential and have it read.

``runtime/`` does not import the vault: the vault implements this module's
protocol (layers point down only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..common.lru import LRU
from ..spec.models import BuiltinNode, CodeNode, FrozenIRGraph, GraphIR, WorkflowDocument
from ..spec.problems import DocumentError, Problem
from ..spec.refs import FIELDS as FIELDS
from ..spec.refs import NAME_PATTERN as NAME_PATTERN
from ..spec.refs import SecretRef as SecretRef
from ..spec.refs import parse_ref as parse_ref
from . import observer as obs

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class SecretUse:
    """Where a document uses a credential (for errors that point at the node)."""

    ref: SecretRef
    node: str
    field: str


class SecretUnavailable(LookupError):
    """A credential cannot be resolved for this run; the message names it, never its value."""

    def __init__(self, ref: SecretRef, reason: str) -> None:
        self.ref = ref
        self.reason = reason
        super().__init__(f"credential {ref.name!r} {reason}")

    def __str__(self) -> str:
        return str(self.args[0])


class CredentialError(DocumentError):
    """The document uses credentials that are missing, unhealthy or out of scope.

    Raised before a run is stored or started; each problem names the credential,
    the node and the config field that references it.
    """


class SecretResolver(Protocol):
    """What the runtime needs from a credential store (the vault implements it)."""

    async def resolve(
        self, ref: SecretRef, *, workflow_id: str | None, run_id: str | None, node: str | None
    ) -> str:
        """The value for a run (audited); raise SecretUnavailable when it cannot be had."""
        ...

    async def unavailable(
        self, refs: Sequence[SecretRef], *, workflow_id: str | None
    ) -> dict[SecretRef, str]:
        """Why each unusable reference cannot be resolved (missing, expired, out of scope)."""
        ...


def find_refs(value: Any, path: Path = ()) -> list[tuple[Path, SecretRef]]:
    """Every reference in a config value, with the path to it."""
    ref = parse_ref(value)
    if ref is not None:
        return [(path, ref)]
    found: list[tuple[Path, SecretRef]] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            found += find_refs(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += find_refs(item, (*path, index))
    return found


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


def _ir_uses(ir: GraphIR, scope: str) -> list[SecretUse]:
    uses: list[SecretUse] = []
    for node in ir.nodes:
        qualified = f"{scope}{node.id}"
        if isinstance(node, BuiltinNode | CodeNode):
            for path, ref in find_refs(node.config):
                uses.append(SecretUse(ref, qualified, _dotted(("config", *path))))
        else:
            uses += _ir_uses(node.graph, f"{qualified}/")
    return uses


_uses_cache: LRU[str, list[SecretUse]] = LRU(256)


def document_uses(doc: WorkflowDocument, checksum: str | None = None) -> list[SecretUse]:
    """Every credential the document's nodes reference (cached per checksum)."""

    def uses() -> list[SecretUse]:
        return _ir_uses(doc.graph.ir, "") if isinstance(doc.graph, FrozenIRGraph) else []

    return uses() if checksum is None else _uses_cache.get_or_make(checksum, uses)


async def check_document(
    doc: WorkflowDocument,
    resolver: SecretResolver | None,
    workflow_id: str | None,
    checksum: str | None = None,
) -> None:
    """Refuse (CredentialError) a run whose credentials cannot all be resolved."""
    uses = document_uses(doc, checksum)
    if not uses:
        return
    if resolver is None:
        reasons = {u.ref: "cannot be resolved: this executor has no vault" for u in uses}
    else:
        refs = list(dict.fromkeys(u.ref for u in uses))
        reasons = await resolver.unavailable(refs, workflow_id=workflow_id)
    problems = [
        Problem(
            "error",
            "credential_unavailable",
            f"credential {u.ref.name!r} {reasons[u.ref]}",
            node=u.node,
            field=u.field,
        )
        for u in uses
        if u.ref in reasons
    ]
    if problems:
        raise CredentialError(problems)


def _set(target: Any, path: Path, value: Any) -> Any:
    """A copy of ``target`` with ``value`` at ``path``; only the containers on the path copy."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(target, Mapping):
        copy = dict(target)
        copy[head] = _set(copy[head], rest, value)
        return copy
    items = list(target)
    items[head] = _set(items[head], rest, value)  # type: ignore[index]
    return items if isinstance(target, list) else tuple(items)


async def inject(
    config: dict[str, Any], refs: Sequence[tuple[Path, SecretRef]], node_id: str
) -> dict[str, Any]:
    """``config`` with each reference replaced by its value, learnt by the run's redactor.

    Raises SecretUnavailable (with the credential's name and the reason) when a
    value cannot be had; the node then fails with that message.
    """
    observer = obs.current.get()
    resolver = observer.services.secrets if observer is not None else None
    out: Any = config
    for path, ref in refs:
        if resolver is None or observer is None:
            raise SecretUnavailable(ref, "cannot be resolved: this run has no vault")
        value = await resolver.resolve(
            ref, workflow_id=observer.workflow_id, run_id=observer.run_id, node=node_id
        )
        observer.redactor.add(value, ref.name)
        out = _set(out, path, value)
    return dict(out)
