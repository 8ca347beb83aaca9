"""Give an executor outside the server (Python API, magics, CLI) the vault of its data dir.

The kernel and the server share the data directory, its key file and
``vault.sqlite``; a run started from a notebook resolves ``[[credentials]]`` the
same way as one started through the API. Without a usable key the executor runs
without a vault, and runs that need a credential are refused naming it.
"""

from __future__ import annotations

import logging

from ..runtime.executor import Executor
from ..settings import Settings
from .keys import VaultKeyError
from .vault import Vault

log = logging.getLogger(__name__)


async def attach_vault(executor: Executor, settings: Settings | None = None) -> Vault | None:
    try:
        vault = await Vault.open(settings)
    except (VaultKeyError, OSError, ValueError) as exc:
        log.warning("orcheo: runs here cannot use credentials: %s", exc)
        return None
    executor.services = executor.services.replace(secrets=vault)
    return vault


async def detach_vault(executor: Executor) -> None:
    vault = executor.services.secrets
    executor.services = executor.services.replace(secrets=None)
    if isinstance(vault, Vault):
        await vault.close()
