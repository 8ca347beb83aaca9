"""Run admission: the one gate every way of starting a run passes before it is stored.

REST, batch dispatch, webhooks, cron, polling, the CLI, ``Workflow.run``, the
magics and every executor backend start runs through :func:`admit`, so a run is
refused for the same reasons with the same messages wherever it comes from:

1. ``inputs_schema`` must be a valid JSON Schema;
2. a start by a person (:class:`ManualStart`) must satisfy the workflow's manual
   triggers (allowed actors, required comment); their default payload stands in
   for missing inputs; its run stores every step (``durability: sync`` in its
   config), to fork from or inspect any step;
3. inputs and run config must be storable (``spec/values.py``: depth, finite
   numbers, 64-bit integers);
4. the inputs, with the schema's defaults filled in, must match ``inputs_schema``;
5. every ``[[credential]]`` the document uses must be usable by this workflow;
6. last, a manual start takes the trigger's cooldown. The cooldown is a lease in
   the repository (``try_lock``), not process memory, so two servers sharing a
   database allow one start per cooldown between them.

Failures raise ``DocumentError`` (``UnstorableValue`` for values, ``CredentialError``
for credentials) or ``ManualRefused``; each names the field and what was expected.

``Executor.admit`` adds what only an executor knows (the graph compiles, the size of
the stored inputs) and returns an :class:`Admission`: the pending record every
backend (in-process, the runner pool, Celery) stores; they differ only in where the
run then executes.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from ..common.lru import LRU
from ..common.timestamps import utcnow
from ..spec.inputs import checked_inputs, input_problems, schema_problems, with_defaults
from ..spec.models import WorkflowDocument
from ..spec.problems import DocumentError, Problem
from ..spec.values import UnstorableValue, ValueLimits, check_value, value_problems
from ..store.base import Repository
from ..store.records import RunRecord
from . import breakpoints, secrets
from .events import RunStatus
from .manual import ManualPolicy, ManualRefused, check_start, manual_policy

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

#: Manual policies by document checksum (a checksum names one immutable document).
_policies: LRU[str, ManualPolicy | None] = LRU(256)


@dataclass(frozen=True)
class ManualStart:
    """A start by a person (REST execute, Lab's run buttons): manual-trigger rules apply."""

    actor: str | None = None
    comment: str | None = None


class StartOptions(TypedDict, total=False):
    """How a run starts besides its document and inputs: the keyword options of
    ``Executor.admit``, ``submit`` and ``execute``, declared once for all three (the
    defaults, in brackets, are applied by ``Executor.admit``)."""

    #: The stored workflow the run belongs to [the document's id].
    workflow_id: str | None
    #: The stored version it runs [None: a document that is not stored].
    version: int | None
    #: The run config: ``configurable``, ``recursion_limit``, ``breakpoints``... [{}]
    config: Mapping[str, Any] | None
    #: The run's id [a new one].
    run_id: str | None
    #: A start by a person: the workflow's manual triggers decide [None: not by hand].
    manual: ManualStart | None


@dataclass
class Admitted:
    """What a run starts with, once admitted."""

    inputs: dict[str, Any]
    config: dict[str, Any]
    #: The cooldown lease this start took: (store, lock name, owner).
    _cooldown: tuple[Repository, str, str] | None = field(default=None, repr=False)

    async def withdraw(self) -> None:
        """The run was not created after all: a start that did not happen leaves no cooldown."""
        if self._cooldown is not None:
            store, name, owner = self._cooldown
            self._cooldown = None
            with contextlib.suppress(Exception):
                await store.release_lock(name, owner)


#: Highest ``config.recursion_limit`` a run may ask for (the REST model's bound too).
MAX_RECURSION_LIMIT = 100_000


def _check_configurable(config: Mapping[str, Any]) -> None:
    """``config.configurable`` is an object: the run's thread id is written into it."""
    configurable = config.get("configurable")
    if configurable is None or isinstance(configurable, Mapping):
        return
    raise DocumentError(
        [
            Problem(
                "error",
                "configurable",
                f"must be an object of values templates read as "
                f"{{{{config.configurable.x}}}}, not {type(configurable).__name__}",
                field="config.configurable",
            )
        ]
    )


def _check_recursion_limit(config: Mapping[str, Any]) -> None:
    limit = config.get("recursion_limit")
    if limit is None:
        return
    if (
        isinstance(limit, bool)
        or not isinstance(limit, int)
        or not 1 <= limit <= MAX_RECURSION_LIMIT
    ):
        raise DocumentError(
            [
                Problem(
                    "error",
                    "recursion_limit",
                    f"must be an integer from 1 to {MAX_RECURSION_LIMIT}, not {limit!r}",
                    field="config.recursion_limit",
                )
            ]
        )


def _policy(doc: WorkflowDocument, checksum: str | None) -> ManualPolicy | None:
    if checksum is None:
        return manual_policy(doc)
    return _policies.get_or_make(checksum, lambda: manual_policy(doc))


def cooldown_lock(workflow_id: str) -> str:
    """The repository lock that marks a workflow's last manual start."""
    return f"orcheo:manual-cooldown:{workflow_id}"


async def _take_cooldown(
    store: Repository, policy: ManualPolicy, workflow_id: str, manual: ManualStart
) -> tuple[Repository, str, str]:
    """Hold the workflow's cooldown lease, or ManualRefused (429) saying how long to wait."""
    name = cooldown_lock(workflow_id)
    # The owner carries the start time: another server reads it to say how long ago it was.
    owner = f"{time.time():.3f} {uuid.uuid4().hex}"
    for _ in range(3):
        if await store.try_lock(name, owner, policy.cooldown_seconds):
            return store, name, owner
        holder = await store.lock_owner(name)
        if holder is None:
            continue  # it lapsed meanwhile: take it
        try:
            since = max(0.0, time.time() - float(holder.split()[0]))
        except ValueError:
            since = 0.0
        check_start(
            policy, actor=manual.actor, comment=manual.comment, inputs={}, since_last_start=since
        )
        break  # a holder whose time says the cooldown passed: clocks disagree; refuse anyway
    raise ManualRefused(
        429,
        "cooldown",
        f"this workflow was started by hand moments ago; its manual trigger allows one start "
        f"every {policy.cooldown_seconds} s",
        retry_after=1,
    )


async def admit(
    doc: WorkflowDocument,
    inputs: Mapping[str, Any] | None,
    *,
    workflow_id: str | None,
    checksum: str | None = None,
    config: Mapping[str, Any] | None = None,
    manual: ManualStart | None = None,
    store: Repository | None = None,
    resolver: secrets.SecretResolver | None = None,
    limits: ValueLimits | None = None,
) -> Admitted:
    """The inputs and config a run of ``doc`` starts with, or why it may not start.

    ``checksum`` (the stored document's) lets repeated starts share cached work;
    ``store`` holds manual cooldowns (without one, a cooldown is not enforced);
    ``resolver`` is the credential store (None: credentials cannot be resolved, so a
    document that uses any is refused).
    """
    problems = schema_problems(doc)
    if problems:
        raise DocumentError(problems)
    if inputs is not None and not isinstance(inputs, Mapping):
        raise DocumentError(
            [
                Problem(
                    "error",
                    "inputs",
                    f"run inputs must be an object, not {type(inputs).__name__}",
                    field="inputs",
                )
            ]
        )
    run_config = dict(config or {})
    policy = _policy(doc, checksum) if manual is not None else None
    given: Mapping[str, Any] = inputs or {}
    if manual is not None:
        given = check_start(
            policy,
            actor=manual.actor,
            comment=manual.comment,
            inputs=given,
            since_last_start=None,
        )
        if policy is not None or manual.comment:
            run_config["manual"] = {"actor": manual.actor, "comment": manual.comment}
        # A person debugs what they start: every step is stored, to fork from or inspect
        # (forks copy the config). Triggered runs keep the server's coalescing policy.
        run_config["durability"] = "sync"
    check_value(given, "inputs", limits)
    check_value(run_config, "config", limits)
    _check_configurable(run_config)
    _check_recursion_limit(run_config)
    breakpoints.check(doc, run_config)
    filled = checked_inputs(doc, given)
    await secrets.check_document(doc, resolver, workflow_id, checksum)
    admitted = Admitted(filled, run_config)
    cooled = manual is not None and policy is not None and policy.cooldown_seconds > 0
    if cooled and store is not None:
        assert manual is not None and policy is not None
        key = workflow_id or doc.id or doc.name  # a document run without an id: its name
        admitted._cooldown = await _take_cooldown(store, policy, key, manual)
    return admitted


def admit_inputs(
    doc: WorkflowDocument, inputs: Mapping[str, Any] | None, limits: ValueLimits | None = None
) -> dict[str, Any]:
    """The synchronous part of :func:`admit` (schema, values, defaults, inputs_schema).

    For callers that must answer before a run exists and check credentials apart
    (a batch checks each credential once, not once per run).
    """
    problems = schema_problems(doc)
    if problems:
        raise DocumentError(problems)
    check_value(dict(inputs or {}), "inputs", limits)
    return checked_inputs(doc, inputs)


async def admit_batch(
    doc: WorkflowDocument,
    batch: Sequence[Mapping[str, Any] | None],
    *,
    workflow_id: str,
    checksum: str | None = None,
    resolver: secrets.SecretResolver | None = None,
    limits: ValueLimits | None = None,
    field: str = "runs",
) -> list[dict[str, Any]]:
    """:func:`admit` for a batch of runs of one document: all admitted, or none.

    Problems name the run (``runs[3].inputs.name``); credentials are checked once.
    """
    problems = schema_problems(doc)
    if problems:
        raise DocumentError(problems)
    values: list[Problem] = []
    for i, inputs in enumerate(batch):
        values += value_problems(dict(inputs or {}), f"{field}[{i}].inputs", limits)
    if values:
        raise UnstorableValue(values)
    admitted: list[dict[str, Any]] = []
    for i, inputs in enumerate(batch):
        filled = with_defaults(doc, inputs)
        for p in input_problems(doc, filled):
            problems.append(
                Problem(p.severity, p.code, p.message, p.node, f"{field}[{i}].{p.field}")
            )
        admitted.append(filled)
    if problems:
        raise DocumentError(problems)
    await secrets.check_document(doc, resolver, workflow_id, checksum)
    return admitted


@dataclass
class Admission:
    """A run that passed admission: its pending record, stored document text and graph."""

    record: RunRecord
    body: str
    graph: CompiledStateGraph[Any, Any, Any, Any]
    #: What :func:`admit` granted (the manual cooldown it took).
    admitted: Admitted | None = None

    async def withdraw(self) -> None:
        """The run was not stored after all: give back what admission took."""
        if self.admitted is not None:
            await self.admitted.withdraw()


def pending_run(
    run_id: str,
    checksum: str,
    *,
    inputs: dict[str, Any],
    workflow_id: str | None,
    version: int | None,
    config: dict[str, Any],
    owner: str,
    parent_run_id: str | None = None,
    parent_checkpoint_id: str | None = None,
) -> RunRecord:
    now = utcnow()
    return RunRecord(
        id=run_id,
        checksum=checksum,
        status=RunStatus.PENDING,
        inputs=inputs,
        created_at=now,
        updated_at=now,
        workflow_id=workflow_id,
        version=version,
        config=config,
        parent_run_id=parent_run_id,
        parent_checkpoint_id=parent_checkpoint_id,
        owner=owner,
    )


#: Documents with more nodes than this are validated and compiled on a worker thread.
LARGE_DOCUMENT_NODES = 200


def is_large(document: WorkflowDocument | Mapping[str, Any]) -> bool:
    """Whether checking ``document`` may take long enough to stall an event loop."""
    graph: Any = (
        document.get("graph") if isinstance(document, Mapping) else getattr(document, "graph", None)
    )
    ir = graph.get("ir") if isinstance(graph, Mapping) else getattr(graph, "ir", None)
    nodes = ir.get("nodes") if isinstance(ir, Mapping) else getattr(ir, "nodes", None)
    return isinstance(nodes, list) and len(nodes) > LARGE_DOCUMENT_NODES
