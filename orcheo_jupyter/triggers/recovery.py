"""Runs a dead process left behind: resume them from their checkpoints, or fail them with the cause.

A run's ``owner`` names the process driving it (``host:pid:suffix``). At start-up
the server looks for runs still ``running`` or ``pending`` whose owner process on
this host no longer exists, and hands each to ``Executor.recover`` (which
continues from the last checkpoint, or from the start when there is none). A run
that cannot be recovered (its document is gone, its graph no longer builds) is
stored as failed, with the reason, so nobody waits for it forever; so is one whose
stored values no longer fit ``max_value_bytes`` (it could never be written again).
A run that cannot even be marked failed is logged and skipped: recovery goes on
with the others. Runs owned by a live process (a kernel, another server) or
another host are left alone.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any

from ..common.timestamps import utcnow
from ..runtime.admission import pending_run
from ..runtime.events import EventType, RunStatus
from ..runtime.executor import Executor
from ..runtime.owners import KERNEL_OWNER_PREFIX, owner_process, pid_alive
from ..store.base import Conflict, Repository
from ..store.records import EventRecord, RunBatch, RunRecord, RunUpdate

log = logging.getLogger(__name__)


def owner_alive(owner: str | None) -> bool:
    """Whether the process named by a run's owner may still be driving it."""
    if not owner:
        return False
    if owner.startswith(KERNEL_OWNER_PREFIX):
        return True  # a kernel's run: failed by the kernel sweep once the kernel is gone
    process = owner_process(owner, "")
    if process is None:
        return True  # not ours to judge
    host, pid = process
    if host != socket.gethostname():
        return True  # another machine: we cannot tell
    if pid == os.getpid():
        return True  # an executor of this very process
    return pid_alive(pid)


@dataclass
class RecoveryReport:
    resumed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    left: list[str] = field(default_factory=list)


async def fail_run(store: Repository, record: RunRecord, cause: str, owner: str) -> None:
    """Store a run that will never finish as failed, with a run_failed event naming the cause."""
    stored = await store.list_events(record.id, after=record.last_seq)
    seq = (stored[-1].seq if stored else record.last_seq) + 1
    now = utcnow()
    event = EventRecord(record.id, seq, str(EventType.RUN_FAILED), now, None, {"error": cause})
    update = RunUpdate(
        record.id,
        now,
        {
            "status": str(RunStatus.FAILED),
            "error": cause,
            "finished_at": now,
            "last_seq": seq,
            "owner": owner,
        },
    )
    await store.write_batch(RunBatch([event], [update]))


async def store_failed_run(
    store: Repository,
    run_id: str,
    *,
    workflow_id: str,
    version: int | None,
    inputs: dict[str, Any],
    cause: str,
    owner: str,
    checksum: str = "",
) -> None:
    """A run that could not even start (its workflow is gone, a credential is missing).

    It is stored as failed so the run id a caller was given still answers, and says why.
    """
    pending = pending_run(
        run_id,
        checksum,
        inputs=dict(inputs),
        workflow_id=workflow_id,
        version=version,
        config={},
        owner=owner,
    )
    now = pending.created_at
    record = replace(pending, status=str(RunStatus.FAILED), error=cause, finished_at=now)
    try:
        await store.create_run(record)
    except Conflict:
        return  # an earlier attempt stored it
    event = EventRecord(run_id, 1, str(EventType.RUN_FAILED), now, None, {"error": cause})
    await store.write_batch(RunBatch([event], [RunUpdate(run_id, now, {"last_seq": 1})]))


async def recover_orphans(
    executor: Executor,
    *,
    alive: Callable[[str | None], bool] = owner_alive,
    exclude: Collection[str] = (),
    page: int = 200,
) -> RecoveryReport:
    """Resume (or fail) every run left running or pending by a process that is gone.

    ``exclude``: runs someone else resumes (the dispatcher's, within their limits).
    """
    report = RecoveryReport()
    orphans: list[RunRecord] = []
    for status in (RunStatus.RUNNING, RunStatus.PENDING):
        offset = 0
        while True:
            runs, total = await executor.store.list_runs(
                status=str(status), limit=page, offset=offset
            )
            orphans += [r for r in runs if r.id not in exclude and not alive(r.owner)]
            report.left += [r.id for r in runs if r.id in exclude or alive(r.owner)]
            offset += page
            if offset >= total or not runs:
                break
    for record in orphans:
        try:
            # Said in the run's resumed (or run_started) event: a viewer tells a run
            # continued after a crash from one resumed after an interrupt.
            why = (
                f"the process driving this run ({record.owner}) stopped; "
                f"continued by {executor.owner}"
            )
            await executor.recover(record.id, why)
            report.resumed.append(record.id)
        except Exception as exc:
            cause = (
                f"the process driving this run ({record.owner}) died and the run could not "
                f"be resumed: {type(exc).__name__}: {exc}"
            )
            log.warning("orcheo: run %s %s", record.id, cause)
            report.failed[record.id] = cause
            try:
                await fail_run(executor.store, record, cause, executor.owner)
            except Exception as error:  # one unwritable run must not stop the others
                log.error("orcheo: run %s could not be stored as failed: %s", record.id, error)
    if report.resumed or report.failed:
        log.info(
            "orcheo: recovered %d run(s) left by dead processes, failed %d",
            len(report.resumed),
            len(report.failed),
        )
    return report
