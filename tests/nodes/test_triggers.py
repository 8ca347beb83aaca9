"""Trigger nodes: config models checked at validation time; outputs mask secrets."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from orcheo_jupyter.nodes import registry
from orcheo_jupyter.nodes.library.cron import parse_cron
from orcheo_jupyter.nodes.library.triggers import (
    CronTriggerNode,
    HttpPollingTriggerNode,
    WebhookTriggerNode,
)
from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, node, results, run, run_node


def test_trigger_nodes_are_marked_as_triggers() -> None:
    triggers = sorted(s.type for s in registry.all_specs() if s.trigger)
    assert triggers == [
        "CronTriggerNode",
        "HttpPollingTriggerNode",
        "ManualTriggerNode",
        "WebhookTriggerNode",
    ]


def test_cron_expressions() -> None:
    schedule = parse_cron("*/15 9-17 * * MON-FRI")
    assert schedule.minutes == frozenset({0, 15, 30, 45})
    assert schedule.hours == frozenset(range(9, 18))
    assert schedule.weekdays == frozenset({1, 2, 3, 4, 5})
    assert schedule.days_restricted is False and schedule.weekdays_restricted is True
    assert parse_cron("0 0 1,15 JAN,jul 7").weekdays == frozenset({0})
    assert parse_cron("5/20 * * * *").minutes == frozenset({5, 25, 45})
    assert parse_cron("@daily") == parse_cron("0 0 * * *")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
        ("60 * * * *", "minute: 60 is out of range 0-59"),
        ("* * 0 * *", "day of month: 0 is out of range 1-31"),
        ("* * * FOO *", "month: 'FOO' is not a number"),
        ("* 5-2 * * *", "hour: range '5-2' runs backwards"),
        ("*/0 * * * *", "minute: step '0' must be a positive number"),
        ("1,,2 * * * *", "minute: empty list item in '1,,2'"),
    ],
)
def test_bad_cron_expressions_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        CronTriggerNode.model_validate({"expression": expression})
    error = err.value.errors()[0]
    assert error["loc"] == ("expression",)
    assert error["msg"] == f"Value error, {message}"


def test_cron_window_and_zone() -> None:
    with pytest.raises(ValidationError) as err:
        CronTriggerNode.model_validate({"timezone": "Europe/Atlantis"})
    assert err.value.errors()[0]["loc"] == ("timezone",)
    with pytest.raises(ValidationError) as err:
        CronTriggerNode.model_validate(
            {"start_at": "2025-01-02T00:00:00Z", "end_at": "2025-01-01T00:00:00Z"}
        )
    assert "end_at must be after start_at" in str(err.value)


def test_webhook_and_polling_configs() -> None:
    hook = WebhookTriggerNode.model_validate({})
    assert hook.allowed_methods == ["POST"]
    with pytest.raises(ValidationError) as err:
        WebhookTriggerNode.model_validate({"shared_secret": "[[hook_secret]]"})
    assert "shared_secret_header and shared_secret must be set together" in str(err.value)
    with pytest.raises(ValidationError) as err:
        WebhookTriggerNode.model_validate({"allowed_methods": ["FETCH"]})
    assert err.value.errors()[0]["loc"] == ("allowed_methods", 0)
    with pytest.raises(ValidationError) as err:
        HttpPollingTriggerNode.model_validate({"url": "https://x.org", "interval_seconds": 1})
    assert err.value.errors()[0]["loc"] == ("interval_seconds",)


@pytest.mark.asyncio
async def test_outputs_describe_the_trigger_and_mask_secrets() -> None:
    out = await run_node(
        "WebhookTriggerNode",
        {
            "allowed_methods": ["POST", "PUT"],
            "shared_secret_header": "X-Signature",
            "shared_secret": "literal-secret",
            "rate_limit": {"limit": 10},
        },
    )
    assert out["trigger_type"] == "webhook"
    config: dict[str, Any] = out["trigger_config"]
    assert config["shared_secret"] == "***"
    assert config["shared_secret_header"] == "X-Signature"
    assert config["rate_limit"] == {"limit": 10, "interval_seconds": 60}
    assert "literal-secret" not in repr(out)
    polling = await run_node(
        "HttpPollingTriggerNode",
        {"url": "https://api.example.org/items", "headers": {"Authorization": "Bearer x"}},
    )
    assert polling["trigger_type"] == "http_polling"
    assert polling["trigger_config"]["headers"] == {"Authorization": "***"}
    cron = await run_node("CronTriggerNode", {"expression": "0 9 * * 1"})
    assert cron == {
        "trigger_type": "cron",
        "trigger_config": {
            "expression": "0 9 * * 1",
            "timezone": "UTC",
            "allow_overlapping": False,
            "start_at": None,
            "end_at": None,
        },
    }


@pytest.mark.asyncio
async def test_manual_trigger_as_first_node_of_a_run(executor: Executor) -> None:
    doc = chain_doc(
        node("start", "ManualTriggerNode", label="Run report", default_payload={"days": 7}),
        node("next", "SetVariableNode", variables={"kind": "{{start.trigger_type}}"}),
    )
    out = results(await run(executor, doc))
    assert out["start"]["trigger_config"]["label"] == "Run report"
    assert out["start"]["trigger_config"]["default_payload"] == {"days": 7}
    assert out["next"] == {"kind": "manual"}
