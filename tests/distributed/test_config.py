"""Distributed settings: every mistake names the setting and what was expected."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orcheo_jupyter.distributed import executor_mode
from orcheo_jupyter.distributed.config import Distributed
from orcheo_jupyter.ops import logs
from orcheo_jupyter.settings import Settings


def test_broker_url_is_required_and_must_be_redis(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ORCHEO_EXECUTOR=celery needs ORCHEO_BROKER_URL"):
        Distributed.from_settings(Settings(data_dir=tmp_path, executor="celery"))
    with pytest.raises(ValueError, match=r"must be a Redis URL .* not 'amqp://x'"):
        Distributed.from_settings(Settings(data_dir=tmp_path, broker_url="amqp://x"))
    with pytest.raises(ValueError, match="ORCHEO_EXECUTOR must be local or celery, not 'k8s'"):
        executor_mode(Settings(data_dir=tmp_path, executor="k8s"))


def test_durations_must_be_positive_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:1/0")
    monkeypatch.setenv("ORCHEO_LEASE_SECONDS", "soon")
    with pytest.raises(ValueError, match="ORCHEO_LEASE_SECONDS must be a number of seconds"):
        Distributed.from_settings(settings)
    monkeypatch.setenv("ORCHEO_LEASE_SECONDS", "-1")
    with pytest.raises(ValueError, match="ORCHEO_LEASE_SECONDS must be positive"):
        Distributed.from_settings(settings)
    monkeypatch.setenv("ORCHEO_LEASE_SECONDS", "7.5")
    assert Distributed.from_settings(settings).lease_seconds == 7.5


def test_worker_without_broker_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHEO_")}
    env["ORCHEO_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "worker"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: ORCHEO_EXECUTOR=celery needs ORCHEO_BROKER_URL (or c.OrcheoApp.broker_url), "
        "e.g. redis://127.0.0.1:6379/0"
    ]


def test_json_log_lines_carry_the_run_context(capsys: pytest.CaptureFixture[str]) -> None:
    from orcheo_jupyter.runtime import observer as obs
    from orcheo_jupyter.store.records import EventRecord

    logs.configure("json", "INFO")
    try:
        run = obs.RunObserver.__new__(obs.RunObserver)
        run.run_id, run.workflow_id = "r1", "wf"
        token = obs.current.set(run)
        try:
            logging.getLogger("orcheo_jupyter.nodes.test").info("hello %s", "there")
            logs.log_event(EventRecord("r1", 3, "node_finished", "t", "n1", {"duration_ms": 4.5}))
        finally:
            obs.current.reset(token)
    finally:
        for name in ("orcheo", "orcheo_jupyter"):
            logger = logging.getLogger(name)
            logger.handlers = [h for h in logger.handlers if h.get_name() != "orcheo-ops"]
            logger.propagate = True
            logger.setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "hello there"
    assert (lines[0]["run_id"], lines[0]["workflow_id"]) == ("r1", "wf")
    assert lines[1]["event"] == "node_finished" and lines[1]["node_id"] == "n1"
    assert (lines[1]["seq"], lines[1]["duration_ms"], lines[1]["level"]) == (3, 4.5, "info")
    with pytest.raises(ValueError, match="ORCHEO_LOG_FORMAT must be json or text, not 'xml'"):
        logs.configure("xml")
