"""Runs a dead process left running: resumed from their checkpoint, or failed with the cause."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from orcheo_jupyter.common.timestamps import utcnow
from orcheo_jupyter.store.records import RunBatch, RunRecord
from orcheo_jupyter.triggers import owner_alive, recover_orphans
from tests.conftest import code_doc

from .conftest import Env


def dead_owner() -> str:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:deadbeef"


def test_owner_liveness() -> None:
    assert owner_alive(f"{socket.gethostname()}:{os.getpid()}:abc")
    assert not owner_alive(dead_owner())
    assert owner_alive("some-other-host:1:abc")  # cannot tell: left alone
    assert not owner_alive(None)


@pytest.mark.asyncio
async def test_orphans_resume_or_fail_with_the_cause(env: Env) -> None:
    wid = await env.workflow(code_doc("return 41 + 1"), "orphaned")
    version = await env.executor.store.get_version(wid, 1)
    now = utcnow()
    owner = dead_owner()

    def record(run_id: str, checksum: str, status: str, who: str) -> RunRecord:
        return RunRecord(
            id=run_id,
            checksum=checksum,
            status=status,
            inputs={},
            created_at=now,
            updated_at=now,
            workflow_id=wid,
            owner=who,
        )

    store = env.executor.store
    await store.create_run(record("pending-run", version.checksum, "pending", owner))
    await store.create_run(record("running-run", version.checksum, "running", owner))
    await store.create_run(record("no-document", "0" * 64, "running", owner))
    await store.create_run(record("alive", version.checksum, "running", "elsewhere:1:x"))

    report = await recover_orphans(env.executor)
    assert sorted(report.resumed) == ["pending-run", "running-run"]
    assert list(report.failed) == ["no-document"]
    assert report.left == ["alive"]
    for run_id in ("pending-run", "running-run"):
        finished = await env.executor.wait(run_id, timeout=15)
        assert finished.status == "succeeded"
        assert finished.final_state["results"]["c"] == 42  # type: ignore[index]
    # A run that never started starts now (run_started); one that ran is resumed.
    assert (await store.list_events("pending-run"))[0].type == "run_started"
    assert (await store.list_events("running-run"))[0].type == "run_started"
    # Each says why it started again, and where (a crash, not an interrupt's answer).
    why = f"the process driving this run ({owner}) stopped; continued by {env.executor.owner}"
    for run_id in ("pending-run", "running-run"):
        assert (await store.list_events(run_id))[0].data == {"inputs": {}, "reason": why}

    failed = await store.get_run("no-document")
    assert failed.status == "failed"
    assert failed.error is not None and failed.error.startswith(
        f"the process driving this run ({owner}) died and the run could not be resumed: NotFound: "
    )
    events = await store.list_events("no-document")
    assert [e.type for e in events] == ["run_failed"]
    assert (await store.get_run("alive")).status == "running"


@pytest.mark.asyncio
async def test_runs_of_a_stopped_kernel_fail_and_no_other_run_is_swept(env: Env) -> None:
    """Start-up recovery leaves a kernel's runs to the kernel sweep, which fails them once
    the kernel process is gone; runner, server and worker runs are never its business."""
    from orcheo_jupyter.store.records import EventRecord, RunUpdate
    from orcheo_jupyter.triggers.kernel_runs import KERNEL_STOPPED, KernelRunSweeper

    wid = await env.workflow(code_doc("return 41 + 1"), "kerneled")
    checksum = (await env.executor.store.get_version(wid, 1)).checksum
    now = utcnow()
    dead = dead_owner()
    owners = {
        "kernel-dead": f"kernel@{dead}",
        "kernel-dead-pending": f"kernel@{dead}",
        "kernel-alive": f"kernel@{socket.gethostname()}:{os.getpid()}:abc",
        "kernel-elsewhere": "kernel@other-host:1:abc",
        "runner-dead": dead,
        "worker-dead": f"celery@{dead}",
    }
    store = env.executor.store
    for run_id, owner in owners.items():
        status = "pending" if run_id.endswith("pending") else "running"
        await store.create_run(
            RunRecord(run_id, checksum, status, {}, now, now, workflow_id=wid, owner=owner)
        )
    # The kernel ran node c and had started node d when it died.
    started = [
        EventRecord("kernel-dead", 1, "run_started", now),
        EventRecord("kernel-dead", 2, "node_started", now, "c"),
        EventRecord("kernel-dead", 3, "node_finished", now, "c", {"output": 1}),
        EventRecord("kernel-dead", 4, "node_started", now, "d"),
    ]
    await store.write_batch(RunBatch(started, [RunUpdate("kernel-dead", now, {"last_seq": 1})]))

    report = await recover_orphans(env.executor, exclude={"runner-dead"})
    assert not [r for r in report.resumed + list(report.failed) if r.startswith("kernel")]

    swept = await KernelRunSweeper(env.executor).sweep()
    assert sorted(swept) == ["kernel-dead", "kernel-dead-pending"]
    run = await store.get_run("kernel-dead")
    assert run.status == "failed"
    assert run.error == f"{KERNEL_STOPPED} while node 'd' was running"
    assert run.node_states == {"c": "succeeded", "d": "failed"}
    events = await store.list_events("kernel-dead")
    assert [(e.seq, e.type, e.node) for e in events[4:]] == [
        (5, "node_failed", "d"),
        (6, "run_failed", None),
    ]
    pending = await store.get_run("kernel-dead-pending")
    assert (pending.status, pending.error) == ("failed", KERNEL_STOPPED)
    for run_id in ("kernel-alive", "kernel-elsewhere", "runner-dead", "worker-dead"):
        assert (await store.get_run(run_id)).status == "running", run_id
    assert await KernelRunSweeper(env.executor).sweep() == []  # once
