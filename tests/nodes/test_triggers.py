"""Trigger nodes: config models checked at validation time; outputs mask secrets."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from orcheo_jupyter.nodes import registry
from orcheo_jupyter.nodes.library.trigger_nodes import (
    CronTriggerNode,
    HttpPollingTriggerNode,
    WebhookTriggerNode,
)
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.spec.models import WorkflowDocument
from orcheo_jupyter.triggers import triggers_of

from .helpers import chain_doc, node, results, run, run_node


def test_trigger_nodes_are_marked_as_triggers() -> None:
    triggers = sorted(s.type for s in registry.all_specs() if s.trigger)
    assert triggers == [
        "CronTriggerNode",
        "HttpPollingTriggerNode",
        "ManualTriggerNode",
        "WebhookTriggerNode",
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "*/15 9-17 * * MON-FRI",
        "0 0 1,15 JAN,jul 7",
        "@daily",
        "0 0 L * *",
        "0 0 * * MON#1",
        "*/5 * * * * 30",
    ],
)
def test_cron_node_and_triggers_list_accept_the_same_expressions(expression: str) -> None:
    """One grammar (croniter): last day, nth weekday and seconds work on the node too."""
    assert CronTriggerNode.model_validate({"expression": expression}).expression == expression
    doc = WorkflowDocument.model_validate(
        chain_doc(
            node("a", "SetVariableNode"),
            triggers=[{"type": "cron", "config": {"expression": expression}}],
        )
    )
    specs, problems = triggers_of(doc, "w")
    assert problems == [] and specs[0].config.expression == expression


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "Exactly 5, 6 or 7 columns has to be specified"),
        ("60 * * * *", "out of range"),
        ("* * 0 * *", "out of range"),
        ("* * * FOO *", "is not acceptable"),
        ("*/0 * * * *", "step '0' in field 0 is not acceptable"),
        ("{{inputs.when}}", "{{templates}} cannot work"),
    ],
)
def test_bad_cron_expressions_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        CronTriggerNode.model_validate({"expression": expression})
    error = err.value.errors()[0]
    assert error["loc"] == ("expression",)
    assert message in error["msg"]


def test_orcheo_allow_overlapping_maps_to_overlap() -> None:
    assert CronTriggerNode.model_validate({"allow_overlapping": True}).overlap == "allow"
    assert CronTriggerNode.model_validate({"allow_overlapping": False}).overlap == "skip"
    explicit = {"allow_overlapping": True, "overlap": "queue"}
    assert CronTriggerNode.model_validate(explicit).overlap == "queue"


def test_polling_in_the_triggers_list() -> None:
    doc = WorkflowDocument.model_validate(
        chain_doc(
            node("a", "SetVariableNode"),
            triggers=[
                {"type": "http_polling", "id": "feed", "config": {"url": "https://x.org/feed"}},
                {"type": "http_polling", "config": {"url": "ftp://x.org", "interval_seconds": 1}},
            ],
        )
    )
    specs, problems = triggers_of(doc, "w")
    assert [(s.trigger_id, s.type, s.config.interval_seconds) for s in specs] == [
        ("feed", "http_polling", 300)
    ]
    assert sorted(p.field for p in problems) == [
        "triggers[1].config.interval_seconds",
        "triggers[1].config.url",
    ]


def test_stored_secrets_are_references_but_run_time_values_are_not() -> None:
    """Validated for storage, a secret must be [[ref]]; with the resolved value it runs."""
    literal = {"shared_secret_header": "X-S", "shared_secret": "hunter2"}
    with pytest.raises(ValidationError) as err:
        WebhookTriggerNode.model_validate(literal, context={"stored": True})
    assert "[[credential]] reference" in str(err.value)
    assert WebhookTriggerNode.model_validate(literal).shared_secret == "hunter2"


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
            "overlap": "skip",
            "allow_overlapping": None,
            "catch_up": "latest",
            "max_catch_up": 100,
            "misfire_grace_seconds": 60,
            "start_at": None,
            "end_at": None,
            "inputs": {},
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
