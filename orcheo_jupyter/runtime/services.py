"""What a run's nodes may reach besides their state: one typed, immutable object.

The executor hands the same ``RuntimeServices`` to every run it drives and to node
tests; nodes read it from ``NodeContext.services``. It replaces a string-keyed
dict whose misspelt keys failed silently (a node then ran without the vault or
with real HTTP sleeps). Being frozen, a run keeps the services it started with:
swapping the vault (``executor.services = executor.services.replace(...)``)
applies to runs started afterwards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..nodes.support.circuit_breakers import CircuitBreakers
    from ..store.base import Repository
    from .secrets import SecretResolver


@dataclass(frozen=True, slots=True)
class RuntimeServices:
    #: Resolves ``[[credential]]`` references at run time (the vault); None: no
    #: credentials here, so a node that needs one fails naming it.
    secrets: SecretResolver | None = None
    #: Where nodes keep files (SQLite databases, vector stores); None: the default
    #: data directory of this process.
    data_dir: Path | None = None
    #: The stored workflows, for sub-workflow nodes (the executor's store).
    store: Repository | None = None
    #: Chat models by name, used before ``init_chat_model`` (tests, preconfigured clients).
    chat_models: Mapping[str, Any] = field(default_factory=dict)
    #: Embedding models by name, used before ``init_embeddings``.
    embeddings: Mapping[str, Any] = field(default_factory=dict)
    #: HTTP circuit breakers shared by this executor's runs; None: the process's.
    http_circuit_breakers: CircuitBreakers | None = None
    #: How HTTP retries wait (tests pass a recorder); None: ``asyncio.sleep``.
    sleep: Callable[[float], Awaitable[Any]] | None = None

    def replace(self, **changes: Any) -> RuntimeServices:
        """A copy with ``changes`` (field names checked: a typo is a TypeError)."""
        return dataclasses.replace(self, **changes)


#: No services: a node test or a bare graph outside any executor.
NO_SERVICES = RuntimeServices()
