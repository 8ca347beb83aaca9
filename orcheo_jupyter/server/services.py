"""The services the server runs beside the executor: the vault and the trigger services.

Opened once with the executor (the vault becomes ``executor.services.secrets``,
so runs resolve ``[[credentials]]`` and refuse to start without them) and closed
before it. A vault key that cannot be used does not stop the server: the
credentials API answers 503 with the reason, and runs that need a credential are
refused with a 422 naming it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..spec.models import WorkflowDocument
from ..spec.problems import DocumentError
from ..triggers.config import Triggers, triggers_of
from .errors import ApiError

if TYPE_CHECKING:
    from ..runtime.executor import Executor
    from ..triggers import TriggerService
    from ..vault import Vault
    from .app import OrcheoApp

log = logging.getLogger(__name__)


@dataclass
class Services:
    vault: Vault | None
    triggers: TriggerService
    vault_error: str | None = None

    def require_vault(self) -> Vault:
        if self.vault is None:
            raise ApiError(
                503, "vault_unavailable", f"the vault is unavailable: {self.vault_error}"
            )
        return self.vault

    async def close(self) -> None:
        try:
            await self.triggers.close()
        finally:
            if self.vault is not None:
                await self.vault.close()


async def open_services(app: OrcheoApp, executor: Executor) -> Services:
    from ..triggers import DispatchPolicy, TriggerService, TriggerSettings
    from ..vault import Vault, VaultKeyError

    settings = app.orcheo_settings()
    vault: Vault | None = None
    vault_error = None
    try:
        vault = await Vault.open(
            settings, key=app.vault_key or None, key_file=app.vault_key_file or None
        )
        executor.services = executor.services.replace(secrets=vault)
    except (VaultKeyError, ValueError, OSError) as exc:
        vault_error = str(exc)
        app.log.error("orcheo: the credentials vault is unavailable: %s", exc)
    policy = DispatchPolicy(
        max_concurrency=app.dispatch_max_concurrency,
        max_attempts=app.dispatch_max_attempts,
        backoff_seconds=app.dispatch_backoff_seconds,
    )
    triggers = await TriggerService.open(
        executor,
        settings,
        vault=vault,
        settings=TriggerSettings(
            default_policy=policy, max_active=app.dispatch_max_active, cron=app.cron_enabled
        ),
    )
    try:
        await triggers.start()
    except BaseException:
        await triggers.close()
        if vault is not None:
            await vault.close()
        raise
    if triggers.recovery.resumed or triggers.recovery.failed:
        server_log = getattr(getattr(app, "serverapp", None), "log", None) or app.log
        server_log.info(
            "orcheo: resumed %d run(s) a stopped process left running; %d could not resume",
            len(triggers.recovery.resumed),
            len(triggers.recovery.failed),
        )
    return Services(vault, triggers, vault_error)


def check_triggers(doc: WorkflowDocument, workflow_id: str) -> Triggers:
    """DocumentError (422) naming each trigger setting that cannot work, before storing;
    else the document's triggers and their warnings."""
    specs, problems = triggers_of(doc, workflow_id)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DocumentError(errors)
    return specs, problems


async def triggers_changed(
    app: OrcheoApp, workflow_id: str, stored: tuple[int, Triggers] | None = None
) -> None:
    """Re-register a workflow's triggers after the API stored a new version of it
    (``stored``: that version's number and its triggers, so it is not read again)."""
    services: Services | None = getattr(app, "services", None)
    if services is not None:
        await services.triggers.register(workflow_id, stored)


async def triggers_removed(app: OrcheoApp, ref: str) -> None:
    services: Services | None = getattr(app, "services", None)
    if services is not None:
        await services.triggers.forget(ref)
